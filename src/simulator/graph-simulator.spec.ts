import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { entry, envelope, textMessage } from './events';
import { GraphSimulator, type GraphErrorBody, type RecordedCall, ruleFromJson } from './graph-simulator';
import { signMetaBody } from './meta-json';
import { WebhookReceiver } from './webhook-receiver';

const PAGE = '101010';
const TOKEN = 'EAAG-page-token-101010';
const OTHER_PAGE = '202020';
const OTHER_TOKEN = 'EAAG-page-token-202020';
const PSID = '7000001';
const APP_SECRET = 'simulator-echo-app-secret';

interface Reply {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

async function call(
  base: string,
  path: string,
  options: { method?: string; token?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function graphErrorOf(reply: Reply): GraphErrorBody['error'] {
  assert.equal(reply.status, 400);
  const { error } = reply.json as unknown as GraphErrorBody;
  assert.equal(error.type, 'OAuthException');
  assert.equal(typeof error.fbtrace_id, 'string');
  return error;
}

const textSend = (recipient = PSID, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  recipient: { id: recipient },
  messaging_type: 'RESPONSE',
  message: { text: 'Bonjour é 😀' },
  ...extra,
});

describe('GraphSimulator', () => {
  const sim = new GraphSimulator();
  let base: string;

  before(async () => {
    base = await sim.start(0);
  });
  beforeEach(() => {
    sim.reset({ configuration: true });
    sim.addPage({ pageId: PAGE, token: TOKEN, name: 'Boutique Test' });
    sim.addPage({ pageId: OTHER_PAGE, token: OTHER_TOKEN, name: 'Autre Page' });
  });
  after(async () => {
    await sim.stop();
  });

  it('returns a base URL on 127.0.0.1', () => {
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(sim.url, base);
  });

  describe('GET /me', () => {
    it('answers the Page for a good token, with or without a version prefix', async () => {
      assert.deepEqual((await call(base, '/me', { token: TOKEN })).json, { id: PAGE, name: 'Boutique Test' });
      const versioned = await call(base, `/v25.0/me?access_token=${TOKEN}`);
      assert.deepEqual(versioned.json, { id: PAGE, name: 'Boutique Test' });
      const last = sim.calls.at(-1);
      assert.equal(last?.version, 'v25.0');
      assert.equal(last?.path, '/me');
      assert.equal(last?.token, TOKEN);
      assert.equal(last?.tokenInUrl, true);
      assert.equal(sim.calls[0].tokenInUrl, false);
    });

    it('answers 190 to a bad or revoked token and 104 to none', async () => {
      assert.equal(graphErrorOf(await call(base, '/v25.0/me', { token: 'nope' })).code, 190);
      sim.revokeToken(TOKEN);
      assert.equal(graphErrorOf(await call(base, '/me', { token: TOKEN })).code, 190);
      assert.equal(graphErrorOf(await call(base, '/me')).code, 104);
    });
  });

  describe('subscribed_apps', () => {
    it('records the subscribed fields from the query or the body, and unsubscribes', async () => {
      const fields = 'messages,message_echoes,message_deliveries,message_reads,messaging_postbacks,standby';
      const reply = await call(base, `/v25.0/${PAGE}/subscribed_apps?subscribed_fields=${fields}`, { method: 'POST', token: TOKEN });
      assert.deepEqual(reply.json, { success: true });
      assert.deepEqual(sim.subscribedFields(PAGE), fields.split(','));
      const listed = await call(base, `/${PAGE}/subscribed_apps`, { token: TOKEN });
      assert.deepEqual((listed.json.data as { subscribed_fields: string[] }[])[0].subscribed_fields, fields.split(','));

      await call(base, `/${OTHER_PAGE}/subscribed_apps`, { token: OTHER_TOKEN, body: { subscribed_fields: ['messages'] } });
      assert.deepEqual(sim.subscribedFields(OTHER_PAGE), ['messages']);

      assert.deepEqual((await call(base, `/${PAGE}/subscribed_apps`, { method: 'DELETE', token: TOKEN })).json, { success: true });
      assert.equal(sim.subscribedFields(PAGE), undefined);
      const recorded = sim.calls.filter((c) => c.path.endsWith('/subscribed_apps'));
      assert.deepEqual(recorded.map((c) => [c.method, c.pageId]), [
        ['POST', PAGE],
        ['GET', PAGE],
        ['POST', OTHER_PAGE],
        ['DELETE', PAGE],
      ]);
    });

    it('refuses a subscription without fields or with another Page’s token', async () => {
      assert.equal(graphErrorOf(await call(base, `/${PAGE}/subscribed_apps`, { method: 'POST', token: TOKEN })).code, 100);
      const foreign = await call(base, `/${PAGE}/subscribed_apps?subscribed_fields=messages`, { method: 'POST', token: OTHER_TOKEN });
      assert.equal(graphErrorOf(foreign).code, 200);
      assert.equal(sim.subscribedFields(PAGE), undefined);
    });
  });

  describe('profiles', () => {
    it('answers a generated profile by default and a set one when given', async () => {
      const generated = await call(base, `/v25.0/${PSID}?fields=first_name,last_name,profile_pic`, { token: TOKEN });
      assert.equal(generated.status, 200);
      assert.equal(generated.json.id, PSID);
      assert.equal(typeof generated.json.first_name, 'string');
      assert.equal(typeof generated.json.last_name, 'string');
      assert.match(String(generated.json.profile_pic), /^https:\/\//);

      sim.setProfile(PSID, { first_name: 'Zoé', last_name: 'Lefèvre', profile_pic: 'https://cdn.test/z.jpg' });
      const set = await call(base, `/${PSID}?fields=first_name,last_name,profile_pic`, { token: TOKEN });
      assert.deepEqual(set.json, { first_name: 'Zoé', last_name: 'Lefèvre', profile_pic: 'https://cdn.test/z.jpg', id: PSID });
      const onlyName = await call(base, `/${PSID}?fields=first_name`, { token: TOKEN });
      assert.deepEqual(onlyName.json, { first_name: 'Zoé', id: PSID });
    });

    it('answers 100/2018218 for a PSID without a profile', async () => {
      sim.setProfile(PSID, null);
      const error = graphErrorOf(await call(base, `/${PSID}?fields=first_name`, { token: TOKEN }));
      assert.equal(error.code, 100);
      assert.equal(error.error_subcode, 2018218);
    });
  });

  describe('Send API', () => {
    it('returns a message_id and records the call with its token', async () => {
      const reply = await call(base, `/v25.0/${PAGE}/messages`, { token: TOKEN, body: textSend() });
      assert.equal(reply.status, 200);
      assert.equal(reply.json.recipient_id, PSID);
      assert.match(String(reply.json.message_id), /^m_[A-Za-z0-9_-]{40,}$/);
      const recorded = sim.calls.at(-1) as RecordedCall;
      assert.equal(recorded.method, 'POST');
      assert.equal(recorded.path, `/${PAGE}/messages`);
      assert.equal(recorded.pageId, PAGE);
      assert.equal(recorded.recipient, PSID);
      assert.equal(recorded.token, TOKEN);
      assert.equal(recorded.tokenInUrl, false);
      assert.deepEqual(recorded.body, textSend());
      assert.equal(recorded.status, 200);
      assert.equal(typeof recorded.at, 'number');
    });

    it('accepts /me/messages and sender actions, with the Page taken from the token', async () => {
      const reply = await call(base, '/me/messages', { token: OTHER_TOKEN, body: textSend('7000002') });
      assert.equal(reply.status, 200);
      assert.equal(sim.calls.at(-1)?.pageId, OTHER_PAGE);
      const typing = await call(base, '/me/messages', { token: TOKEN, body: { recipient: { id: PSID }, sender_action: 'typing_on' } });
      assert.deepEqual(typing.json, { recipient_id: PSID });
    });

    it('refuses malformed sends and deprecated tags with error 100', async () => {
      const noRecipient = graphErrorOf(await call(base, `/${PAGE}/messages`, { token: TOKEN, body: { message: { text: 'x' } } }));
      assert.equal(noRecipient.code, 100);
      const noMessage = graphErrorOf(await call(base, `/${PAGE}/messages`, { token: TOKEN, body: { recipient: { id: PSID } } }));
      assert.equal(noMessage.code, 100);
      const tooLong = graphErrorOf(
        await call(base, `/${PAGE}/messages`, { token: TOKEN, body: textSend(PSID, { message: { text: 'a'.repeat(2001) } }) }),
      );
      assert.equal(tooLong.code, 100);
      const tagged = textSend(PSID, { messaging_type: 'MESSAGE_TAG', tag: 'POST_PURCHASE_UPDATE' });
      const deprecated = graphErrorOf(await call(base, `/${PAGE}/messages`, { token: TOKEN, body: tagged }));
      assert.equal(deprecated.code, 100);
      const human = await call(base, `/${PAGE}/messages`, {
        token: TOKEN,
        body: textSend(PSID, { messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' }),
      });
      assert.equal(human.status, 200);
    });

    it('refuses another Page’s token and a bad token', async () => {
      assert.equal(graphErrorOf(await call(base, `/${PAGE}/messages`, { token: OTHER_TOKEN, body: textSend() })).code, 200);
      assert.equal(graphErrorOf(await call(base, `/${PAGE}/messages`, { token: 'bad', body: textSend() })).code, 190);
    });
  });

  describe('scripts', () => {
    it('answers a Graph error with its subcode for matching calls only', async () => {
      sim.script({ match: { recipient: '7000009' }, respond: { kind: 'graph_error', code: 10, subcode: 2018278 } });
      const error = graphErrorOf(await call(base, `/${PAGE}/messages`, { token: TOKEN, body: textSend('7000009') }));
      assert.equal(error.code, 10);
      assert.equal(error.error_subcode, 2018278);
      assert.match(error.message, /outside of allowed window/);
      assert.equal((await call(base, `/${PAGE}/messages`, { token: TOKEN, body: textSend() })).status, 200);
    });

    it('answers a raw HTTP status with headers', async () => {
      sim.script({
        match: { pageId: PAGE, path: /\/messages$/ },
        respond: { kind: 'http', status: 429, body: 'slow down', headers: { 'Retry-After': '7' } },
      });
      const response = await fetch(`${base}/v25.0/${PAGE}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(textSend()),
      });
      assert.equal(response.status, 429);
      assert.equal(response.headers.get('retry-after'), '7');
      assert.equal(await response.text(), 'slow down');
      assert.equal((await call(base, `/${OTHER_PAGE}/messages`, { token: OTHER_TOKEN, body: textSend() })).status, 200);
    });

    it('delays, then answers normally', async () => {
      sim.script({ match: { method: 'POST', path: `/${PAGE}/messages` }, times: 1, respond: { kind: 'delay', ms: 50 } });
      const reply = await call(base, `/v25.0/${PAGE}/messages`, { token: TOKEN, body: textSend() });
      assert.equal(reply.status, 200);
      assert.match(String(reply.json.message_id), /^m_/);
    });

    it('adds headers to a normal answer', async () => {
      const usage = JSON.stringify({ [PAGE]: [{ type: 'messenger', call_count: 95, estimated_time_to_regain_access: 0 }] });
      sim.script({ match: { pageId: PAGE }, respond: { kind: 'headers', headers: { 'X-Business-Use-Case-Usage': usage } } });
      const reply = await call(base, `/${PAGE}/messages`, { token: TOKEN, body: textSend() });
      assert.equal(reply.status, 200);
      assert.equal(reply.headers.get('x-business-use-case-usage'), usage);
    });

    it('drops the connection: the client sees a network error', async () => {
      sim.script({ match: { path: `/${PAGE}/messages` }, times: 1, respond: { kind: 'drop' } });
      await assert.rejects(call(base, `/${PAGE}/messages`, { token: TOKEN, body: textSend() }), TypeError);
      assert.equal(sim.calls.at(-1)?.status, undefined);
    });

    it('hangs: the client gives up on its own timeout', async () => {
      sim.script({ match: { path: `/${PAGE}/messages` }, times: 1, respond: { kind: 'hang' } });
      await assert.rejects(
        call(base, `/${PAGE}/messages`, { token: TOKEN, body: textSend(), signal: AbortSignal.timeout(300) }),
        (error: unknown) => error instanceof Error && error.name === 'TimeoutError',
      );
      assert.equal((await call(base, `/${PAGE}/messages`, { token: TOKEN, body: textSend() })).status, 200);
    });

    it('counts down times, checks rules in order, and clears', async () => {
      sim.script({ match: { pageId: PAGE }, times: 2, respond: { kind: 'graph_error', code: 1200, httpStatus: 500 } });
      sim.script({ match: { pageId: PAGE }, times: 1, respond: { kind: 'graph_error', code: 2 } });
      const statuses: [number, unknown][] = [];
      for (let i = 0; i < 4; i++) {
        const reply = await call(base, `/${PAGE}/messages`, { token: TOKEN, body: textSend() });
        statuses.push([reply.status, (reply.json as { error?: { code: number } }).error?.code]);
      }
      assert.deepEqual(statuses, [
        [500, 1200],
        [500, 1200],
        [400, 2],
        [200, undefined],
      ]);
      sim.script({ match: {}, respond: { kind: 'graph_error', code: 4 } });
      assert.equal(graphErrorOf(await call(base, '/me', { token: TOKEN })).code, 4);
      sim.clearScripts();
      assert.equal((await call(base, '/me', { token: TOKEN })).status, 200);
    });

    it('compiles the JSON form of a rule and refuses a malformed one', () => {
      const rule = ruleFromJson({
        match: { pathPattern: '/messages$', method: 'post' },
        times: 3,
        respond: { kind: 'graph_error', code: 613 },
      });
      assert.ok(rule.match.path instanceof RegExp);
      assert.equal(rule.times, 3);
      assert.throws(() => ruleFromJson({ respond: { kind: 'explode' } }), /respond.kind/);
      assert.throws(() => ruleFromJson({ respond: { kind: 'graph_error' } }), /respond.code/);
    });
  });

  describe('control endpoints', () => {
    it('adds Pages, profiles and scripts, lists calls and resets', async () => {
      assert.equal((await call(base, '/_sim/pages', { body: { pageId: '303030', token: 'tok-3', name: 'Trois' } })).status, 200);
      assert.deepEqual((await call(base, '/me', { token: 'tok-3' })).json, { id: '303030', name: 'Trois' });
      await call(base, '/_sim/profiles', { body: { psid: '8000001', first_name: 'Ana', last_name: 'Diaz', profile_pic: 'https://p.test/a' } });
      assert.equal((await call(base, '/8000001?fields=first_name', { token: 'tok-3' })).json.first_name, 'Ana');
      await call(base, '/_sim/profiles', { body: { psid: '8000001', profile: null } });
      assert.equal(graphErrorOf(await call(base, '/8000001', { token: 'tok-3' })).error_subcode, 2018218);

      const scripted = await call(base, '/_sim/script', {
        body: { match: { path: '/303030/messages' }, times: 1, respond: { kind: 'graph_error', code: 551, subcode: 1545041 } },
      });
      assert.equal(scripted.status, 200);
      assert.equal(graphErrorOf(await call(base, '/v25.0/303030/messages', { token: 'tok-3', body: textSend() })).code, 551);
      assert.equal((await call(base, '/_sim/script', { body: { respond: { kind: 'nope' } } })).status, 400);

      const listed = await fetch(`${base}/_sim/calls`);
      const calls = (await listed.json()) as RecordedCall[];
      assert.equal(calls.length, sim.calls.length);
      assert.deepEqual(
        calls.map((c) => `${c.method} ${c.path} ${c.status}`),
        ['GET /me 200', 'GET /8000001 200', 'GET /8000001 400', 'POST /303030/messages 400'],
        'control calls are not recorded',
      );

      assert.equal((await call(base, '/_sim/reset', { method: 'POST' })).status, 200);
      assert.equal(sim.calls.length, 0);
      assert.equal((await call(base, '/_sim/nothing')).status, 404);
    });

    it('drives a signed webhook POST through /_sim/webhooks', async () => {
      const receiver = new WebhookReceiver();
      try {
        const target = await receiver.start();
        const payload = envelope([entry(PAGE, [textMessage(PAGE, PSID, 'Salut é')])]);
        const reply = await call(base, '/_sim/webhooks', { body: { target, appSecret: APP_SECRET, payload, duplicates: 1 } });
        assert.equal(reply.status, 200);
        assert.deepEqual(reply.json.statuses, [200, 200]);
        assert.equal(receiver.received.length, 2);
        const raw = receiver.received[0].raw;
        assert.equal(receiver.received[0].headers['x-hub-signature-256'], signMetaBody(raw, APP_SECRET));
        assert.ok(raw.toString('latin1').includes('Salut \\u00e9'));
      } finally {
        await receiver.stop();
      }
    });
  });
});

describe('GraphSimulator per-Page rate limit', () => {
  const sim = new GraphSimulator({ sendRatePerSecond: 5 });
  let base: string;

  before(async () => {
    base = await sim.start();
    sim.addPage({ pageId: PAGE, token: TOKEN, name: 'Rapide' });
    sim.addPage({ pageId: OTHER_PAGE, token: OTHER_TOKEN, name: 'Autre' });
  });
  after(async () => {
    await sim.stop();
  });

  it('answers 613 above the per-Page rate, and other Pages keep their own budget', async () => {
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => call(base, `/${PAGE}/messages`, { token: TOKEN, body: textSend() })),
    );
    const ok = replies.filter((r) => r.status === 200).length;
    const limited = replies.filter((r) => r.status === 400);
    assert.equal(ok + limited.length, 10);
    assert.ok(ok >= 5, `${ok} sends went through`);
    assert.ok(limited.length >= 1, 'some sends were rate limited');
    for (const reply of limited) {
      const error = graphErrorOf(reply);
      assert.equal(error.code, 613);
      assert.equal(error.message, '(#613) Calls to this API have exceeded the rate limit.');
    }
    assert.equal((await call(base, `/${OTHER_PAGE}/messages`, { token: OTHER_TOKEN, body: textSend() })).status, 200);
  });
});

describe('GraphSimulator Send API latency', () => {
  const sim = new GraphSimulator({ sendLatencyMs: { min: 300, max: 400 } });
  let base: string;

  before(async () => {
    base = await sim.start();
    sim.addPage({ pageId: PAGE, token: TOKEN, name: 'Lente' });
  });
  after(async () => {
    await sim.stop();
  });

  it('delays every Send API answer within the range, records the call on arrival, and leaves other calls alone', async () => {
    const sentAt = Date.now();
    const started = performance.now();
    const replies = await Promise.all([
      call(base, `/${PAGE}/messages`, { token: TOKEN, body: textSend() }),
      call(base, `/${PAGE}/messages`, { token: 'EAAG-revoked', body: textSend() }),
    ]);
    const elapsed = performance.now() - started;
    assert.equal(replies[0].status, 200);
    assert.equal(graphErrorOf(replies[1]).code, 190, 'errors are delayed too');
    assert.ok(elapsed >= 295, `answered after ${elapsed} ms`);
    const sends = sim.calls.filter((c) => c.path === `/${PAGE}/messages`);
    assert.equal(sends.length, 2);
    for (const recorded of sends) assert.ok(recorded.at - sentAt < 250, 'recorded when it arrived, not when answered');

    const meStarted = performance.now();
    assert.equal((await call(base, '/me', { token: TOKEN })).status, 200);
    assert.ok(performance.now() - meStarted < 300, 'GET /me is not delayed');
  });

  it('refuses a range with min above max or below zero', () => {
    assert.throws(() => new GraphSimulator({ sendLatencyMs: { min: 50, max: 10 } }), /sendLatencyMs/);
    assert.throws(() => new GraphSimulator({ sendLatencyMs: { min: -1, max: 10 } }), /sendLatencyMs/);
  });
});

describe('GraphSimulator echo webhooks', () => {
  const receiver = new WebhookReceiver();
  let sim: GraphSimulator;
  let base: string;

  before(async () => {
    const target = await receiver.start();
    sim = new GraphSimulator({ webhook: { url: target, appSecret: APP_SECRET, appId: '1234567890' } });
    base = await sim.start();
    sim.addPage({ pageId: PAGE, token: TOKEN, name: 'Echo' });
  });
  after(async () => {
    await sim.stop();
    await receiver.stop();
  });

  it('posts a signed echo with is_echo, the metadata and the same mid', async () => {
    const reply = await call(base, `/v25.0/${PAGE}/messages`, {
      token: TOKEN,
      body: textSend(PSID, { message: { text: 'Votre colis / arrive 📦', metadata: 'delivery-42' } }),
    });
    assert.equal(reply.status, 200);
    await sim.settled();
    await receiver.waitFor(1);
    assert.equal(receiver.received.length, 1);
    const [request] = receiver.received;
    assert.equal(request.method, 'POST');
    assert.equal(request.headers['x-hub-signature-256'], signMetaBody(request.raw, APP_SECRET));
    assert.ok(/^[\x20-\x7e]*$/.test(request.raw.toString('latin1')), 'the echo body is Meta-escaped ASCII');
    const body = JSON.parse(request.raw.toString('utf8')) as {
      object: string;
      entry: { id: string; messaging: { sender: { id: string }; recipient: { id: string }; message: Record<string, unknown> }[] }[];
    };
    assert.equal(body.object, 'page');
    assert.equal(body.entry[0].id, PAGE);
    const event = body.entry[0].messaging[0];
    assert.equal(event.sender.id, PAGE);
    assert.equal(event.recipient.id, PSID);
    assert.equal(event.message.is_echo, true);
    assert.equal(event.message.metadata, 'delivery-42');
    assert.equal(event.message.mid, reply.json.message_id);
    assert.equal(event.message.app_id, 1234567890);
    assert.equal(event.message.text, 'Votre colis / arrive 📦');
    assert.deepEqual(sim.echoes, [{ mid: reply.json.message_id, pageId: PAGE, recipient: PSID, status: 200 }]);
  });

  it('sends no echo for a sender action', async () => {
    const before = receiver.received.length;
    await call(base, '/me/messages', { token: TOKEN, body: { recipient: { id: PSID }, sender_action: 'mark_seen' } });
    await sim.settled();
    assert.equal(receiver.received.length, before);
  });
});

describe('GraphSimulator onAnswered', () => {
  const answered: RecordedCall[] = [];
  const sim = new GraphSimulator({ onAnswered: (recorded) => answered.push({ ...recorded }) });
  let base: string;

  before(async () => {
    base = await sim.start();
    sim.addPage({ pageId: PAGE, token: TOKEN, name: 'Rapporteur' });
  });
  after(async () => {
    await sim.stop();
  });

  it('reports each call with its status before the answer leaves, scripted answers included', async () => {
    sim.script({ match: { path: `/${PAGE}/messages` }, respond: { kind: 'http', status: 503 }, times: 1 });
    const first = await call(base, `/${PAGE}/messages`, { token: TOKEN, body: textSend() });
    const second = await call(base, `/${PAGE}/messages`, { token: TOKEN, body: textSend() });
    assert.deepEqual([first.status, second.status], [503, 200]);
    assert.deepEqual(answered.map((c) => [c.path, c.status, c.pageId]), [[`/${PAGE}/messages`, 503, PAGE], [`/${PAGE}/messages`, 200, PAGE]]);
    assert.equal(answered[1].recipient, PSID);
  });
});
