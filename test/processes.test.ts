import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { JobName, QueueName } from '../src/jobs/job.catalogue';
import { dropDatabase, listDatabases, pool, uniqueDatabaseName } from './support/database';
import { databaseUrl, TEST_REDIS_URL } from './support/env';
import { signupCompany } from './support/fixtures';
import { testEnv, uniqueRedisPrefix } from './support/harness';
import { HttpClient } from './support/http';
import { type ServiceProcess, spawnService, waitFor, waitReady } from './support/process';
import { deleteRedisKeys } from './support/redis';

describe('several api and worker processes side by side', () => {
  const name = uniqueDatabaseName('procs');
  const prefix = uniqueRedisPrefix('procs');
  const services: ServiceProcess[] = [];

  after(async () => {
    for (const service of services) if (service.child.exitCode === null) service.child.kill('SIGKILL');
    await dropDatabase(name);
    await deleteRedisKeys(`${prefix}*`);
  });

  it('two api processes create the missing database and migrate it once; a worker consumes; all stop cleanly', async () => {
    assert.deepEqual(await listDatabases(name), [], 'the database does not exist yet');
    const env = testEnv(databaseUrl(name), prefix, { LOG_LEVEL: 'info' });
    const [api1, api2] = await Promise.all([spawnService({ ...env, ROLE: 'api' }), spawnService({ ...env, ROLE: 'api' })]);
    services.push(api1, api2);
    await Promise.all([waitReady(api1), waitReady(api2)]);
    // The worker starts after the schema exists, as in docker-compose; it never migrates.
    const worker = await spawnService({ ...env, ROLE: 'worker' });
    services.push(worker);
    await waitReady(worker);

    const db = pool(databaseUrl(name));
    try {
      const migrations = await db.query('SELECT name FROM migrations');
      assert.equal(migrations.rowCount, migrations.rows.length);
      assert.equal(new Set(migrations.rows.map((r) => r.name)).size, migrations.rowCount, 'each migration ran once');
      assert.ok(migrations.rowCount >= 1);
    } finally {
      await db.end();
    }
    const applied = [api1, api2].map((s) => /"msg":"Applied migrations"/.test(s.output()));
    assert.deepEqual(applied.sort(), [false, true], 'one process applied them, the other found the schema up to date');

    // Roles: the worker serves health but no API; api processes run no workers.
    const workerHttp = new HttpClient(worker.url);
    assert.equal((await workerHttp.post('/v1/auth/signup', { body: {} })).status, 404);
    assert.ok((await workerHttp.get('/health/ready')).body.details.workers);
    for (const api of [api1, api2]) {
      const ready = await new HttpClient(api.url).get('/health/ready');
      assert.equal(ready.body.details.workers, undefined);
    }

    // Both api processes serve the same data.
    const company = await signupCompany(new HttpClient(api1.url));
    const me = await new HttpClient(api2.url).get('/v1/agents/me', { token: company.adminToken });
    assert.equal(me.status, 200);

    // A job enqueued by anyone is consumed by the worker process.
    const redis = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue(QueueName.Maintenance, { connection: redis, prefix });
    try {
      const job = await queue.add(JobName.PruneIdempotencyKeys, {});
      await waitFor(async () => (await job.getState()) === 'completed', 'the worker process ran the job', 2000);
      assert.equal((await queue.getJob(job.id!))?.returnvalue, 'skipped');
    } finally {
      await queue.close();
      redis.disconnect();
    }

    for (const service of [api1, api2, worker]) service.child.kill('SIGTERM');
    const exits = await Promise.all([api1, api2, worker].map((s) => s.exited));
    assert.deepEqual(exits, [0, 0, 0].map((code) => ({ code, signal: null })));
  });
});
