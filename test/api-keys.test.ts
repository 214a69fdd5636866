import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createAgent, createApiKey, signupCompany } from './support/fixtures';
import { type Harness, startHarness } from './support/harness';

describe('API keys', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness('apikeys');
  });
  after(() => h.close());

  it('works once created, is stored only as a hash, and is shown once with the gk_ prefix', async () => {
    const company = await signupCompany(h.http);
    const created = await h.http.post('/v1/api-keys', { token: company.adminToken, body: { name: 'Shopify bridge', scopes: ['agents:read', 'tickets:read'] } });
    assert.equal(created.status, 201);
    const key: string = created.body.key;
    assert.match(key, /^gk_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.body.prefix, key.slice(0, 10));

    const rows = await h.db.query('SELECT * FROM api_keys WHERE id = $1', [created.body.id]);
    const row = rows.rows[0];
    assert.equal(row.key_hash, createHash('sha256').update(key).digest('hex'));
    assert.deepEqual(row.scopes, ['agents:read', 'tickets:read']);
    const everyValue = JSON.stringify(rows.rows);
    assert.ok(!everyValue.includes(key), 'the key itself appears in no column');
    assert.ok(!everyValue.includes(key.slice(10)), 'not even its secret part');

    const used = await h.http.get('/v1/agents', { token: key });
    assert.equal(used.status, 200);
    assert.equal(used.body.data.length, 1);

    const list = await h.http.get('/v1/api-keys', { token: company.adminToken });
    assert.equal(list.status, 200);
    assert.equal(list.body.data.length, 1);
    assert.equal(list.body.data[0].key, undefined, 'lists never carry the secret');
    assert.equal(list.body.data[0].prefix, created.body.prefix);
    assert.ok(list.body.data[0].lastUsedAt, 'last use is recorded');
  });

  it('lacks access outside its scopes (403)', async () => {
    const company = await signupCompany(h.http);
    const agent = await createAgent(h.http, company.adminToken);
    const { key } = await createApiKey(h.http, company.adminToken, ['tickets:read']);
    const refused: Array<[string, string, unknown]> = [
      ['GET', '/v1/agents', undefined],
      ['GET', `/v1/agents/${agent.id}`, undefined],
      ['GET', '/v1/agents/me', undefined],
      ['POST', '/v1/agents', { email: 'x@example.test', name: 'X', password: 'long enough password', role: 'admin' }],
      ['PATCH', `/v1/agents/${agent.id}`, { role: 'admin' }],
      ['GET', '/v1/api-keys', undefined],
      ['POST', '/v1/api-keys', { name: 'escalate', scopes: ['agents:read'] }],
      ['GET', '/v1/company', undefined],
    ];
    for (const [method, path, body] of refused) {
      const res = await h.http.call(method, path, { token: key, body });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.body.code, 'forbidden');
    }
    const agents = await h.db.query('SELECT count(*)::int AS n FROM agents WHERE company_id = $1', [company.companyId]);
    assert.equal(agents.rows[0].n, 2, 'nothing was created by the refused calls');
    const keys = await h.db.query('SELECT count(*)::int AS n FROM api_keys WHERE company_id = $1', [company.companyId]);
    assert.equal(keys.rows[0].n, 1);
  });

  it('is refused right after revocation', async () => {
    const company = await signupCompany(h.http);
    const { id, key } = await createApiKey(h.http, company.adminToken, ['agents:read']);
    assert.equal((await h.http.get('/v1/agents', { token: key })).status, 200);
    const revoked = await h.http.delete(`/v1/api-keys/${id}`, { token: company.adminToken });
    assert.equal(revoked.status, 204);
    const after = await h.http.get('/v1/agents', { token: key });
    assert.equal(after.status, 401);
    assert.equal(after.body.code, 'unauthorized');
    assert.equal((await h.http.delete(`/v1/api-keys/${id}`, { token: company.adminToken })).status, 404, 'revoking twice is a 404');
    const list = await h.http.get('/v1/api-keys', { token: company.adminToken });
    assert.equal(list.body.data.length, 0);
  });

  it('rejects unknown scopes and unknown keys', async () => {
    const company = await signupCompany(h.http);
    const bad = await h.http.post('/v1/api-keys', { token: company.adminToken, body: { name: 'k', scopes: ['everything'] } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'validation_failed');
    const none = await h.http.post('/v1/api-keys', { token: company.adminToken, body: { name: 'k', scopes: [] } });
    assert.equal(none.status, 400);
    const fake = await h.http.get('/v1/agents', { token: `gk_${'A'.repeat(43)}` });
    assert.equal(fake.status, 401);
  });
});
