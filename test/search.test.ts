import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type GraphSimulator } from '../src/simulator/graph-simulator';
import { createApiKey, signupCompany } from './support/fixtures';
import { type Harness, startHarness } from './support/harness';
import { type ConnectedPage, connectPage, customerWrites, driverFor, messengerEnv, newPsid, startSimulator } from './support/messenger';

describe('search: message texts and contact names, per company, without a cap', () => {
  let h: Harness;
  let sim: GraphSimulator;
  let a: { token: string; page: ConnectedPage };
  let b: { token: string; page: ConnectedPage };

  before(async () => {
    sim = await startSimulator();
    h = await startHarness('search', messengerEnv(sim));
    for (const name of ['A', 'B'] as const) {
      const company = await signupCompany(h.http, `Company ${name}`);
      const page = await connectPage(h, sim, company.adminToken, `Page ${name}`);
      if (name === 'A') a = { token: company.adminToken, page };
      else b = { token: company.adminToken, page };
    }
  });
  after(async () => {
    await h.close();
    await sim.stop();
  });

  const search = async (q: string, token: string, extra = '') => h.http.get(`/v1/search?q=${encodeURIComponent(q)}${extra}`, { token });

  it("finds a word from a message in an old ticket, and a contact by the start of a name; another company finds none of it", async () => {
    const psid = newPsid();
    sim.setProfile(psid, { first_name: 'Amélie', last_name: 'Poulain', profile_pic: 'https://cdn.example/a.jpg' });
    const old = await customerWrites(h, driverFor(h), a.page, 'Ma théière est arrivée fêlée, commande 4242', psid);
    // The old ticket is solved long ago; the customer's next message opens a follow-up.
    await h.db.query(`UPDATE tickets SET status = 'solved', solved_at = now() - interval '30 days' WHERE id = $1`, [old.ticketId]);
    const followUp = await customerWrites(h, driverFor(h), a.page, 'Bonjour, une autre question', psid);
    assert.notEqual(followUp.ticketId, old.ticketId);
    await customerWrites(h, driverFor(h), b.page, 'Ma théière est arrivée fêlée aussi');
    for (let i = 0; i < 200 && (await h.db.query(`SELECT name FROM contacts WHERE id = $1`, [old.contactId])).rows[0].name !== 'Amélie Poulain'; i++) await new Promise((resolve) => setTimeout(resolve, 25));

    const found = await search('théière FÊL', a.token);
    assert.equal(found.status, 200, found.text);
    assert.deepEqual(found.body.data.map((hit: any) => [hit.type, hit.ticketId, hit.text]), [['message', old.ticketId, 'Ma théière est arrivée fêlée, commande 4242']]);
    assert.deepEqual((await search('4242', a.token)).body.data.map((hit: any) => hit.id), [found.body.data[0].id]);

    const contacts = (await search('amél', a.token)).body.data;
    assert.deepEqual(contacts.map((hit: any) => [hit.type, hit.id, hit.name]), [['contact', old.contactId, 'Amélie Poulain']]);

    const fromB = await search('théière', b.token);
    assert.equal(fromB.body.data.length, 1, "B finds its own message only");
    assert.ok(!fromB.text.includes('4242') && !fromB.text.includes(old.ticketId), "none of A's data");
    assert.equal((await search('amél', b.token)).body.data.length, 0);
    assert.equal((await search('4242', b.token)).body.data.length, 0);
  });

  it('pages through every hit, newest first, with API keys too; malformed queries are 400', async () => {
    const psid = newPsid();
    const texts: string[] = [];
    for (let i = 0; i < 7; i++) {
      texts.push(`Suivi du colis numéro ${i}`);
      await customerWrites(h, driverFor(h), a.page, texts[i], psid);
    }
    const key = await createApiKey(h.http, a.token, ['tickets:read']);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await search('colis', key.key, `&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200, res.text);
      assert.ok(res.body.data.length <= 3);
      seen.push(...res.body.data.map((hit: any) => hit.text));
      cursor = res.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [...texts].reverse());

    for (const q of ['', '   ', '!!!', '&|:*']) {
      const res = await search(q, a.token);
      assert.equal(res.status, 400, JSON.stringify(q));
      assert.equal(res.body.code, 'validation_failed');
    }
    assert.equal((await h.http.get('/v1/search', { token: a.token })).status, 400);
    assert.equal((await search('colis', a.token, '&cursor=bogus')).body.code, 'invalid_cursor');
    const noScope = await createApiKey(h.http, a.token, ['contacts:read']);
    assert.equal((await search('colis', noScope.key)).status, 403);
  });
});
