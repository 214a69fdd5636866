import { type Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';

/** The OpenAPI shape of a page of T: `{data: T[], nextCursor}`, named `<T>Page`. */
export function PageOf<T>(item: Type<T>): Type<{ data: T[]; nextCursor: string | null }> {
  class PageDto {
    @ApiProperty({ type: [item] })
    data!: T[];

    @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' })
    nextCursor!: string | null;
  }
  Object.defineProperty(PageDto, 'name', { value: `${item.name.replace(/Dto$/, '')}Page` });
  return PageDto;
}
