import { HttpStatus } from '@nestjs/common';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-codes';

/** `rank`: a single digit, ordering rows of several tables that share a timestamp. */
export type CursorField = 'date' | 'uuid' | 'rank';
type CursorValue = string;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const invalid = (): AppException => new AppException(HttpStatus.BAD_REQUEST, ErrorCode.InvalidCursor, 'The cursor is malformed or belongs to another listing');

const matches = (value: unknown, field: CursorField): boolean => {
  switch (field) {
    case 'date':
      // Exactly what toISOString() writes: JavaScript parses looser dates than PostgreSQL accepts.
      return typeof value === 'string' && ISO_DATE.test(value) && !Number.isNaN(Date.parse(value)) && new Date(value).toISOString() === value;
    case 'uuid':
      return typeof value === 'string' && UUID.test(value);
    case 'rank':
      return typeof value === 'string' && /^[0-9]$/.test(value);
  }
};

/** Opaque to clients: the keyset of the last row of a page, as base64url JSON. */
export function encodeCursor(values: CursorValue[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** Decodes a cursor and checks it has exactly the shape of the listing's keyset. */
export function decodeCursor(cursor: string, shape: readonly CursorField[]): CursorValue[] {
  if (!/^[A-Za-z0-9_-]{1,700}$/.test(cursor)) throw invalid();
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(values) || values.length !== shape.length) throw invalid();
  if (!values.every((value, index) => matches(value, shape[index]))) throw invalid();
  return values as CursorValue[];
}
