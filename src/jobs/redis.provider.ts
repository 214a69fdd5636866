import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import IORedis, { type Redis } from 'ioredis';
import { type AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';

/** For BullMQ workers: null lets blocking commands wait through a reconnect instead of failing. */
export function createRedis(url: string, role: string): Redis {
  return new IORedis(url, { maxRetriesPerRequest: null, connectionName: `guichet-${role}` });
}

/**
 * For the request path (producers, throttles, health): a command fails within two seconds
 * when Redis is away, so a request gets a 503 instead of hanging.
 */
function createFailFastRedis(url: string, role: string): Redis {
  return new IORedis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 2_000, connectionName: `guichet-${role}` });
}

/** Redis evicting keys would silently drop queued jobs and rate-limit state. */
export async function assertNoEviction(redis: Redis): Promise<void> {
  let policy: string | undefined;
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    policy = reply[1];
  } catch {
    // Managed Redis often disables CONFIG; INFO tells the same thing.
    const info = await redis.info('memory');
    policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
  }
  if (policy !== 'noeviction') {
    throw new Error(`Redis maxmemory-policy is "${policy ?? 'unknown'}"; Guichet requires "noeviction" so that queued work is never evicted`);
  }
}

async function waitReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The shared, non-blocking Redis connection: queues, throttles, health. */
@Injectable()
export class RedisService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisService.name);
  readonly client: Redis;
  readonly prefix: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.client = createFailFastRedis(config.redis.url, config.role);
    this.prefix = config.redis.prefix;
    this.client.on('error', (error: Error) => this.logger.warn({ err: error }, 'Redis connection error'));
  }

  /** Fail fast at boot rather than lose jobs later. */
  async onModuleInit(): Promise<void> {
    try {
      // Without an offline queue, commands sent before the connection is up would fail.
      if (this.client.status !== 'ready') await waitReady(this.client);
      await assertNoEviction(this.client);
    } catch (error) {
      // Boot stops here; a live connection would keep reconnecting in a process that is exiting.
      this.client.disconnect();
      throw error;
    }
  }

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
