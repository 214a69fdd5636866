import { Module } from '@nestjs/common';
import { SearchRepository } from './search.repository';
import { SearchService } from './search.service';

/** Finding messages and contacts across a company's tickets. */
@Module({
  providers: [SearchRepository, SearchService],
  exports: [SearchService],
})
export class SearchModule {}
