import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { companySnapshot } from './support/database';
import { createAgent, createApiKey, PASSWORD, signupCompany, uniqueEmail } from './support/fixtures';
import { type Harness, startHarness } from './support/harness';
import { capturingLogger, mappedRoutes } from './support/log-capture';

/** What company A owns, by kind, for filling path parameters. */
interface TenantIds {
  agent: string;
  apiKey: string;
}

/**
 * Every route with a path parameter needs an entry: which of A's ids goes where, and a body
 * that would change something if the call got through. A new route without one fails the test.
 */
const FIXTURES: Record<string, (ids: TenantIds) => { path: Record<string, string>; body?: unknown }> = {
  'GET /v1/agents/:id': (ids) => ({ path: { id: ids.agent } }),
  'PATCH /v1/agents/:id': (ids) => ({ path: { id: ids.agent }, body: { name: 'Taken over', role: 'admin', active: false } }),
  'DELETE /v1/api-keys/:id': (ids) => ({ path: { id: ids.apiKey } }),
};

describe('tenant isolation, over every route that takes an id', () => {
  let h: Harness;
  let routes: string[];
  const capture = capturingLogger('info');

  before(async () => {
    h = await startHarness('tenants', { LOG_LEVEL: 'info' }, capture.logger);
    routes = mappedRoutes(capture.lines());
  });
  after(() => h.close());

  it('discovers the routes from the application router', () => {
    assert.ok(routes.includes('POST /v1/auth/signup'), routes.join('\n'));
    assert.ok(routes.includes('PATCH /v1/agents/:id'));
  });

  it("company B's credentials on company A's ids get 404, see nothing of A, and change nothing", async () => {
    const a = await signupCompany(h.http, 'Company A');
    const aAgent = await createAgent(h.http, a.adminToken);
    const aKey = await createApiKey(h.http, a.adminToken, ['agents:read']);
    const ids: TenantIds = { agent: aAgent.id, apiKey: aKey.id };
    const aSecrets = [a.companyId, a.adminEmail, aAgent.id, aAgent.email, aKey.id, 'Company A'];

    const b = await signupCompany(h.http, 'Company B');
    const bKey = await createApiKey(h.http, b.adminToken, ['tickets:read', 'tickets:write', 'notifications:write', 'campaigns:write', 'contacts:read', 'contacts:write', 'agents:read']);
    const bAgent = await createAgent(h.http, b.adminToken);
    await h.http.post('/v1/agents', { token: b.adminToken, body: { email: uniqueEmail('b'), name: 'B2', password: PASSWORD, role: 'agent' } });

    const withIds = routes.filter((route) => route.includes('/:'));
    assert.ok(withIds.length >= 3);
    const missing = withIds.filter((route) => !FIXTURES[route]);
    assert.deepEqual(missing, [], `routes without a tenant-isolation fixture: ${missing.join(', ')}`);

    const before = await companySnapshot(h.db, a.companyId);
    for (const route of withIds) {
      const [method, template] = route.split(' ');
      const fixture = FIXTURES[route](ids);
      const path = template.replace(/:(\w+)/g, (_, name: string) => {
        const value = fixture.path[name];
        assert.ok(value, `${route}: no value for :${name}`);
        return value;
      });
      for (const [who, token] of [['B admin', b.adminToken], ['B agent', bAgent.token], ['B API key', bKey.key]] as const) {
        const res = await h.http.call(method, path, { token, body: fixture.body });
        const label = `${who} ${route}`;
        assert.ok(res.status === 404 || (res.status === 403 && who !== 'B admin'), `${label}: got ${res.status} ${res.text}`);
        if (who === 'B admin') assert.equal(res.body.code, 'not_found', label);
        for (const secret of aSecrets) assert.ok(!res.text.includes(secret), `${label}: leaked ${secret}`);
      }
    }
    assert.deepEqual(await companySnapshot(h.db, a.companyId), before, "A's rows are unchanged");

    const listed = await h.http.get('/v1/agents?limit=100', { token: b.adminToken });
    for (const secret of aSecrets) assert.ok(!listed.text.includes(secret), `B's agent list leaked ${secret}`);
    const keys = await h.http.get('/v1/api-keys?limit=100', { token: b.adminToken });
    for (const secret of aSecrets) assert.ok(!keys.text.includes(secret), `B's key list leaked ${secret}`);

    // The same calls with A's own credentials do reach A's data: the 404s above were not an accident.
    assert.equal((await h.http.get(`/v1/agents/${aAgent.id}`, { token: a.adminToken })).status, 200);
  });
});
