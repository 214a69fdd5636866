import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { type Job, Worker } from 'bullmq';
import { type Redis } from 'ioredis';
import { type AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { MetricsService } from '../common/metrics/metrics.service';
import { type DiscoveredHandler, resolveHandlers } from './job-handlers';
import { type JobName, PAGE_QUEUES, QueueName, RECURRING_JOBS } from './job.catalogue';
import { JobsService } from './jobs.service';
import { ON_JOB_METADATA } from './on-job.decorator';
import { createRedis } from './redis.provider';

/** Consumer side, in worker roles only: one BullMQ worker per queue, dispatching on the job name. */
@Injectable()
export class JobsWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(JobsWorker.name);
  private readonly workers: Worker[] = [];
  private readonly connections: Redis[] = [];
  private draining?: Promise<void>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly metrics: MetricsService,
    private readonly jobs: JobsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const handlers = resolveHandlers(this.discover());
    for (const queue of Object.values(QueueName)) {
      const connection = createRedis(this.config.redis.url, `${this.config.role}-worker`);
      this.connections.push(connection);
      const worker = new Worker(queue, (job: Job) => this.process(handlers, job), {
        connection,
        prefix: this.config.redis.prefix,
        concurrency: PAGE_QUEUES.has(queue) ? this.config.delivery.laneConcurrency : this.config.workerConcurrency,
        // A worker that died holds its jobs (and their deduplication keys) until the lock
        // expires: keep that short so another worker takes over within seconds, not a minute.
        lockDuration: 10_000,
        stalledInterval: 5_000,
      });
      worker.on('error', (error) => this.logger.warn({ err: error, queue }, 'Worker error'));
      worker.on('failed', (job, error) => this.logger.warn({ err: error, queue, jobId: job?.id, job: job?.name }, 'Job attempt failed'));
      this.workers.push(worker);
    }
    for (const { name, everyMs } of RECURRING_JOBS) await this.jobs.schedule(name, {}, everyMs);
  }

  /** Ready means consuming: a worker that lost Redis and never came back must fail readiness. */
  allRunning(): boolean {
    return (
      this.workers.length > 0 &&
      this.workers.every((worker) => worker.isRunning() && !worker.closing) &&
      this.connections.every((connection) => connection.status === 'ready')
    );
  }

  /**
   * Stops fetching and waits for in-flight jobs; the shutdown deadline in main bounds how long.
   * If Redis is gone, waiting is pointless (a job's outcome cannot be recorded, and BullMQ's
   * close would wait for a reconnect forever): close at once and let the stalled-job check and
   * the sweepers pick the work up, since its effects live in PostgreSQL anyway.
   */
  drain(): Promise<void> {
    // Called by the shutdown sequence and again by Nest's module teardown: one drain only.
    this.jobs.stopping = true;
    this.draining ??= this.closeWorkers();
    return this.draining;
  }

  private async closeWorkers(): Promise<void> {
    const graceful = Promise.all(this.workers.map((worker) => worker.close()));
    let poll: NodeJS.Timeout | undefined;
    const redisGone = new Promise<'gone'>((resolve) => {
      poll = setInterval(() => {
        if (this.connections.some((connection) => connection.status !== 'ready')) resolve('gone');
      }, 200);
    });
    try {
      if ((await Promise.race([graceful.then(() => 'closed' as const), redisGone])) === 'gone') {
        this.logger.warn('Redis is unreachable: closing the workers without waiting for their jobs');
        for (const connection of this.connections) connection.disconnect();
        // Not awaited: without Redis even a forced close can wait on its reconnection forever.
        void Promise.all(this.workers.map((worker) => worker.close(true))).catch(() => undefined);
      }
    } finally {
      clearInterval(poll);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.drain();
    await Promise.all(this.connections.map((connection) => connection.quit().catch(() => connection.disconnect())));
  }

  private async process(handlers: Map<JobName, DiscoveredHandler>, job: Job): Promise<unknown> {
    const handler = handlers.get(job.name as JobName);
    if (!handler) throw new Error(`No handler for job ${job.name}`);
    try {
      const outcome = await handler.run(job.data);
      this.metrics.jobOutcome(job.queueName, job.name, String(outcome));
      return outcome;
    } catch (error) {
      this.metrics.jobOutcome(job.queueName, job.name, 'error');
      throw error;
    }
  }

  private discover(): DiscoveredHandler[] {
    const found: DiscoveredHandler[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = instance[method];
        if (typeof fn !== 'function') continue;
        const name = Reflect.getMetadata(ON_JOB_METADATA, fn) as JobName | undefined;
        if (name) found.push({ name, owner: `${instance.constructor.name}.${method}`, run: (data) => (fn as (d: unknown) => Promise<unknown>).call(instance, data) });
      }
    }
    return found;
  }
}
