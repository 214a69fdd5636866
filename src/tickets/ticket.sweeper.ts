import { Inject, Injectable, Logger } from '@nestjs/common';
import { type AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { SweepTimer } from '../jobs/sweep-timer';
import { AssignmentRepository } from '../assignment/assignment.repository';
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
    private readonly assignments: AssignmentRepository,
    private readonly assignment: AssignmentService,
    private readonly sla: SlaService,
  ) {
    super(config.role, config.tickets.sweepIntervalMs, new Logger(TicketSweeper.name));
  }

  async sweep(): Promise<number> {
    return (await this.autoClose()) + (await this.recordBreaches()) + (await this.assignWaiting());
  }

  private async recordBreaches(): Promise<number> {
    let recorded = 0;
    for (;;) {
      const batch = await this.sla.recordBreaches(500);
      recorded += batch;
      if (batch < 500) return recorded;
    }
  }

  private async autoClose(): Promise<number> {
    const solvedBefore = new Date(Date.now() - this.config.tickets.autoCloseAfterMs);
    let closed = 0;
    for (;;) {
      const batch = await this.events.autoClose(solvedBefore, 500);
      closed += batch.length;
      if (batch.length < 500) return closed;
    }
  }

  private async assignWaiting(): Promise<number> {
    let assigned = 0;
    for (const companyId of await this.assignments.companiesWaiting()) assigned += await this.assignment.assign(companyId);
    return assigned;
  }
}
