import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { entry, envelope, textMessage } from '../src/simulator/events';
import { type GraphSimulator } from '../src/simulator/graph-simulator';
import { WebhookDriver } from '../src/simulator/webhook-driver';
import { cloneTemplateDatabase, dropDatabase, pool } from './support/database';
import { signupCompany } from './support/fixtures';
import { testEnv, uniqueRedisPrefix } from './support/harness';
import { HttpClient } from './support/http';
import { messengerEnv, newPageId, newPsid, pageToken, startSimulator } from './support/messenger';
import { type ServiceProcess, spawnService, waitFor, waitReady } from './support/process';
import { deleteRedisKeys } from './support/redis';

const EVENTS = 1_000;
const CONVERSATIONS = 100;

/**
 * PostgreSQL, not Redis, decides what still has to be processed: acknowledged events survive a
 * worker killed mid-flight and a Redis that lost everything.
 */
describe('acknowledged events are never lost', () => {
  let sim: GraphSimulator;
  const cleanups: Array<() => Promise<void>> = [];
  before(async () => {
    sim = await startSimulator();
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await sim.stop();
  });

  async function setup(label: string) {
    const database = await cloneTemplateDatabase(label);
    const prefix = uniqueRedisPrefix(label);
    const db = pool(database.url);
    const services: ServiceProcess[] = [];
    cleanups.push(async () => {
      for (const s of services) if (s.child.exitCode === null) s.child.kill('SIGKILL');
      await db.end();
      await dropDatabase(database.name);
      await deleteRedisKeys(`${prefix}*`);
    });
    const env = testEnv(database.url, prefix, { ...messengerEnv(sim), DB_SKIP_MIGRATIONS: 'true', LOG_LEVEL: 'warn' });
    const start = async (role: 'api' | 'worker') => {
      const service = await spawnService({ ...env, ROLE: role });
      services.push(service);
      await waitReady(service);
      return service;
    };
    const api = await start('api');
    const http = new HttpClient(api.url);
    const company = await signupCompany(http);
    const pageId = newPageId();
    const token = pageToken();
    sim.addPage({ pageId, token, name: 'Durable' });
    assert.equal((await http.post('/v1/channels/messenger', { token: company.adminToken, body: { pageId, pageAccessToken: token } })).status, 201);
    const driver = new WebhookDriver(`${api.url}/webhooks/messenger`, 'dev-only-messenger-app-secret');
    const psids = Array.from({ length: CONVERSATIONS }, () => newPsid());
    const sendAll = async () => {
      const events = Array.from({ length: EVENTS }, (_, i) => textMessage(pageId, psids[i % CONVERSATIONS], `message ${i}`, { timestamp: Date.now() + i }));
      for (let i = 0; i < events.length; i += 50) {
        const [res] = await driver.post(envelope([entry(pageId, events.slice(i, i + 50))]));
        assert.equal(res.status, 200);
      }
    };
    const count = async (sql: string) => (await db.query(sql)).rows[0].n as number;
    const assertExactlyOnce = async () => {
      await waitFor(async () => (await count(`SELECT count(*)::int AS n FROM inbound_events WHERE state = 'pending'`)) === 0, 'all processed', 4000);
      assert.equal(await count(`SELECT count(*)::int AS n FROM inbound_events WHERE state = 'processed'`), EVENTS);
      assert.equal(await count('SELECT count(*)::int AS n FROM messages'), EVENTS, 'every event became exactly one message');
      assert.equal(await count('SELECT count(DISTINCT text)::int AS n FROM messages'), EVENTS);
      assert.equal(await count('SELECT count(*)::int AS n FROM tickets'), CONVERSATIONS, 'one ticket per conversation');
      assert.equal(await count('SELECT count(DISTINCT ticket_id)::int AS n FROM messages'), CONVERSATIONS);
    };
    return { start, sendAll, count, assertExactlyOnce, prefix };
  }

  it('kill -9 of the worker while acknowledged events wait, then a restart: all processed, none twice', async () => {
    const { start, sendAll, count, assertExactlyOnce } = await setup('kill9');
    const worker = await start('worker');
    await sendAll();
    await waitFor(async () => (await count('SELECT count(*)::int AS n FROM messages')) > 0, 'some processing started', 4000);
    worker.child.kill('SIGKILL');
    await worker.exited;
    const pendingAfterKill = await count(`SELECT count(*)::int AS n FROM inbound_events WHERE state = 'pending'`);
    assert.ok(pendingAfterKill > 0, 'events were still waiting when the worker died');
    await start('worker');
    await assertExactlyOnce();
  });

  it('Redis loses every key after the ack: the sweeper still processes everything once', async () => {
    const { start, sendAll, count, assertExactlyOnce, prefix } = await setup('flush');
    await sendAll();
    assert.equal(await count(`SELECT count(*)::int AS n FROM inbound_events WHERE state = 'pending'`), EVENTS, 'acknowledged, not processed: no worker yet');
    // FLUSHALL for this instance: every key under its prefix (a real FLUSHALL would hit the other test files).
    assert.ok((await deleteRedisKeys(`${prefix}*`)) > 0);
    await start('worker');
    await assertExactlyOnce();
  });
});
