import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { decodeCursor, encodeCursor } from '../common/pagination/cursor';
import { DEFAULT_PAGE_SIZE, type Page, type PageQueryDto } from '../common/pagination/page.dto';

export type SearchHit =
  | { type: 'message'; id: string; ticketId: string; contactId: string; direction: string; text: string; sentAt: Date }
  | { type: 'contact'; id: string; name: string; channelId: string; createdAt: Date };

interface HitRow {
  type: 'message' | 'contact';
  id: string;
  at: Date;
  rank: number;
  ticket_id: string | null;
  contact_id: string | null;
  direction: string | null;
  text: string | null;
  name: string | null;
  channel_id: string | null;
}

/**
 * One company's messages (full text, `simple` configuration, every word as a prefix) and contact
 * names (trigram `ILIKE`), newest first in one keyset-paginated list: no cap on how far an agent
 * may page, unlike Zendesk's 1,000 results.
 */
@Injectable()
export class SearchRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async search(companyId: string, words: string[], page: PageQueryDto): Promise<Page<SearchHit>> {
    const limit = page.limit ?? DEFAULT_PAGE_SIZE;
    const before = page.cursor ? decodeCursor(page.cursor, ['date', 'rank', 'uuid']) : null;
    const keyset = (time: string, rank: number) => (before ? `AND (${time}, ${rank}, id) < ($4::timestamptz, $5::int, $6::uuid)` : '');
    const tsquery = words.map((word) => `${word}:*`).join(' & ');
    const like = `%${words.join(' ').replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    // Each side planned on its own (MATERIALIZED): under one UNION the outer LIMIT made the planner
    // walk contacts newest first, filtering names, for a word no name holds (0.5 s at 1M contacts).
    const rows: HitRow[] = await this.dataSource.query(
      `WITH message_hits AS MATERIALIZED (
         SELECT 'message' AS type, id, sent_at AS at, 1 AS rank, ticket_id, contact_id, direction::text, text, NULL AS name, NULL::uuid AS channel_id
         FROM messages WHERE company_id = $1 AND to_tsvector('simple', coalesce(text, '')) @@ to_tsquery('simple', $2) ${keyset('sent_at', 1)}
         ORDER BY sent_at DESC, id DESC LIMIT ${limit + 1}
       ), contact_hits AS MATERIALIZED (
         SELECT 'contact' AS type, id, created_at AS at, 0 AS rank, NULL::uuid AS ticket_id, NULL::uuid AS contact_id, NULL AS direction, NULL AS text, name, channel_id
         FROM contacts WHERE company_id = $1 AND name ILIKE $3 ${keyset('created_at', 0)}
         ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}
       )
       SELECT * FROM (SELECT * FROM message_hits UNION ALL SELECT * FROM contact_hits) hits
       ORDER BY at DESC, rank DESC, id DESC LIMIT ${limit + 1}`,
      before ? [companyId, tsquery, like, before[0], Number(before[1]), before[2]] : [companyId, tsquery, like],
    );
    const shown = rows.slice(0, limit);
    const last = shown[shown.length - 1];
    return {
      data: shown.map(toHit),
      nextCursor: rows.length > limit && last ? encodeCursor([new Date(last.at).toISOString(), String(last.rank), last.id]) : null,
    };
  }
}

function toHit(row: HitRow): SearchHit {
  return row.type === 'message'
    ? { type: 'message', id: row.id, ticketId: row.ticket_id!, contactId: row.contact_id!, direction: row.direction!, text: row.text!, sentAt: new Date(row.at) }
    : { type: 'contact', id: row.id, name: row.name!, channelId: row.channel_id!, createdAt: new Date(row.at) };
}
