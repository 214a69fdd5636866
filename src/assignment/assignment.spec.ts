import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Assignee } from './assignment.repository';
import { planAssignments } from './assignment.service';

const agent = (id: string, over: Partial<Assignee> = {}): Assignee => ({ id, capacity: 5, load: 0, lastAssignedAt: null, queueIds: ['q'], ...over });
const tickets = (n: number, queueId = 'q') => Array.from({ length: n }, (_, i) => ({ id: `t${i}`, queueId }));
const now = new Date('2026-11-28T10:00:00Z');

describe('planAssignments', () => {
  it('goes round the agents, the one assigned longest ago first', () => {
    const plan = planAssignments(tickets(5), [agent('a', { lastAssignedAt: new Date('2026-11-28T09:00:00Z') }), agent('b'), agent('c', { lastAssignedAt: new Date('2026-11-28T08:00:00Z') })], now);
    assert.deepEqual(plan.map((p) => p.agentId), ['b', 'c', 'a', 'b', 'c']);
  });

  it('skips agents at capacity and agents outside the ticket queue; leaves a ticket nobody can take', () => {
    const plan = planAssignments([...tickets(1, 'other'), ...tickets(3)], [agent('a', { capacity: 1 }), agent('b', { load: 2, capacity: 3 }), agent('c', { queueIds: ['elsewhere'] })], now);
    assert.deepEqual(plan.map((p) => [p.ticketId, p.agentId]), [['t0', 'a'], ['t1', 'b']]);
  });

  it('stamps each assignment after the last one, even when a previous run stamped ahead of this clock', () => {
    const ahead = new Date(now.getTime() + 50);
    const plan = planAssignments(tickets(2), [agent('a', { lastAssignedAt: ahead }), agent('b', { lastAssignedAt: ahead })], now);
    assert.deepEqual(plan.map((p) => p.at.getTime() - ahead.getTime()), [1, 2]);
  });
});
