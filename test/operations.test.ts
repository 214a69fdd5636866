import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import IORedis from 'ioredis';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/common/logging/logger';
import { cloneTemplateDatabase, dropDatabase } from './support/database';
import { createAgent, createApiKey, PASSWORD, signupCompany, uniqueEmail } from './support/fixtures';
import { type Harness, startHarness, testEnv, uniqueRedisPrefix } from './support/harness';
import { HttpClient } from './support/http';
import { capturingLogger } from './support/log-capture';
import { freePort, type ServiceProcess, spawnService, waitReady } from './support/process';

describe('operations: health, metrics, logs, queue dashboard', () => {
  let h: Harness;
  const capture = capturingLogger('trace');

  before(async () => {
    h = await startHarness('ops', { LOG_LEVEL: 'trace', METRICS_TOKEN: 'metrics-token-0123456789' }, capture.logger);
  });
  after(() => h.close());

  it('live and ready answer, ready checks PostgreSQL, Redis and running workers', async () => {
    const live = await h.http.get('/health/live');
    assert.equal(live.status, 200);
    const ready = await h.http.get('/health/ready');
    assert.equal(ready.status, 200);
    assert.deepEqual(Object.keys(ready.body.details).sort(), ['postgres', 'redis', 'workers']);
    for (const check of Object.values<{ status: string }>(ready.body.details)) assert.equal(check.status, 'up');
  });

  it('metrics are Prometheus text with HTTP latency by route, queue depths and job outcomes', async () => {
    assert.equal((await h.http.get('/metrics')).status, 401, 'METRICS_TOKEN is required when set');
    assert.equal((await h.http.get('/metrics', { headers: { authorization: 'metrics-token-0123456789' } })).status, 401, 'only as a bearer token');
    await h.http.get('/v1/agents/00000000-0000-4000-8000-000000000000');
    const res = await h.http.get('/metrics', { token: 'metrics-token-0123456789' });
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /text\/plain/);
    assert.match(res.text, /guichet_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/agents\/:id"[^}]*status="401"/);
    assert.match(res.text, /guichet_queue_jobs\{queue="maintenance",state="waiting"\} \d+/);
    assert.match(res.text, /# TYPE guichet_jobs_total counter/);
  });

  it('echoes a caller request id, or makes one', async () => {
    const given = await h.http.get('/health/live', { headers: { 'x-request-id': 'trace-abc-123' } });
    assert.equal(given.headers['x-request-id'], 'trace-abc-123');
    const made = await h.http.get('/health/live', { headers: { 'x-request-id': 'bad id with spaces' } });
    assert.match(made.headers['x-request-id'], /^[0-9a-f-]{36}$/);
  });

  it('keeps passwords, tokens and API keys out of the logs', async () => {
    const company = await signupCompany(h.http);
    const { key } = await createApiKey(h.http, company.adminToken, ['agents:read']);
    await h.http.get('/v1/agents', { token: key });
    await h.http.post('/v1/auth/login', { body: { email: company.adminEmail, password: 'a wrong password' } });
    capture.logger.info({ password: PASSWORD, agent: { accessToken: company.adminToken }, pageAccessToken: 'EAAG-page-token', req: { headers: { authorization: `Bearer ${key}` } } }, 'structured');
    const text = capture.text();
    assert.ok(text.includes('"msg":"structured"'), 'the structured line was written');
    assert.ok(text.includes('[redacted]'));
    for (const secret of [PASSWORD, 'a wrong password', company.adminToken, key, 'EAAG-page-token']) {
      assert.ok(!text.includes(secret), `a secret reached the logs: ${text.split('\n').find((l) => l.includes(secret))}`);
    }
  });

  it('a real server error is logged with its cause, without the SQL, its parameters or the secrets in them', async () => {
    const company = await signupCompany(h.http);
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const marker = `test-refuses-agent-insert-${randomBytes(4).toString('hex')}`;
    await h.db.query(`CREATE FUNCTION test_refuse_agents() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${marker}'; END $$`);
    await h.db.query('CREATE TRIGGER test_refuse_agents BEFORE INSERT ON agents FOR EACH ROW EXECUTE FUNCTION test_refuse_agents()');
    const from = capture.text().length;
    try {
      const res = await h.http.post('/v1/agents', { token: company.adminToken, body: { email: uniqueEmail('err'), name: 'Err', password, role: 'agent' } });
      assert.equal(res.status, 500, res.text);
      assert.equal(res.body.code, 'internal_error');
      assert.ok(!res.text.includes(marker), 'the database message stays out of the response');
    } finally {
      await h.db.query('DROP TRIGGER IF EXISTS test_refuse_agents ON agents');
      await h.db.query('DROP FUNCTION IF EXISTS test_refuse_agents()');
    }
    const text = capture.text().slice(from);
    const lines = text.split('\n').filter((line) => line.trim().length > 0).map((line) => JSON.parse(line) as Record<string, unknown>);
    const errorLines = lines.filter((line) => JSON.stringify(line).includes(marker));
    assert.ok(errorLines.length > 0, `the error's cause reached the log:\n${text.slice(-3000)}`);
    assert.ok(errorLines.some((line) => line.level === 50), 'logged at level error');
    for (const secret of [password, 'scrypt$', 'password_hash']) {
      assert.ok(!text.includes(secret), `${secret} reached the logs: ${text.split('\n').find((l) => l.includes(secret))}`);
    }
    for (const line of lines) {
      const keys = keysDeep(line);
      assert.ok(!keys.includes('parameters') && !keys.includes('query'), `a log line carries the SQL or its parameters: ${JSON.stringify(line).slice(0, 1000)}`);
    }
  });

  it('serves the queue dashboard to admin agents only', async () => {
    const company = await signupCompany(h.http);
    const agent = await createAgent(h.http, company.adminToken);
    const { key } = await createApiKey(h.http, company.adminToken, ['agents:read']);
    assert.equal((await h.http.get('/admin/queues')).status, 401);
    const asAgent = await h.http.get('/admin/queues', { token: agent.token });
    assert.equal(asAgent.status, 403);
    assert.equal(asAgent.body.code, 'forbidden');
    assert.equal((await h.http.get('/admin/queues', { token: key })).status, 403);
    const asAdmin = await h.http.get('/admin/queues', { token: company.adminToken });
    assert.equal(asAdmin.status, 200);
    assert.match(asAdmin.text, /<html/i);
    const queues = await h.http.get('/admin/queues/api/queues', { token: company.adminToken });
    assert.equal(queues.status, 200);
    assert.ok(queues.body.queues.some((q: { name: string }) => q.name === 'maintenance'));
    assert.equal((await h.http.get('/admin/queues/api/queues', { token: agent.token })).status, 403);
  });

  it('serves the OpenAPI document and its UI', async () => {
    const json = await h.http.get('/docs/json');
    assert.equal(json.status, 200);
    assert.equal(json.body.info.title, 'Guichet API');
    assert.ok(json.body.paths['/v1/agents/{id}']);
    const ui = await h.http.get('/docs');
    assert.equal(ui.status, 200);
    assert.match(ui.text, /swagger/i);
  });
});

describe('boot checks', () => {
  it('refuses to start when Redis may evict keys', async () => {
    const port = await freePort();
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'allkeys-lru'], { stdio: 'ignore' });
    const database = await cloneTemplateDatabase('evict');
    try {
      const probe = new IORedis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: null });
      await probe.ping();
      probe.disconnect();
      const config = loadConfig(testEnv(database.url, uniqueRedisPrefix('evict'), { REDIS_URL: `redis://127.0.0.1:${port}` }));
      await assert.rejects(createApp(config, { logger: createLogger('silent') }), /maxmemory-policy is "allkeys-lru".*noeviction/);
    } finally {
      redis.kill('SIGKILL');
      await dropDatabase(database.name);
    }
  });

  it('in production, without OPERATOR_COMPANY_ID, the queue dashboard refuses every admin', async () => {
    const h = await startHarness('prod', {
      NODE_ENV: 'production',
      JWT_SECRET: randomBytes(24).toString('hex'),
      ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      MESSENGER_APP_SECRET: randomBytes(24).toString('hex'),
      MESSENGER_VERIFY_TOKEN: randomBytes(16).toString('hex'),
    });
    try {
      assert.equal(h.config.env, 'production');
      assert.equal(h.config.operatorCompanyId, undefined);
      const company = await signupCompany(h.http);
      assert.equal((await h.http.get('/v1/agents', { token: company.adminToken })).status, 200, 'the admin is a working admin');
      for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
        const refused = await h.http.get(path, { token: company.adminToken });
        assert.equal(refused.status, 403, `${path}: ${refused.text.slice(0, 300)}`);
        assert.equal(refused.body.code, 'forbidden', path);
        assert.match(refused.body.message, /OPERATOR_COMPANY_ID/, path);
      }
    } finally {
      await h.close();
    }
  });

  it('only the operator company sees the queues when OPERATOR_COMPANY_ID is set', async () => {
    const h = await startHarness('operator');
    const operator = await signupCompany(h.http, 'Operator');
    const tenant = await signupCompany(h.http, 'Tenant');
    const app = await createApp(loadConfig({ ...h.env, ROLE: 'api', OPERATOR_COMPANY_ID: operator.companyId }), { logger: createLogger('silent') });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const http = new HttpClient(await app.getUrl());
      const refused = await http.get('/admin/queues', { token: tenant.adminToken });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, 'forbidden');
      assert.equal((await http.get('/admin/queues', { token: operator.adminToken })).status, 200);
    } finally {
      await app.close();
      await h.close();
    }
  });
});

describe('Redis outage', () => {
  it('readiness answers 503 and sign-in a prompt 503 when Redis goes away, and the service still shuts down cleanly', async () => {
    const port = await freePort();
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
    const redisExited = once(redis, 'exit');
    const database = await cloneTemplateDatabase('redisdown');
    let service: ServiceProcess | undefined;
    try {
      const probe = new IORedis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: null });
      await probe.ping();
      probe.disconnect();
      // The real service in its own process: if closing hangs without Redis, the test run does not.
      // Its own shutdown deadline bounds the wait for it to exit.
      service = await spawnService(
        testEnv(database.url, uniqueRedisPrefix('redisdown'), { REDIS_URL: `redis://127.0.0.1:${port}`, DB_SKIP_MIGRATIONS: 'true', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '10000' }),
      );
      await waitReady(service);
      const http = new HttpClient(service.url);
      const company = await signupCompany(http);

      redis.kill('SIGKILL');
      await redisExited;

      let ready: Response | undefined;
      for (let attempt = 0; attempt < 50; attempt++) {
        const signal = AbortSignal.timeout(10_000);
        ready = await fetch(`${service.url}/health/ready`, { signal });
        assert.equal(signal.aborted, false, 'readiness answered rather than hanging');
        if (ready.status !== 200) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(ready);
      assert.equal(ready.status, 503, 'readiness reports the outage within 50 polls');
      const body = (await ready.json()) as { code: string; details: { error: Record<string, { status: string }>; info: Record<string, { status: string }> } };
      assert.equal(body.code, 'service_unavailable');
      assert.equal(body.details.error.redis?.status, 'down', JSON.stringify(body));
      assert.equal(body.details.info.postgres?.status, 'up', JSON.stringify(body));

      const signal = AbortSignal.timeout(10_000);
      const login = await fetch(`${service.url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: company.adminEmail, password: company.password }),
        signal,
      });
      assert.equal(signal.aborted, false, 'the login answered rather than hanging');
      assert.equal(login.status, 503);
      assert.equal(((await login.json()) as { code: string }).code, 'service_unavailable');

      // Closing must not wait for a Redis that is gone: a clean exit, not the deadline's forced one.
      service.child.kill('SIGTERM');
      const exit = await service.exited;
      const shutdownLines = service.output().split('\n').filter((line) => /Shut|shut/.test(line)).join('\n');
      assert.deepEqual(exit, { code: 0, signal: null }, `the service did not close without Redis:\n${shutdownLines}`);
      assert.match(service.output(), /Shut down cleanly/);
    } finally {
      redis.kill('SIGKILL');
      if (service && service.child.exitCode === null && service.child.signalCode === null) {
        service.child.kill('SIGKILL');
        await service.exited;
      }
      await dropDatabase(database.name);
    }
  });
});

/** Every key of every object in a parsed JSON value, at any depth. */
function keysDeep(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysDeep);
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => [key, ...keysDeep(item)]);
  return [];
}
