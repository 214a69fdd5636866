import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { returnedRows } from '../database/sql';

export interface PendingMutation {
  id: string;
  event: Record<string, unknown>;
}

/** Reactions and edits waiting for their message. */
@Injectable()
export class MessageMutationRepository {
  async park(manager: EntityManager, companyId: string, pageId: string, mid: string, event: Record<string, unknown>): Promise<void> {
    await manager.query(`INSERT INTO message_mutations (company_id, page_id, mid, event) VALUES ($1, $2, $3, $4)`, [companyId, pageId, mid, JSON.stringify(event)]);
  }

  /** What waited for any of these messages, oldest first; none in the common case, in one statement. */
  async takeMany(manager: EntityManager, companyId: string, pageId: string, mids: string[]): Promise<PendingMutation[]> {
    if (mids.length === 0) return [];
    const result: unknown = await manager.query(`DELETE FROM message_mutations WHERE company_id = $1 AND page_id = $2 AND mid = ANY($3::varchar[]) RETURNING id, event`, [companyId, pageId, mids]);
    return returnedRows<PendingMutation>(result).sort((a, b) => Number(a.id) - Number(b.id));
  }

  /** Removes and returns what waited for this message, oldest first. */
  async take(manager: EntityManager, companyId: string, pageId: string, mid: string): Promise<PendingMutation[]> {
    const result: unknown = await manager.query(
      `DELETE FROM message_mutations WHERE id IN (SELECT id FROM message_mutations WHERE company_id = $1 AND page_id = $2 AND mid = $3 ORDER BY id)
       RETURNING id, event`,
      [companyId, pageId, mid],
    );
    return returnedRows<PendingMutation>(result).sort((a, b) => Number(a.id) - Number(b.id));
  }
}
