import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AssignmentModule } from '../assignment/assignment.module';
import { SlaModule } from '../sla/sla.module';
import { ContactsModule } from '../contacts/contacts.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { TicketsModule } from '../tickets/tickets.module';
import { Channel } from './channel.entity';
import { ChannelRepository } from './channel.repository';
import { ChannelTokenService } from './channel-token.service';
import { ChannelsService } from './channels.service';
import { GraphClient } from './messenger/graph.client';
import { InboundApplier } from './messenger/inbound-applier.service';
import { InboundEvent } from './messenger/inbound-event.entity';
import { InboundEventRepository } from './messenger/inbound-event.repository';
import { InboundProcessor } from './messenger/inbound.processor';
import { InboundService } from './messenger/inbound.service';
import { InboundWriter } from './messenger/inbound-writer';
import { InboundSweeper } from './messenger/inbound.sweeper';
import { InboundRetentionProcessor } from './messenger/inbound-retention.processor';
import { ProfileProcessor } from './messenger/profile.processor';

/** Connected Pages, their tokens, and everything Meta sends us about them. */
@Module({
  imports: [TypeOrmModule.forFeature([Channel, InboundEvent]), ContactsModule, TicketsModule, DeliveryModule, AssignmentModule, SlaModule],
  providers: [
    ChannelRepository,
    ChannelTokenService,
    ChannelsService,
    GraphClient,
    InboundEventRepository,
    InboundService,
    InboundWriter,
    InboundApplier,
    InboundProcessor,
    InboundSweeper,
    ProfileProcessor,
    InboundRetentionProcessor,
  ],
  exports: [ChannelRepository, ChannelsService, ChannelTokenService, InboundService],
})
export class ChannelsModule {}
