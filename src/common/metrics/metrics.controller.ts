import { Controller, Get, Header, Headers, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { timingSafeEqual } from 'node:crypto';
import { type AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { JobsService } from '../../jobs/jobs.service';
import { Public } from '../auth/auth.decorators';
import { AppException } from '../errors/app.exception';
import { MetricsService } from './metrics.service';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children'] as const;

/** Public to the guard; METRICS_TOKEN, when set, is checked here. */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly jobs: JobsService,
  ) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(@Headers('authorization') authorization?: string): Promise<string> {
    this.checkToken(authorization);
    await Promise.all(
      [...this.jobs.queues].map(async ([name, queue]) => {
        // Without Redis the depths are unknown: leave them out rather than fail the whole scrape.
        const counts = await queue.getJobCounts(...QUEUE_STATES).catch(() => null);
        if (!counts) return;
        for (const state of QUEUE_STATES) this.metrics.queueDepth.set({ queue: name, state }, counts[state] ?? 0);
      }),
    );
    await this.metrics.collect();
    return this.metrics.registry.metrics();
  }

  /** Optional: when METRICS_TOKEN is set, scrapers must present it as a bearer token. */
  private checkToken(authorization?: string): void {
    const expected = this.config.metricsToken;
    if (!expected) return;
    const given = Buffer.from(/^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '');
    const want = Buffer.from(expected);
    if (given.length !== want.length || !timingSafeEqual(given, want)) throw AppException.unauthorized();
  }
}
