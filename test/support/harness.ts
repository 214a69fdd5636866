import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type Pool } from 'pg';
import { type Logger } from 'pino';
import { createApp } from '../../src/app.factory';
import { type AppConfig, loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/common/logging/logger';
import { cloneTemplateDatabase, dropDatabase, pool } from './database';
import { TEST_REDIS_URL, TEST_RUN_ID } from './env';
import { HttpClient } from './http';
import { deleteRedisKeys } from './redis';

export interface Harness {
  app: NestFastifyApplication;
  config: AppConfig;
  http: HttpClient;
  db: Pool;
  databaseUrl: string;
  redisPrefix: string;
  /** Environment to boot another process (or app) on the same database and Redis prefix. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export function testEnv(databaseUrl: string, redisPrefix: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    ROLE: 'all',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: redisPrefix,
    LOG_LEVEL: 'silent',
    DATABASE_POOL_SIZE: '5',
    // Every test signs companies up from 127.0.0.1; the limit itself has its own test.
    SIGNUPS_PER_HOUR_PER_ADDRESS: '100000',
    ...overrides,
  };
}

export const uniqueRedisPrefix = (label: string): string => `gt_${TEST_RUN_ID}_${label}_${randomBytes(3).toString('hex')}`;

/** A real application on a fresh database and its own Redis prefix, listening on a free port. */
export async function startHarness(label: string, overrides: Record<string, string> = {}, logger: Logger = createLogger('silent')): Promise<Harness> {
  const database = await cloneTemplateDatabase(label);
  const redisPrefix = uniqueRedisPrefix(label);
  const env = testEnv(database.url, redisPrefix, overrides);
  const config = loadConfig(env);
  const app = await createApp(config, { logger });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const db = pool(database.url);
  return {
    app,
    config,
    http: new HttpClient(`http://127.0.0.1:${address.port}`),
    db,
    databaseUrl: database.url,
    redisPrefix,
    env,
    async close() {
      await app.close();
      await db.end();
      await dropDatabase(database.name);
      await deleteRedisKeys(`${redisPrefix}*`);
    },
  };
}
