import { Injectable } from '@nestjs/common';
import { type Page } from '../common/pagination/page.dto';
import { type SearchQueryDto } from './search.dto';
import { type SearchHit, SearchRepository } from './search.repository';

/** Most words a query is cut to: each one is a prefix every hit must carry. */
const MAX_WORDS = 8;

@Injectable()
export class SearchService {
  constructor(private readonly repository: SearchRepository) {}

  /** Only letters and digits reach the tsquery, so no input can change its syntax. */
  search(companyId: string, query: SearchQueryDto): Promise<Page<SearchHit>> {
    const words = (query.q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, MAX_WORDS);
    return this.repository.search(companyId, words, query);
  }
}
