import { type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import { decodeCursor, encodeCursor } from './cursor';
import { DEFAULT_PAGE_SIZE, type Page, type PageQueryDto } from './page.dto';

interface Chronological {
  id: string;
  createdAt: Date;
}

/**
 * Oldest-first keyset pagination on (created_at, id), the order of every simple list.
 * The index on (company_id, created_at, id) makes page 200 cost what page 1 costs.
 */
export async function paginateByCreation<T extends ObjectLiteral & Chronological>(qb: SelectQueryBuilder<T>, page: PageQueryDto): Promise<Page<T>> {
  const alias = qb.alias;
  const limit = page.limit ?? DEFAULT_PAGE_SIZE;
  if (page.cursor) {
    const [createdAt, id] = decodeCursor(page.cursor, ['date', 'uuid']);
    qb.andWhere(`(${alias}.createdAt, ${alias}.id) > (:cursorCreatedAt, :cursorId)`, { cursorCreatedAt: createdAt, cursorId: id });
  }
  const rows = await qb.orderBy(`${alias}.createdAt`, 'ASC').addOrderBy(`${alias}.id`, 'ASC').limit(limit + 1).getMany();
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, nextCursor: rows.length > limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null };
}
