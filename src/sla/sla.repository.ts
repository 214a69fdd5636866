import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import { returnedRows } from '../database/sql';
import { type SlaTargetKind } from '../tickets/ticket.entity';
import { SlaPolicy } from './sla-policy.entity';

export interface PolicyWithZone {
  timeZone: string;
  policy: SlaPolicy | null;
}

@Injectable()
export class SlaRepository {
  constructor(@InjectRepository(SlaPolicy) private readonly policies: Repository<SlaPolicy>) {}

  /** The company's policy, if it set one, and its time zone, in one round trip. */
  async find(companyId: string, manager: EntityManager = this.policies.manager): Promise<PolicyWithZone> {
    const [row]: Array<{ timeZone: string; id: string | null; targets: SlaPolicy['targets']; hours: SlaPolicy['hours']; holidays: string[]; updatedAt: Date }> = await manager.query(
      `SELECT c.time_zone AS "timeZone", p.id, p.targets, p.hours, p.holidays, p.updated_at AS "updatedAt"
       FROM companies c LEFT JOIN sla_policies p ON p.company_id = c.id WHERE c.id = $1`,
      [companyId],
    );
    return { timeZone: row.timeZone, policy: row.id ? Object.assign(new SlaPolicy(), { ...row, id: row.id, companyId }) : null };
  }

  async save(companyId: string, policy: Pick<SlaPolicy, 'targets' | 'hours' | 'holidays'>): Promise<void> {
    await this.policies.upsert({ companyId, ...policy }, { conflictPaths: ['companyId'] });
  }

  /** Starts (or moves) the ticket's reply clock; `breached` stays true only for a clock already past and recorded. */
  async setClock(manager: EntityManager, companyId: string, ticketId: string, dueAt: Date | null, target: SlaTargetKind | null): Promise<void> {
    await manager.query(
      `UPDATE tickets SET reply_due_at = $3, reply_target = $4, reply_breached = COALESCE(reply_breached AND $3::timestamptz <= now(), false)
       WHERE company_id = $1 AND id = $2`,
      [companyId, ticketId, dueAt, target],
    );
  }

  /**
   * Marks up to `limit` clocks that passed unanswered as breached, each with a `sla_breached`
   * event, in one statement; SKIP LOCKED keeps worker processes apart. A reply that lands first
   * stops the clock, so its ticket is not picked.
   */
  async recordBreaches(limit: number): Promise<number> {
    const rows = returnedRows<unknown>(
      await this.policies.query(
        `WITH due AS (
           SELECT id FROM tickets WHERE reply_due_at <= now() AND NOT reply_breached ORDER BY reply_due_at LIMIT $1 FOR UPDATE SKIP LOCKED
         ), breached AS (
           UPDATE tickets t SET reply_breached = true, sla_breached = true, updated_at = now() FROM due WHERE t.id = due.id
           RETURNING t.company_id, t.id, t.reply_target, t.reply_due_at
         )
         INSERT INTO ticket_events (company_id, ticket_id, kind, actor_kind, data, at)
         SELECT company_id, id, 'sla_breached', 'system', jsonb_build_object('target', reply_target, 'dueAt', to_char(reply_due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')), now() FROM breached
         RETURNING id`,
        [limit],
      ),
    );
    return rows.length;
  }
}
