import { Inject, Injectable, Logger } from '@nestjs/common';
import { type AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { SweepTimer } from '../jobs/sweep-timer';
import { AssignmentService } from '../assignment/assignment.service';
import { SlaService } from '../sla/sla.service';
import { TicketEventRepository } from './ticket-event.repository';

/**
 * The ticket clocks, in every worker process: closes tickets that stayed solved for
 * AUTO_CLOSE_AFTER and records SLA breaches (SKIP LOCKED keeps processes apart), and assigns tickets still waiting, behind
 * the runs that follow each change, in case a process stopped between a commit and its run.
 */
@Injectable()
export class TicketSweeper extends SweepTimer {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: TicketEventRepository,
    private readonly assignment: AssignmentService,
    private readonly sla: SlaService,
  ) {
    super(config.role, config.tickets.sweepIntervalMs, new Logger(TicketSweeper.name));
  }

  async sweep(): Promise<void> {
    const solvedBefore = new Date(Date.now() - this.config.tickets.autoCloseAfterMs);
    await inBatches(async () => (await this.events.autoClose(solvedBefore, BATCH)).length);
    await inBatches(() => this.sla.recordBreaches(BATCH));
    await this.assignment.assignWaiting();
  }
}

const BATCH = 500;

/** Runs `batch` until it handles less than a full batch. */
async function inBatches(batch: () => Promise<number>): Promise<void> {
  while ((await batch()) === BATCH);
}
