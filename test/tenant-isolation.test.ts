import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { registeredRoutes } from '../src/common/http/fastify-setup';
import { type GraphSimulator } from '../src/simulator/graph-simulator';
import { companySnapshot } from './support/database';
import { createAgent, createApiKey, signupCompany } from './support/fixtures';
import { type Harness, startHarness } from './support/harness';
import { connectPage, customerWrites, driverFor, messengerEnv, startSimulator } from './support/messenger';
import { waitFor } from './support/process';

/** What company A owns, by kind, for filling path parameters. */
interface TenantIds {
  agent: string;
  apiKey: string;
  channel: string;
  queue: string;
  contact: string;
  ticket: string;
  delivery: string;
  cannedResponse: string;
}

interface Fixture {
  path: Record<string, string>;
  body?: unknown;
  /** Operator routes answer 403 to every tenant admin: they are not company data at all. */
  operatorOnly?: boolean;
}

/**
 * Every route with a path parameter needs an entry: which of A's ids goes where, and a body
 * that would change something if the call got through. A new route without one fails the test.
 */
const FIXTURES: Record<string, (ids: TenantIds) => Fixture> = {
  'GET /v1/agents/:id': (ids) => ({ path: { id: ids.agent } }),
  'PATCH /v1/agents/:id': (ids) => ({ path: { id: ids.agent }, body: { name: 'Taken over', role: 'admin', active: false } }),
  'DELETE /v1/api-keys/:id': (ids) => ({ path: { id: ids.apiKey } }),
  'GET /v1/channels/:id': (ids) => ({ path: { id: ids.channel } }),
  'PATCH /v1/channels/:id': (ids) => ({ path: { id: ids.channel }, body: { name: 'Taken over' } }),
  'DELETE /v1/channels/:id': (ids) => ({ path: { id: ids.channel } }),
  'POST /v1/channels/:id/check': (ids) => ({ path: { id: ids.channel } }),
  'GET /v1/queues/:id': (ids) => ({ path: { id: ids.queue } }),
  'PATCH /v1/queues/:id': (ids) => ({ path: { id: ids.queue }, body: { name: 'Taken over' } }),
  'DELETE /v1/queues/:id': (ids) => ({ path: { id: ids.queue } }),
  'GET /v1/queues/:id/members': (ids) => ({ path: { id: ids.queue } }),
  'PUT /v1/queues/:id/members': (ids) => ({ path: { id: ids.queue }, body: { agentIds: [] } }),
  'GET /v1/contacts/:id': (ids) => ({ path: { id: ids.contact } }),
  'PATCH /v1/contacts/:id': (ids) => ({ path: { id: ids.contact }, body: { name: 'Taken over', tags: ['pwned'] } }),
  'GET /v1/tickets/:id': (ids) => ({ path: { id: ids.ticket } }),
  'GET /v1/tickets/:id/messages': (ids) => ({ path: { id: ids.ticket } }),
  'POST /v1/tickets/:id/messages': (ids) => ({ path: { id: ids.ticket }, body: { text: 'Taken over' } }),
  'PATCH /v1/tickets/:id': (ids) => ({ path: { id: ids.ticket }, body: { priority: 'urgent', tags: { add: ['taken'] } } }),
  'POST /v1/tickets/:id/notes': (ids) => ({ path: { id: ids.ticket }, body: { text: 'Read by another company' } }),
  'POST /v1/tickets/:id/claim': (ids) => ({ path: { id: ids.ticket } }),
  'POST /v1/tickets/:id/merge': (ids) => ({ path: { id: ids.ticket }, body: { intoTicketId: ids.ticket } }),
  'GET /v1/canned-responses/:id': (ids) => ({ path: { id: ids.cannedResponse } }),
  'PATCH /v1/canned-responses/:id': (ids) => ({ path: { id: ids.cannedResponse }, body: { title: 'Taken over' } }),
  'DELETE /v1/canned-responses/:id': (ids) => ({ path: { id: ids.cannedResponse } }),
  'GET /v1/deliveries/:id': (ids) => ({ path: { id: ids.delivery } }),
  'POST /v1/deliveries/:id/retry': (ids) => ({ path: { id: ids.delivery } }),
};

/** bull-board's own routes (plain Fastify, outside Nest): queues are shared, so only the operator may see them. */
const OPERATOR_ROUTE = /^\w+ \/admin\/queues/;
const operatorFixture = (): Fixture => ({ path: { queueName: 'maintenance', jobId: '1', queueStatus: 'completed' }, operatorOnly: true });

describe('tenant isolation, over every route that takes an id', () => {
  let h: Harness;
  let sim: GraphSimulator;
  let routes: string[];

  before(async () => {
    sim = await startSimulator();
    // An operator that is neither A nor B: the queue dashboard must refuse both.
    h = await startHarness('tenants', { ...messengerEnv(sim), OPERATOR_COMPANY_ID: randomUUID() });
    routes = registeredRoutes(h.app.getHttpAdapter().getInstance());
  });
  after(async () => {
    await h.close();
    await sim.stop();
  });

  it('discovers the routes from the server itself, Nest and plain Fastify plugins alike', () => {
    assert.ok(routes.includes('POST /v1/auth/signup'), routes.join('\n'));
    assert.ok(routes.includes('PATCH /v1/agents/:id'));
    assert.ok(routes.some((route) => OPERATOR_ROUTE.test(route) && route.includes('/:')), 'bull-board routes are seen too');
  });

  it("company B's credentials on company A's ids get 404, see nothing of A, and change nothing", async () => {
    const a = await signupCompany(h.http, 'Company A');
    const aAgent = await createAgent(h.http, a.adminToken);
    const aKey = await createApiKey(h.http, a.adminToken, ['agents:read']);
    const aPage = await connectPage(h, sim, a.adminToken, 'Page of A');
    const aConversation = await customerWrites(h, driverFor(h), aPage, 'Secret order 4242 of A');
    // A failed delivery of A (a retry from A itself must then succeed), settled before the snapshot.
    sim.script({ match: { pageId: aPage.pageId, recipient: aConversation.psid }, times: 1, respond: { kind: 'graph_error', code: 100 } });
    const aReply = await h.http.post(`/v1/tickets/${aConversation.ticketId}/messages`, { token: a.adminToken, body: { text: 'Secret order 4242 answered' } });
    assert.equal(aReply.status, 201, aReply.text);
    const failedDelivery = async () => (await h.db.query(`SELECT id FROM deliveries WHERE message_id = $1 AND state = 'failed'`, [aReply.body.id])).rows[0]?.id as string | undefined;
    await waitFor(async () => (await failedDelivery()) !== undefined, "A's delivery failed");
    const ids: TenantIds = {
      agent: aAgent.id,
      apiKey: aKey.id,
      channel: aPage.channelId,
      queue: aPage.queueId,
      contact: aConversation.contactId,
      ticket: aConversation.ticketId,
      delivery: (await failedDelivery())!,
      cannedResponse: (await h.http.post('/v1/canned-responses', { token: a.adminToken, body: { title: 'Secret canned of A', text: 'Bonjour {{contact.firstName}}' } })).body.id,
    };
    const aSecrets = [a.companyId, a.adminEmail, aAgent.id, aAgent.email, aKey.id, 'Company A', aPage.pageId, aPage.channelId, aConversation.psid, 'Secret order 4242', aPage.token, 'Secret canned of A'];

    const b = await signupCompany(h.http, 'Company B');
    const bKey = await createApiKey(h.http, b.adminToken, ['tickets:read', 'tickets:write', 'notifications:write', 'campaigns:write', 'contacts:read', 'contacts:write', 'agents:read']);
    const bAgent = await createAgent(h.http, b.adminToken);
    const bPage = await connectPage(h, sim, b.adminToken, 'Page of B');
    await customerWrites(h, driverFor(h), bPage, 'Order of B');

    const withIds = routes.filter((route) => route.includes('/:'));
    const fixtureFor = (route: string): Fixture | undefined => (OPERATOR_ROUTE.test(route) ? operatorFixture() : FIXTURES[route]?.(ids));
    const missing = withIds.filter((route) => !fixtureFor(route));
    assert.deepEqual(missing, [], `routes without a tenant-isolation fixture: ${missing.join(', ')}`);

    const pathOf = (route: string, fixture: Fixture): [string, string] => {
      const [method, template] = route.split(' ');
      return [
        method,
        template.replace(/:(\w+)/g, (_, name: string) => {
          const value = fixture.path[name] ?? (fixture.operatorOnly ? 'x' : undefined);
          assert.ok(value, `${route}: no value for :${name}`);
          return value;
        }),
      ];
    };

    const before = await companySnapshot(h.db, a.companyId);
    for (const route of withIds) {
      const fixture = fixtureFor(route)!;
      const [method, path] = pathOf(route, fixture);
      for (const [who, token] of [['B admin', b.adminToken], ['B agent', bAgent.token], ['B API key', bKey.key]] as const) {
        const res = await h.http.call(method, path, { token, body: fixture.body });
        const label = `${who} ${route}`;
        if (fixture.operatorOnly) assert.ok([401, 403].includes(res.status), `${label}: got ${res.status}`);
        else if (who === 'B admin') assert.equal(res.status, 404, `${label}: got ${res.status} ${res.text}`);
        else assert.ok(res.status === 404 || res.status === 403, `${label}: got ${res.status} ${res.text}`);
        if (who === 'B admin' && !fixture.operatorOnly) assert.equal(res.body.code, 'not_found', label);
        for (const secret of aSecrets) assert.ok(!res.text.includes(secret), `${label}: leaked ${secret}`);
      }
    }
    assert.deepEqual(await companySnapshot(h.db, a.companyId), before, "A's rows are unchanged");

    for (const list of ['/v1/agents?limit=100', '/v1/api-keys?limit=100', '/v1/channels?limit=100', '/v1/queues?limit=100', '/v1/contacts?limit=100', '/v1/tickets?limit=100']) {
      const res = await h.http.get(list, { token: b.adminToken });
      assert.equal(res.status, 200, list);
      for (const secret of aSecrets) assert.ok(!res.text.includes(secret), `B's ${list} leaked ${secret}`);
    }

    // The same calls with A's own credentials do reach A's data: the 404s above were not an accident.
    // Reads first, then writes, deletes last (a deleted channel or key cannot be read afterwards).
    const order = (route: string): number => (route.startsWith('GET') ? 0 : route.startsWith('PATCH') ? 1 : route.includes('/queues/') ? 3 : 2);
    for (const route of withIds.filter((r) => !OPERATOR_ROUTE.test(r)).sort((x, y) => order(x) - order(y))) {
      const fixture = fixtureFor(route)!;
      const [method, path] = pathOf(route, fixture);
      const res = await h.http.call(method, path, { token: a.adminToken, body: fixture.body });
      if (route === 'DELETE /v1/queues/:id') assert.equal(res.status, 409, 'the queue is still used by its tickets');
      // By then A's own replay has disconnected the channel: the reply reaches the ticket and is refused by policy, not 404.
      else if (route === 'POST /v1/tickets/:id/messages' && res.status === 422) assert.equal(res.body.code, 'channel_unavailable');
      // A has one ticket here: merging it into itself reaches it and is refused for what it asks, not 404.
      else if (route === 'POST /v1/tickets/:id/merge') assert.deepEqual([res.status, res.body.code], [400, 'merge_not_allowed']);
      else assert.ok(res.status >= 200 && res.status < 300, `A on its own ${route}: ${res.status} ${res.text}`);
    }
  });
});
