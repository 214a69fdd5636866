import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { textMessage } from '../src/simulator/events';
import { type GraphSimulator } from '../src/simulator/graph-simulator';
import { createAgent, signupCompany } from './support/fixtures';
import { type Harness, startHarness } from './support/harness';
import { type ConnectedPage, connectPage, customerWrites, driverFor, messengerEnv, newPsid, send, startSimulator, waitProcessed } from './support/messenger';
import { waitFor } from './support/process';

// Monday to Friday, 09:00–12:30 and 13:30–18:00, Paris time; 11 November (Armistice, a Wednesday in 2026) off.
const PARIS_WEEK = [1, 2, 3, 4, 5].flatMap((day) => [
  { day, open: '09:00', close: '12:30' },
  { day, open: '13:30', close: '18:00' },
]);

describe('SLA: reply targets in business hours, clocks on tickets, breaches as events', () => {
  let h: Harness;
  let sim: GraphSimulator;
  let admin: string;
  let agent: { token: string; id: string };
  let page: ConnectedPage;

  before(async () => {
    sim = await startSimulator();
    h = await startHarness('sla', { ...messengerEnv(sim), TICKET_SWEEP_INTERVAL_MS: '200' });
    admin = (await signupCompany(h.http)).adminToken;
    agent = await createAgent(h.http, admin);
    page = await connectPage(h, sim, admin);
    assert.equal((await h.http.patch('/v1/company', { token: admin, body: { timeZone: 'Europe/Paris' } })).status, 200);
    const policy = await h.http.put('/v1/sla-policy', {
      token: admin,
      body: {
        targets: [
          { priority: 'normal', firstReplyMinutes: 60, nextReplyMinutes: 120, businessHours: true },
          { priority: 'urgent', firstReplyMinutes: 30, nextReplyMinutes: 45, businessHours: false },
        ],
        hours: PARIS_WEEK,
        holidays: ['2026-11-11'],
      },
    });
    assert.equal(policy.status, 200, policy.text);
    assert.equal(policy.body.timeZone, 'Europe/Paris');
  });
  after(async () => {
    await h.close();
    await sim.stop();
  });

  const ticket = async (id: string) => (await h.http.get(`/v1/tickets/${id}`, { token: agent.token })).body;
  /** A customer's first message, sent as Meta would date it. */
  const writesAt = async (iso: string) => {
    const psid = newPsid();
    await send(driverFor(h), page.pageId, textMessage(page.pageId, psid, 'Bonjour', { timestamp: Date.parse(iso) }));
    await waitProcessed(h);
    return (await h.db.query(`SELECT t.id FROM tickets t JOIN contacts c ON c.id = t.contact_id WHERE c.psid = $1`, [psid])).rows[0].id as string;
  };
  const breaches = async (id: string) =>
    ((await h.http.get(`/v1/tickets/${id}/messages?limit=100`, { token: agent.token })).body.data as any[]).filter((e) => e.type === 'event' && e.kind === 'sla_breached');

  it('counts business hours in Paris across a holiday, and records the breach once the target passed', async () => {
    // Tuesday 10 November, 17:30 in Paris: 30 minutes that evening, Wednesday is a holiday, the other 30 on Thursday from 09:00.
    const id = await writesAt('2026-11-10T16:30:00.000Z');
    const due = '2026-11-12T08:30:00.000Z';
    await waitFor(async () => (await ticket(id)).sla.breached, 'the breach recorded by the sweep');
    const sla = (await ticket(id)).sla;
    assert.deepEqual(sla, { firstReplyDueAt: due, nextReplyDueAt: null, breached: true });
    const [breach, ...more] = await breaches(id);
    assert.equal(more.length, 0, 'one breach, recorded once');
    assert.deepEqual([breach.actor, breach.data], [{ kind: 'system', id: null }, { target: 'first_reply', dueAt: due }]);

    const listed = (await h.http.get('/v1/tickets?slaBreached=true&limit=100', { token: agent.token })).body.data.map((t: any) => t.id);
    assert.ok(listed.includes(id));
    assert.ok(!(await h.http.get('/v1/tickets?slaBreached=false&limit=100', { token: agent.token })).body.data.some((t: any) => t.id === id));
  });

  it('a Friday evening message is due on Monday morning, after the weekend', async () => {
    // Friday 20 November, 17:30 in Paris: half an hour that day, the other half on Monday 23 from 09:00.
    const id = await writesAt('2026-11-20T16:30:00.000Z');
    assert.equal((await ticket(id)).sla.firstReplyDueAt, '2026-11-23T08:30:00.000Z');
  });

  it("an agent's reply stops the clock; the customer's next message starts the next-reply clock; pending stops it again", async () => {
    const { ticketId, psid } = await customerWrites(h, driverFor(h), page, 'Urgent !');
    // Urgent is counted around the clock; the message was just now, and the priority change moves the clock to 30 minutes.
    const changed = await h.http.patch(`/v1/tickets/${ticketId}`, { token: agent.token, body: { priority: 'urgent' } });
    const since = new Date((await h.db.query('SELECT awaiting_reply_since AS at FROM tickets WHERE id = $1', [ticketId])).rows[0].at).getTime();
    assert.equal(changed.body.sla.firstReplyDueAt, new Date(since + 30 * 60_000).toISOString());

    assert.equal((await h.http.post(`/v1/tickets/${ticketId}/messages`, { token: agent.token, body: { text: 'Nous regardons.' } })).status, 201);
    assert.deepEqual((await ticket(ticketId)).sla, { firstReplyDueAt: null, nextReplyDueAt: null, breached: false });

    const at = Date.now();
    await send(driverFor(h), page.pageId, textMessage(page.pageId, psid, 'Et alors ?', { timestamp: at }));
    await waitProcessed(h);
    assert.equal((await ticket(ticketId)).sla.nextReplyDueAt, new Date(at + 45 * 60_000).toISOString());
    const sorted = (await h.http.get('/v1/tickets?sort=sla_due&limit=100', { token: agent.token })).body.data as any[];
    assert.ok(sorted.some((t) => t.id === ticketId));
    const dues = sorted.map((t) => t.sla.firstReplyDueAt ?? t.sla.nextReplyDueAt);
    assert.ok(dues.every((d) => d !== null) && dues.every((d, i) => i === 0 || dues[i - 1] <= d), 'running clocks only, soonest first');

    assert.equal((await h.http.patch(`/v1/tickets/${ticketId}`, { token: agent.token, body: { status: 'pending' } })).body.sla.nextReplyDueAt, null);
    assert.equal((await breaches(ticketId)).length, 0);
  });

  it('refuses a policy that cannot be read: two targets for a priority, hours that close before they open or overlap, business hours without hours', async () => {
    for (const body of [
      { targets: [{ priority: 'low', firstReplyMinutes: 60, nextReplyMinutes: null, businessHours: false }, { priority: 'low', firstReplyMinutes: 30, nextReplyMinutes: null, businessHours: false }], hours: [], holidays: [] },
      { targets: [], hours: [{ day: 1, open: '18:00', close: '09:00' }], holidays: [] },
      { targets: [{ priority: 'high', firstReplyMinutes: 60, nextReplyMinutes: 60, businessHours: true }], hours: [], holidays: [] },
      { targets: [], hours: [{ day: 8, open: '09:00', close: '18:00' }], holidays: ['2026-02-30'] },
      { targets: [], hours: [{ day: 2, open: '09:00', close: '13:00' }, { day: 2, open: '12:00', close: '18:00' }], holidays: [] },
    ]) {
      const res = await h.http.put('/v1/sla-policy', { token: admin, body });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.code, 'validation_failed');
    }
    assert.equal((await h.http.put('/v1/sla-policy', { token: agent.token, body: { targets: [], hours: [], holidays: [] } })).status, 403);
    assert.equal((await h.http.get('/v1/sla-policy', { token: agent.token })).body.targets.length, 2, 'unchanged');
  });
});
