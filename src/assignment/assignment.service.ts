import { Injectable, Logger } from '@nestjs/common';
import { type Assignee, type Assignment, AssignmentRepository, type WaitingTicket } from './assignment.repository';

/** Tickets looked at per round; a company with more waiting goes round again. */
const ROUND = 200;

/**
 * Auto-assignment. Tickets waiting in auto-assigned queues go, oldest first, to the queue's online
 * members round-robin, skipping agents at their capacity; a ticket no member can take waits for
 * the next run. It runs after anything that may let a waiting ticket go: a new or reopened
 * ticket, a ticket leaving an agent's workload, an agent coming online or gaining capacity, a
 * membership or queue change, and a periodic sweep behind them all.
 *
 * Runs in any process, any number at once: each run holds the company's assignment lock for its
 * transaction, so two runs never plan with the same workloads, and a ticket is assigned only if
 * it still has nobody, so a claim made meanwhile wins.
 */
@Injectable()
export class AssignmentService {
  private readonly logger = new Logger(AssignmentService.name);

  constructor(private readonly assignments: AssignmentRepository) {}

  /** Assigns what can be; answers how many tickets it assigned. */
  async assign(companyId: string): Promise<number> {
    let total = 0;
    for (;;) {
      const { assigned, more } = await this.assignments.transaction(async (manager) => {
        await this.assignments.lockCompany(manager, companyId);
        const waiting = await this.assignments.waiting(manager, companyId, ROUND);
        if (waiting.length === 0) return { assigned: 0, more: false };
        const plan = planAssignments(waiting, await this.assignments.assignees(manager, companyId), new Date());
        const done = await this.assignments.assign(manager, companyId, plan);
        return { assigned: done.length, more: waiting.length === ROUND && done.length > 0 };
      });
      total += assigned;
      if (!more) return total;
    }
  }

  /** The sweep's backstop: every company with a ticket waiting, each on its own, so one failing does not stop the others. */
  async assignWaiting(): Promise<void> {
    for (const companyId of await this.assignments.companiesWaiting()) await this.assignAfter(companyId);
  }

  /**
   * After a change that has committed: its request must not fail because assignment did. What is
   * left waiting is picked up by the next run or by the sweep.
   */
  async assignAfter(companyId: string): Promise<void> {
    try {
      await this.assign(companyId);
    } catch (error) {
      this.logger.warn({ err: error, companyId }, 'Auto-assignment failed; the sweep will retry');
    }
  }
}

/**
 * Who gets which ticket, oldest ticket first: among the members of its queue under capacity, the
 * one assigned longest ago (never assigned first, then by seniority). Pure, so the order is
 * tested without a database.
 */
export function planAssignments(waiting: WaitingTicket[], assignees: Assignee[], now: Date): Assignment[] {
  const agents = assignees.map((a) => ({ ...a, last: a.lastAssignedAt?.getTime() ?? -Infinity }));
  // Never before an earlier run's assignments, whatever the clocks of the processes say.
  const start = Math.max(now.getTime(), ...agents.map((a) => a.last + 1));
  const plan: Assignment[] = [];
  for (const ticket of waiting) {
    let next: (typeof agents)[number] | undefined;
    for (const agent of agents) {
      if (agent.load >= agent.capacity || !agent.queueIds.includes(ticket.queueId)) continue;
      if (!next || agent.last < next.last) next = agent;
    }
    if (!next) continue;
    const at = new Date(start + plan.length);
    next.load++;
    next.last = at.getTime();
    plan.push({ ticketId: ticket.id, agentId: next.id, at });
  }
  return plan;
}
