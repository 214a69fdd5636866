import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppException } from '../errors/app.exception';
import { type ErrorBody } from '../errors/error-codes';
import { type CursorField, decodeCursor, encodeCursor } from './cursor';

const UUID = '3f2b8c1a-9d4e-4f6a-8b7c-0123456789ab';
const DATE = '2025-01-15T12:00:00.000Z';
const KEYSET: readonly CursorField[] = ['date', 'uuid'];

const b64url = (text: string): string => Buffer.from(text).toString('base64url');

function assertInvalid(cursor: string, shape: readonly CursorField[], label?: string): void {
  assert.throws(
    () => decodeCursor(cursor, shape),
    (error: unknown) => {
      assert.ok(error instanceof AppException, `expected an AppException, got ${String(error)}`);
      assert.equal(error.getStatus(), 400);
      assert.equal((error.getResponse() as ErrorBody).code, 'invalid_cursor');
      return true;
    },
    label ?? JSON.stringify(cursor),
  );
}

describe('encodeCursor / decodeCursor', () => {
  it('round-trips a date + uuid keyset', () => {
    const cursor = encodeCursor([DATE, UUID]);
    assert.match(cursor, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeCursor(cursor, KEYSET), [DATE, UUID]);
  });

  it('round-trips a date + rank + uuid keyset, and refuses a rank that is not one digit', () => {
    const shape: readonly CursorField[] = ['date', 'rank', 'uuid'];
    assert.deepEqual(decodeCursor(encodeCursor([DATE, '1', UUID]), shape), [DATE, '1', UUID]);
    for (const rank of ['10', '', 'a', '-1']) assertInvalid(encodeCursor([DATE, rank, UUID]), shape, `rank ${JSON.stringify(rank)}`);
    assertInvalid(Buffer.from(JSON.stringify([DATE, 1, UUID])).toString('base64url'), shape, 'a number, not a string');
  });

  it('refuses a cursor whose length differs from the shape', () => {
    const cursor = encodeCursor([DATE, UUID]);
    assertInvalid(cursor, ['date'], 'one field short');
    assertInvalid(cursor, ['date', 'uuid', 'uuid'], 'one field too many');
    assertInvalid(encodeCursor([]), KEYSET, 'empty array');
  });

  it('refuses values of the wrong type', () => {
    assertInvalid(encodeCursor([UUID, DATE]), KEYSET, 'fields swapped');
    assertInvalid(encodeCursor([DATE, 'not-a-uuid']), KEYSET, 'bad uuid');
    assertInvalid(encodeCursor(['yesterday-ish', UUID]), KEYSET, 'bad date');
    assertInvalid(b64url(JSON.stringify([DATE, 12])), KEYSET, 'number for uuid');
    for (const loose of ['2025', '1', 'March 7', '+275760-09-13T00:00:00.000Z', '2025-01-15', '2025-01-15T12:00:00Z', '2025-02-30T12:00:00.000Z']) {
      // JavaScript parses these; PostgreSQL would refuse some, so only toISOString()'s own form passes.
      assertInvalid(encodeCursor([loose, UUID]), KEYSET, `loose date ${loose}`);
    }
    assertInvalid(b64url(JSON.stringify([null, UUID])), KEYSET, 'null for date');
    assertInvalid(b64url(JSON.stringify([[DATE], UUID])), KEYSET, 'nested array');
  });

  it('refuses characters outside base64url', () => {
    const cursor = encodeCursor([DATE, UUID]);
    assertInvalid(Buffer.from(JSON.stringify([DATE, UUID])).toString('base64'), KEYSET, 'standard base64 with padding');
    assertInvalid(`${cursor}=`, KEYSET, 'padding');
    assertInvalid(`${cursor.slice(0, 5)}+${cursor.slice(6)}`, KEYSET, 'plus sign');
    assertInvalid(`${cursor.slice(0, 5)}/${cursor.slice(6)}`, KEYSET, 'slash');
    assertInvalid(`${cursor.slice(0, 5)} ${cursor.slice(6)}`, KEYSET, 'space');
    assertInvalid(`${cursor}.`, KEYSET, 'dot');
    assertInvalid('', KEYSET, 'empty');
  });

  it('refuses base64url that does not decode to a JSON array', () => {
    assertInvalid(b64url('{not json'), KEYSET, 'garbage');
    assertInvalid(b64url(`["${DATE}","${UUID}"`), KEYSET, 'truncated JSON');
    assertInvalid(b64url(JSON.stringify({ 0: DATE, 1: UUID, length: 2 })), KEYSET, 'array-like object');
    assertInvalid(b64url('"just a string"'), KEYSET, 'string');
    assertInvalid(b64url('null'), KEYSET, 'null');
    assertInvalid('A', KEYSET, 'a single character');
  });

  it('refuses over-long input', () => {
    assertInvalid('A'.repeat(701), KEYSET, '701 characters');
    assertInvalid('A'.repeat(100_000), KEYSET, '100,000 characters');
  });
});
