import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { returnedRows } from '../../database/sql';
import { InboundEventState } from './inbound-event.entity';
import { type EventKind, type ParsedEvent } from './messenger-events';

export interface PendingEvent {
  id: string;
  kind: EventKind;
  standby: boolean;
  payload: Record<string, unknown>;
  occurredAt: Date;
  receivedAt: Date;
}

/**
 * The inbox of raw webhook events. Not scoped by company on the way in: the Page, resolved
 * when processing, decides the company, which is then written on the row.
 */
@Injectable()
export class InboundEventRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** One statement for the whole POST; replays hit the unique (page_id, dedupe_key) and vanish. */
  async insertNew(events: ParsedEvent[]): Promise<Array<{ pageId: string; conversation: string; dedupeKey: string }>> {
    if (events.length === 0) return [];
    return this.dataSource.query(
      `INSERT INTO inbound_events (page_id, conversation, dedupe_key, kind, standby, payload, occurred_at)
       SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::boolean[], $6::jsonb[], $7::timestamptz[])
       ON CONFLICT (page_id, dedupe_key) DO NOTHING
       RETURNING page_id AS "pageId", conversation, dedupe_key AS "dedupeKey"`,
      [
        events.map((e) => e.pageId),
        events.map((e) => e.conversation),
        events.map((e) => e.dedupeKey),
        events.map((e) => e.kind),
        events.map((e) => e.standby),
        events.map((e) => JSON.stringify(e.payload)),
        events.map((e) => e.occurredAt.toISOString()),
      ],
    );
  }

  /**
   * Serialises one conversation across every worker process, for this transaction only. It
   * waits (briefly: the holder is applying a handful of events) rather than failing; past
   * the timeout PostgreSQL raises 55P03, a transient error, and the job is retried. The
   * timeout covers this wait only: row locks later in the transaction wait normally.
   */
  async lockConversation(manager: EntityManager, pageId: string, conversation: string): Promise<void> {
    await manager.query(`SET LOCAL lock_timeout = '10s'`);
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext('inbound'), hashtext($1 || ':' || $2))`, [pageId, conversation]);
    await manager.query(`SET LOCAL lock_timeout = 0`);
  }

  pending(manager: EntityManager, pageId: string, conversation: string, limit: number): Promise<PendingEvent[]> {
    return manager.query(
      `SELECT id, kind, standby, payload, occurred_at AS "occurredAt", received_at AS "receivedAt" FROM inbound_events
       WHERE page_id = $1 AND conversation = $2 AND state = 'pending'
       ORDER BY occurred_at, id LIMIT $3`,
      [pageId, conversation, limit],
    );
  }

  async finishMany(manager: EntityManager, ids: string[], state: InboundEventState, companyId: string | null): Promise<void> {
    await manager.query(`UPDATE inbound_events SET state = $2, company_id = $3, processed_at = now() WHERE id = ANY($1::bigint[])`, [ids, state, companyId]);
  }

  async finish(manager: EntityManager, id: string, state: InboundEventState, companyId: string | null, error: string | null = null): Promise<void> {
    await manager.query(`UPDATE inbound_events SET state = $2, company_id = $3, error = $4, processed_at = now() WHERE id = $1`, [id, state, companyId, error?.slice(0, 500) ?? null]);
  }

  /** Conversations with events older than `ageMs` still pending: their job was lost (Redis flush, crash). */
  stalledConversations(ageMs: number, limit: number): Promise<Array<{ pageId: string; conversation: string }>> {
    return this.dataSource.query(
      `SELECT DISTINCT page_id AS "pageId", conversation FROM inbound_events
       WHERE state = 'pending' AND received_at < now() - make_interval(secs => $1::double precision / 1000)
       LIMIT $2`,
      [ageMs, limit],
    );
  }

  /**
   * Housekeeping across companies: raw events keep customer data, and Meta stops retrying after
   * 36 hours, so finished events older than the retention go, with reactions or edits whose
   * message never came.
   */
  async pruneFinished(olderThanMs: number): Promise<number> {
    const events = returnedRows<unknown>(
      await this.dataSource.query(`DELETE FROM inbound_events WHERE state <> 'pending' AND received_at < now() - make_interval(secs => $1::double precision / 1000) RETURNING 1`, [olderThanMs]),
    );
    await this.dataSource.query(`DELETE FROM message_mutations WHERE created_at < now() - make_interval(secs => $1::double precision / 1000)`, [olderThanMs]);
    return events.length;
  }
}
