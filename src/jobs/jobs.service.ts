import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { type AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { DEFAULT_JOB_OPTIONS, JOB_OPTIONS, JOB_QUEUE, type JobData, type JobName, QueueName } from './job.catalogue';
import { RedisService } from './redis.provider';

/** Producer side: every process (api and worker) enqueues through here. */
@Injectable()
export class JobsService implements OnApplicationShutdown {
  readonly queues: ReadonlyMap<QueueName, Queue>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly redis: RedisService,
  ) {
    this.queues = new Map(
      Object.values(QueueName).map((name) => [
        name,
        new Queue(name, { connection: redis.client, prefix: config.redis.prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS }),
      ]),
    );
    // Connection errors are already reported once by RedisService; unhandled, each queue would print them raw.
    for (const queue of this.queues.values()) queue.on('error', () => undefined);
  }

  /** Set when this process stops taking jobs: long-running handlers wind down rather than carry on. */
  stopping = false;

  queue(name: QueueName): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`Unknown queue ${name}`);
    return queue;
  }

  async enqueue<N extends JobName>(name: N, data: JobData<N>): Promise<void> {
    await this.queue(JOB_QUEUE[name]).add(name, data, JOB_OPTIONS[name]?.(data));
  }

  async enqueueMany<N extends JobName>(name: N, items: Array<JobData<N>>): Promise<void> {
    if (items.length === 0) return;
    const options = JOB_OPTIONS[name];
    await this.queue(JOB_QUEUE[name]).addBulk(items.map((data) => ({ name, data, opts: options?.(data) })));
  }

  /** Jobs of this queue waiting for a worker. */
  waiting(name: JobName): Promise<number> {
    return this.queue(JOB_QUEUE[name]).getWaitingCount();
  }

  /** A recurring job; the scheduler id is the job name, so every process upserts the same one. */
  async schedule<N extends JobName>(name: N, data: JobData<N>, everyMs: number): Promise<void> {
    await this.queue(JOB_QUEUE[name]).upsertJobScheduler(name, { every: everyMs }, { name, data });
  }

  async onApplicationShutdown(): Promise<void> {
    // Closing a queue talks to Redis; without it there is nothing to flush, and close() would wait.
    if (this.redis.client.status !== 'ready') return;
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
  }
}
