import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { issueAccessToken } from '../src/common/auth/jwt';
import { createAgent, PASSWORD, signupCompany, uniqueEmail } from './support/fixtures';
import { type Harness, startHarness } from './support/harness';

describe('companies, agents and authentication', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness('auth', { LOGIN_MAX_FAILURES: '3', TRUST_PROXY: 'true' });
  });
  after(() => h.close());

  it('signup creates a company and its first admin, and returns a working token', async () => {
    const email = uniqueEmail('Founder').toUpperCase();
    const res = await h.http.post('/v1/auth/signup', { body: { companyName: 'Boulangerie Dupont', name: 'Léa', email, password: PASSWORD } });
    assert.equal(res.status, 201);
    assert.equal(res.body.company.name, 'Boulangerie Dupont');
    assert.equal(res.body.agent.role, 'admin');
    assert.equal(res.body.agent.email, email.toLowerCase());
    assert.equal(res.body.agent.passwordHash, undefined);
    const me = await h.http.get('/v1/agents/me', { token: res.body.accessToken });
    assert.equal(me.status, 200);
    assert.equal(me.body.id, res.body.agent.id);
    const stored = await h.db.query('SELECT password_hash FROM agents WHERE id = $1', [res.body.agent.id]);
    assert.match(stored.rows[0].password_hash, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  });

  it('signup with an email already taken is a 409 and creates no company', async () => {
    const first = await signupCompany(h.http);
    const before = await h.db.query('SELECT count(*)::int AS n FROM companies');
    const res = await h.http.post('/v1/auth/signup', { body: { companyName: 'Other', name: 'X', email: first.adminEmail, password: PASSWORD } });
    assert.equal(res.status, 409);
    assert.equal(res.body.code, 'email_taken');
    const afterCount = await h.db.query('SELECT count(*)::int AS n FROM companies');
    assert.equal(afterCount.rows[0].n, before.rows[0].n);
  });

  it('an admin creates an agent, who logs in; the agent gets 403 on admin routes', async () => {
    const company = await signupCompany(h.http);
    const agent = await createAgent(h.http, company.adminToken, 'agent');
    const me = await h.http.get('/v1/agents/me', { token: agent.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.role, 'agent');

    const list = await h.http.get('/v1/agents', { token: agent.token });
    assert.equal(list.status, 200, 'agents may see their colleagues');
    assert.equal(list.body.data.length, 2);

    const adminOnly: Array<[string, string, unknown]> = [
      ['POST', '/v1/agents', { email: uniqueEmail('x'), name: 'X', password: PASSWORD, role: 'agent' }],
      ['PATCH', `/v1/agents/${company.adminId}`, { name: 'Renamed' }],
      ['POST', '/v1/api-keys', { name: 'k', scopes: ['tickets:read'] }],
      ['GET', '/v1/api-keys', undefined],
      ['PATCH', '/v1/company', { name: 'Hijacked' }],
    ];
    for (const [method, path, body] of adminOnly) {
      const res = await h.http.call(method, path, { token: agent.token, body });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.body.code, 'forbidden');
    }
    const admin = await h.http.get(`/v1/agents/${company.adminId}`, { token: company.adminToken });
    assert.equal(admin.body.name, 'Ada Admin', 'the refused PATCH changed nothing');
  });

  it("a deactivated agent's existing token gets 401 on the next request, and they cannot log in", async () => {
    const company = await signupCompany(h.http);
    const agent = await createAgent(h.http, company.adminToken);
    assert.equal((await h.http.get('/v1/agents/me', { token: agent.token })).status, 200);

    const off = await h.http.patch(`/v1/agents/${agent.id}`, { token: company.adminToken, body: { active: false } });
    assert.equal(off.status, 200);
    assert.equal(off.body.active, false);

    const after = await h.http.get('/v1/agents/me', { token: agent.token });
    assert.equal(after.status, 401);
    assert.equal(after.body.code, 'unauthorized');
    const login = await h.http.post('/v1/auth/login', { body: { email: agent.email, password: PASSWORD } });
    assert.equal(login.status, 401);

    const on = await h.http.patch(`/v1/agents/${agent.id}`, { token: company.adminToken, body: { active: true } });
    assert.equal(on.body.active, true);
    assert.equal((await h.http.get('/v1/agents/me', { token: agent.token })).status, 200);
  });

  it('a role change applies on the next request, without a new token', async () => {
    const company = await signupCompany(h.http);
    const agent = await createAgent(h.http, company.adminToken);
    assert.equal((await h.http.get('/v1/api-keys', { token: agent.token })).status, 403);
    await h.http.patch(`/v1/agents/${agent.id}`, { token: company.adminToken, body: { role: 'admin' } });
    assert.equal((await h.http.get('/v1/api-keys', { token: agent.token })).status, 200);
  });

  it('the last active admin cannot be demoted or deactivated', async () => {
    const company = await signupCompany(h.http);
    for (const body of [{ role: 'agent' }, { active: false }]) {
      const res = await h.http.patch(`/v1/agents/${company.adminId}`, { token: company.adminToken, body });
      assert.equal(res.status, 409);
      assert.equal(res.body.code, 'last_admin');
    }
    const row = await h.db.query('SELECT role, deactivated_at FROM agents WHERE id = $1', [company.adminId]);
    assert.deepEqual(row.rows[0], { role: 'admin', deactivated_at: null });
  });

  it('wrong credentials get the same 401 whether or not the email exists', async () => {
    const company = await signupCompany(h.http);
    const wrongPassword = await h.http.post('/v1/auth/login', { body: { email: company.adminEmail, password: 'not the password' } });
    const unknownEmail = await h.http.post('/v1/auth/login', { body: { email: uniqueEmail('nobody'), password: 'not the password' } });
    assert.equal(wrongPassword.status, 401);
    assert.equal(unknownEmail.status, 401);
    assert.deepEqual(wrongPassword.body, unknownEmail.body);
    assert.equal(wrongPassword.body.code, 'invalid_credentials');
  });

  it('repeated failures are throttled with 429 and Retry-After, for known and unknown emails alike', async () => {
    const company = await signupCompany(h.http);
    // Its own client address (TRUST_PROXY is on here), so the other tests' logins do not count.
    const headers = { 'x-forwarded-for': '203.0.113.7' };
    for (const email of [company.adminEmail, uniqueEmail('ghost')]) {
      for (let i = 0; i < 3; i++) {
        assert.equal((await h.http.post('/v1/auth/login', { body: { email, password: 'wrong password!' }, headers })).status, 401);
      }
      const blocked = await h.http.post('/v1/auth/login', { body: { email, password: 'wrong password!' }, headers });
      assert.equal(blocked.status, 429);
      assert.equal(blocked.body.code, 'too_many_requests');
      assert.ok(Number(blocked.headers['retry-after']) > 0);
    }
    const evenRight = await h.http.post('/v1/auth/login', { body: { email: company.adminEmail, password: PASSWORD }, headers });
    assert.equal(evenRight.status, 429, 'the right password does not bypass the throttle');
  });

  it('parallel guesses cannot slip between the check and the count', async () => {
    const company = await signupCompany(h.http);
    const headers = { 'x-forwarded-for': '203.0.113.8' };
    const results = await Promise.all(
      Array.from({ length: 20 }, () => h.http.post('/v1/auth/login', { body: { email: company.adminEmail, password: 'wrong password!' }, headers })),
    );
    const checked = results.filter((r) => r.status === 401).length;
    assert.equal(checked, 3, 'exactly LOGIN_MAX_FAILURES passwords were checked');
    assert.equal(results.filter((r) => r.status === 429).length, 17);
  });

  it('signups are limited per client address', async () => {
    const limited = await startHarness('signup-limit', { SIGNUPS_PER_HOUR_PER_ADDRESS: '2' });
    try {
      assert.equal((await limited.http.post('/v1/auth/signup', { body: { companyName: 'A', name: 'A', email: uniqueEmail('s1'), password: PASSWORD } })).status, 201);
      assert.equal((await limited.http.post('/v1/auth/signup', { body: { companyName: 'B', name: 'B', email: uniqueEmail('s2'), password: PASSWORD } })).status, 201);
      const third = await limited.http.post('/v1/auth/signup', { body: { companyName: 'C', name: 'C', email: uniqueEmail('s3'), password: PASSWORD } });
      assert.equal(third.status, 429);
      assert.ok(Number(third.headers['retry-after']) > 0);
      assert.equal((await limited.db.query('SELECT count(*)::int AS n FROM companies')).rows[0].n, 2);
    } finally {
      await limited.close();
    }
  });

  it('tokens are checked for signature, algorithm, expiry, issuer and audience', async () => {
    const company = await signupCompany(h.http);
    const settings = { secret: h.config.auth.jwtSecret, issuer: h.config.auth.jwtIssuer, audience: h.config.auth.jwtAudience, ttlSeconds: 900 };
    const good = issueAccessToken(settings, company.adminId, company.companyId).token;
    assert.equal((await h.http.get('/v1/agents/me', { token: good })).status, 200);

    const [, payload] = good.split('.');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    const forged = issueAccessToken({ ...settings, secret: 'another-secret-of-enough-length-0000000' }, company.adminId, company.companyId).token;
    const expired = issueAccessToken(settings, company.adminId, company.companyId, Date.now() - 3_600_000).token;
    const otherIssuer = issueAccessToken({ ...settings, issuer: 'someone-else' }, company.adminId, company.companyId).token;
    const otherAudience = issueAccessToken({ ...settings, audience: 'another-api' }, company.adminId, company.companyId).token;
    const wrongCompany = issueAccessToken(settings, company.adminId, '00000000-0000-4000-8000-000000000000').token;
    for (const token of [none, forged, expired, otherIssuer, otherAudience, wrongCompany, 'garbage', `${good}x`]) {
      const res = await h.http.get('/v1/agents/me', { token });
      assert.equal(res.status, 401, token);
      assert.equal(res.body.code, 'unauthorized');
    }
    assert.equal((await h.http.get('/v1/agents/me')).status, 401, 'no credentials at all');
    assert.equal((await h.http.get('/v1/agents/me', { headers: { authorization: `Basic ${good}` } })).status, 401);
  });

  it('agents list with cursor pagination, never offset', async () => {
    const company = await signupCompany(h.http);
    for (let i = 0; i < 4; i++) await h.http.post('/v1/agents', { token: company.adminToken, body: { email: uniqueEmail(`p${i}`), name: `P${i}`, password: PASSWORD, role: 'agent' } });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const page = await h.http.get(`/v1/agents${query}`, { token: company.adminToken });
      assert.equal(page.status, 200);
      assert.ok(page.body.data.length <= 2);
      seen.push(...page.body.data.map((a: { id: string }) => a.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.equal(seen.length, 5);
    assert.equal(new Set(seen).size, 5);
  });

  it('an admin reads and updates the company profile', async () => {
    const company = await signupCompany(h.http);
    const res = await h.http.patch('/v1/company', { token: company.adminToken, body: { timeZone: 'Europe/Paris', name: 'Acme FR' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.timeZone, 'Europe/Paris');
    const bad = await h.http.patch('/v1/company', { token: company.adminToken, body: { timeZone: 'Mars/Olympus' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'validation_failed');
    assert.equal((await h.http.get('/v1/company', { token: company.adminToken })).body.timeZone, 'Europe/Paris');
  });

  it('login normalises the email', async () => {
    const company = await signupCompany(h.http);
    const res = await h.http.post('/v1/auth/login', { body: { email: `  ${company.adminEmail.toUpperCase()} `, password: PASSWORD } });
    assert.equal(res.status, 200);
    assert.equal(res.body.expiresIn, 900);
  });
});
