import { Inject, Injectable, Logger } from '@nestjs/common';
import { type AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { SweepTimer } from '../jobs/sweep-timer';
import { TicketEventRepository } from './ticket-event.repository';

/** Closes tickets that stayed solved for AUTO_CLOSE_AFTER, in batches, in every worker process (SKIP LOCKED keeps them apart). */
@Injectable()
export class TicketSweeper extends SweepTimer {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: TicketEventRepository,
  ) {
    super(config.role, config.tickets.sweepIntervalMs, new Logger(TicketSweeper.name));
  }

  async sweep(): Promise<number> {
    const solvedBefore = new Date(Date.now() - this.config.tickets.autoCloseAfterMs);
    let closed = 0;
    for (;;) {
      const batch = await this.events.autoClose(solvedBefore, 500);
      closed += batch.length;
      if (batch.length < 500) return closed;
    }
  }
}
