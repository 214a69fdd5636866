import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { GraphSimulator, type RecordedCall } from '../src/simulator/graph-simulator';
import { cloneTemplateDatabase, dropDatabase, pool } from './support/database';
import { signupCompany } from './support/fixtures';
import { testEnv, uniqueRedisPrefix } from './support/harness';
import { HttpClient } from './support/http';
import { busiestSecond, messengerEnv, newPageId, pageToken } from './support/messenger';
import { type ServiceProcess, spawnService, waitFor, waitReady } from './support/process';
import { deleteRedisKeys } from './support/redis';

const DELIVERIES = 1_000;
const CONTACTS = 100;

/**
 * The outbox in PostgreSQL, not Redis, decides what is sent: deliveries survive a worker killed
 * mid-send and a Redis that lost everything, each going out once (or, without echoes, twice only
 * when it was in flight at the kill and recorded as unknown first). Pacing is shared by processes.
 */
describe('deliveries are never lost, never doubled, and paced across processes', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function setup(label: string, options: { echoes: boolean; simRate?: number; env?: Record<string, string> }) {
    const sim = new GraphSimulator({ sendRatePerSecond: options.simRate ?? 100_000 });
    await sim.start();
    const database = await cloneTemplateDatabase(label);
    const prefix = uniqueRedisPrefix(label);
    const db = pool(database.url);
    const services: ServiceProcess[] = [];
    cleanups.push(async () => {
      for (const s of services) if (s.child.exitCode === null) s.child.kill('SIGKILL');
      await db.end();
      await dropDatabase(database.name);
      await deleteRedisKeys(`${prefix}*`);
      await sim.stop();
    });
    const env = testEnv(database.url, prefix, {
      ...messengerEnv(sim),
      DB_SKIP_MIGRATIONS: 'true',
      LOG_LEVEL: 'error',
      DELIVERY_PAGE_RATE: '300',
      DELIVERY_LEASE_MS: '2000',
      GRAPH_CONNECT_TIMEOUT_MS: '300',
      GRAPH_TIMEOUT_MS: '1500',
      DELIVERY_UNKNOWN_RESEND_AFTER_MS: '1000',
      ...options.env,
    });
    const start = async (role: 'api' | 'worker') => {
      const service = await spawnService({ ...env, ROLE: role });
      services.push(service);
      await waitReady(service);
      return service;
    };
    const api = await start('api');
    if (options.echoes) sim.setWebhook({ url: `${api.url}/webhooks/messenger`, appSecret: 'dev-only-messenger-app-secret' });
    const http = new HttpClient(api.url);
    const company = await signupCompany(http);
    const pageId = newPageId();
    const token = pageToken();
    sim.addPage({ pageId, token, name: 'Outbox' });
    const connected = await http.post('/v1/channels/messenger', { token: company.adminToken, body: { pageId, pageAccessToken: token } });
    assert.equal(connected.status, 201);
    const channelId = connected.body.id as string;

    /** The business side, as one transaction would write it: contacts who just wrote, and their queued replies. */
    const queue = async (count: number, lanes: string[] = ['agent_reply']) => {
      await db.query(
        `INSERT INTO contacts (company_id, channel_id, psid, name, last_interaction_at)
         SELECT $1, $2, (9000000000000 + g)::text, 'Customer ' || g, now() FROM generate_series(1, $3) g`,
        [company.companyId, channelId, CONTACTS],
      );
      await db.query(
        `INSERT INTO deliveries (company_id, channel_id, page_id, contact_id, psid, lane, purpose, payload, decision)
         SELECT $1, $2, $3, c.id, c.psid, l.lane::delivery_lane, CASE WHEN l.lane = 'agent_reply' THEN 'human_agent_reply' ELSE l.lane END::delivery_purpose,
           jsonb_build_object('text', 'delivery ' || g), '{"mode":"RESPONSE","rule":"standard_window_24h"}'
         FROM generate_series(1, $4) g
         JOIN LATERAL (SELECT id, psid FROM contacts WHERE channel_id = $2 ORDER BY psid OFFSET (g % $5) LIMIT 1) c ON true
         JOIN LATERAL (SELECT ($6::text[])[1 + g % array_length($6::text[], 1)] AS lane) l ON true`,
        [company.companyId, channelId, pageId, count, CONTACTS, lanes],
      );
    };
    const sends = (): RecordedCall[] => sim.calls.filter((c) => c.method === 'POST' && c.path === `/${pageId}/messages`);
    const count = async (sql: string) => (await db.query(sql)).rows[0].n as number;
    const allSent = () => waitFor(async () => (await count(`SELECT count(*)::int AS n FROM deliveries WHERE state <> 'sent'`)) === 0, 'every delivery sent', 1500);
    const callsPerDelivery = () => {
      const counts = new Map<string, number>();
      for (const call of sends()) {
        const id = (call.body as { message: { metadata: string } }).message.metadata;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      return counts;
    };
    return { sim, db, start, queue, sends, count, allSent, callsPerDelivery, prefix };
  }

  async function killDuringSends(echoes: boolean) {
    const t = await setup(echoes ? 'dkill_echo' : 'dkill', { echoes });
    await t.queue(DELIVERIES);
    const worker = await t.start('worker');
    await waitFor(() => Promise.resolve(t.sends().length >= 300), '300 sends before the kill', 1500);
    worker.child.kill('SIGKILL');
    await new Promise((resolve) => worker.child.once('exit', resolve));
    const inFlight = await t.count(`SELECT count(*)::int AS n FROM deliveries WHERE state = 'sending'`);
    await t.start('worker');
    await t.allSent();
    const rows = (await t.db.query(`SELECT id, resends FROM deliveries`)).rows as Array<{ id: string; resends: number }>;
    const calls = t.callsPerDelivery();
    assert.equal(rows.length, DELIVERIES);
    for (const row of rows) assert.ok((calls.get(row.id) ?? 0) >= 1, 'none lost');
    return { rows, calls, inFlight };
  }

  it('kill -9 during 1,000 deliveries, without echoes: none lost; a second send only after being marked unknown', async () => {
    const { rows, calls, inFlight } = await killDuringSends(false);
    const twice = rows.filter((row) => calls.get(row.id) !== 1);
    for (const row of twice) {
      assert.equal(calls.get(row.id), 2, 'never more than one resend');
      assert.equal(row.resends, 1, 'resent only after it was recorded as unknown');
    }
    assert.ok(twice.length <= inFlight, `only deliveries in flight at the kill (${inFlight}) may go twice; ${twice.length} did`);
  });

  it('kill -9 during 1,000 deliveries, with echoes: exactly one send each', async () => {
    const { rows, calls } = await killDuringSends(true);
    assert.deepEqual(rows.filter((row) => calls.get(row.id) !== 1).map((row) => [row.id, calls.get(row.id)]), []);
  });

  it('Redis flushed halfway through 1,000 deliveries: all still sent, each once', async () => {
    const t = await setup('dflush', { echoes: false });
    await t.queue(DELIVERIES);
    await t.start('worker');
    await waitFor(() => Promise.resolve(t.sends().length >= 400), 'halfway', 1500);
    assert.ok((await deleteRedisKeys(`${t.prefix}*`)) > 0, 'Redis lost every key of the service');
    await t.allSent();
    const calls = t.callsPerDelivery();
    assert.equal(calls.size, DELIVERIES);
    assert.deepEqual([...calls].filter(([, n]) => n !== 1), [], 'each sent once');
  });

  it('SIGTERM during a long backlog on one Page: the worker stops within its deadline and leaves nothing leased', async () => {
    // Alone on its lane, a Page's run keeps going past its time slice; stopping must end it.
    const t = await setup('dterm', { echoes: false, env: { DELIVERY_PAGE_RATE: '100', DELIVERY_SLICE_MS: '500', SHUTDOWN_TIMEOUT_MS: '10000' } });
    await t.queue(DELIVERIES, ['transactional']);
    const worker = await t.start('worker');
    await waitFor(() => Promise.resolve(t.sends().length >= 100), '100 sends', 1500);
    worker.child.kill('SIGTERM');
    const exitCode = await new Promise((resolve) => worker.child.once('exit', resolve));
    assert.equal(exitCode, 0, 'a clean exit, not one forced by the deadline');
    const states = Object.fromEntries((await t.db.query(`SELECT state, count(*)::int AS n FROM deliveries GROUP BY state`)).rows.map((r) => [r.state, r.n]));
    assert.equal(states.sending, undefined, 'every leased delivery was settled or put back');
    assert.equal(states.sent, t.sends().length, 'each call that left is recorded as sent');
    assert.ok(states.queued > 0, 'the rest waits for the next worker');
    await t.start('worker');
    await t.allSent();
    const calls = t.callsPerDelivery();
    assert.equal(calls.size, DELIVERIES);
    assert.deepEqual([...calls].filter(([, n]) => n !== 1), [], 'each sent once');
  });

  it('two worker processes share a Page limit of 50/s: never more than 50 calls in any one-second window (±5 %)', async () => {
    const t = await setup('dshare', { echoes: false, simRate: 300, env: { DELIVERY_PAGE_RATE: '50', DELIVERY_PROMOTION_RATE: '20' } });
    await Promise.all([t.start('worker'), t.start('worker')]);
    // Two lanes of one Page: two jobs, so both processes send to the Page at once.
    await t.queue(300, ['agent_reply', 'transactional']);
    await t.allSent();
    const times = t.sends().map((call) => call.at);
    assert.equal(times.length, 300);
    const worst = busiestSecond(times);
    assert.ok(worst <= 52, `at most 52 calls in a second, saw ${worst}`);
    // How much of the limit is used is a speed, which the page-rate benchmark measures: asserted
    // here, it failed once when other tests loaded the machine (25 in the busiest second).
    assert.equal(t.sends().filter((call) => call.status !== 200).length, 0, 'Meta never had to refuse one');
  });
});
