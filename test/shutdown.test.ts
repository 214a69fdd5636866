import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { type Pool } from 'pg';
import { JobName, QueueName } from '../src/jobs/job.catalogue';
import { cloneTemplateDatabase, dropDatabase, pool } from './support/database';
import { TEST_REDIS_URL } from './support/env';
import { PASSWORD, signupCompany, uniqueEmail } from './support/fixtures';
import { testEnv, uniqueRedisPrefix } from './support/harness';
import { HttpClient } from './support/http';
import { spawnService, waitFor, waitReady } from './support/process';
import { deleteRedisKeys } from './support/redis';

describe('graceful shutdown', () => {
  let database: { name: string; url: string };
  let db: Pool;
  let redis: IORedis;
  const prefixes: string[] = [];

  before(async () => {
    database = await cloneTemplateDatabase('shutdown');
    db = pool(database.url);
    redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  });
  after(async () => {
    await db.end();
    redis.disconnect();
    await dropDatabase(database.name);
    for (const prefix of prefixes) await deleteRedisKeys(`${prefix}*`);
  });

  /** Holds the agents and idempotency tables so a request and a job stay in flight until released. */
  async function holdTables() {
    const client = await db.connect();
    await client.query('BEGIN');
    await client.query('LOCK TABLE agents, idempotency_keys IN EXCLUSIVE MODE');
    return {
      release: async () => {
        await client.query('COMMIT');
        client.release();
      },
    };
  }

  async function startWithWorkInFlight(shutdownTimeoutMs: string) {
    const prefix = uniqueRedisPrefix('shutdown');
    prefixes.push(prefix);
    const service = await spawnService(testEnv(database.url, prefix, { SHUTDOWN_TIMEOUT_MS: shutdownTimeoutMs, DB_SKIP_MIGRATIONS: 'true', LOG_LEVEL: 'info' }));
    await waitReady(service);
    const http = new HttpClient(service.url);
    const company = await signupCompany(http);
    const queue = new Queue(QueueName.Maintenance, { connection: redis, prefix });

    const lock = await holdTables();
    const email = uniqueEmail('slow');
    const slowRequest = http.post('/v1/agents', { token: company.adminToken, body: { email, name: 'Slow', password: PASSWORD, role: 'agent' } });
    // Settled here so a connection cut by a forced exit is a value, not an unhandled rejection.
    const settled = slowRequest.then((res) => res, (error: unknown) => error as Error);
    const job = await queue.add(JobName.PruneIdempotencyKeys, {});
    // Both are really in flight: the request waits on the agents lock, the job on the other.
    // Only this test's database counts: other test files run beside this one on the same server.
    await waitFor(async () => {
      const { rows } = await db.query<{ waiting: number; relations: string[] }>(
        `SELECT count(DISTINCT pid)::int AS waiting, coalesce(array_agg(DISTINCT relation::regclass::text) FILTER (WHERE relation IS NOT NULL), '{}') AS relations
         FROM pg_locks
         WHERE NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      const [{ waiting, relations }] = rows;
      return waiting >= 2 && relations.includes('agents') && relations.includes('idempotency_keys');
    }, 'the request blocked on agents and the job on idempotency_keys, in this database');
    assert.equal(await job.getState(), 'active');
    return { service, queue, job, lock, slowRequest: settled, email };
  }

  it('SIGTERM with a slow request and a slow job in flight: both complete, exit 0 within the deadline', async () => {
    const { service, queue, job, lock, slowRequest, email } = await startWithWorkInFlight('20000');
    service.child.kill('SIGTERM');
    // It stops taking new work at once: new connections are refused while the old work runs.
    await waitFor(async () => fetch(`${service.url}/health/live`).then(() => false, () => true), 'listener closed');
    assert.equal(service.child.exitCode, null, 'still running while work is in flight');

    await lock.release();
    const response = await slowRequest;
    assert.ok(!(response instanceof Error), response instanceof Error ? response.message : '');
    assert.equal(response.status, 201, response.text);
    const exit = await service.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, service.output().slice(-2000));
    assert.equal(await job.getState(), 'completed');
    assert.equal((await queue.getJob(job.id!))?.returnvalue, 'skipped');
    assert.equal((await db.query('SELECT count(*)::int AS n FROM agents WHERE email = $1', [email])).rows[0].n, 1);
    assert.match(service.output(), /Shut down cleanly/);
    await queue.close();
  });

  it('past the deadline, the process exits non-zero', async () => {
    const { service, queue, lock, slowRequest } = await startWithWorkInFlight('1000');
    service.child.kill('SIGTERM');
    const exit = await service.exited;
    assert.equal(exit.code, 1, service.output().slice(-2000));
    assert.match(service.output(), /Shutdown deadline passed/);
    await lock.release();
    assert.ok((await slowRequest) instanceof Error, 'the request in flight was cut off by the forced exit');
    await queue.close();
  });
});
