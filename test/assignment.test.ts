import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type GraphSimulator } from '../src/simulator/graph-simulator';
import { createAgent, signupCompany } from './support/fixtures';
import { type Harness, startHarness } from './support/harness';
import { HttpClient } from './support/http';
import { type ConnectedPage, connectPage, customerWrites, driverFor, messengerEnv, startSimulator } from './support/messenger';
import { spawnService, type ServiceProcess, waitFor, waitReady } from './support/process';

type Agent = { id: string; token: string };

describe('auto-assignment: round-robin among online members, within capacity, oldest first', () => {
  let h: Harness;
  let sim: GraphSimulator;
  let adminToken: string;
  let companyId: string;

  before(async () => {
    sim = await startSimulator();
    h = await startHarness('assignment', { ...messengerEnv(sim), TICKET_SWEEP_INTERVAL_MS: '200' });
    const company = await signupCompany(h.http);
    adminToken = company.adminToken;
    companyId = company.companyId;
  });
  after(async () => {
    await h.close();
    await sim.stop();
  });

  const ticket = async (id: string) => (await h.http.get(`/v1/tickets/${id}`, { token: adminToken })).body;
  const online = async (agent: Agent, http = h.http) => {
    const res = await http.patch('/v1/agents/me', { token: agent.token, body: { availability: 'online' } });
    assert.equal(res.status, 200, res.text);
    return res;
  };
  const setCapacity = async (agent: Agent, capacity: number) => assert.equal((await h.http.patch(`/v1/agents/${agent.id}`, { token: adminToken, body: { capacity } })).status, 200);
  const members = async (queueId: string, agents: Agent[]) => {
    const res = await h.http.put(`/v1/queues/${queueId}/members`, { token: adminToken, body: { agentIds: agents.map((a) => a.id) } });
    assert.equal(res.status, 200, res.text);
  };

  it('hands new tickets out in turn, skips full and away agents, and gives freed capacity to the oldest waiting ticket', async () => {
    const page = await connectPage(h, sim, adminToken);
    const [a, b, c, away, outsider] = [await createAgent(h.http, adminToken), await createAgent(h.http, adminToken), await createAgent(h.http, adminToken), await createAgent(h.http, adminToken), await createAgent(h.http, adminToken)];
    await setCapacity(a, 2);
    await setCapacity(b, 2);
    await setCapacity(c, 1);
    await members(page.queueId, [a, b, c, away]);
    for (const agent of [a, b, c, outsider]) await online(agent);
    assert.equal((await h.http.patch('/v1/agents/me', { token: away.token, body: { availability: 'away' } })).body.availability, 'away');
    assert.equal((await h.http.patch(`/v1/queues/${page.queueId}`, { token: adminToken, body: { autoAssign: true } })).body.autoAssign, true);

    const tickets: string[] = [];
    for (let i = 0; i < 7; i++) tickets.push((await customerWrites(h, driverFor(h), page, `Question ${i}`)).ticketId);
    const assignees = async () => Promise.all(tickets.map(async (id) => (await ticket(id)).assigneeId as string | null));
    // Assigned after the commit that opened each ticket; the sweep would do it too, so wait for it.
    await waitFor(async () => (await assignees()).filter((x) => x !== null).length === 5, 'five tickets assigned');
    assert.deepEqual(await assignees(), [a.id, b.id, c.id, a.id, b.id, null, null], 'in turn, C full after one, then everyone full');

    const event = (await h.http.get(`/v1/tickets/${tickets[0]}/messages`, { token: adminToken })).body.data.find((e: any) => e.type === 'event' && e.kind === 'assignee_changed');
    assert.deepEqual([event.actor, event.data], [{ kind: 'system', id: null }, { from: null, to: a.id, reason: 'auto_assigned' }]);

    // C solves theirs: the oldest waiting ticket (the sixth) goes to C, in the same request.
    assert.equal((await h.http.patch(`/v1/tickets/${tickets[2]}`, { token: c.token, body: { status: 'solved' } })).status, 200);
    assert.deepEqual((await assignees()).slice(5), [c.id, null]);
    // B puts one on hold: no longer new or open, so B has room for the seventh.
    assert.equal((await h.http.patch(`/v1/tickets/${tickets[1]}`, { token: b.token, body: { status: 'pending' } })).status, 200);
    assert.deepEqual((await assignees()).slice(5), [c.id, b.id]);

    // The agent who was away and comes online takes the next one; nobody outside the queue ever does.
    await online(away);
    const next = (await customerWrites(h, driverFor(h), page, 'Encore une question')).ticketId;
    await waitFor(async () => (await ticket(next)).assigneeId !== null, 'the next ticket assigned');
    assert.equal((await ticket(next)).assigneeId, away.id);
    assert.ok(!(await assignees()).includes(outsider.id));
  });

  it('a queue without auto-assignment keeps its tickets unassigned; turning it on hands them out', async () => {
    const page = await connectPage(h, sim, adminToken, 'Sans assignation');
    const agent = await createAgent(h.http, adminToken);
    await members(page.queueId, [agent]);
    await online(agent);
    const { ticketId } = await customerWrites(h, driverFor(h), page, 'Bonjour');
    await new Promise((resolve) => setTimeout(resolve, 600)); // three sweeps
    assert.equal((await ticket(ticketId)).assigneeId, null);
    await h.http.patch(`/v1/queues/${page.queueId}`, { token: adminToken, body: { autoAssign: true } });
    assert.equal((await ticket(ticketId)).assigneeId, agent.id);
  });

  it('members: only active agents of the company, 404 for another company queue', async () => {
    const page = await connectPage(h, sim, adminToken, 'Membres');
    const other = await signupCompany(h.http, 'Other');
    const res = await h.http.put(`/v1/queues/${page.queueId}/members`, { token: adminToken, body: { agentIds: [other.adminId] } });
    assert.equal(res.status, 422, res.text);
    assert.deepEqual([res.body.code, res.body.details], ['invalid_assignee', { agentIds: [other.adminId] }]);
    assert.equal((await h.http.put(`/v1/queues/${page.queueId}/members`, { token: other.adminToken, body: { agentIds: [] } })).status, 404);
    assert.equal((await h.http.get(`/v1/queues/${page.queueId}/members`, { token: other.adminToken })).status, 404);
    assert.deepEqual((await h.http.get(`/v1/queues/${page.queueId}/members`, { token: adminToken })).body, { agentIds: [] });
    assert.equal((await h.http.patch('/v1/agents/me', { token: adminToken, body: { availability: 'busy' } })).body.code, 'validation_failed');
  });

  describe('two API processes assigning 500 tickets at once', () => {
    const processes: ServiceProcess[] = [];
    after(async () => {
      for (const p of processes) p.child.kill('SIGTERM');
      await Promise.all(processes.map((p) => p.exited));
    });

    it('never assigns a ticket twice and never exceeds a capacity', async () => {
      for (let i = 0; i < 2; i++) {
        const p = await spawnService({ ...h.env, ROLE: 'api', PORT: '0' });
        processes.push(p);
      }
      await Promise.all(processes.map((p) => waitReady(p)));
      const apis = processes.map((p) => new HttpClient(p.url));
      const page = await connectPage(h, sim, adminToken, 'Charge');
      const agents: Agent[] = [];
      for (let i = 0; i < 20; i++) agents.push(await createAgent(h.http, adminToken));
      for (const agent of agents) await setCapacity(agent, 15);
      await members(page.queueId, agents);
      await h.http.patch(`/v1/queues/${page.queueId}`, { token: adminToken, body: { autoAssign: true } });
      await seedTickets(h, companyId, page, 500);

      // Every agent comes online through either process at once: 20 assigners race, plus the worker's sweep.
      await Promise.all(agents.map((agent, i) => online(agent, apis[i % 2])));
      const loads = async () =>
        (await h.db.query(`SELECT assignee_id, count(*)::int AS n FROM tickets WHERE queue_id = $1 AND status IN ('new', 'open') AND assignee_id IS NOT NULL GROUP BY 1`, [page.queueId])).rows as Array<{ n: number }>;
      await waitFor(async () => (await loads()).reduce((sum, row) => sum + row.n, 0) === 300, '300 tickets assigned');

      // Then 150 of them are solved, through both processes at once: each frees a place that the oldest waiting ticket takes.
      const assigned = (await h.db.query(`SELECT t.id, t.assignee_id FROM tickets t WHERE queue_id = $1 AND assignee_id IS NOT NULL ORDER BY created_at LIMIT 150`, [page.queueId])).rows;
      const tokens = new Map(agents.map((a) => [a.id, a.token]));
      const solved = await Promise.all(assigned.map((row, i) => apis[i % 2].patch(`/v1/tickets/${row.id}`, { token: tokens.get(row.assignee_id)!, body: { status: 'solved' } })));
      assert.ok(solved.every((res) => res.status === 200));
      await waitFor(async () => (await loads()).reduce((sum, row) => sum + row.n, 0) === 300, '300 open tickets assigned again');

      const twice = await h.db.query(
        `SELECT ticket_id FROM ticket_events WHERE company_id = $1 AND kind = 'assignee_changed' AND data->>'reason' = 'auto_assigned' GROUP BY 1 HAVING count(*) > 1`,
        [companyId],
      );
      assert.equal(twice.rowCount, 0, 'no ticket assigned twice');
      assert.ok((await loads()).every((row) => row.n <= 15), `no capacity exceeded: ${JSON.stringify(await loads())}`);
      const waiting = await h.db.query(`SELECT count(*)::int AS n, min(created_at) AS oldest FROM tickets WHERE queue_id = $1 AND assignee_id IS NULL`, [page.queueId]);
      assert.equal(waiting.rows[0].n, 50);
      const newestAssigned = await h.db.query(`SELECT max(created_at) AS at FROM tickets WHERE queue_id = $1 AND assignee_id IS NOT NULL`, [page.queueId]);
      assert.ok(newestAssigned.rows[0].at < waiting.rows[0].oldest, 'the 50 left waiting are the newest');
    });
  });
});

/** 500 customers, one new ticket each, created a millisecond apart; made in SQL since only assignment is under test here. */
async function seedTickets(h: Harness, companyId: string, page: ConnectedPage, count: number): Promise<void> {
  await h.db.query(
    `WITH c AS (
       INSERT INTO contacts (company_id, channel_id, psid, name) SELECT $1, $2, 'seed-' || g, 'Client ' || g FROM generate_series(1, $4) g RETURNING id, psid
     ), numbered AS (
       UPDATE companies SET last_ticket_number = last_ticket_number + $4 WHERE id = $1 RETURNING last_ticket_number - $4 AS base
     )
     INSERT INTO tickets (company_id, number, channel_id, contact_id, queue_id, subject, created_at, activity_at)
     SELECT $1, numbered.base + substr(c.psid, 6)::int, $2, c.id, $3, 'Commande', now() - interval '1 hour' + substr(c.psid, 6)::int * interval '1 millisecond', now()
     FROM c, numbered`,
    [companyId, page.channelId, page.queueId, count],
  );
}
