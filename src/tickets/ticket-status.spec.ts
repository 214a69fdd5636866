import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowedFrom, mayTransition, type StatusChanger } from './ticket-status';
import { TicketStatus } from './ticket.entity';

const { New, Open, Pending, OnHold, Solved, Closed } = TicketStatus;

/** The whole table, written out: every pair not listed is refused. */
const ALLOWED: Record<StatusChanger, Array<[TicketStatus, TicketStatus]>> = {
  agent: [
    [New, Open], [New, Pending], [New, OnHold], [New, Solved],
    [Open, Pending], [Open, OnHold], [Open, Solved],
    [Pending, Open], [Pending, OnHold], [Pending, Solved],
    [OnHold, Open], [OnHold, Pending], [OnHold, Solved],
    [Solved, Open],
  ],
  admin: [
    [New, Open], [New, Pending], [New, OnHold], [New, Solved], [New, Closed],
    [Open, Pending], [Open, OnHold], [Open, Solved], [Open, Closed],
    [Pending, Open], [Pending, OnHold], [Pending, Solved], [Pending, Closed],
    [OnHold, Open], [OnHold, Pending], [OnHold, Solved], [OnHold, Closed],
    [Solved, Open], [Solved, Closed],
  ],
  automation: [
    [New, Open], [New, Pending], [New, OnHold], [New, Solved],
    [Open, Pending], [Open, OnHold], [Open, Solved],
    [Pending, Open], [Pending, OnHold], [Pending, Solved],
    [OnHold, Open], [OnHold, Pending], [OnHold, Solved],
    [Solved, Open], [Solved, Closed],
  ],
};

describe('ticket status transitions', () => {
  for (const by of Object.keys(ALLOWED) as StatusChanger[]) {
    it(`every pair of statuses for ${by === 'automation' ? 'automation' : `an ${by}`}: allowed exactly as the table says`, () => {
      const allowed = new Set(ALLOWED[by].map(([from, to]) => `${from}>${to}`));
      for (const from of Object.values(TicketStatus)) {
        for (const to of Object.values(TicketStatus)) {
          if (from === to) continue;
          assert.equal(mayTransition(from, to, by), allowed.has(`${from}>${to}`), `${by}: ${from} -> ${to}`);
        }
      }
    });
  }

  it('closed is final and new is only a beginning, for everyone', () => {
    for (const by of Object.keys(ALLOWED) as StatusChanger[]) {
      assert.deepEqual(allowedFrom(Closed, by), []);
      for (const from of Object.values(TicketStatus)) if (from !== New) assert.equal(mayTransition(from, New, by), false);
    }
  });

  it('staying in the same status is not a transition', () => {
    for (const status of Object.values(TicketStatus)) assert.equal(mayTransition(status, status, 'agent'), true);
  });

  it('lists what is allowed from a status, for the error that refuses another', () => {
    assert.deepEqual(allowedFrom(Solved, 'agent'), [Open]);
    assert.deepEqual(allowedFrom(Solved, 'admin'), [Open, Closed]);
    assert.deepEqual(allowedFrom(Open, 'agent'), [Pending, OnHold, Solved]);
  });
});
