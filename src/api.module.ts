import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ChannelsController } from './channels/channels.controller';
import { ChannelsModule } from './channels/channels.module';
import { ContactsController } from './contacts/contacts.controller';
import { ContactsModule } from './contacts/contacts.module';
import { QueuesController } from './tickets/queues.controller';
import { TicketsController } from './tickets/tickets.controller';
import { TicketsModule } from './tickets/tickets.module';
import { DeliveriesController } from './delivery/deliveries.controller';
import { DeliverySendingModule } from './delivery/delivery-sending.module';
import { IdempotencyModule } from './common/idempotency/idempotency.module';
import { AgentsController } from './companies/agents.controller';
import { ApiKeysController } from './companies/api-keys.controller';
import { AuthController } from './companies/auth.controller';
import { CompaniesModule } from './companies/companies.module';
import { AuthGuard } from './companies/auth.guard';
import { CompanyController } from './companies/company.controller';
import { CannedResponsesController } from './canned-responses/canned-responses.controller';
import { CannedResponsesModule } from './canned-responses/canned-responses.module';
import { SearchController } from './search/search.controller';
import { SearchModule } from './search/search.module';
import { QueueMembersController } from './assignment/queue-members.controller';
import { AssignmentModule } from './assignment/assignment.module';
import { SlaController } from './sla/sla.controller';
import { LiveEventsController } from './live/live-events.controller';
import { LiveModule } from './live/live.module';
import { SlaModule } from './sla/sla.module';

/** The public REST API, mounted under /v1. Later features add their controllers here. */
@Module({
  imports: [CompaniesModule, IdempotencyModule, ChannelsModule, ContactsModule, TicketsModule, DeliverySendingModule, SearchModule, CannedResponsesModule, AssignmentModule, SlaModule, LiveModule],
  controllers: [AuthController, CompanyController, AgentsController, ApiKeysController, ChannelsController, QueuesController, QueueMembersController, ContactsController, TicketsController, DeliveriesController, SearchController, CannedResponsesController, SlaController, LiveEventsController],
  providers: [{ provide: APP_GUARD, useExisting: AuthGuard }],
})
export class ApiModule {}
