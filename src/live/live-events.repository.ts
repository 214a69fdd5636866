import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { returnedRows } from '../database/sql';
import { type LiveCursor, type LiveEvent } from './live-event';

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
       WHERE company_id = $1 AND (xid, id) > ($2::text::xid8, $3::bigint) AND xid < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY xid, id LIMIT $4`,
      [companyId, cursor.xid.toString(), cursor.id.toString(), limit],
    );
    return rows.map((row) => ({ ...row, xid: BigInt(row.xid), id: BigInt(row.id) }));
  }

  /** Where a new stream starts: after everything already behind the horizon. */
  async horizon(): Promise<LiveCursor> {
    const [row]: Array<{ xid: string }> = await this.dataSource.query(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xid`);
    return { xid: BigInt(row.xid), id: 0n };
  }

  /** Whether the company's event is still kept: resuming from a pruned one would skip what was pruned with it. */
  async kept(companyId: string, cursor: LiveCursor): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM live_events WHERE company_id = $1 AND id = $2 AND xid = $3::text::xid8`, [
      companyId,
      cursor.id.toString(),
      cursor.xid.toString(),
    ]);
    return rows.length > 0;
  }

  async prune(olderThanMs: number): Promise<number> {
    const rows = returnedRows<unknown>(await this.dataSource.query(`DELETE FROM live_events WHERE at < now() - $1 * interval '1 millisecond' RETURNING 1`, [olderThanMs]));
    return rows.length;
  }
}
