import { Module } from '@nestjs/common';
import { LiveEventsRepository } from './live-events.repository';
import { LiveEventsService } from './live-events.service';
import { LiveRetentionProcessor } from './live-retention.processor';

/** The live feed: written by database triggers, streamed by API processes, pruned by workers. */
@Module({
  providers: [LiveEventsRepository, LiveEventsService, LiveRetentionProcessor],
  exports: [LiveEventsService],
})
export class LiveModule {}
