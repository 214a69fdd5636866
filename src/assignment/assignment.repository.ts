import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { returnedRows } from '../database/sql';
import { WORKLOAD_STATUSES } from '../tickets/ticket.entity';

/**
 * The statuses that count against capacity (WORKLOAD_STATUSES), written into the SQL as literals:
 * a bound parameter would keep PostgreSQL from matching the partial indexes built on them.
 */
const inWorkload = (alias: string): string => `${alias}.status IN (${WORKLOAD_STATUSES.map((status) => `'${status}'`).join(', ')})`;

export interface WaitingTicket {
  id: string;
  queueId: string;
}

export interface Assignee {
  id: string;
  capacity: number;
  /** New and open tickets assigned now. */
  load: number;
  lastAssignedAt: Date | null;
  queueIds: string[];
}

export interface Assignment {
  ticketId: string;
  agentId: string;
  /** Strictly increasing within a run, so the next run continues the round where this one stopped. */
  at: Date;
}

/** The queries of auto-assignment; each one runs inside the company's assignment lock. */
@Injectable()
export class AssignmentRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * One assigner per company at a time, across every process, until the transaction ends: what it
   * read about workloads stays true while it writes.
   */
  async lockCompany(manager: EntityManager, companyId: string): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('assign:' || $1, 0))`, [companyId]);
  }

  /**
   * Unassigned new or open tickets of auto-assigned queues, oldest first, in queues where some
   * online member has room: a queue whose agents are all away or full must not hold back the
   * tickets of the others behind its own.
   */
  waiting(manager: EntityManager, companyId: string, limit: number): Promise<WaitingTicket[]> {
    return manager.query(
      `WITH open_queues AS (
         SELECT DISTINCT m.queue_id FROM queue_members m JOIN agents a ON a.id = m.agent_id
         WHERE m.company_id = $1 AND a.availability = 'online' AND a.deactivated_at IS NULL
           AND a.capacity > (SELECT count(*) FROM tickets w WHERE w.company_id = $1 AND w.assignee_id = a.id AND ${inWorkload('w')})
       )
       SELECT t.id, t.queue_id AS "queueId" FROM tickets t JOIN queues q ON q.id = t.queue_id AND q.auto_assign JOIN open_queues o ON o.queue_id = t.queue_id
       WHERE t.company_id = $1 AND t.assignee_id IS NULL AND ${inWorkload('t')}
       ORDER BY t.created_at, t.id LIMIT $2`,
      [companyId, limit],
    );
  }

  /** Online, active members of auto-assigned queues, with their workload now. */
  async assignees(manager: EntityManager, companyId: string): Promise<Assignee[]> {
    const rows: Array<Omit<Assignee, 'load'> & { load: string }> = await manager.query(
      `SELECT a.id, a.capacity, a.last_assigned_at AS "lastAssignedAt", array_agg(m.queue_id) AS "queueIds",
         (SELECT count(*) FROM tickets t WHERE t.company_id = $1 AND t.assignee_id = a.id AND ${inWorkload('t')}) AS load
       FROM agents a JOIN queue_members m ON m.agent_id = a.id JOIN queues q ON q.id = m.queue_id AND q.auto_assign
       WHERE a.company_id = $1 AND a.availability = 'online' AND a.deactivated_at IS NULL
       GROUP BY a.id ORDER BY a.created_at, a.id`,
      [companyId],
    );
    return rows.map((row) => ({ ...row, load: Number(row.load) }));
  }

  /**
   * Writes the assignments, each only if the ticket still waits (an agent may have claimed it
   * meanwhile), with its timeline event. Answers those that took.
   */
  async assign(manager: EntityManager, companyId: string, assignments: Assignment[]): Promise<Assignment[]> {
    if (assignments.length === 0) return [];
    const taken = returnedRows<{ ticketId: string; agentId: string }>(
      await manager.query(
        `WITH planned AS (SELECT * FROM unnest($2::uuid[], $3::uuid[]) AS p(ticket_id, agent_id)),
         assigned AS (
           UPDATE tickets t SET assignee_id = p.agent_id, updated_at = now() FROM planned p
           WHERE t.company_id = $1 AND t.id = p.ticket_id AND t.assignee_id IS NULL AND ${inWorkload('t')}
           RETURNING t.id AS ticket_id, t.assignee_id AS agent_id
         )
         INSERT INTO ticket_events (company_id, ticket_id, kind, actor_kind, data, at)
         SELECT $1, ticket_id, 'assignee_changed', 'system', jsonb_build_object('from', NULL, 'to', agent_id, 'reason', 'auto_assigned'), now() FROM assigned
         RETURNING ticket_id AS "ticketId", (data->>'to')::uuid AS "agentId"`,
        [companyId, assignments.map((a) => a.ticketId), assignments.map((a) => a.agentId)],
      ),
    );
    const took = new Set(taken.map((row) => row.ticketId));
    const done = assignments.filter((a) => took.has(a.ticketId));
    const last = new Map(done.map((a) => [a.agentId, a.at]));
    await manager.query(`UPDATE agents a SET last_assigned_at = l.at FROM unnest($2::uuid[], $3::timestamptz[]) AS l(id, at) WHERE a.company_id = $1 AND a.id = l.id`, [
      companyId,
      [...last.keys()],
      [...last.values()],
    ]);
    return done;
  }

  /** Companies with a ticket waiting in an auto-assigned queue: the sweep's backstop. */
  async companiesWaiting(): Promise<string[]> {
    const rows: Array<{ companyId: string }> = await this.dataSource.query(
      `SELECT DISTINCT t.company_id AS "companyId" FROM tickets t JOIN queues q ON q.id = t.queue_id AND q.auto_assign
       WHERE t.assignee_id IS NULL AND ${inWorkload('t')}`,
    );
    return rows.map((row) => row.companyId);
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }
}
