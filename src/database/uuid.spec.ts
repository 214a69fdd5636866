import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timeOrderedUuid } from './uuid';

describe('timeOrderedUuid', () => {
  it('is a version 7, variant 1 UUID carrying its millisecond', () => {
    const id = timeOrderedUuid(Date.UTC(2026, 10, 27, 22, 0, 0, 123));
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16) >= Date.UTC(2026, 10, 27, 22, 0, 0, 123), true);
  });

  it('sorts in the order it was made, within one millisecond and across them, even past 4,096 in a millisecond', () => {
    const at = Date.UTC(2030, 0, 1);
    const ids = [...Array.from({ length: 5_000 }, () => timeOrderedUuid(at)), timeOrderedUuid(at + 1), timeOrderedUuid(at + 5)];
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
  });
});
