import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { returnedRows } from '../database/sql';
import { type LiveCursor, type LiveEvent } from './live-event';

/**
 * The horizon: the oldest transaction of this database still running (its xid widened to xid8
 * from the 32-bit one pg_stat_activity shows), or the next xid to be assigned when none is.
 * Every event below it is from a transaction that has ended. PostgreSQL's own snapshot xmin would
 * do, but it counts every database of the server, so a long write elsewhere (a bulk load, another
 * application) would hold this feed back.
 */
const HORIZON = `(
  SELECT COALESCE(min(s.xmax - ((s.xmax % 4294967296) - a.backend_xid::text::numeric + 4294967296) % 4294967296), min(s.xmax))::text::xid8
  FROM (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::numeric AS xmax) s
  LEFT JOIN pg_stat_activity a ON a.datname = current_database() AND a.backend_xid IS NOT NULL
)`;

/** The feed written by the triggers of migration LiveEvents; read in (xid, id) order behind the horizon. */
@Injectable()
export class LiveEventsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The company's events after `cursor` from transactions that have all ended: nothing can
   * commit behind them any more, so a reader that moves past them misses nothing.
   */
  async after(companyId: string, cursor: LiveCursor, limit: number): Promise<LiveEvent[]> {
    const rows: Array<{ xid: string; id: string; type: string; ticketId: string | null; data: Record<string, unknown>; at: Date }> = await this.dataSource.query(
      `SELECT xid::text AS xid, id::text AS id, type, ticket_id AS "ticketId", data, at FROM live_events
       WHERE company_id = $1 AND (xid, id) > ($2::text::xid8, $3::bigint) AND xid < ${HORIZON}
       ORDER BY xid, id LIMIT $4`,
      [companyId, cursor.xid.toString(), cursor.id.toString(), limit],
    );
    return rows.map((row) => ({ ...row, xid: BigInt(row.xid), id: BigInt(row.id) }));
  }

  /**
   * Where a new stream starts: after the company's last event behind the horizon, so that the id
   * the stream begins with is a real event a reconnect can be checked against; a company without
   * one starts at the horizon itself, as "<xid>-0".
   */
  async start(companyId: string): Promise<LiveCursor> {
    const [row]: Array<{ xid: string; id: string }> = await this.dataSource.query(
      `SELECT COALESCE(e.xid, h.xid)::text AS xid, COALESCE(e.id, 0)::text AS id
       FROM (SELECT ${HORIZON} AS xid) h
       LEFT JOIN LATERAL (SELECT xid, id FROM live_events WHERE company_id = $1 AND xid < h.xid ORDER BY xid DESC, id DESC LIMIT 1) e ON true`,
      [companyId],
    );
    return { xid: BigInt(row.xid), id: BigInt(row.id) };
  }

  /**
   * Whether a stream may resume from `cursor`: the company's event is still kept (resuming from a
   * pruned one would skip what was pruned with it), or, for a "<xid>-0" start, the company had
   * no event before it.
   */
  async kept(companyId: string, cursor: LiveCursor): Promise<boolean> {
    const rows: unknown[] =
      cursor.id === 0n
        ? await this.dataSource.query(`SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM live_events WHERE company_id = $1 AND xid < $2::text::xid8)`, [companyId, cursor.xid.toString()])
        : await this.dataSource.query(`SELECT 1 FROM live_events WHERE company_id = $1 AND id = $2 AND xid = $3::text::xid8`, [companyId, cursor.id.toString(), cursor.xid.toString()]);
    return rows.length > 0;
  }

  /**
   * Deletes events older than the retention, a batch at a time, and only behind the horizon: an
   * event a stream has not been able to read yet (a long transaction held it) is never pruned.
   */
  async prune(olderThanMs: number, batch = 10_000): Promise<number> {
    let removed = 0;
    for (;;) {
      const rows = returnedRows<{ n: number }>(
        await this.dataSource.query(
          `WITH old AS (SELECT id FROM live_events WHERE at < now() - $1 * interval '1 millisecond' AND xid < ${HORIZON} LIMIT $2),
           gone AS (DELETE FROM live_events e USING old WHERE e.id = old.id RETURNING 1)
           SELECT count(*)::int AS n FROM gone`,
          [olderThanMs, batch],
        ),
      );
      removed += rows[0].n;
      if (rows[0].n < batch) return removed;
    }
  }
}
