import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import IORedis from 'ioredis';
import { SecretCipher } from '../src/common/crypto/secret-cipher';
import { SUBSCRIBED_FIELDS } from '../src/channels/messenger/graph.client';
import { textMessage } from '../src/simulator/events';
import { type GraphSimulator } from '../src/simulator/graph-simulator';
import { TEST_REDIS_URL } from './support/env';
import { createAgent, signupCompany } from './support/fixtures';
import { type Harness, startHarness } from './support/harness';
import { capturingLogger } from './support/log-capture';
import { connectPage, customerWrites, driverFor, messengerEnv, newPageId, newPsid, pageToken, send, startSimulator, waitProcessed } from './support/messenger';
import { waitFor } from './support/process';

const run = promisify(execFile);
const key = (id: string) => ({ id, key: randomBytes(32) });
const ring = (...keys: Array<{ id: string; key: Buffer }>) => keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');

describe('Messenger channels', () => {
  let h: Harness;
  let sim: GraphSimulator;
  const capture = capturingLogger('trace');
  const k1 = key('k1');
  before(async () => {
    sim = await startSimulator();
    h = await startHarness('channels', { ...messengerEnv(sim), LOG_LEVEL: 'trace', ENCRYPTION_KEYS: ring(k1) }, capture.logger);
  });
  after(async () => {
    await h.close();
    await sim.stop();
  });

  it('connecting checks the token, subscribes every field, names the Page and makes its queue', async () => {
    const company = await signupCompany(h.http);
    const pageId = newPageId();
    const token = pageToken();
    sim.addPage({ pageId, token, name: 'Fromagerie Dubois' });
    const res = await h.http.post('/v1/channels/messenger', { token: company.adminToken, body: { pageId, pageAccessToken: token } });
    assert.equal(res.status, 201);
    assert.equal(res.body.name, 'Fromagerie Dubois');
    assert.equal(res.body.status, 'active');
    assert.equal(res.body.tokenMask, `${token.slice(0, 4)}…${token.slice(-4)}`);
    assert.deepEqual([...(sim.subscribedFields(pageId) ?? [])].sort(), [...SUBSCRIBED_FIELDS].sort());
    const queue = await h.http.get(`/v1/queues/${res.body.defaultQueueId}`, { token: company.adminToken });
    assert.equal(queue.body.name, 'Fromagerie Dubois');
    assert.ok(sim.calls.filter((c) => c.token === token).every((c) => !c.tokenInUrl), 'the token never travels in a URL');

    const agent = await createAgent(h.http, company.adminToken);
    assert.equal((await h.http.post('/v1/channels/messenger', { token: agent.token, body: { pageId, pageAccessToken: token } })).status, 403);
  });

  it('a Page belongs to one company: another company gets 409', async () => {
    const a = await signupCompany(h.http);
    const b = await signupCompany(h.http);
    const page = await connectPage(h, sim, a.adminToken);
    const res = await h.http.post('/v1/channels/messenger', { token: b.adminToken, body: { pageId: page.pageId, pageAccessToken: page.token } });
    assert.equal(res.status, 409);
    assert.equal(res.body.code, 'page_taken');
    assert.equal((await h.db.query('SELECT count(*)::int AS n FROM channels WHERE page_id = $1', [page.pageId])).rows[0].n, 1);
  });

  it('a Graph error becomes a 422 with Meta code and message, and nothing is stored', async () => {
    const company = await signupCompany(h.http);
    const pageId = newPageId();
    const badToken = pageToken();
    const before = (await h.db.query('SELECT count(*)::int AS n FROM channels')).rows[0].n;
    const res = await h.http.post('/v1/channels/messenger', { token: company.adminToken, body: { pageId, pageAccessToken: badToken } });
    assert.equal(res.status, 422);
    assert.equal(res.body.code, 'graph_error');
    assert.equal(res.body.details.code, 190);
    const other = newPageId();
    const token = pageToken();
    sim.addPage({ pageId: other, token, name: 'Other' });
    const mismatch = await h.http.post('/v1/channels/messenger', { token: company.adminToken, body: { pageId, pageAccessToken: token } });
    assert.equal(mismatch.status, 422);
    assert.equal(mismatch.body.code, 'page_mismatch');
    sim.script({ match: { path: `/${other}/subscribed_apps` }, times: 1, respond: { kind: 'graph_error', code: 200, message: '(#200) Permissions error' } });
    const denied = await h.http.post('/v1/channels/messenger', { token: company.adminToken, body: { pageId: other, pageAccessToken: token } });
    assert.equal(denied.status, 422);
    assert.equal(denied.body.details.code, 200);
    assert.equal((await h.db.query('SELECT count(*)::int AS n FROM channels')).rows[0].n, before);
  });

  it('the Page token appears in no dump, log, Redis key or API response', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    await customerWrites(h, driverFor(h), page, 'hello');
    const responses = [
      await h.http.get('/v1/channels', { token: company.adminToken }),
      await h.http.get(`/v1/channels/${page.channelId}`, { token: company.adminToken }),
      await h.http.patch(`/v1/channels/${page.channelId}`, { token: company.adminToken, body: { name: 'Renamed' } }),
    ];
    for (const res of responses) assert.ok(res.status === 200 && !res.text.includes(page.token));

    const dump = await run('pg_dump', ['--data-only', '--no-owner', h.databaseUrl], { maxBuffer: 256 * 1024 * 1024 });
    assert.ok(dump.stdout.includes(page.pageId), 'the dump holds the channel');
    assert.ok(!dump.stdout.includes(page.token), 'but not its token');
    assert.ok(!dump.stdout.includes(page.token.slice(4, 20)));

    const redis = new IORedis(TEST_REDIS_URL);
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${h.redisPrefix}*`, 'COUNT', 500);
        cursor = next;
        for (const k of keys) {
          const type = await redis.type(k);
          // Expired between SCAN and TYPE (rate-limit timelines, job locks): nothing left to read.
          if (type === 'none') continue;
          const readers: Record<string, () => Promise<unknown>> = {
            hash: () => redis.hgetall(k),
            string: () => redis.get(k),
            list: () => redis.lrange(k, 0, -1),
            set: () => redis.smembers(k),
            zset: () => redis.zrange(k, 0, -1, 'WITHSCORES'),
            stream: () => redis.xrange(k, '-', '+'),
          };
          assert.ok(readers[type], `a Redis key of an unread type: ${type}`);
          const value = JSON.stringify(await readers[type]());
          assert.ok(!k.includes(page.token) && !value.includes(page.token), `Redis key ${k}`);
        }
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    assert.ok(capture.text().length > 0);
    assert.ok(!capture.text().includes(page.token), 'not in the logs (level trace)');
  });

  it('a tampered or copied ciphertext fails to decrypt and parks the channel instead of crashing', async () => {
    const a = await signupCompany(h.http);
    const b = await signupCompany(h.http);
    const pageA = await connectPage(h, sim, a.adminToken);
    const pageB = await connectPage(h, sim, b.adminToken);
    // B's envelope copied onto A's channel: valid ciphertext, wrong company and row.
    await h.db.query(`UPDATE channels SET access_token_enc = (SELECT access_token_enc FROM channels WHERE id = $2) WHERE id = $1`, [pageA.channelId, pageB.channelId]);
    const psid = newPsid();
    await send(driverFor(h), pageA.pageId, textMessage(pageA.pageId, psid, 'still stored'));
    await waitProcessed(h);
    await waitFor(async () => (await h.http.get(`/v1/channels/${pageA.channelId}`, { token: a.adminToken })).body.status === 'needs_reauth', 'channel parked');
    assert.equal((await h.db.query('SELECT count(*)::int AS n FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE c.psid = $1', [psid])).rows[0].n, 1, 'ingestion was not blocked');

    const tampered = (await h.db.query('SELECT access_token_enc FROM channels WHERE id = $1', [pageB.channelId])).rows[0].access_token_enc as string;
    const parts = tampered.split('.');
    parts[3] = parts[3].slice(0, -2) + (parts[3].endsWith('AA') ? 'BB' : 'AA');
    await h.db.query('UPDATE channels SET access_token_enc = $2 WHERE id = $1', [pageB.channelId, parts.join('.')]);
    await send(driverFor(h), pageB.pageId, textMessage(pageB.pageId, newPsid(), 'hello'));
    await waitFor(async () => (await h.http.get(`/v1/channels/${pageB.channelId}`, { token: b.adminToken })).body.status === 'needs_reauth', 'tampered channel parked');
    const ready = await h.http.get('/health/ready');
    assert.equal(ready.status, 200, 'the service is still up');
  });

  it('Graph 190 on a profile fetch parks the channel; replacing the token makes it active again', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    sim.revokeToken(page.token);
    const { contactId } = await customerWrites(h, driverFor(h), page, 'are you there?');
    await waitFor(async () => (await h.http.get(`/v1/channels/${page.channelId}`, { token: company.adminToken })).body.status === 'needs_reauth', 'needs_reauth');
    const parked = await h.http.get(`/v1/channels/${page.channelId}`, { token: company.adminToken });
    assert.match(parked.body.statusReason, /190/);

    const wrong = await h.http.patch(`/v1/channels/${page.channelId}`, { token: company.adminToken, body: { pageAccessToken: page.token } });
    assert.equal(wrong.status, 422, 'a revoked token is refused by the token check (190)');
    assert.equal(wrong.body.details.code, 190);

    const fresh = pageToken();
    sim.addPage({ pageId: page.pageId, token: fresh, name: 'Boutique Lumière' });
    const fixed = await h.http.patch(`/v1/channels/${page.channelId}`, { token: company.adminToken, body: { pageAccessToken: fresh } });
    assert.equal(fixed.status, 200);
    assert.equal(fixed.body.status, 'active');
    assert.equal(fixed.body.statusReason, null);
    assert.equal(fixed.body.tokenMask, `${fresh.slice(0, 4)}…${fresh.slice(-4)}`);
    // The profile that could not be fetched with the dead token is fetched now, by the sweeper.
    await waitFor(async () => (await h.db.query('SELECT profile_state FROM contacts WHERE id = $1', [contactId])).rows[0].profile_state === 'fetched', 'profile fetched after the token was replaced', 1200);
  });

  it('a token check records the channel health: 190 is needs_reauth, 10/1893063 restricted, success active', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    const check = () => h.http.post(`/v1/channels/${page.channelId}/check`, { token: company.adminToken });
    sim.script({ match: { path: '/me', pageId: page.pageId }, times: 1, respond: { kind: 'graph_error', code: 10, subcode: 1893063, message: 'Page restricted' } });
    assert.equal((await check()).body.status, 'restricted');
    sim.script({ match: { path: '/me', pageId: page.pageId }, times: 1, respond: { kind: 'graph_error', code: 190, message: 'Error validating access token' } });
    const parked = await check();
    assert.equal(parked.status, 200);
    assert.equal(parked.body.status, 'needs_reauth');
    assert.match(parked.body.statusReason, /190/);
    assert.equal((await check()).body.status, 'active', 'the token works again: active');
  });

  it("tickets show Meta's reply window, which the channel's Human Agent feature extends", async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    const { ticketId, contactId } = await customerWrites(h, driverFor(h), page, 'hello');
    const windowOf = async () => (await h.http.get(`/v1/tickets/${ticketId}`, { token: company.adminToken })).body.replyWindow;
    const fresh = await windowOf();
    assert.equal(fresh.mode, 'standard');
    const remaining = new Date(fresh.expiresAt).getTime() - Date.now();
    assert.ok(remaining > 23 * 3600_000 && remaining <= 24 * 3600_000);

    const ago = async (interval: string) => h.db.query(`UPDATE contacts SET last_interaction_at = now() - $2::interval WHERE id = $1`, [contactId, interval]);
    await ago('25 hours');
    assert.equal((await windowOf()).mode, 'closed', 'no Human Agent: closed after 24 h');
    const features = await h.http.patch(`/v1/channels/${page.channelId}`, { token: company.adminToken, body: { features: { humanAgent: true, utilityTemplates: ['shipping_update', 'shipping_update'] } } });
    assert.equal(features.status, 200);
    assert.deepEqual(features.body.features, { humanAgent: true, marketingMessages: false, utilityTemplates: ['shipping_update'] });
    assert.equal((await windowOf()).mode, 'human_agent');
    await ago('8 days');
    assert.equal((await windowOf()).mode, 'closed', 'closed after 7 days even with Human Agent');
    const list = await h.http.get('/v1/tickets', { token: company.adminToken });
    assert.equal(list.body.data.find((t: { id: string }) => t.id === ticketId).replyWindow.mode, 'closed');
    const bad = await h.http.patch(`/v1/channels/${page.channelId}`, { token: company.adminToken, body: { features: { humanAgent: 'yes' } } });
    assert.equal(bad.status, 400);
  });

  it('disconnecting erases the token, frees the Page, and later events are ignored', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    assert.equal((await h.http.delete(`/v1/channels/${page.channelId}`, { token: company.adminToken })).status, 204);
    assert.equal((await h.http.get(`/v1/channels/${page.channelId}`, { token: company.adminToken })).status, 404);
    assert.equal((await h.db.query('SELECT access_token_enc FROM channels WHERE id = $1', [page.channelId])).rows[0].access_token_enc, null);
    assert.ok(sim.calls.some((c) => c.method === 'DELETE' && c.path === `/${page.pageId}/subscribed_apps`));
    await send(driverFor(h), page.pageId, textMessage(page.pageId, newPsid(), 'anyone?'));
    await waitProcessed(h);
    const states = (await h.db.query(`SELECT state FROM inbound_events WHERE page_id = $1`, [page.pageId])).rows;
    assert.deepEqual(states, [{ state: 'ignored' }]);
    const again = await signupCompany(h.http);
    assert.equal((await h.http.post('/v1/channels/messenger', { token: again.adminToken, body: { pageId: page.pageId, pageAccessToken: page.token } })).status, 201, 'the Page can be connected again');
  });

  it('queues: create, rename, refuse duplicates, refuse deleting one in use', async () => {
    const company = await signupCompany(h.http);
    const created = await h.http.post('/v1/queues', { token: company.adminToken, body: { name: 'Support FR' } });
    assert.equal(created.status, 201);
    assert.equal((await h.http.post('/v1/queues', { token: company.adminToken, body: { name: 'support fr' } })).body.code, 'name_taken');
    assert.equal((await h.http.patch(`/v1/queues/${created.body.id}`, { token: company.adminToken, body: { name: 'Orders' } })).body.name, 'Orders');
    const page = await connectPage(h, sim, company.adminToken);
    assert.equal((await h.http.patch(`/v1/channels/${page.channelId}`, { token: company.adminToken, body: { defaultQueueId: created.body.id } })).status, 200);
    const inUse = await h.http.delete(`/v1/queues/${created.body.id}`, { token: company.adminToken });
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.code, 'queue_in_use');
    const spare = await h.http.post('/v1/queues', { token: company.adminToken, body: { name: 'Spare' } });
    assert.equal((await h.http.delete(`/v1/queues/${spare.body.id}`, { token: company.adminToken })).status, 204);
    const { ticketId } = await customerWrites(h, driverFor(h), page, 'which queue?');
    assert.equal((await h.http.get(`/v1/tickets/${ticketId}`, { token: company.adminToken })).body.queueId, created.body.id);
  });
});

describe('key rotation', () => {
  it('re-encrypts every row with the current key and survives being killed halfway', async () => {
    const sim = await startSimulator();
    const k1 = key('k1');
    const k2 = key('k2');
    const h = await startHarness('rotation', { ...messengerEnv(sim), ENCRYPTION_KEYS: ring(k1) });
    try {
      const company = await signupCompany(h.http);
      const queue = (await h.http.post('/v1/queues', { token: company.adminToken, body: { name: 'Rotation' } })).body.id;
      const old = new SecretCipher({ current: k1, keys: [k1] });
      const tokens = new Map<string, string>();
      for (let i = 0; i < 60; i++) {
        const id = randomUUID();
        const token = pageToken();
        tokens.set(id, token);
        await h.db.query(
          `INSERT INTO channels (id, company_id, page_id, name, default_queue_id, access_token_enc, token_mask) VALUES ($1, $2, $3, 'p', $4, $5, 'm')`,
          [id, company.companyId, newPageId(), queue, old.encrypt(token, { companyId: company.companyId, rowId: id, column: 'access_token_enc' })],
        );
      }
      const ids = [...tokens.keys()].sort();
      const script = join(__dirname, '..', 'scripts', 'rotate-keys.js');
      const env = { ...process.env, ...h.env, ENCRYPTION_KEYS: ring(k2, k1), LOG_LEVEL: 'silent' };

      // Hold one row in the middle so the first run is stopped there, deterministically, then kill it.
      const blocker = await h.db.connect();
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM channels WHERE id = $1 FOR UPDATE', [ids[30]]);
      const first = spawn(process.execPath, [script], { env, stdio: 'ignore' });
      await waitFor(async () => (await h.db.query(`SELECT count(*)::int AS n FROM channels WHERE access_token_enc LIKE 'v1.k2.%'`)).rows[0].n >= 30, 'half rotated', 2000);
      first.kill('SIGKILL');
      await new Promise((resolve) => first.on('exit', resolve));
      await blocker.query('ROLLBACK');
      blocker.release();
      // The killed process's last UPDATE may still complete server-side once the row is free: wait for its backend to go.
      await waitFor(async () => (await h.db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'guichet-api'`)).rows[0].n === 0, 'rotation backend gone');
      const half = (await h.db.query(`SELECT count(*)::int AS n FROM channels WHERE access_token_enc LIKE 'v1.k2.%'`)).rows[0].n;
      assert.ok(half >= 30 && half < 60, `killed halfway: ${half} of 60 rotated`);

      const second = await run(process.execPath, [script], { env });
      assert.equal(JSON.parse(second.stdout.trim().split('\n').pop()!).rotated, 60 - half);
      const now = new SecretCipher({ current: k2, keys: [k2] });
      const rows = (await h.db.query('SELECT id, access_token_enc FROM channels WHERE company_id = $1 AND access_token_enc IS NOT NULL', [company.companyId])).rows;
      assert.equal(rows.length, 60);
      for (const row of rows) {
        assert.ok(!now.needsRotation(row.access_token_enc));
        assert.equal(now.decrypt(row.access_token_enc, { companyId: company.companyId, rowId: row.id, column: 'access_token_enc' }), tokens.get(row.id));
      }
    } finally {
      await h.close();
      await sim.stop();
    }
  });
});
