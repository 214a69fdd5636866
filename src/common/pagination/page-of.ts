import { type Type } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';

/**
 * The OpenAPI shape of a page of T: `{data: T[], nextCursor}`, named `<T>Page`. With several item
 * types (a timeline, search hits) the items are a `oneOf` of them and the page takes `name`.
 */
export function PageOf<T>(item: Type<T>): Type<{ data: T[]; nextCursor: string | null }>;
export function PageOf(items: Array<Type<unknown>>, name: string): Type<{ data: unknown[]; nextCursor: string | null }>;
export function PageOf(item: Type<unknown> | Array<Type<unknown>>, name?: string): Type<{ data: unknown[]; nextCursor: string | null }> {
  const several = Array.isArray(item);
  @ApiExtraModels(...(several ? item : []))
  class PageDto {
    @ApiProperty(several ? { type: 'array', items: { oneOf: item.map((type) => ({ $ref: getSchemaPath(type) })) } } : { type: [item] })
    data!: unknown[];

    @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' })
    nextCursor!: string | null;
  }
  Object.defineProperty(PageDto, 'name', { value: name ?? `${(item as Type<unknown>).name.replace(/Dto$/, '')}Page` });
  return PageDto;
}
