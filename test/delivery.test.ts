import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { classifySendFailure, SEND_ERROR_TABLE } from '../src/delivery/graph-errors';
import { SendApiClient } from '../src/delivery/send-api.client';
import { RETIRED_TAGS } from '../src/delivery/policy';
import { delivery as deliveryEvent, read as readEvent } from '../src/simulator/events';
import { graphError, type GraphSimulator, type RecordedCall, type ScriptResponse } from '../src/simulator/graph-simulator';
import { createApiKey, signupCompany } from './support/fixtures';
import { type Harness, startHarness } from './support/harness';
import { busiestSecond, type ConnectedPage, connectPage, customerWrites, driverFor, messengerEnv, pageToken, send, startSimulator, waitProcessed } from './support/messenger';
import { freePort, waitFor } from './support/process';

const HOUR = 3_600_000;

/** Listens with a one-slot accept queue, then freezes its event loop: connections beyond the queue never complete. */
const FROZEN_LISTENER = `const s = require('node:net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  console.log(s.address().port);
  setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000), 100);
});`;

/** The delivery engine end to end: API, outbox, workers, pacing, and the simulator playing Meta. */
describe('delivery', () => {
  let h: Harness;
  let sim: GraphSimulator;
  before(async () => {
    sim = await startSimulator();
    h = await startHarness('delivery', {
      ...messengerEnv(sim),
      GRAPH_TIMEOUT_MS: '1000',
      GRAPH_CONNECT_TIMEOUT_MS: '500',
      DELIVERY_LEASE_MS: '3000',
      DELIVERY_UNKNOWN_RESEND_AFTER_MS: '1000',
    });
  });
  after(async () => {
    await h.close();
    await sim.stop();
  });

  const sends = (pageId: string): RecordedCall[] => sim.calls.filter((c) => c.method === 'POST' && c.path === `/${pageId}/messages`);
  const metadataOf = (call: RecordedCall): string => ((call.body as { message: { metadata: string } }).message.metadata);
  const reply = (token: string, ticketId: string, body: unknown, headers?: Record<string, string>) => h.http.post(`/v1/tickets/${ticketId}/messages`, { token, body, headers });
  const deliveriesOf = async (messageId: string) => (await h.db.query(`SELECT * FROM deliveries WHERE message_id = $1 ORDER BY part`, [messageId])).rows;
  const waitState = async (messageId: string, states: string[], what = `deliveries of ${messageId} in ${states.join('/')}`) =>
    waitFor(async () => {
      const rows = await deliveriesOf(messageId);
      return rows.length > 0 && rows.every((row) => states.includes(row.state));
    }, what);

  async function conversation(page: ConnectedPage, hoursAgo = 0) {
    const c = await customerWrites(h, driverFor(h), page, 'Bonjour !');
    if (hoursAgo > 0) await h.db.query(`UPDATE contacts SET last_interaction_at = now() - $2 * interval '1 hour' WHERE id = $1`, [c.contactId, hoursAgo]);
    return c;
  }

  it('an agent reply is stored, queued and sent as a RESPONSE with its delivery id; webhooks move it to delivered and read', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    const c = await conversation(page);
    const long = `${'Votre colis est en route. '.repeat(100)}Fin.`;
    const res = await reply(company.adminToken, c.ticketId, { text: long, quickReplies: [{ title: 'Merci', payload: 'THANKS' }] });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.direction, 'outbound');
    assert.equal(res.body.text, long);
    assert.deepEqual(res.body.delivery, { state: 'queued', parts: 2, failure: null });
    await waitState(res.body.id, ['sent']);

    const rows = await deliveriesOf(res.body.id);
    const calls = sends(page.pageId).filter((call) => rows.some((row) => row.id === metadataOf(call)));
    assert.equal(calls.length, 2, 'a 2,600-character text is two calls');
    assert.deepEqual(calls.map(metadataOf), rows.map((row) => row.id), 'parts go out in order, each carrying its delivery id');
    for (const call of calls) {
      const body = call.body as Record<string, any>;
      assert.equal(body.messaging_type, 'RESPONSE');
      assert.equal(body.recipient.id, c.psid);
      assert.equal(call.tokenInUrl, false);
      assert.equal(call.token, page.token);
    }
    assert.equal((calls[0].body as any).message.quick_replies, undefined);
    assert.deepEqual((calls[1].body as any).message.quick_replies, [{ content_type: 'text', title: 'Merci', payload: 'THANKS' }]);
    assert.equal(rows.map((r) => r.payload.text).join('').replace(/\s+/g, ''), long.replace(/\s+/g, ''), 'the parts make the whole text');
    for (const row of rows) {
      assert.equal(row.decision.mode, 'RESPONSE', 'the decision is stored as evidence');
      assert.equal(row.decision.rule, 'standard_window_24h');
      assert.equal(row.send_decision.mode, 'RESPONSE', 'and taken again at send time');
      assert.equal(row.messaging_type, 'RESPONSE');
      assert.match(row.mid, /^m_/);
    }

    const timeline = await h.http.get(`/v1/tickets/${c.ticketId}/messages`, { token: company.adminToken });
    const ours = timeline.body.data.find((m: any) => m.id === res.body.id);
    assert.equal(ours.delivery.state, 'sent');
    assert.equal(ours.authorId, company.adminId);

    const sentAt = new Date(rows[1].sent_at).getTime();
    await send(driverFor(h), page.pageId, deliveryEvent(page.pageId, c.psid, sentAt + 1));
    await waitProcessed(h);
    await waitState(res.body.id, ['delivered']);
    await send(driverFor(h), page.pageId, readEvent(page.pageId, c.psid, sentAt + 2));
    await waitProcessed(h);
    await waitState(res.body.id, ['read']);
    const after = await h.http.get(`/v1/tickets/${c.ticketId}/messages`, { token: company.adminToken });
    assert.equal(after.body.data.find((m: any) => m.id === res.body.id).delivery.state, 'read');
  });

  it('the policy at 25 hours and 8 days: 422 without Human Agent, HUMAN_AGENT tag with it, 422 again after 7 days; nothing queued on refusal', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    const late = await conversation(page, 25);
    const before = (await h.db.query(`SELECT (SELECT count(*) FROM messages WHERE ticket_id = $1)::int AS m, (SELECT count(*) FROM deliveries WHERE ticket_id = $1)::int AS d`, [late.ticketId])).rows[0];

    const refused = await reply(company.adminToken, late.ticketId, { text: 'Désolé pour le retard' });
    assert.equal(refused.status, 422, refused.text);
    assert.equal(refused.body.code, 'outside_messaging_window');
    assert.equal(refused.body.details.rule, 'human_agent_not_enabled');
    assert.ok(Math.abs(new Date(refused.body.details.windowClosedAt).getTime() - (Date.now() - HOUR)) < 60_000, 'says when the window closed');
    const afterRefusal = (await h.db.query(`SELECT (SELECT count(*) FROM messages WHERE ticket_id = $1)::int AS m, (SELECT count(*) FROM deliveries WHERE ticket_id = $1)::int AS d`, [late.ticketId])).rows[0];
    assert.deepEqual(afterRefusal, before, 'a refusal writes nothing');

    assert.equal((await h.http.patch(`/v1/channels/${page.channelId}`, { token: company.adminToken, body: { features: { humanAgent: true } } })).status, 200);
    const ticket = await h.http.get(`/v1/tickets/${late.ticketId}`, { token: company.adminToken });
    assert.equal(ticket.body.replyWindow.mode, 'human_agent');
    const tagged = await reply(company.adminToken, late.ticketId, { text: 'Désolé pour le retard' });
    assert.equal(tagged.status, 201, tagged.text);
    await waitState(tagged.body.id, ['sent']);
    const [row] = await deliveriesOf(tagged.body.id);
    const call = sends(page.pageId).find((c) => metadataOf(c) === row.id)!;
    assert.equal((call.body as any).messaging_type, 'MESSAGE_TAG');
    assert.equal((call.body as any).tag, 'HUMAN_AGENT');
    assert.equal(row.decision.rule, 'human_agent_7d');

    // The same late ticket through an API key is automated content: HUMAN_AGENT is never used for it.
    const key = await createApiKey(h.http, company.adminToken, ['tickets:read', 'tickets:write']);
    const automated = await reply(key.key, late.ticketId, { text: 'Message automatique' });
    assert.equal(automated.status, 422);
    assert.equal(automated.body.code, 'outside_messaging_window');
    assert.equal(automated.body.details.rule, 'automated_reply_window_only');

    const stale = await conversation(page, 8 * 24);
    const tooLate = await reply(company.adminToken, stale.ticketId, { text: 'Toujours là ?' });
    assert.equal(tooLate.status, 422);
    assert.equal(tooLate.body.code, 'outside_messaging_window');
    assert.equal(tooLate.body.details.rule, 'human_agent_7d_elapsed');

    for (const c of sends(page.pageId)) assert.ok(!RETIRED_TAGS.includes(String((c.body as any).tag)), 'no retired tag ever reaches Meta');
  });

  it('an Idempotency-Key replays the first answer: one message, one send', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    const c = await conversation(page);
    const key = randomUUID();
    const first = await reply(company.adminToken, c.ticketId, { text: 'Une seule fois' }, { 'idempotency-key': key });
    const second = await reply(company.adminToken, c.ticketId, { text: 'Une seule fois' }, { 'idempotency-key': key });
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.equal(second.body.id, first.body.id);
    await waitState(first.body.id, ['sent']);
    assert.equal((await h.db.query(`SELECT count(*)::int AS n FROM messages WHERE ticket_id = $1 AND direction = 'outbound'`, [c.ticketId])).rows[0].n, 1);
    assert.equal(sends(page.pageId).filter((call) => (call.body as any).message.text === 'Une seule fois').length, 1);
  });

  it('invalid content is a 400 before anything is queued', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    const c = await conversation(page);
    for (const body of [{}, { text: '' }, { text: 'x'.repeat(2_000 * 21) }, { attachments: [{ type: 'image', url: 'not a url' }] }, { quickReplies: [{ title: 'x'.repeat(30), payload: 'P' }], text: 'hi' }]) {
      const res = await reply(company.adminToken, c.ticketId, body);
      assert.equal(res.status, 400, JSON.stringify(body).slice(0, 80));
      assert.ok(['validation_failed'].includes(res.body.code));
    }
    assert.equal((await h.db.query(`SELECT count(*)::int AS n FROM deliveries WHERE ticket_id = $1`, [c.ticketId])).rows[0].n, 0);
  });

  it('a window that closes while the message waits: skipped with the rule, never sent', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    const c = await conversation(page);
    // Held channel: the reply is accepted and waits.
    await h.db.query(`UPDATE channels SET status = 'restricted' WHERE id = $1`, [page.channelId]);
    const res = await reply(company.adminToken, c.ticketId, { text: 'Trop tard' });
    assert.equal(res.status, 422, 'a restricted channel refuses new replies');
    assert.equal(res.body.code, 'channel_unavailable');
    await h.db.query(`UPDATE channels SET status = 'active' WHERE id = $1`, [page.channelId]);
    await h.db.query(`UPDATE channels SET send_paused_until = now() + interval '2 seconds' WHERE id = $1`, [page.channelId]);
    const queued = await reply(company.adminToken, c.ticketId, { text: 'Trop tard' });
    assert.equal(queued.status, 201);
    await h.db.query(`UPDATE contacts SET last_interaction_at = now() - interval '9 days' WHERE id = $1`, [c.contactId]);
    await waitState(queued.body.id, ['skipped']);
    const [row] = await deliveriesOf(queued.body.id);
    assert.equal(row.refusal_code, 'outside_messaging_window');
    assert.equal(row.send_decision.rule, 'human_agent_7d_elapsed');
    assert.equal(row.decision.mode, 'RESPONSE');
    assert.equal(sends(page.pageId).filter((call) => metadataOf(call) === row.id).length, 0);
  });

  it('a 429 with Retry-After: 5 on Page P: no call to P for 5 s while Page Q keeps sending', async () => {
    const company = await signupCompany(h.http);
    const p = await connectPage(h, sim, company.adminToken, 'P');
    const q = await connectPage(h, sim, company.adminToken, 'Q');
    const onP = await Promise.all(Array.from({ length: 5 }, () => conversation(p)));
    const onQ = await Promise.all(Array.from({ length: 5 }, () => conversation(q)));
    sim.script({ match: { pageId: p.pageId, path: `/${p.pageId}/messages` }, times: 1, respond: { kind: 'http', status: 429, body: '{}', headers: { 'retry-after': '5' } } });
    const first = await reply(company.adminToken, onP[0].ticketId, { text: 'P 0' });
    await waitFor(() => Promise.resolve(sends(p.pageId).some((call) => call.status === 429)), 'the 429');
    const limitedAt = sends(p.pageId).find((call) => call.status === 429)!.at;
    const replies: string[] = [first.body.id];
    // Both Pages keep getting work during the pause.
    for (let round = 0; round < 4; round++) {
      for (const c of onP) replies.push((await reply(company.adminToken, c.ticketId, { text: `P ${round}` })).body.id);
      for (const c of onQ) await reply(company.adminToken, c.ticketId, { text: `Q ${round}` });
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    for (const id of replies) await waitState(id, ['sent']);
    const later = sends(p.pageId).filter((call) => call.at > limitedAt);
    assert.ok(later.length >= replies.length, 'P sent everything after the pause');
    // Calls already on the wire when the 429 came back may land just after it; nothing new starts for 5 s.
    const inPause = later.filter((call) => call.at > limitedAt + 100 && call.at < limitedAt + 5_000);
    assert.deepEqual(inPause.map((call) => call.at - limitedAt), [], 'no call to P during the pause');
    const qDuringPause = sends(q.pageId).filter((call) => call.at > limitedAt + 100 && call.at < limitedAt + 5_000);
    assert.ok(qDuringPause.length >= 10, `Q kept sending (${qDuringPause.length} calls in the pause)`);
  });

  it('a 190 holds the Page: needs_reauth, its deliveries wait, and after a new token they go out once each', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    const contacts = await Promise.all(Array.from({ length: 5 }, () => conversation(page)));
    sim.script({ match: { pageId: page.pageId, path: `/${page.pageId}/messages` }, times: 1, respond: { kind: 'graph_error', code: 190, message: 'Error validating access token' } });
    const first = await reply(company.adminToken, contacts[0].ticketId, { text: 'held 0' });
    await waitFor(async () => (await h.db.query(`SELECT status FROM channels WHERE id = $1`, [page.channelId])).rows[0].status === 'needs_reauth', 'needs_reauth');
    const channel = await h.http.get(`/v1/channels/${page.channelId}`, { token: company.adminToken });
    assert.equal(channel.body.status, 'needs_reauth');
    // While held, replies are refused up front rather than piling up behind a dead token.
    const refused = await reply(company.adminToken, contacts[1].ticketId, { text: 'refused' });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.code, 'channel_unavailable');
    // Deliveries queued before the hold was known wait with it.
    const queuedBefore: string[] = [];
    for (const c of contacts.slice(1)) {
      const id = (await h.db.query(
        `INSERT INTO messages (company_id, ticket_id, contact_id, channel_id, page_id, direction, kind, text, sent_at) VALUES ($1, $2, $3, $4, $5, 'outbound', 'text', 'held', now()) RETURNING id`,
        [company.companyId, c.ticketId, c.contactId, page.channelId, page.pageId],
      )).rows[0].id as string;
      await h.db.query(
        `INSERT INTO deliveries (company_id, channel_id, page_id, contact_id, psid, ticket_id, message_id, lane, purpose, payload, decision)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'agent_reply', 'human_agent_reply', '{"text":"held"}', '{"mode":"RESPONSE"}')`,
        [company.companyId, page.channelId, page.pageId, c.contactId, c.psid, c.ticketId, id],
      );
      queuedBefore.push(id);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const id of [first.body.id, ...queuedBefore]) assert.deepEqual((await deliveriesOf(id)).map((d) => d.state), ['queued'], 'held, not failed');

    const token = `${page.token}-renewed`;
    sim.addPage({ pageId: page.pageId, token, name: 'Renewed' });
    assert.equal((await h.http.patch(`/v1/channels/${page.channelId}`, { token: company.adminToken, body: { pageAccessToken: token } })).status, 200);
    for (const id of [first.body.id, ...queuedBefore]) await waitState(id, ['sent']);
    for (const id of [first.body.id, ...queuedBefore]) {
      const [d] = await deliveriesOf(id);
      const accepted = sends(page.pageId).filter((call) => metadataOf(call) === d.id && call.status === 200);
      assert.equal(accepted.length, 1, 'sent once');
      assert.equal(accepted[0].token, token);
    }
  });

  it('disconnecting a Page fails what it still had queued, with the reason; another Page keeps sending', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    const other = await connectPage(h, sim, company.adminToken);
    const c = await conversation(page);
    const d = await conversation(other);
    // A refused token holds the reply, so it is still queued when the Page goes.
    sim.script({ match: { pageId: page.pageId, path: `/${page.pageId}/messages` }, times: 1, respond: { kind: 'graph_error', code: 190, message: 'Error validating access token' } });
    const held = await reply(company.adminToken, c.ticketId, { text: 'held, then abandoned' });
    assert.equal(held.status, 201, held.text);
    await waitFor(async () => (await h.db.query(`SELECT status FROM channels WHERE id = $1`, [page.channelId])).rows[0].status === 'needs_reauth', 'needs_reauth');
    assert.deepEqual((await deliveriesOf(held.body.id)).map((row) => row.state), ['queued']);
    assert.equal((await h.http.delete(`/v1/channels/${page.channelId}`, { token: company.adminToken })).status, 204);
    await waitState(held.body.id, ['failed']);
    const [row] = await deliveriesOf(held.body.id);
    assert.equal(row.error_reason, 'The channel was disconnected before this message could be sent');
    const going = await reply(company.adminToken, d.ticketId, { text: 'still going' });
    assert.equal(going.status, 201, going.text);
    await waitState(going.body.id, ['sent']);
  });

  it('failed deliveries are listed per company and can be retried once the cause is fixed, without a duplicate', async () => {
    const company = await signupCompany(h.http);
    const other = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    const c = await conversation(page);
    sim.script({ match: { pageId: page.pageId, recipient: c.psid }, times: 1, respond: { kind: 'graph_error', code: 200, message: 'Permissions error' } });
    const res = await reply(company.adminToken, c.ticketId, { text: 'retry me' });
    await waitState(res.body.id, ['failed']);
    const [d] = await deliveriesOf(res.body.id);
    const failed = await h.http.get('/v1/deliveries?state=failed', { token: company.adminToken });
    assert.equal(failed.status, 200);
    assert.deepEqual(failed.body.data.map((x: any) => x.id), [d.id]);
    assert.deepEqual(failed.body.data[0].failure, { code: 200, subcode: null, refusal: null, reason: d.error_reason });
    assert.deepEqual((await h.http.get('/v1/deliveries?state=failed', { token: other.adminToken })).body.data, [], 'another company sees nothing');
    const timeline = await h.http.get(`/v1/tickets/${c.ticketId}/messages`, { token: company.adminToken });
    assert.equal(timeline.body.data.find((m: any) => m.id === res.body.id).delivery.state, 'failed');

    const [retried, twice] = await Promise.all([
      h.http.post(`/v1/deliveries/${d.id}/retry`, { token: company.adminToken }),
      h.http.post(`/v1/deliveries/${d.id}/retry`, { token: company.adminToken }),
    ]);
    assert.deepEqual([retried.status, twice.status].sort(), [200, 409]);
    assert.equal([retried, twice].find((r) => r.status === 409)!.body.code, 'delivery_not_retryable');
    await waitState(res.body.id, ['sent']);
    assert.equal(sends(page.pageId).filter((call) => metadataOf(call) === d.id && call.status === 200).length, 1);
    const again = await h.http.post(`/v1/deliveries/${d.id}/retry`, { token: company.adminToken });
    assert.equal(again.status, 409, 'a sent delivery is not retried');

    const metrics = await h.http.get('/metrics');
    assert.match(metrics.text, new RegExp(`guichet_deliveries_total\\{lane="agent_reply",page="${page.pageId}",outcome="failed",code="200"\\} 1`));
    assert.match(metrics.text, new RegExp(`guichet_deliveries_total\\{lane="agent_reply",page="${page.pageId}",outcome="sent",code=""\\} 1`));
    assert.match(metrics.text, /# TYPE guichet_delivery_queue gauge/);
  });

  /** Promotions as a campaign would queue them: contacts who wrote today, one delivery each. */
  async function broadcast(companyId: string, page: ConnectedPage, count: number): Promise<void> {
    await h.db.query(
      `WITH c AS (
         INSERT INTO contacts (company_id, channel_id, psid, name, last_interaction_at)
         SELECT $1, $2, (8000000000000 + g)::text || $4, 'Customer ' || g, now() FROM generate_series(1, $3) g RETURNING id, psid)
       INSERT INTO deliveries (company_id, channel_id, page_id, contact_id, psid, lane, purpose, payload, decision)
       SELECT $1, $2, $5, c.id, c.psid, 'promotion', 'promotion', '{"text":"Soldes !"}', '{"mode":"UPDATE","rule":"standard_window_24h"}' FROM c`,
      [companyId, page.channelId, count, page.pageId.slice(-4), page.pageId],
    );
  }
  const queuedPromotions = async (page: ConnectedPage) =>
    (await h.db.query(`SELECT count(*)::int AS n FROM deliveries WHERE channel_id = $1 AND lane = 'promotion' AND state = 'queued'`, [page.channelId])).rows[0].n as number;

  it("one company's broadcast does not starve another company's, and an agent reply overtakes a broadcast on its own Page", async () => {
    const big = await signupCompany(h.http);
    const small = await signupCompany(h.http);
    const bigPage = await connectPage(h, sim, big.adminToken);
    const smallPage = await connectPage(h, sim, small.adminToken);
    const c = await conversation(bigPage);
    await broadcast(big.companyId, bigPage, 1_500);
    await waitFor(async () => (await queuedPromotions(bigPage)) < 1_500, 'the big broadcast started');
    await broadcast(small.companyId, smallPage, 5);
    await waitFor(async () => (await queuedPromotions(smallPage)) === 0, "the small company's broadcast went out");
    assert.ok((await queuedPromotions(bigPage)) > 1_000, 'while most of the big one still waits');
    const res = await reply(big.adminToken, c.ticketId, { text: 'Votre colis arrive demain' });
    await waitState(res.body.id, ['sent']);
    assert.ok((await queuedPromotions(bigPage)) > 1_000, 'the reply did not wait for the broadcast on its Page');
    // Stop the rest of the broadcast so it does not load the tests that follow.
    await h.db.query(`UPDATE deliveries SET state = 'skipped', refusal_code = 'test_stopped', error_reason = 'stopped by the test' WHERE channel_id = $1 AND state = 'queued'`, [bigPage.channelId]);
  });

  it('a token replaced while a lone Page broadcasts is used from the next slice on, not only after the broadcast', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    await broadcast(company.companyId, page, 600);
    await waitFor(() => Promise.resolve(sends(page.pageId).length >= 10), 'the broadcast started');
    // Meta keeps the old token valid too, so nothing but the run itself would switch tokens.
    const token = pageToken();
    sim.addPage({ pageId: page.pageId, token, name: 'Boutique Lumière' });
    assert.equal((await h.http.patch(`/v1/channels/${page.channelId}`, { token: company.adminToken, body: { pageAccessToken: token } })).status, 200);
    await waitFor(() => Promise.resolve(sends(page.pageId).some((call) => call.token === token)), 'a call with the new token');
    const tokens = sends(page.pageId).map((call) => call.token);
    assert.ok((await queuedPromotions(page)) > 0, 'the broadcast was still running');
    assert.equal(tokens[0], page.token);
    assert.deepEqual(tokens.slice(tokens.indexOf(token)).filter((used) => used !== token), [], 'never the old token once the new one is in use');
    await h.db.query(`UPDATE deliveries SET state = 'skipped', refusal_code = 'test_stopped', error_reason = 'stopped by the test' WHERE channel_id = $1 AND state = 'queued'`, [page.channelId]);
  });

  it('an unknown outcome: an agent reply is resent once when no echo came, a promotion never is', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    const c = await conversation(page);
    sim.script({ match: { pageId: page.pageId, recipient: c.psid }, times: 1, respond: { kind: 'hang' } });
    const res = await reply(company.adminToken, c.ticketId, { text: 'Réponse perdue ?' });
    await waitFor(async () => (await deliveriesOf(res.body.id))[0].resends === 1, 'resent after the unknown outcome');
    await waitState(res.body.id, ['sent']);
    const [d] = await deliveriesOf(res.body.id);
    assert.equal(sends(page.pageId).filter((call) => metadataOf(call) === d.id).length, 2, 'the first call, then one resend');

    const promo = await conversation(page);
    await h.db.query(
      `INSERT INTO deliveries (company_id, channel_id, page_id, contact_id, psid, lane, purpose, payload, decision)
       VALUES ($1, $2, $3, $4, $5, 'promotion', 'promotion', '{"text":"Soldes"}', '{"mode":"UPDATE"}')`,
      [company.companyId, page.channelId, page.pageId, promo.contactId, promo.psid],
    );
    sim.script({ match: { pageId: page.pageId, recipient: promo.psid }, times: 1, respond: { kind: 'hang' } });
    const promoState = async () => (await h.db.query(`SELECT id, state, resends, unknown_at FROM deliveries WHERE contact_id = $1`, [promo.contactId])).rows[0];
    await waitFor(async () => (await promoState()).state === 'unknown', 'the promotion is unknown');
    // Past the resend delay and several sweeps: still unknown, still one call (at most once).
    const since = Date.now();
    await waitFor(async () => Date.now() - since > 2_500 && (await promoState()).state === 'unknown', 'several sweeps later');
    const p = await promoState();
    assert.equal(p.resends, 0);
    assert.equal(sends(page.pageId).filter((call) => metadataOf(call) === p.id).length, 1);
  });

  it('audio and video keep to 10 per second per Page, below the Page rate', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    await h.db.query(
      `WITH c AS (
         INSERT INTO contacts (company_id, channel_id, psid, name, last_interaction_at)
         SELECT $1, $2, (7000000000000 + g)::text || $3, 'Customer ' || g, now() FROM generate_series(1, 30) g RETURNING id, psid)
       INSERT INTO deliveries (company_id, channel_id, page_id, contact_id, psid, lane, purpose, payload, media, decision)
       SELECT $1, $2, $4, c.id, c.psid, 'transactional', 'transactional',
         '{"attachment":{"type":"video","payload":{"url":"https://shop.example/unboxing.mp4","is_reusable":true}}}', true, '{"mode":"UPDATE"}' FROM c`,
      [company.companyId, page.channelId, page.pageId.slice(-4), page.pageId],
    );
    // 3 s at 10/s; the patience is for a machine busy with the suite's other files, not a timing claim.
    await waitFor(async () => (await h.db.query(`SELECT count(*)::int AS n FROM deliveries WHERE channel_id = $1 AND state = 'sent'`, [page.channelId])).rows[0].n === 30, 'all 30 videos sent', 1200);
    const worst = busiestSecond(sends(page.pageId).map((call) => call.at));
    assert.ok(worst <= 10, `at most 10 videos in any second, saw ${worst}`);
    assert.equal(sends(page.pageId).filter((call) => call.status !== 200).length, 0, 'Meta never refused one');
  });

  describe('every row of the Send API error table, at the simulator', { concurrency: 4 }, () => {
    let company: Awaited<ReturnType<typeof signupCompany>>;
    before(async () => {
      company = await signupCompany(h.http);
    });
    const expectations = SEND_ERROR_TABLE.map((row) => ({ row, label: `${JSON.stringify(row.match)} → ${row.action}` }));
    for (const { row, label } of expectations) {
      it(label, async () => {
        const { code, subcode, http } = row.match;
        if (http === 'timeout_before_send' || http === 'network') {
          await networkRow(http, row.action);
          return;
        }
        const page = await connectPage(h, sim, company.adminToken);
        const c = await conversation(page);
        const body = code === undefined ? undefined : JSON.stringify(graphError(code, subcode));
        // A short Retry-After keeps pauses brief; rows without a code are driven by HTTP status or transport.
        let respond: ScriptResponse;
        if (http === 'timeout_after_send') respond = { kind: 'hang' };
        else if (http === 'status_429') respond = { kind: 'http', status: 429, body: '{}', headers: { 'retry-after': '1' } };
        else if (http === 'status_5xx') respond = { kind: 'http', status: 503, body: '<html>unavailable</html>' };
        else if (http === 'status_4xx') respond = { kind: 'http', status: 404, body: '{"error":{"message":"nope","code":999999}}' };
        else if (code === undefined) respond = { kind: 'http', status: 200, body: '{"recipient_id":"1"}' };
        else if (code !== undefined && code >= 80000) {
          // Business use case limits say how long to wait in X-Business-Use-Case-Usage, in minutes.
          const usage = JSON.stringify({ [page.pageId]: [{ type: 'messenger', call_count: 100, total_time: 100, total_cputime: 100, estimated_time_to_regain_access: 0.02 }] });
          respond = { kind: 'http', status: 400, body, headers: { 'content-type': 'application/json', 'x-business-use-case-usage': usage } };
        } else respond = { kind: 'http', status: row.action === 'pause_page' ? 429 : 400, body, headers: { 'content-type': 'application/json', 'retry-after': '1' } };
        sim.script({ match: { pageId: page.pageId, recipient: c.psid, path: `/${page.pageId}/messages` }, times: 1, respond });
        const res = await reply(company.adminToken, c.ticketId, { text: `row ${label}` });
        assert.equal(res.status, 201, res.text);
        const id = res.body.id as string;
        const one = async () => (await deliveriesOf(id))[0];
        switch (row.action) {
          case 'fail': {
            await waitState(id, ['failed']);
            const d = await one();
            assert.equal(d.error_code, http === 'status_4xx' ? 999999 : (code ?? null), 'Meta’s code is recorded');
            assert.equal(d.error_subcode, subcode ?? null);
            assert.ok(d.error_reason.startsWith(row.reason), d.error_reason);
            assert.equal(d.attempts, 1, 'permanent: not retried');
            assert.equal(sends(page.pageId).filter((call) => metadataOf(call) === d.id).length, 1);
            if (row.recordsOptOut) {
              const consent = (await h.db.query(`SELECT marketing, opt_out_reason FROM consents WHERE contact_id = $1`, [c.contactId])).rows[0];
              assert.deepEqual(consent, { marketing: 'opted_out', opt_out_reason: 'person_unavailable' });
            }
            break;
          }
          case 'retry': {
            await waitState(id, ['sent']);
            const d = await one();
            assert.equal(d.attempts, 2, 'retried once, then sent');
            assert.equal(sends(page.pageId).filter((call) => metadataOf(call) === d.id).length, 2);
            break;
          }
          case 'pause_page': {
            await waitState(id, ['sent']);
            const d = await one();
            const calls = sends(page.pageId).filter((call) => metadataOf(call) === d.id);
            assert.equal(calls.length, 2);
            assert.ok(calls[1].at - calls[0].at >= 950, `the Page waited as Meta asked (${calls[1].at - calls[0].at} ms)`);
            assert.equal(d.attempts, 1, 'a pause is not the message’s fault: no attempt counted');
            const paused = (await h.db.query(`SELECT send_paused_until FROM channels WHERE id = $1`, [page.channelId])).rows[0].send_paused_until;
            assert.ok(paused && new Date(paused).getTime() >= calls[0].at + 900, 'the pause was recorded on the channel');
            break;
          }
          case 'hold_channel': {
            await waitFor(async () => (await h.db.query(`SELECT status FROM channels WHERE id = $1`, [page.channelId])).rows[0].status === row.channelStatus, 'channel held');
            await waitFor(async () => (await one()).error_code === code, 'hold recorded');
            const d = await one();
            assert.equal(d.state, 'queued', 'held, not failed');
            assert.equal(d.error_subcode, subcode ?? null);
            assert.ok(d.error_reason.startsWith(row.reason));
            break;
          }
          case 'unknown': {
            await waitState(id, ['unknown']);
            const d = await one();
            assert.ok(d.error_reason.length > 0);
            assert.ok(d.unknown_at);
            break;
          }
        }
      });
    }

    /**
     * `network` and `timeout_before_send`: nothing reached Meta, so nothing reaches a server either.
     * The real client against a closed port, and against a listener whose accept queue is full
     * (its process is frozen), so the TCP handshake never completes.
     */
    async function networkRow(http: string | undefined, action: string) {
      assert.equal(action, 'retry');
      let target: string;
      let cleanup = (): void => undefined;
      if (http === 'network') {
        target = `http://127.0.0.1:${await freePort()}`;
      } else {
        const frozen = spawn(process.execPath, ['-e', FROZEN_LISTENER], { stdio: ['ignore', 'pipe', 'inherit'] });
        const port = await new Promise<number>((resolve) => frozen.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
        await new Promise((resolve) => setTimeout(resolve, 200));
        const fillers = Array.from({ length: 8 }, () => connect(port, '127.0.0.1').on('error', () => undefined));
        await new Promise((resolve) => setTimeout(resolve, 200));
        target = `http://127.0.0.1:${port}`;
        cleanup = () => {
          for (const filler of fillers) filler.destroy();
          frozen.kill('SIGKILL');
        };
      }
      const client = new SendApiClient({ ...h.config, messenger: { ...h.config.messenger, graphUrl: target, graphConnectTimeoutMs: 300, graphTimeoutMs: 1000 } });
      try {
        const outcome = await client.send('123', 'EAAGtoken', { recipient: { id: '1' }, message: { text: 'hi' } });
        assert.equal(outcome.ok, false);
        if (outcome.ok) return;
        assert.equal(outcome.failure.transport, http);
        assert.equal(classifySendFailure(outcome.failure).action, 'retry');
      } finally {
        client.onModuleDestroy();
        cleanup();
      }
    }
  });
});
