import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type GraphSimulator } from '../src/simulator/graph-simulator';
import { createAgent, createApiKey, signupCompany } from './support/fixtures';
import { type Harness, startHarness } from './support/harness';
import { type ConnectedPage, connectPage, customerWrites, driverFor, messengerEnv, newPsid, startSimulator } from './support/messenger';
import { waitFor } from './support/process';

describe('canned responses: shared replies with placeholders', () => {
  let h: Harness;
  let sim: GraphSimulator;
  let admin: string;
  let page: ConnectedPage;

  before(async () => {
    sim = await startSimulator();
    h = await startHarness('canned', messengerEnv(sim));
    admin = (await signupCompany(h.http)).adminToken;
    page = await connectPage(h, sim, admin);
  });
  after(async () => {
    await h.close();
    await sim.stop();
  });

  const sentTextTo = async (psid: string, count: number): Promise<string[]> => {
    await waitFor(() => Promise.resolve(sim.calls.filter((c) => c.recipient === psid && c.status === 200).length >= count), 'the replies at Meta');
    return sim.calls.filter((c) => c.recipient === psid && c.status === 200).map((c) => (c.body as { message: { text: string } }).message.text);
  };

  it('create, list, read, change and delete; an unknown placeholder is refused when saved', async () => {
    const typo = await h.http.post('/v1/canned-responses', { token: admin, body: { title: 'Typo', text: 'Bonjour {{contact.firstname}} {{order.id}}' } });
    assert.equal(typo.status, 400);
    assert.deepEqual(typo.body.details.unknown, ['contact.firstname', 'order.id']);
    const created = await h.http.post('/v1/canned-responses', { token: admin, body: { title: 'Délai', text: 'Comptez 3 jours.' } });
    assert.equal(created.status, 201, created.text);
    const id = created.body.id;
    assert.ok((await h.http.get('/v1/canned-responses?limit=100', { token: admin })).body.data.some((r: { id: string }) => r.id === id));
    const changed = await h.http.patch(`/v1/canned-responses/${id}`, { token: admin, body: { text: 'Comptez 2 jours, {{contact.name}}.' } });
    assert.deepEqual([changed.status, changed.body.title, changed.body.text], [200, 'Délai', 'Comptez 2 jours, {{contact.name}}.']);
    assert.equal((await h.http.patch(`/v1/canned-responses/${id}`, { token: admin, body: { text: '{{agent.nom}}' } })).status, 400);
    assert.equal((await h.http.delete(`/v1/canned-responses/${id}`, { token: admin })).status, 204);
    assert.equal((await h.http.get(`/v1/canned-responses/${id}`, { token: admin })).status, 404);
  });

  it("a reply with cannedResponseId sends the text filled in for the ticket, the contact and the agent (or the team, for a bot)", async () => {
    const agent = await createAgent(h.http, admin);
    const template = (await h.http.post('/v1/canned-responses', { token: admin, body: { title: 'Accueil', text: 'Bonjour {{contact.firstName}}, ici {{ agent.name }} pour le ticket #{{ticket.number}}.' } })).body;
    const psid = newPsid();
    sim.setProfile(psid, { first_name: 'Amélie', last_name: 'Poulain', profile_pic: 'https://cdn.example/a.jpg' });
    const conversation = await customerWrites(h, driverFor(h), page, 'Bonjour', psid);
    await waitFor(async () => (await h.db.query(`SELECT first_name FROM contacts WHERE id = $1`, [conversation.contactId])).rows[0].first_name === 'Amélie', 'the profile');
    const number = (await h.http.get(`/v1/tickets/${conversation.ticketId}`, { token: admin })).body.number;

    const reply = await h.http.post(`/v1/tickets/${conversation.ticketId}/messages`, { token: agent.token, body: { cannedResponseId: template.id } });
    assert.equal(reply.status, 201, reply.text);
    assert.equal(reply.body.text, `Bonjour Amélie, ici Sam Agent pour le ticket #${number}.`);
    const key = await createApiKey(h.http, admin, ['tickets:write']);
    assert.equal((await h.http.post(`/v1/tickets/${conversation.ticketId}/messages`, { token: key.key, body: { cannedResponseId: template.id } })).status, 201);
    assert.deepEqual(await sentTextTo(psid, 2), [`Bonjour Amélie, ici Sam Agent pour le ticket #${number}.`, `Bonjour Amélie, ici the team pour le ticket #${number}.`]);

    // No first name from Meta: the contact's name stands in.
    const anonymous = newPsid();
    sim.setProfile(anonymous, null);
    const other = await customerWrites(h, driverFor(h), page, 'Salut', anonymous);
    const fallback = await h.http.post(`/v1/tickets/${other.ticketId}/messages`, { token: agent.token, body: { cannedResponseId: template.id } });
    assert.match(fallback.body.text, new RegExp(`^Bonjour Messenger user ${anonymous.slice(-4)}, ici Sam Agent`));
  });

  it('text and cannedResponseId together are 400; another company\'s canned response is 404; nothing is queued either way', async () => {
    const mine = (await h.http.post('/v1/canned-responses', { token: admin, body: { title: 'Merci', text: 'Merci !' } })).body;
    const otherCompany = await signupCompany(h.http, 'Other');
    const theirs = (await h.http.post('/v1/canned-responses', { token: otherCompany.adminToken, body: { title: 'Leur', text: 'Le leur' } })).body;
    const { ticketId } = await customerWrites(h, driverFor(h), page, 'Une question');
    const both = await h.http.post(`/v1/tickets/${ticketId}/messages`, { token: admin, body: { text: 'Bonjour', cannedResponseId: mine.id } });
    assert.equal(both.status, 400);
    const foreign = await h.http.post(`/v1/tickets/${ticketId}/messages`, { token: admin, body: { cannedResponseId: theirs.id } });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.code, 'not_found');
    assert.equal((await h.db.query(`SELECT count(*)::int AS n FROM messages WHERE ticket_id = $1 AND direction = 'outbound'`, [ticketId])).rows[0].n, 0);
  });
});
