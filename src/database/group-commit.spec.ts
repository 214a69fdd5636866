import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GroupCommit } from './group-commit';

/** A write that records its batches and can be held open, like a commit in flight. */
function recorder(fail?: (items: number[]) => boolean) {
  const batches: number[][] = [];
  let release: () => void = () => undefined;
  let held = Promise.resolve();
  const write = async (items: number[]): Promise<string[]> => {
    batches.push(items);
    await held;
    if (fail?.(items)) throw new Error(`batch ${items.join(',')} failed`);
    return items.map((item) => `done ${item}`);
  };
  const hold = () => {
    held = new Promise((resolve) => (release = resolve));
  };
  return { batches, write, hold, release: () => release() };
}

describe('GroupCommit', () => {
  it('writes an item at once when idle, and answers each caller with its own result', async () => {
    const r = recorder();
    const group = new GroupCommit(r.write, { maxItems: 10 });
    assert.equal(await group.add(1), 'done 1');
    assert.deepEqual(r.batches, [[1]]);
  });

  it('gathers the items that arrive while a write is in flight into the next write', async () => {
    const r = recorder();
    const group = new GroupCommit(r.write, { maxItems: 10 });
    r.hold();
    const first = group.add(1);
    const rest = [group.add(2), group.add(3), group.add(4)];
    r.release();
    assert.deepEqual(await Promise.all([first, ...rest]), ['done 1', 'done 2', 'done 3', 'done 4']);
    assert.deepEqual(r.batches, [[1], [2, 3, 4]]);
  });

  it('never puts more than maxItems in one write', async () => {
    const r = recorder();
    const group = new GroupCommit(r.write, { maxItems: 2 });
    r.hold();
    const all = [1, 2, 3, 4, 5].map((item) => group.add(item));
    r.release();
    await Promise.all(all);
    assert.deepEqual(r.batches, [[1], [2, 3], [4, 5]]);
  });

  it('with waitMs, holds the first item to share its write with those arriving soon after', async () => {
    const r = recorder();
    const group = new GroupCommit(r.write, { maxItems: 10, waitMs: 30 });
    const first = group.add(1);
    await sleep(5);
    const second = group.add(2);
    assert.deepEqual(r.batches, [], 'nothing written before the wait is over');
    await Promise.all([first, second]);
    assert.deepEqual(r.batches, [[1, 2]]);
  });

  it('with waitMs, writes at once when the batch is full', async () => {
    const r = recorder();
    const group = new GroupCommit(r.write, { maxItems: 2, waitMs: 60_000 });
    const both = [group.add(1), group.add(2)];
    assert.deepEqual(r.batches, [[1, 2]], 'written without waiting for the timer');
    assert.deepEqual(await Promise.all(both), ['done 1', 'done 2']);
  });

  it('a failed write rejects its own callers only, and the next write goes on', async () => {
    const r = recorder((items) => items.includes(2));
    const group = new GroupCommit(r.write, { maxItems: 10 });
    r.hold();
    const first = group.add(1);
    const failing = [group.add(2), group.add(3)];
    r.release();
    assert.equal(await first, 'done 1');
    for (const result of await Promise.allSettled(failing)) assert.equal(result.status, 'rejected');
    assert.equal(await group.add(4), 'done 4');
  });
});
