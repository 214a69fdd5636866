import { Inject, Injectable, Logger } from '@nestjs/common';
import { type AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { JobsService } from '../jobs/jobs.service';
import { SweepTimer } from '../jobs/sweep-timer';
import { Lane } from './delivery.entity';
import { DeliveryRepository } from './delivery.repository';
import { LANE_JOB } from './outbox.service';

/**
 * PostgreSQL decides what still has to be sent. Every worker process runs this sweep: it turns expired leases into `unknown`,
 * resends unknown agent replies and transactional messages no echo settled, fails what waits on
 * a disconnected channel, and wakes every Page lane with due work: new, retried, unpaused, or
 * released from a hold once its token was replaced.
 */
@Injectable()
export class DeliverySweeper extends SweepTimer {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly deliveries: DeliveryRepository,
    private readonly jobs: JobsService,
  ) {
    super(config.role, config.delivery.sweepIntervalMs, new Logger(DeliverySweeper.name));
  }

  async sweep(): Promise<void> {
    const expired = await this.deliveries.expireLeases(1_000);
    const resent = await this.deliveries.resendUnknown(this.config.delivery.unknownResendAfterMs, 1_000);
    const abandoned = await this.deliveries.failDisconnected(1_000);
    if (expired + resent + abandoned > 0) this.logger.warn({ expired, resent, abandoned }, 'Delivery sweep changed states');
    const lanes = await this.deliveries.runnableLanes(5_000);
    for (const lane of Object.values(Lane)) {
      await this.jobs.enqueueMany(LANE_JOB[lane], lanes.filter((row) => row.lane === lane).map(({ companyId, channelId }) => ({ companyId, channelId })));
    }
  }
}
