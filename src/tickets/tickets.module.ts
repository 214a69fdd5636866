import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DeliveryModule } from '../delivery/delivery.module';
import { MessageMutation } from './message-mutation.entity';
import { MessageMutationRepository } from './message-mutation.repository';
import { Message } from './message.entity';
import { MessageRepository } from './message.repository';
import { Queue } from './queue.entity';
import { QueueRepository } from './queue.repository';
import { QueuesService } from './queues.service';
import { Ticket } from './ticket.entity';
import { TicketRepository } from './ticket.repository';
import { TicketsService } from './tickets.service';

/** Queues, tickets and their timelines. */
@Module({
  imports: [TypeOrmModule.forFeature([Queue, Ticket, Message, MessageMutation]), DeliveryModule],
  providers: [QueueRepository, TicketRepository, MessageRepository, MessageMutationRepository, QueuesService, TicketsService],
  exports: [QueueRepository, TicketRepository, MessageRepository, MessageMutationRepository, QueuesService, TicketsService],
})
export class TicketsModule {}
