import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PASSWORD, signupCompany, uniqueEmail } from './support/fixtures';
import { type Harness, startHarness } from './support/harness';

describe('Idempotency-Key', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness('idempotency');
  });
  after(() => h.close());

  const agentBody = () => ({ email: uniqueEmail('idem'), name: 'Idem', password: PASSWORD, role: 'agent' });

  it('the same key and body replays the first response, and the work happens once', async () => {
    const company = await signupCompany(h.http);
    const body = agentBody();
    const headers = { 'idempotency-key': 'create-agent-1' };
    const first = await h.http.post('/v1/agents', { token: company.adminToken, body, headers });
    assert.equal(first.status, 201);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    const second = await h.http.post('/v1/agents', { token: company.adminToken, body: { ...body }, headers });
    assert.equal(second.status, 201);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.deepEqual(second.body, first.body);
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const third = await h.http.post('/v1/agents', { token: company.adminToken, body: reordered, headers });
    assert.equal(third.headers['idempotent-replayed'], 'true', 'key order does not make another request');
    const count = await h.db.query('SELECT count(*)::int AS n FROM agents WHERE email = $1', [body.email]);
    assert.equal(count.rows[0].n, 1);
  });

  it('the same key with a different body is 422', async () => {
    const company = await signupCompany(h.http);
    const headers = { 'idempotency-key': 'k-422' };
    assert.equal((await h.http.post('/v1/agents', { token: company.adminToken, body: agentBody(), headers })).status, 201);
    const other = await h.http.post('/v1/agents', { token: company.adminToken, body: agentBody(), headers });
    assert.equal(other.status, 422);
    assert.equal(other.body.code, 'idempotency_key_reused');
    const count = await h.db.query('SELECT count(*)::int AS n FROM agents WHERE company_id = $1', [company.companyId]);
    assert.equal(count.rows[0].n, 2);
  });

  it('a concurrent duplicate while the first is still running is 409', async () => {
    const company = await signupCompany(h.http);
    const body = agentBody();
    const headers = { 'idempotency-key': 'k-409' };
    // Hold the agents table so the first request stays in flight, deterministically.
    const blocker = await h.db.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE agents IN EXCLUSIVE MODE');
      const first = h.http.post('/v1/agents', { token: company.adminToken, body, headers });
      await waitFor(async () => (await h.db.query(`SELECT 1 FROM idempotency_keys WHERE key = 'k-409' AND state = 'in_progress'`)).rowCount === 1);
      const second = await h.http.post('/v1/agents', { token: company.adminToken, body, headers });
      assert.equal(second.status, 409);
      assert.equal(second.body.code, 'idempotency_request_in_progress');
      await blocker.query('COMMIT');
      const done = await first;
      assert.equal(done.status, 201);
    } finally {
      blocker.release();
    }
    const replay = await h.http.post('/v1/agents', { token: company.adminToken, body, headers });
    assert.equal(replay.status, 201);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
  });

  it('a failed request stores nothing, so the key can be retried with a corrected request', async () => {
    const company = await signupCompany(h.http);
    const headers = { 'idempotency-key': 'k-fail' };
    const taken = await h.http.post('/v1/agents', { token: company.adminToken, body: { ...agentBody(), email: company.adminEmail }, headers });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.code, 'email_taken');
    const rows = await h.db.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = 'k-fail'`);
    assert.equal(rows.rows[0].n, 0);
    const ok = await h.http.post('/v1/agents', { token: company.adminToken, body: agentBody(), headers });
    assert.equal(ok.status, 201);
  });

  it('when storing the response fails after the work committed, a retry never does the work again', async () => {
    const company = await signupCompany(h.http);
    const body = agentBody();
    const headers = { 'idempotency-key': 'k-store-fails' };
    // Storing the response is the UPDATE that marks the claim completed: make exactly that fail.
    await h.db.query(`CREATE FUNCTION test_refuse_completion() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'test: storing the idempotent response failed'; END $$`);
    await h.db.query(`CREATE TRIGGER test_refuse_completion BEFORE UPDATE ON idempotency_keys
      FOR EACH ROW WHEN (NEW.state = 'completed') EXECUTE FUNCTION test_refuse_completion()`);
    try {
      const first = await h.http.post('/v1/agents', { token: company.adminToken, body, headers });
      assert.equal(first.status, 500, first.text);
      assert.equal(first.body.code, 'internal_error');
      const agents = async () => (await h.db.query('SELECT count(*)::int AS n FROM agents WHERE email = $1', [body.email])).rows[0].n as number;
      assert.equal(await agents(), 1, 'the handler committed its work once');
      const claim = await h.db.query(`SELECT state FROM idempotency_keys WHERE company_id = $1 AND key = 'k-store-fails'`, [company.companyId]);
      assert.deepEqual(claim.rows, [{ state: 'in_progress' }], 'the claim is kept, not released');

      const retry = await h.http.post('/v1/agents', { token: company.adminToken, body: { ...body }, headers });
      assert.equal(retry.status, 409, retry.text);
      assert.equal(retry.body.code, 'idempotency_request_in_progress');
      assert.equal(await agents(), 1, 'the retry did not create a second agent');
    } finally {
      await h.db.query('DROP TRIGGER IF EXISTS test_refuse_completion ON idempotency_keys');
      await h.db.query('DROP FUNCTION IF EXISTS test_refuse_completion()');
    }
  });

  it('keys are scoped to the company', async () => {
    const a = await signupCompany(h.http, 'A');
    const b = await signupCompany(h.http, 'B');
    const headers = { 'idempotency-key': 'shared-key' };
    const fromA = await h.http.post('/v1/api-keys', { token: a.adminToken, body: { name: 'x', scopes: ['tickets:read'] }, headers });
    const fromB = await h.http.post('/v1/api-keys', { token: b.adminToken, body: { name: 'x', scopes: ['tickets:read'] }, headers });
    assert.equal(fromA.status, 201);
    assert.equal(fromB.status, 201);
    assert.equal(fromB.headers['idempotent-replayed'], undefined);
    assert.notEqual(fromA.body.id, fromB.body.id);
  });

  it('expired records are replaced, and the prune job removes them', async () => {
    const company = await signupCompany(h.http);
    const headers = { 'idempotency-key': 'k-old' };
    const first = await h.http.post('/v1/agents', { token: company.adminToken, body: agentBody(), headers });
    await h.db.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = 'k-old'`);
    const fresh = await h.http.post('/v1/agents', { token: company.adminToken, body: agentBody(), headers });
    assert.equal(fresh.status, 201);
    assert.equal(fresh.headers['idempotent-replayed'], undefined);
    assert.notEqual(fresh.body.id, first.body.id);

    await h.db.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second'`);
    const { JobsService } = await import('../src/jobs/jobs.service');
    const { JobName, QueueName } = await import('../src/jobs/job.catalogue');
    const jobs = h.app.get(JobsService);
    await jobs.enqueue(JobName.PruneIdempotencyKeys, {});
    // The rows go when the job's DELETE commits; BullMQ records the job as completed a moment later.
    const pruned = async () => (await jobs.queue(QueueName.Maintenance).getCompleted()).some((job) => job.name === String(JobName.PruneIdempotencyKeys) && job.returnvalue === 'done');
    await waitFor(pruned);
    assert.equal((await h.db.query('SELECT count(*)::int AS n FROM idempotency_keys')).rows[0].n, 0);
  });

  it('a malformed key is a 400', async () => {
    const company = await signupCompany(h.http);
    const res = await h.http.post('/v1/agents', { token: company.adminToken, body: agentBody(), headers: { 'idempotency-key': 'x'.repeat(256) } });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'validation_failed');
  });
});

async function waitFor(condition: () => Promise<boolean>, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('condition not met');
}
