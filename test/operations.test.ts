import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import IORedis from 'ioredis';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/common/logging/logger';
import { cloneTemplateDatabase, dropDatabase } from './support/database';
import { createAgent, createApiKey, PASSWORD, signupCompany } from './support/fixtures';
import { type Harness, startHarness, testEnv, uniqueRedisPrefix } from './support/harness';
import { HttpClient } from './support/http';
import { capturingLogger } from './support/log-capture';
import { freePort } from './support/process';

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
