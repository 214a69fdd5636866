import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { returnedRows } from '../database/sql';
import { Message, type MessageDirection, type MessageKind } from './message.entity';

export interface NewMessage {
  companyId: string;
  ticketId: string;
  contactId: string;
  channelId: string;
  pageId: string;
  mid: string;
  direction: MessageDirection;
  kind: MessageKind;
  text: string | null;
  content: Record<string, unknown>;
  appId?: string | null;
  sentAt: Date;
}

@Injectable()
export class MessageRepository {
  /** The unique (page_id, mid) makes a second copy of a message a no-op; returns null for it. */
  async insert(manager: EntityManager, m: NewMessage): Promise<string | null> {
    const rows: Array<{ id: string }> = await manager.query(
      `INSERT INTO messages (company_id, ticket_id, contact_id, channel_id, page_id, mid, direction, kind, text, content, app_id, sent_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (page_id, mid) DO NOTHING RETURNING id`,
      [m.companyId, m.ticketId, m.contactId, m.channelId, m.pageId, m.mid, m.direction, m.kind, m.text, JSON.stringify(m.content), m.appId ?? null, m.sentAt],
    );
    return rows[0]?.id ?? null;
  }

  /** A message written in Guichet: it has no mid until Meta accepts its first part. */
  async insertOutbound(manager: EntityManager, m: Omit<NewMessage, 'mid' | 'direction' | 'appId'> & { authorId: string | null }): Promise<Message> {
    const [row] = await manager.query<Array<{ id: string }>>(
      `INSERT INTO messages (company_id, ticket_id, contact_id, channel_id, page_id, direction, kind, text, content, author_id, sent_at)
       VALUES ($1, $2, $3, $4, $5, 'outbound', $6, $7, $8, $9, $10) RETURNING id`,
      [m.companyId, m.ticketId, m.contactId, m.channelId, m.pageId, m.kind, m.text, JSON.stringify(m.content), m.authorId, m.sentAt],
    );
    return manager.findOneByOrFail(Message, { companyId: m.companyId, id: row.id });
  }

  /** Many messages in one statement; returns the mids that were new (duplicates are skipped). */
  async insertMany(manager: EntityManager, rows: NewMessage[]): Promise<string[]> {
    if (rows.length === 0) return [];
    const col = <K extends keyof NewMessage>(key: K) => rows.map((row) => row[key]);
    const inserted: unknown = await manager.query(
      `INSERT INTO messages (company_id, ticket_id, contact_id, channel_id, page_id, mid, direction, kind, text, content, sent_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::varchar[], $6::varchar[], $7::message_direction[], $8::message_kind[], $9::text[], $10::jsonb[], $11::timestamptz[])
       ON CONFLICT (page_id, mid) DO NOTHING RETURNING mid`,
      [col('companyId'), col('ticketId'), col('contactId'), col('channelId'), col('pageId'), col('mid'), col('direction'), col('kind'), col('text'), rows.map((r) => JSON.stringify(r.content)), rows.map((r) => r.sentAt.toISOString())],
    );
    return returnedRows<{ mid: string }>(inserted).map((row) => row.mid);
  }

  async existsByMid(manager: EntityManager, companyId: string, pageId: string, mid: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(`SELECT 1 FROM messages WHERE company_id = $1 AND page_id = $2 AND mid = $3`, [companyId, pageId, mid]);
    return rows.length > 0;
  }

  /** Sets the customer's reaction (null clears it). */
  async react(manager: EntityManager, companyId: string, pageId: string, mid: string, reaction: Record<string, string> | null): Promise<boolean> {
    const rows = returnedRows<unknown>(
      await manager.query(`UPDATE messages SET reactions = $4 WHERE company_id = $1 AND page_id = $2 AND mid = $3 RETURNING id`, [companyId, pageId, mid, JSON.stringify(reaction ?? {})]),
    );
    return rows.length > 0;
  }

  /** The previous text is kept in `edits`, oldest first. */
  async edit(manager: EntityManager, companyId: string, pageId: string, mid: string, text: string, at: Date): Promise<boolean> {
    const rows = returnedRows<unknown>(await manager.query(
      `UPDATE messages SET edits = edits || jsonb_build_array(jsonb_build_object('text', text, 'editedAt', $5::text)), text = $4
       WHERE company_id = $1 AND page_id = $2 AND mid = $3 RETURNING id`,
      [companyId, pageId, mid, text, at.toISOString()],
    ));
    return rows.length > 0;
  }

  /** Watermarks: everything we sent to this contact up to the instant is delivered (or read). */
  async markUpTo(manager: EntityManager, companyId: string, contactId: string, watermark: Date, read: boolean): Promise<void> {
    await manager.query(
      read
        ? `UPDATE messages SET read_at = COALESCE(read_at, $3), delivered_at = COALESCE(delivered_at, $3)
           WHERE company_id = $1 AND contact_id = $2 AND direction = 'outbound' AND sent_at <= $3 AND read_at IS NULL`
        : `UPDATE messages SET delivered_at = $3
           WHERE company_id = $1 AND contact_id = $2 AND direction = 'outbound' AND sent_at <= $3 AND delivered_at IS NULL`,
      [companyId, contactId, watermark],
    );
  }

  async markDelivered(manager: EntityManager, companyId: string, pageId: string, mids: string[], at: Date): Promise<void> {
    if (mids.length === 0) return;
    await manager.query(`UPDATE messages SET delivered_at = COALESCE(delivered_at, $4) WHERE company_id = $1 AND page_id = $2 AND mid = ANY($3::varchar[])`, [companyId, pageId, mids, at]);
  }
}
