import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AssignmentModule } from '../assignment/assignment.module';
import { CannedResponsesModule } from '../canned-responses/canned-responses.module';
import { SlaModule } from '../sla/sla.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { MessageMutation } from './message-mutation.entity';
import { MessageMutationRepository } from './message-mutation.repository';
import { Message } from './message.entity';
import { MessageRepository } from './message.repository';
import { Queue } from './queue.entity';
import { QueueRepository } from './queue.repository';
import { QueuesService } from './queues.service';
import { TicketChangesService } from './ticket-changes.service';
import { TicketCount } from './ticket-count.entity';
import { TicketCountRepository } from './ticket-count.repository';
import { TicketEvent } from './ticket-event.entity';
import { TicketEventRepository } from './ticket-event.repository';
import { Ticket } from './ticket.entity';
import { TicketRepository } from './ticket.repository';
import { TicketSweeper } from './ticket.sweeper';
import { TicketsService } from './tickets.service';

/** Queues, tickets and their timelines. */
@Module({
  imports: [TypeOrmModule.forFeature([Queue, Ticket, TicketEvent, TicketCount, Message, MessageMutation]), DeliveryModule, CannedResponsesModule, AssignmentModule, SlaModule],
  providers: [QueueRepository, TicketRepository, TicketEventRepository, TicketCountRepository, MessageRepository, MessageMutationRepository, QueuesService, TicketsService, TicketChangesService, TicketSweeper],
  exports: [QueueRepository, TicketRepository, TicketEventRepository, MessageRepository, MessageMutationRepository, QueuesService, TicketsService, TicketChangesService],
})
export class TicketsModule {}
