import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '../common/auth/auth.decorators';
import { type Principal, Scope } from '../common/auth/principal';
import { type Page } from '../common/pagination/page.dto';
import { PageOf } from '../common/pagination/page-of';
import { ContactHitDto, MessageHitDto, SearchQueryDto } from './search.dto';
import { type SearchHit } from './search.repository';
import { SearchService } from './search.service';

@ApiTags('Search')
@Controller('search')
export class SearchController {
  constructor(private readonly searchService: SearchService) {}

  @Get()
  @Authenticated({ scope: Scope.TicketsRead })
  @ApiOkResponse({ type: PageOf([MessageHitDto, ContactHitDto], 'SearchPage'), description: "The company's messages and contacts matching every word, newest first" })
  search(@CurrentPrincipal() principal: Principal, @Query() query: SearchQueryDto): Promise<Page<SearchHit>> {
    return this.searchService.search(principal.companyId, query);
  }
}
