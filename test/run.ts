import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import IORedis from 'ioredis';
import { loadConfig } from '../src/config/config';
import { migrate } from '../src/database/migrate';
import { dropDatabase, listDatabases } from './support/database';
import { databaseUrl, TEST_ADMIN_DATABASE_URL, TEST_REDIS_URL } from './support/env';
import { deleteRedisKeys } from './support/redis';

/**
 * `npm test`: one fresh template database migrated from migrations/, then node's test runner
 * over every compiled test file; each file clones the template and takes its own Redis prefix.
 * Everything this run created is dropped at the end, pass or fail.
 */
function find(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return find(path, pattern);
    return pattern.test(entry) ? [path] : [];
  });
}

async function reachable(): Promise<void> {
  const pg = new Client({ connectionString: TEST_ADMIN_DATABASE_URL });
  await pg.connect().catch((error: Error) => {
    throw new Error(`PostgreSQL is not reachable at ${TEST_ADMIN_DATABASE_URL}: ${error.message}`);
  });
  await pg.end();
  const redis = new IORedis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect().catch((error: Error) => {
    throw new Error(`Redis is not reachable at ${TEST_REDIS_URL}: ${error.message}`);
  });
  redis.disconnect();
}

async function main(): Promise<number> {
  await reachable();
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const template = `guichet_test_${runId}_template`;
  const prefix = `guichet_test_${runId}_`;
  const root = join(__dirname, '..');
  try {
    await migrate(loadConfig({ DATABASE_URL: databaseUrl(template), ROLE: 'api', NODE_ENV: 'test' }));
    const files = [...find(join(root, 'src'), /\.spec\.js$/), ...find(join(root, 'test'), /\.test\.js$/)].sort();
    const filter = process.argv.slice(2);
    const selected = filter.length > 0 ? files.filter((f) => filter.some((part) => f.includes(part))) : files;
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...selected], {
        stdio: 'inherit',
        env: { ...process.env, NODE_ENV: 'test', GUICHET_TEST_RUN_ID: runId, GUICHET_TEST_TEMPLATE_DB: template },
      });
      child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
      // Interrupted (Ctrl-C, a CI timeout): stop the tests, then fall through to the clean-up.
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => child.kill(signal));
    });
    return code;
  } finally {
    for (const name of await listDatabases(prefix)) await dropDatabase(name);
    await deleteRedisKeys(`gt_${runId}_*`);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
