import { type ObjectLiteral, type SelectQueryBuilder } from 'typeorm';
import { decodeCursor, encodeCursor } from './cursor';
import { DEFAULT_PAGE_SIZE, type Page, type PageQueryDto } from './page.dto';

export interface KeysetOrder<K extends string> {
  /** A timestamp property; ties are broken by id. */
  column: K;
  direction: 'ASC' | 'DESC';
}

/**
 * Keyset pagination on (timestamp, id), the order of every list: with the matching
 * (company_id, timestamp, id) index, page 200 costs what page 1 costs. No OFFSET anywhere.
 */
export async function paginate<T extends ObjectLiteral & { id: string }, K extends string & keyof T>(
  qb: SelectQueryBuilder<T>,
  page: PageQueryDto,
  order: KeysetOrder<K>,
): Promise<Page<T>> {
  const alias = qb.alias;
  const limit = page.limit ?? DEFAULT_PAGE_SIZE;
  if (page.cursor) {
    const [at, id] = decodeCursor(page.cursor, ['date', 'uuid']);
    qb.andWhere(`(${alias}.${order.column}, ${alias}.id) ${order.direction === 'ASC' ? '>' : '<'} (:cursorAt, :cursorId)`, { cursorAt: at, cursorId: id });
  }
  const rows = await qb.orderBy(`${alias}.${order.column}`, order.direction).addOrderBy(`${alias}.id`, order.direction).limit(limit + 1).getMany();
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, nextCursor: rows.length > limit && last ? encodeCursor([(last[order.column] as Date).toISOString(), last.id]) : null };
}

/** Oldest first by creation: the order of simple settings lists (agents, keys, queues, channels). */
export const paginateByCreation = <T extends ObjectLiteral & { id: string; createdAt: Date }>(qb: SelectQueryBuilder<T>, page: PageQueryDto): Promise<Page<T>> =>
  paginate(qb, page, { column: 'createdAt', direction: 'ASC' });
