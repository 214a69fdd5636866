import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type AppConfig, runsWorkers } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { JobsService } from '../jobs/jobs.service';
import { DeliveryRepository } from './delivery.repository';
import { LANE_JOB } from './outbox.service';

/**
 * PostgreSQL decides what still has to be sent. Every worker process runs this timer (not a
 * BullMQ job, so it survives Redis losing everything): it turns expired leases into `unknown`,
 * resends unknown agent replies and transactional messages no echo settled, fails what waits on
 * a disconnected channel, and wakes every Page lane with due work: new, retried, unpaused, or
 * released from a hold once its token was replaced.
 */
@Injectable()
export class DeliverySweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeliverySweeper.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly deliveries: DeliveryRepository,
    private readonly jobs: JobsService,
  ) {}

  onApplicationBootstrap(): void {
    if (!runsWorkers(this.config.role)) return;
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'Delivery sweep failed'))
        .finally(() => (this.running = undefined));
    }, this.config.delivery.sweepIntervalMs);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async sweep(): Promise<void> {
    const expired = await this.deliveries.expireLeases(1_000);
    const resent = await this.deliveries.resendUnknown(this.config.delivery.unknownResendAfterMs, 1_000);
    const abandoned = await this.deliveries.failDisconnected(1_000);
    if (expired + resent + abandoned > 0) this.logger.warn({ expired, resent, abandoned }, 'Delivery sweep changed states');
    for (const { companyId, channelId, lane } of await this.deliveries.runnableLanes(5_000)) {
      await this.jobs.enqueue(LANE_JOB[lane], { companyId, channelId });
    }
  }
}
