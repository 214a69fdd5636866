import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  delivery,
  echo,
  entry,
  envelope,
  marketingOptin,
  messageEdit,
  newMid,
  passThreadControl,
  postback,
  reaction,
  read,
  referral,
  textMessage,
  unknownEvent,
} from '../src/simulator/events';
import { type GraphSimulator } from '../src/simulator/graph-simulator';
import { encodeMetaJson, signMetaBody } from '../src/simulator/meta-json';
import { signupCompany } from './support/fixtures';
import { type Harness, startHarness } from './support/harness';
import { connectPage, customerWrites, driverFor, messengerEnv, newPsid, send, startSimulator, waitProcessed } from './support/messenger';

describe('the Messenger webhook', () => {
  let h: Harness;
  let sim: GraphSimulator;
  before(async () => {
    sim = await startSimulator();
    h = await startHarness('webhook', messengerEnv(sim));
  });
  after(async () => {
    await h.close();
    await sim.stop();
  });

  const rawEventCount = async () => (await h.db.query('SELECT count(*)::int AS n FROM inbound_events')).rows[0].n as number;

  it('answers the verification handshake only with the right token', async () => {
    const token = encodeURIComponent(h.config.messenger.verifyToken);
    const ok = await h.http.get(`/webhooks/messenger?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`);
    assert.equal(ok.status, 200);
    assert.equal(ok.text, '1158201444');
    assert.match(ok.headers['content-type'], /text\/plain/);
    for (const query of [`hub.mode=subscribe&hub.verify_token=wrong-token&hub.challenge=1`, `hub.mode=unsubscribe&hub.verify_token=${token}&hub.challenge=1`, `hub.mode=subscribe&hub.challenge=1`]) {
      const refused = await h.http.get(`/webhooks/messenger?${query}`);
      assert.equal(refused.status, 403, query);
      assert.equal(refused.body.code, 'forbidden');
    }
  });

  it('verifies the exact bytes Meta sent: escaped Unicode is stored as the right characters', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    const psid = newPsid();
    const text = 'Café crème 😀 https://shop.example/a/b';
    const body = encodeMetaJson(envelope([entry(page.pageId, [textMessage(page.pageId, psid, text)])]));
    assert.ok(body.includes('\\u00e9') && body.includes('\\ud83d\\ude00') && body.includes('\\/'), 'travels ASCII-escaped, as Meta sends it');
    const signature = signMetaBody(body, h.config.messenger.appSecret);

    // Verifying a re-serialised body instead of the received bytes would have failed.
    const reserialised = JSON.stringify(JSON.parse(body));
    assert.notEqual(signMetaBody(reserialised, h.config.messenger.appSecret), signature);

    const [res] = await driverFor(h).postRaw(body, { signature });
    assert.equal(res.status, 200);
    await waitProcessed(h);
    const stored = await h.db.query(`SELECT m.text FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE c.psid = $1`, [psid]);
    assert.deepEqual(stored.rows, [{ text }]);
  });

  it('refuses every bad signature with 401 and stores nothing', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    const body = encodeMetaJson(envelope([entry(page.pageId, [textMessage(page.pageId, newPsid(), 'Hello')])]));
    const good = signMetaBody(body, h.config.messenger.appSecret);
    const hex = good.slice('sha256='.length);
    const flipped = `sha256=${hex.slice(0, 10)}${hex[10] === 'a' ? 'b' : 'a'}${hex.slice(11)}`;
    const variants: Array<[string, string | null]> = [
      ['flipped byte', flipped],
      ['sha1= prefix', `sha1=${hex}`],
      ['truncated', good.slice(0, -2)],
      ['uppercase hex', `sha256=${hex.toUpperCase()}`],
      ['signed with the verify token', signMetaBody(body, h.config.messenger.verifyToken)],
      ['missing', null],
      ['oversize header', `${good}${'0'.repeat(10_000)}`],
      ['empty', ''],
      ['signature of another body', signMetaBody(`${body} `, h.config.messenger.appSecret)],
    ];
    const before = await rawEventCount();
    for (const [label, signature] of variants) {
      const [res] = await driverFor(h).postRaw(body, { signature });
      assert.equal(res.status, 401, label);
      assert.equal(JSON.parse(res.body).code, 'unauthorized', label);
    }
    const tampered = body.replace('Hello', 'Hellp');
    const [res] = await driverFor(h).postRaw(tampered, { signature: good });
    assert.equal(res.status, 401, 'a body changed after signing');
    assert.equal(await rawEventCount(), before, 'nothing was stored');
  });

  it('the same event replayed 10 times in a row and 10 at once gives exactly one message', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    const psid = newPsid();
    const mid = newMid();
    const payload = envelope([entry(page.pageId, [textMessage(page.pageId, psid, 'Only once', { mid })])]);
    const driver = driverFor(h);
    for (let i = 0; i < 10; i++) assert.equal((await driver.post(payload))[0].status, 200);
    const burst = await driver.post(payload, { duplicates: 9, concurrent: true });
    assert.equal(burst.length, 10);
    assert.ok(burst.every((r) => r.status === 200));
    await waitProcessed(h);
    assert.equal((await h.db.query('SELECT count(*)::int AS n FROM messages WHERE mid = $1', [mid])).rows[0].n, 1);
    assert.equal((await h.db.query('SELECT count(*)::int AS n FROM inbound_events WHERE dedupe_key = $1', [`m:${mid}`])).rows[0].n, 1);
    assert.equal((await h.db.query('SELECT count(*)::int AS n FROM tickets t JOIN contacts c ON c.id = t.contact_id WHERE c.psid = $1', [psid])).rows[0].n, 1);
  });

  it('answers how many events were new, counting each once across concurrent copies', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    const twice = textMessage(page.pageId, newPsid(), 'said twice');
    const [res] = await driverFor(h).post(envelope([entry(page.pageId, [twice, twice])]));
    assert.deepEqual(JSON.parse(res.body), { stored: 1, duplicates: 1, skipped: 0 });
    const fresh = envelope([entry(page.pageId, [textMessage(page.pageId, newPsid(), 'sent five times at once')])]);
    const burst = await driverFor(h).post(fresh, { duplicates: 4, concurrent: true });
    const answers = burst.map((r) => JSON.parse(r.body) as { stored: number; duplicates: number });
    assert.equal(answers.reduce((sum, a) => sum + a.stored, 0), 1);
    assert.equal(answers.reduce((sum, a) => sum + a.duplicates, 0), 4);
    await waitProcessed(h);
  });

  it('one POST for two Pages of two companies: every kind lands in its company, nothing crosses over', async () => {
    const a = await signupCompany(h.http, 'Shop A');
    const b = await signupCompany(h.http, 'Shop B');
    const pageA = await connectPage(h, sim, a.adminToken, 'Page A');
    const pageB = await connectPage(h, sim, b.adminToken, 'Page B');
    const now = Date.now();
    const kinds = (pageId: string, psid: string, tag: string) => {
      const mid = newMid();
      return [
        textMessage(pageId, psid, `hello from ${tag}`, { mid, timestamp: now }),
        echo(pageId, psid, { mid: newMid(), text: `echo ${tag}`, appId: '263902037430900' }, { timestamp: now + 1 }),
        delivery(pageId, psid, now + 2, undefined, { timestamp: now + 2 }),
        read(pageId, psid, now + 3, { timestamp: now + 3 }),
        reaction(pageId, psid, { mid, reaction: 'love', emoji: '❤', action: 'react' }, { timestamp: now + 4 }),
        messageEdit(pageId, psid, { mid, text: `hello again from ${tag}`, numEdit: 1 }, { timestamp: now + 5 }),
        postback(pageId, psid, { title: `Track ${tag}`, payload: 'TRACK_ORDER', mid: newMid() }, { timestamp: now + 6 }),
        referral(pageId, psid, { ref: `ad-${tag}`, source: 'ADS', type: 'OPEN_THREAD' }, { timestamp: now + 7 }),
        marketingOptin(pageId, psid, { token: `token-${tag}`, expiry: now + 86_400_000, timezone: 'Europe/Paris' }, { timestamp: now + 8 }),
        passThreadControl(pageId, psid, '1217981644879628', null, { timestamp: now + 9 }),
        unknownEvent(pageId, psid, { timestamp: now + 10 }),
      ];
    };
    const psidA = newPsid();
    const psidB = newPsid();
    const [res] = await driverFor(h).post(envelope([entry(pageA.pageId, kinds(pageA.pageId, psidA, 'A')), entry(pageB.pageId, kinds(pageB.pageId, psidB, 'B'))]));
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).skipped, 2, 'the unknown kind is skipped, once per Page');
    await waitProcessed(h);

    for (const [company, page, psid, tag, other] of [[a, pageA, psidA, 'A', 'B'], [b, pageB, psidB, 'B', 'A']] as const) {
      const contact = (await h.db.query('SELECT * FROM contacts WHERE channel_id = $1 AND psid = $2', [page.channelId, psid])).rows[0];
      assert.equal(contact.company_id, company.companyId);
      assert.equal(contact.last_referral.ref, `ad-${tag}`);
      assert.equal(contact.thread_owner_app_id, '1217981644879628');
      const messages = (await h.db.query('SELECT * FROM messages WHERE company_id = $1 ORDER BY sent_at', [company.companyId])).rows;
      assert.deepEqual(
        messages.map((m) => [m.direction, m.kind, m.text]),
        [
          ['inbound', 'text', `hello again from ${tag}`],
          ['outbound', 'text', `echo ${tag}`],
          ['inbound', 'postback', `Track ${tag}`],
        ],
      );
      assert.deepEqual(messages[0].reactions, { love: '❤' });
      assert.equal(messages[0].edits[0].text, `hello from ${tag}`);
      assert.equal(messages[1].app_id, '263902037430900');
      assert.ok(messages[1].delivered_at && messages[1].read_at, 'delivery and read watermarks reached our outbound message');
      assert.deepEqual(messages[2].content, { payload: 'TRACK_ORDER' });
      const consent = (await h.db.query('SELECT * FROM consents WHERE contact_id = $1', [contact.id])).rows[0];
      assert.equal(consent.marketing, 'opted_in');
      assert.equal(consent.marketing_token, `token-${tag}`);
      assert.equal(consent.marketing_timezone, 'Europe/Paris');
      const everything = JSON.stringify((await h.db.query(`SELECT m.*, c.* FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE m.company_id = $1`, [company.companyId])).rows);
      assert.ok(!everything.includes(`from ${other}`) && !everything.includes(`ad-${other}`), `nothing of ${other} in ${tag}`);
    }
    const states = (await h.db.query(`SELECT state, count(*)::int AS n FROM inbound_events WHERE page_id = ANY($1) GROUP BY state`, [[pageA.pageId, pageB.pageId]])).rows;
    assert.deepEqual(states, [{ state: 'processed', n: 20 }]);
  });

  it('an echo naming one of our deliveries settles it as sent, even an unknown one, instead of adding a copy', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    const conversation = await customerWrites(h, driverFor(h), page, 'question');
    const ours = (
      await h.db.query(
        `INSERT INTO messages (company_id, ticket_id, contact_id, channel_id, page_id, mid, direction, kind, text, sent_at)
         VALUES ($1, $2, $3, $4, $5, NULL, 'outbound', 'text', 'our answer', now()) RETURNING id`,
        [company.companyId, conversation.ticketId, conversation.contactId, page.channelId, page.pageId],
      )
    ).rows[0].id as string;
    // As the sweeper leaves a delivery whose worker died mid-call.
    const delivery = (
      await h.db.query(
        `INSERT INTO deliveries (company_id, channel_id, page_id, contact_id, psid, ticket_id, message_id, lane, purpose, state, payload, decision, unknown_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'agent_reply', 'human_agent_reply', 'unknown', '{"text":"our answer"}', '{}', now()) RETURNING id`,
        [company.companyId, page.channelId, page.pageId, conversation.contactId, conversation.psid, conversation.ticketId, ours],
      )
    ).rows[0].id as string;
    const mid = newMid();
    await send(driverFor(h), page.pageId, echo(page.pageId, conversation.psid, { mid, text: 'our answer', appId: '263902037430900', metadata: delivery }));
    await waitProcessed(h);
    const outbound = (await h.db.query(`SELECT id, mid FROM messages WHERE ticket_id = $1 AND direction = 'outbound'`, [conversation.ticketId])).rows;
    assert.deepEqual(outbound, [{ id: ours, mid }]);
    const settled = (await h.db.query(`SELECT state, mid, unknown_at FROM deliveries WHERE id = $1`, [delivery])).rows[0];
    assert.deepEqual(settled, { state: 'sent', mid, unknown_at: null });
  });

  it('a bad item next to a good one: the POST is acknowledged and the good event is stored', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    const psid = newPsid();
    const good = textMessage(page.pageId, psid, 'the good one');
    const deep = JSON.parse('['.repeat(40) + ']'.repeat(40));
    const payload = {
      object: 'page',
      entry: [
        { id: page.pageId, time: Date.now(), messaging: [good, { ...textMessage(page.pageId, newPsid(), 'far future'), timestamp: 1e16 }, { ...textMessage(page.pageId, newPsid(), 'no time'), timestamp: undefined }] },
        { id: 'x'.repeat(100), time: Date.now(), messaging: [textMessage('x'.repeat(100), newPsid(), 'long page id')] },
        { id: page.pageId, messaging: [{ ...textMessage(page.pageId, 'p'.repeat(80), 'long psid') }, { ...textMessage(page.pageId, newPsid(), 'nested'), extra: deep }] },
      ],
    };
    const [res] = await driverFor(h).post(payload);
    assert.equal(res.status, 200, res.body);
    await waitProcessed(h);
    const texts = (await h.db.query(`SELECT text FROM messages WHERE company_id = $1 ORDER BY text`, [company.companyId])).rows.map((r) => r.text);
    assert.deepEqual(texts, ['far future', 'nested', 'no time', 'the good one'], 'absurd or missing timestamps fall back to the entry time; nothing is lost');
    const [tooDeep] = await driverFor(h).postRaw('{"object":"page","entry":' + '['.repeat(20_000) + ']'.repeat(20_000) + '}');
    assert.equal(tooDeep.status, 200, 'unusable, acknowledged, no crash');
  });

  it('accepts a batch larger than the API body limit, as Meta may send', async () => {
    const company = await signupCompany(h.http);
    const page = await connectPage(h, sim, company.adminToken);
    // Ten customers, so the processing that follows is a handful of conversations, not 900 new tickets.
    const psids = Array.from({ length: 10 }, () => newPsid());
    const events = Array.from({ length: 900 }, (_, i) => textMessage(page.pageId, psids[i % 10], `Bonjour, ma commande n°${i} n’est pas arrivée. `.repeat(25)));
    const body = encodeMetaJson(envelope([entry(page.pageId, events)]));
    assert.ok(Buffer.byteLength(body) > 1024 * 1024);
    const [res] = await driverFor(h).postRaw(body);
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).stored, 900);
    await waitProcessed(h);
    assert.equal((await h.db.query(`SELECT count(*)::int AS n FROM messages WHERE page_id = $1`, [page.pageId])).rows[0].n, 900);
  });

  it('events received while a Page belonged to one company stay with it after the Page changes hands', async () => {
    const a = await signupCompany(h.http, 'First owner');
    const b = await signupCompany(h.http, 'Second owner');
    const pageA = await connectPage(h, sim, a.adminToken);
    const receivedAt = new Date(Date.now() + 50);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await h.http.delete(`/v1/channels/${pageA.channelId}`, { token: a.adminToken })).status, 204);
    const token = `${pageA.token}-b`;
    sim.addPage({ pageId: pageA.pageId, token, name: 'Same Page' });
    assert.equal((await h.http.post('/v1/channels/messenger', { token: b.adminToken, body: { pageId: pageA.pageId, pageAccessToken: token } })).status, 201);
    // A backlog: acknowledged while A held the Page, processed only now (the sweeper finds it).
    const psid = newPsid();
    const event = textMessage(pageA.pageId, psid, 'written to the first owner');
    await h.db.query(
      `INSERT INTO inbound_events (page_id, conversation, dedupe_key, kind, standby, payload, occurred_at, received_at)
       VALUES ($1, $2, $3, 'message', false, $4, $5, $5)`,
      [pageA.pageId, psid, `m:${(event.message as { mid: string }).mid}`, JSON.stringify(event), receivedAt],
    );
    await waitProcessed(h);
    const row = (await h.db.query(`SELECT company_id FROM messages WHERE text = 'written to the first owner'`)).rows;
    assert.deepEqual(row, [{ company_id: a.companyId }]);
  });

  it('acknowledges well-signed but unusable content, and ignores events of unknown Pages', async () => {
    const driver = driverFor(h);
    for (const body of ['not json at all', '{"object":"instagram","entry":[]}', '{"object":"page","entry":[{"id":"1","messaging":[{"nonsense":true}]}]}']) {
      const [res] = await driver.postRaw(body);
      assert.equal(res.status, 200, body);
    }
    const stranger = '999999999999999';
    await send(driver, stranger, textMessage(stranger, newPsid(), 'Anyone there?'));
    await waitProcessed(h);
    const row = (await h.db.query(`SELECT state, error, company_id FROM inbound_events WHERE page_id = $1`, [stranger])).rows[0];
    assert.deepEqual(row, { state: 'ignored', error: 'unknown_page', company_id: null });
    const metrics = await h.http.get('/metrics');
    assert.match(metrics.text, /guichet_webhook_events_total\{outcome="unknown_kind"\} \d+/);
    assert.match(metrics.text, /guichet_inbound_events_total\{kind="message",state="ignored"\} \d+/);
  });
});
