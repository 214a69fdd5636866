import { type Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type Role, runsWorkers } from '../config/config';

/**
 * A sweep that every worker process runs on a timer: not a BullMQ job, so that it survives Redis
 * losing everything, which is what sweeps exist to repair. One sweep at a time per process; a
 * failed sweep is logged and the next tick tries again; shutdown waits for the one running.
 */
export abstract class SweepTimer implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  protected constructor(
    private readonly role: Role,
    private readonly intervalMs: number,
    protected readonly logger: Logger,
  ) {}

  abstract sweep(): Promise<unknown>;

  onApplicationBootstrap(): void {
    if (!runsWorkers(this.role)) return;
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn({ err: error }, 'Sweep failed'))
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
