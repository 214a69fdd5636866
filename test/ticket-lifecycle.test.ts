import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { textMessage } from '../src/simulator/events';
import { type GraphSimulator } from '../src/simulator/graph-simulator';
import { createAgent, createApiKey, signupCompany } from './support/fixtures';
import { type Harness, startHarness } from './support/harness';
import { type ConnectedPage, connectPage, customerWrites, driverFor, messengerEnv, send, startSimulator, waitProcessed } from './support/messenger';
import { waitFor } from './support/process';

describe('ticket lifecycle: transitions, changes as timeline events, notes, auto-close', () => {
  let h: Harness;
  let sim: GraphSimulator;
  let admin: { token: string; id: string };
  let agent: { token: string; id: string };
  let page: ConnectedPage;

  before(async () => {
    sim = await startSimulator();
    h = await startHarness('lifecycle', { ...messengerEnv(sim), REOPEN_WINDOW: '1d', AUTO_CLOSE_AFTER: '4d', TICKET_SWEEP_INTERVAL_MS: '200' });
    const company = await signupCompany(h.http);
    admin = { token: company.adminToken, id: company.adminId };
    agent = await createAgent(h.http, admin.token);
    page = await connectPage(h, sim, admin.token);
  });
  after(async () => {
    await h.close();
    await sim.stop();
  });

  const newTicket = async (text = 'Bonjour, où est ma commande ?') => customerWrites(h, driverFor(h), page, text);
  const patch = (id: string, body: unknown, token = agent.token) => h.http.patch(`/v1/tickets/${id}`, { token, body });
  const timeline = async (id: string, limit = 100) => (await h.http.get(`/v1/tickets/${id}/messages?limit=${limit}`, { token: agent.token })).body.data as any[];
  const events = async (id: string) => (await timeline(id)).filter((item) => item.type === 'event');

  it('agents move a ticket through the allowed statuses, each change an event; others are 400 invalid_transition and change nothing', async () => {
    const { ticketId } = await newTicket();
    const steps: Array<[string, number]> = [['pending', 200], ['on_hold', 200], ['open', 200], ['solved', 200], ['pending', 400], ['closed', 400], ['new', 400], ['open', 200]];
    for (const [status, expected] of steps) {
      const res = await patch(ticketId, { status });
      assert.equal(res.status, expected, `${status}: ${res.text}`);
      if (expected === 400) assert.equal(res.body.code, 'invalid_transition');
    }
    const refused = await patch(ticketId, { status: 'solved' }).then(() => patch(ticketId, { status: 'pending' }));
    assert.deepEqual(refused.body.details, { from: 'solved', to: 'pending', allowed: ['open'] });
    const ticket = (await h.http.get(`/v1/tickets/${ticketId}`, { token: agent.token })).body;
    assert.equal(ticket.status, 'solved');
    assert.ok(ticket.solvedAt);
    const changes = (await events(ticketId)).map((e) => `${e.data.from}>${e.data.to}`);
    assert.deepEqual(changes, ['new>pending', 'pending>on_hold', 'on_hold>open', 'open>solved', 'solved>open', 'open>solved']);
    for (const e of await events(ticketId)) assert.deepEqual(e.actor, { kind: 'agent', id: agent.id });
  });

  it('only an admin closes by hand; a closed ticket refuses every change, note and reply with 409 ticket_closed', async () => {
    const solved = await newTicket();
    assert.equal((await patch(solved.ticketId, { status: 'solved' })).status, 200);
    const closedSolved = await patch(solved.ticketId, { status: 'closed' }, admin.token);
    assert.ok(closedSolved.body.solvedAt && closedSolved.body.closedAt, 'closing keeps when it was solved');
    const { ticketId } = await newTicket();
    assert.equal((await patch(ticketId, { status: 'closed' })).body.code, 'invalid_transition');
    const closed = await patch(ticketId, { status: 'closed' }, admin.token);
    assert.equal(closed.status, 200, closed.text);
    assert.equal(closed.body.status, 'closed');
    assert.ok(closed.body.closedAt);
    for (const res of [
      await patch(ticketId, { status: 'open' }, admin.token),
      await patch(ticketId, { priority: 'high' }),
      await h.http.post(`/v1/tickets/${ticketId}/notes`, { token: agent.token, body: { text: 'late' } }),
      await h.http.post(`/v1/tickets/${ticketId}/messages`, { token: agent.token, body: { text: 'too late' } }),
    ]) {
      assert.equal(res.status, 409, res.text);
      assert.equal(res.body.code, 'ticket_closed');
    }
    assert.equal((await events(ticketId)).length, 1);
  });

  it("an agent's first public reply opens a new ticket, once", async () => {
    const { ticketId } = await newTicket();
    for (const text of ['Nous regardons.', 'Voici le suivi.']) {
      const res = await h.http.post(`/v1/tickets/${ticketId}/messages`, { token: agent.token, body: { text } });
      assert.equal(res.status, 201, res.text);
    }
    assert.equal((await h.http.get(`/v1/tickets/${ticketId}`, { token: agent.token })).body.status, 'open');
    const opened = await events(ticketId);
    assert.equal(opened.length, 1);
    assert.deepEqual([opened[0].data, opened[0].actor], [{ from: 'new', to: 'open', reason: 'first_reply' }, { kind: 'agent', id: agent.id }]);
  });

  it('a customer message moves pending, on hold and recently solved tickets back to open, as the customer', async () => {
    const { ticketId, psid } = await newTicket();
    for (const status of ['pending', 'on_hold', 'solved']) {
      assert.equal((await patch(ticketId, { status })).status, 200);
      if (status === 'on_hold') assert.equal((await patch(ticketId, { status: 'on_hold' })).status, 200, 'staying put is allowed');
      await customerWrites(h, driverFor(h), page, `encore (${status})`, psid);
      assert.equal((await h.http.get(`/v1/tickets/${ticketId}`, { token: agent.token })).body.status, 'open', `from ${status}`);
    }
    const byCustomer = (await events(ticketId)).filter((e) => e.actor.kind === 'customer');
    assert.deepEqual(byCustomer.map((e) => `${e.data.from}>${e.data.to}`), ['pending>open', 'on_hold>open', 'solved>open']);
    assert.deepEqual(byCustomer.map((e) => e.actor.id), [null, null, null]);
  });

  it('auto-close: a ticket solved longer than AUTO_CLOSE_AFTER is closed by the worker with a system event; a recent one stays solved', async () => {
    const old = await newTicket();
    const recent = await newTicket();
    for (const { ticketId } of [old, recent]) assert.equal((await patch(ticketId, { status: 'solved' })).status, 200);
    await h.db.query(`UPDATE tickets SET solved_at = now() - interval '4 days 1 minute' WHERE id = $1`, [old.ticketId]);
    await h.db.query(`UPDATE tickets SET solved_at = now() - interval '3 days 23 hours' WHERE id = $1`, [recent.ticketId]);
    await waitFor(async () => (await h.http.get(`/v1/tickets/${old.ticketId}`, { token: agent.token })).body.status === 'closed', 'the old solved ticket closed');
    const last = (await events(old.ticketId)).at(-1);
    assert.deepEqual([last.actor, last.data], [{ kind: 'system', id: null }, { from: 'solved', to: 'closed', reason: 'auto_close' }]);
    // The sweep that closed the old one saw the recent one too, and left it.
    assert.equal((await h.http.get(`/v1/tickets/${recent.ticketId}`, { token: agent.token })).body.status, 'solved');
  });

  it('priority, assignee, queue and tags: each change an event; a bad assignee or queue is a 422 and writes nothing', async () => {
    const { ticketId } = await newTicket();
    const queue = (await h.http.post('/v1/queues', { token: admin.token, body: { name: 'Commandes' } })).body;
    const res = await patch(ticketId, { priority: 'urgent', assigneeId: agent.id, queueId: queue.id, tags: { add: [' Livraison ', 'colis', 'colis'] } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual([res.body.priority, res.body.assigneeId, res.body.queueId, res.body.tags], ['urgent', agent.id, queue.id, ['colis', 'livraison']]);

    const before = (await events(ticketId)).length;
    const other = await signupCompany(h.http, 'Other');
    const otherQueue = (await h.http.post('/v1/queues', { token: other.adminToken, body: { name: 'Ailleurs' } })).body;
    const leaver = await createAgent(h.http, admin.token);
    assert.equal((await h.http.patch(`/v1/agents/${leaver.id}`, { token: admin.token, body: { active: false } })).status, 200);
    for (const [body, code] of [
      [{ priority: 'low', assigneeId: randomUUID() }, 'invalid_assignee'],
      [{ priority: 'low', assigneeId: other.adminId }, 'invalid_assignee'],
      [{ priority: 'low', assigneeId: leaver.id }, 'invalid_assignee'],
      [{ priority: 'low', queueId: randomUUID() }, 'invalid_queue'],
      [{ priority: 'low', queueId: otherQueue.id }, 'invalid_queue'],
      [{ priority: 'low', tags: { add: Array.from({ length: 19 }, (_, i) => `t${i}`) } }, 'too_many_tags'],
    ] as const) {
      const refused = await patch(ticketId, body);
      assert.equal(refused.status, 422, refused.text);
      assert.equal(refused.body.code, code);
    }
    for (const tags of [{ add: ['no spaces allowed'] }, [{ add: ['x'] }], { add: [1] }]) {
      const bad = await patch(ticketId, { tags });
      assert.equal(bad.status, 400, JSON.stringify(tags));
      assert.equal(bad.body.code, 'validation_failed');
    }
    const unchanged = (await h.http.get(`/v1/tickets/${ticketId}`, { token: agent.token })).body;
    assert.equal(unchanged.priority, 'urgent', 'a refused change leaves the others unapplied too');
    assert.equal((await events(ticketId)).length, before);

    await patch(ticketId, { assigneeId: null, tags: { remove: ['colis'] } });
    const kinds = (await events(ticketId)).map((e) => [e.kind, e.data]);
    assert.deepEqual(kinds, [
      ['priority_changed', { from: 'normal', to: 'urgent' }],
      ['assignee_changed', { from: null, to: agent.id }],
      ['queue_changed', { from: page.queueId, to: queue.id }],
      ['tags_changed', { added: ['colis', 'livraison'], removed: [] }],
      ['assignee_changed', { from: agent.id, to: null }],
      ['tags_changed', { added: [], removed: ['colis'] }],
    ]);
  });

  it('the timeline: messages, replies with their delivery, notes and changes in one order, page by page; notes are never sent', async () => {
    const { ticketId, psid } = await newTicket('Mon colis est abîmé');
    const key = await createApiKey(h.http, admin.token, ['tickets:read', 'tickets:write']);
    const reply = await h.http.post(`/v1/tickets/${ticketId}/messages`, { token: agent.token, body: { text: 'Désolé, pouvez-vous envoyer une photo ?' } });
    assert.equal(reply.status, 201, reply.text);
    const note = await h.http.post(`/v1/tickets/${ticketId}/notes`, { token: agent.token, body: { text: 'Client fidèle, proposer un geste commercial' } });
    assert.equal(note.status, 201, note.text);
    assert.deepEqual([note.body.type, note.body.kind, note.body.actor], ['note', 'note', { kind: 'agent', id: agent.id }]);
    assert.equal((await patch(ticketId, { assigneeId: agent.id })).status, 200);
    assert.equal((await patch(ticketId, { status: 'pending' })).status, 200);
    const keyNote = await h.http.post(`/v1/tickets/${ticketId}/notes`, { token: key.key, body: { text: 'Photo demandée par le bot' } });
    assert.equal(keyNote.status, 201, keyNote.text);
    assert.deepEqual(keyNote.body.actor, { kind: 'api_key', id: key.id });
    await customerWrites(h, driverFor(h), page, 'Voici la photo', psid);

    const items = await timeline(ticketId);
    // jsonb keeps keys in its own order: compare them sorted.
    const sorted = (data: Record<string, unknown>) => JSON.stringify(Object.fromEntries(Object.entries(data).sort(([a], [b]) => a.localeCompare(b))));
    const shape = items.map((item) => (item.type === 'message' ? `${item.direction}:${item.text}` : item.type === 'note' ? `note:${item.text}` : `${item.kind}:${sorted(item.data)}`));
    assert.deepEqual(shape, [
      'inbound:Mon colis est abîmé',
      'outbound:Désolé, pouvez-vous envoyer une photo ?',
      'status_changed:{"from":"new","reason":"first_reply","to":"open"}',
      'note:Client fidèle, proposer un geste commercial',
      `assignee_changed:{"from":null,"to":"${agent.id}"}`,
      'status_changed:{"from":"open","to":"pending"}',
      'note:Photo demandée par le bot',
      'inbound:Voici la photo',
      'status_changed:{"from":"pending","to":"open"}',
    ]);
    assert.ok(items[1].delivery, 'the reply carries its delivery state');

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await h.http.get(`/v1/tickets/${ticketId}/messages?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: agent.token });
      assert.ok(res.body.data.length <= 2);
      paged.push(...res.body.data.map((item: any) => item.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    assert.deepEqual(paged, items.map((item) => item.id));

    await waitFor(async () => (await h.db.query(`SELECT count(*)::int AS n FROM deliveries WHERE ticket_id = $1 AND state = 'sent'`, [ticketId])).rows[0].n === 1, 'the reply sent');
    const sentTexts = sim.calls.filter((c) => c.recipient === psid).map((c) => JSON.stringify(c.body));
    assert.ok(sentTexts.some((body) => body.includes('photo')), 'the reply reached Meta');
    assert.ok(!sentTexts.some((body) => body.includes('geste commercial') || body.includes('par le bot')), 'no note ever reaches Meta');
  });
  it('finding work: default order by the latest customer message, by creation on request, and every filter', async () => {
    const [t1, t2, t3] = [await newTicket('un'), await newTicket('deux'), await newTicket('trois')];
    const ours = [t1.ticketId, t2.ticketId, t3.ticketId];
    const list = async (query: string, token = agent.token) => {
      const res = await h.http.get(`/v1/tickets?limit=100&${query}`, { token });
      assert.equal(res.status, 200, res.text);
      return (res.body.data as Array<{ id: string }>).map((t) => t.id).filter((id) => ours.includes(id));
    };
    await customerWrites(h, driverFor(h), page, 'un, encore', t1.psid);
    assert.deepEqual(await list(''), [t1.ticketId, t3.ticketId, t2.ticketId], 'the customer who wrote last comes first');
    assert.deepEqual(await list('sort=created'), [t3.ticketId, t2.ticketId, t1.ticketId]);

    const since = new Date().toISOString();
    assert.equal((await patch(t2.ticketId, { assigneeId: agent.id, priority: 'high', tags: { add: ['VIP'] } })).status, 200);
    assert.equal((await patch(t3.ticketId, { assigneeId: admin.id })).status, 200);
    assert.deepEqual(await list('assignee=me'), [t2.ticketId]);
    assert.deepEqual(await list('assignee=none'), [t1.ticketId]);
    assert.deepEqual(await list(`assignee=${admin.id}`), [t3.ticketId]);
    assert.deepEqual(await list('tag=vip'), [t2.ticketId]);
    assert.deepEqual(await list('priority=high,urgent'), [t2.ticketId]);
    assert.deepEqual(await list(`contactId=${t1.contactId}`), [t1.ticketId]);
    assert.deepEqual(await list(`channelId=${page.channelId}&status=new`), [t1.ticketId, t3.ticketId, t2.ticketId]);
    assert.deepEqual(await list(`updatedSince=${since}`), [t3.ticketId, t2.ticketId]);
    assert.deepEqual(await list(`assignee=none&tag=vip`), [], 'filters combine');

    // By priority: urgent first, then by the latest customer message; paged one at a time, the same order.
    assert.equal((await patch(t3.ticketId, { priority: 'urgent' })).status, 200);
    assert.equal((await patch(t1.ticketId, { priority: 'low' })).status, 200);
    assert.deepEqual(await list('sort=priority'), [t3.ticketId, t2.ticketId, t1.ticketId]);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await h.http.get(`/v1/tickets?sort=priority&channelId=${page.channelId}&limit=1${cursor ? `&cursor=${cursor}` : ''}`, { token: agent.token });
      paged.push(...res.body.data.map((t: any) => t.id).filter((id: string) => ours.includes(id)));
      cursor = res.body.nextCursor;
    } while (cursor);
    assert.deepEqual(paged, [t3.ticketId, t2.ticketId, t1.ticketId]);
    const foreignCursor = (await h.http.get('/v1/tickets?limit=1', { token: agent.token })).body.nextCursor;
    assert.equal((await h.http.get(`/v1/tickets?sort=priority&cursor=${foreignCursor}`, { token: agent.token })).body.code, 'invalid_cursor');

    const key = await createApiKey(h.http, admin.token, ['tickets:read']);
    const asKey = await h.http.get('/v1/tickets?assignee=me', { token: key.key });
    assert.equal(asKey.status, 400, 'an API key has no "me"');
    for (const bad of ['assignee=someone', 'priority=extreme', 'updatedSince=yesterday', 'sort=random']) {
      const res = await h.http.get(`/v1/tickets?${bad}`, { token: agent.token });
      assert.equal(res.status, 400, bad);
      assert.equal(res.body.code, 'validation_failed', bad);
    }
  });
  it('claim: of agents claiming one ticket at once exactly one gets it, the others 409 already_assigned; claiming your own is a no-op', async () => {
    const { ticketId } = await newTicket();
    const others = await Promise.all([createAgent(h.http, admin.token), createAgent(h.http, admin.token), createAgent(h.http, admin.token)]);
    const claims = await Promise.all([agent, ...others].map((a) => h.http.post(`/v1/tickets/${ticketId}/claim`, { token: a.token })));
    const won = claims.filter((res) => res.status === 200);
    assert.equal(won.length, 1, claims.map((res) => res.status).join(','));
    for (const res of claims.filter((r) => r.status !== 200)) {
      assert.equal(res.status, 409);
      assert.equal(res.body.code, 'already_assigned');
      assert.equal(res.body.details.assigneeId, won[0].body.assigneeId);
    }
    const winner = [agent, ...others].find((a) => a.id === won[0].body.assigneeId)!;
    assert.equal((await h.http.post(`/v1/tickets/${ticketId}/claim`, { token: winner.token })).status, 200);
    const assignments = (await events(ticketId)).filter((e) => e.kind === 'assignee_changed');
    assert.deepEqual(assignments.map((e) => [e.actor.id, e.data]), [[winner.id, { from: null, to: winner.id, reason: 'claimed' }]]);
    const key = await createApiKey(h.http, admin.token, ['tickets:write']);
    assert.equal((await h.http.post(`/v1/tickets/${ticketId}/claim`, { token: key.key })).status, 400);
  });
  it("a customer message that reaches us after an agent's change still shows its reopening after that change", async () => {
    const { ticketId, psid } = await newTicket();
    const writtenAt = Date.now();
    assert.equal((await patch(ticketId, { status: 'pending' })).status, 200);
    // Written before the agent set pending, delivered by Meta after it.
    await send(driverFor(h), page.pageId, textMessage(page.pageId, psid, 'écrit avant', { timestamp: writtenAt - 500 }));
    await waitProcessed(h);
    const items = await timeline(ticketId);
    const changes = items.filter((item) => item.type === 'event').map((e) => `${e.data.from}>${e.data.to}`);
    assert.deepEqual(changes, ['new>pending', 'pending>open'], 'the timeline ends with the status the ticket has');
    assert.equal((await h.http.get(`/v1/tickets/${ticketId}`, { token: agent.token })).body.status, 'open');
    assert.equal(items.find((item) => item.text === 'écrit avant')?.sentAt, new Date(writtenAt - 500).toISOString(), "the message keeps Meta's time");
  });

  it("a bot's reply (an API key) leaves a new ticket new, for an agent to pick up", async () => {
    const { ticketId } = await newTicket();
    const key = await createApiKey(h.http, admin.token, ['tickets:write']);
    assert.equal((await h.http.post(`/v1/tickets/${ticketId}/messages`, { token: key.key, body: { text: 'Accusé de réception automatique' } })).status, 201);
    assert.equal((await h.http.get(`/v1/tickets/${ticketId}`, { token: agent.token })).body.status, 'new');
    assert.deepEqual(await events(ticketId), []);
  });
  it('merge: the whole timeline moves into the other ticket of the same contact and interleaves by time; the merged one is closed with a pointer', async () => {
    const first = await newTicket('Première commande abîmée');
    const note = await h.http.post(`/v1/tickets/${first.ticketId}/notes`, { token: agent.token, body: { text: 'Vu avec le transporteur' } });
    assert.equal(note.status, 201);
    assert.equal((await patch(first.ticketId, { status: 'solved' })).status, 200);
    // Solved after the reopen window (1 day here) and before the auto-close (4 days): the next message opens a follow-up.
    await h.db.query(`UPDATE tickets SET solved_at = now() - interval '2 days' WHERE id = $1`, [first.ticketId]);
    const second = await customerWrites(h, driverFor(h), page, 'Et la deuxième aussi', first.psid);
    assert.notEqual(second.ticketId, first.ticketId);
    const stranger = await newTicket('Autre client');

    const cases: Array<[string, unknown, number, string]> = [
      [first.ticketId, { intoTicketId: first.ticketId }, 400, 'merge_not_allowed'],
      [first.ticketId, { intoTicketId: stranger.ticketId }, 422, 'merge_not_allowed'],
      [first.ticketId, { intoTicketId: randomUUID() }, 404, 'not_found'],
      [first.ticketId, { intoTicketId: 'nope' }, 400, 'validation_failed'],
    ];
    for (const [from, body, status, code] of cases) {
      const res = await h.http.post(`/v1/tickets/${from}/merge`, { token: agent.token, body });
      assert.deepEqual([res.status, res.body.code], [status, code], JSON.stringify(body));
    }

    const merged = await h.http.post(`/v1/tickets/${first.ticketId}/merge`, { token: agent.token, body: { intoTicketId: second.ticketId } });
    assert.equal(merged.status, 200, merged.text);
    assert.equal(merged.body.id, second.ticketId);
    const shape = (await timeline(second.ticketId)).map((item) => (item.type === 'message' ? item.text : item.type === 'note' ? `note:${item.text}` : `${item.kind}:${item.data.to ?? item.data.from}`));
    assert.deepEqual(shape, ['Première commande abîmée', 'note:Vu avec le transporteur', 'status_changed:solved', 'Et la deuxième aussi', `merged:${first.ticketId}`]);

    const old = (await h.http.get(`/v1/tickets/${first.ticketId}`, { token: agent.token })).body;
    assert.deepEqual([old.status, old.mergedIntoId], ['closed', second.ticketId]);
    const left = await timeline(first.ticketId);
    assert.deepEqual(left.map((item) => [item.kind, item.data.into]), [['merged', second.ticketId]]);
    const again = await h.http.post(`/v1/tickets/${first.ticketId}/merge`, { token: agent.token, body: { intoTicketId: second.ticketId } });
    assert.deepEqual([again.status, again.body.code], [409, 'ticket_closed']);
  });
  it("finding work: the tickets whose reply window closes within a given time, so they are answered while it is allowed", async () => {
    const closing = await newTicket('bientôt fermé');
    const open = await newTicket('encore longtemps');
    const closed = await newTicket('déjà fermé');
    for (const [t, hoursAgo] of [[closing, 23], [open, 10], [closed, 25]] as const) {
      await h.db.query(`UPDATE contacts SET last_interaction_at = now() - make_interval(hours => $2) WHERE id = $1`, [t.contactId, hoursAgo]);
    }
    const ids = async (minutes: number) =>
      ((await h.http.get(`/v1/tickets?limit=100&replyWindowClosesWithinMinutes=${minutes}`, { token: agent.token })).body.data as Array<{ id: string }>).map((t) => t.id);
    const within2h = await ids(120);
    assert.ok(within2h.includes(closing.ticketId), 'closes in an hour');
    assert.ok(!within2h.includes(open.ticketId) && !within2h.includes(closed.ticketId), 'not the one with 14 hours left, nor the one already closed');
    assert.ok((await ids(15 * 60)).includes(open.ticketId));
    const ticket = (await h.http.get(`/v1/tickets/${closing.ticketId}`, { token: agent.token })).body;
    assert.equal(ticket.replyWindow.mode, 'standard');
    assert.equal((await h.http.get('/v1/tickets?replyWindowClosesWithinMinutes=0', { token: agent.token })).status, 400);
  });

  it('bulk: the same change on many tickets, each atomic on its own, with a result per ticket', async () => {
    const tickets = [await newTicket(), await newTicket(), await newTicket()];
    const closed = tickets[2].ticketId;
    assert.equal((await patch(closed, { status: 'closed' }, admin.token)).status, 200);
    const missing = randomUUID();
    const res = await h.http.post('/v1/tickets/bulk', { token: agent.token, body: { ids: [tickets[0].ticketId, closed, missing, tickets[1].ticketId], changes: { status: 'pending', tags: { add: ['relance'] } } } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.results.map((r: any) => [r.id, r.status, r.error?.code ?? null, r.ticket?.status ?? null]), [
      [tickets[0].ticketId, 200, null, 'pending'],
      [closed, 409, 'ticket_closed', null],
      [missing, 404, 'not_found', null],
      [tickets[1].ticketId, 200, null, 'pending'],
    ]);
    for (const { ticketId } of tickets.slice(0, 2)) assert.deepEqual((await events(ticketId)).map((e) => e.kind), ['status_changed', 'tags_changed']);
    assert.equal((await events(closed)).length, 1, 'the closed ticket is untouched');

    for (const body of [{ ids: [], changes: {} }, { ids: Array.from({ length: 101 }, () => randomUUID()), changes: {} }, { ids: [missing, missing], changes: {} }, { ids: [missing], changes: { status: 'bogus' } }, { ids: ['x'], changes: {} }]) {
      const bad = await h.http.post('/v1/tickets/bulk', { token: agent.token, body });
      assert.equal(bad.status, 400, JSON.stringify(body).slice(0, 80));
      assert.equal(bad.body.code, 'validation_failed');
    }
  });

  it("counts: the sidebar's figures follow every change above (transitions, assignment, queues, merge, auto-close) and match the tickets", async () => {
    const before = (await h.http.get('/v1/tickets/counts', { token: agent.token })).body;
    const { ticketId } = await newTicket();
    const after1 = (await h.http.get('/v1/tickets/counts', { token: agent.token })).body;
    assert.deepEqual([after1.byStatus.new - before.byStatus.new, after1.unassigned - before.unassigned, after1.mine - before.mine], [1, 1, 0]);
    assert.equal((await h.http.post(`/v1/tickets/${ticketId}/claim`, { token: agent.token })).status, 200);
    const after2 = (await h.http.get('/v1/tickets/counts', { token: agent.token })).body;
    assert.deepEqual([after2.unassigned - before.unassigned, after2.mine - before.mine], [0, 1]);

    // The oracle: the same figures computed from the tickets themselves.
    const { rows } = await h.db.query(`SELECT status, queue_id, assignee_id FROM tickets WHERE company_id = (SELECT company_id FROM tickets WHERE id = $1)`, [ticketId]);
    const unfinished = rows.filter((t) => ['new', 'open', 'pending', 'on_hold'].includes(t.status));
    const byQueue = new Map<string, number>();
    for (const t of unfinished) byQueue.set(t.queue_id, (byQueue.get(t.queue_id) ?? 0) + 1);
    const counts = (await h.http.get('/v1/tickets/counts', { token: agent.token })).body;
    assert.deepEqual(counts.byStatus, Object.fromEntries(['new', 'open', 'pending', 'on_hold', 'solved', 'closed'].map((s) => [s, rows.filter((t) => t.status === s).length])));
    assert.deepEqual(Object.fromEntries(counts.byQueue.map((q: { queueId: string; unfinished: number }) => [q.queueId, q.unfinished])), Object.fromEntries(byQueue));
    assert.equal(counts.mine, unfinished.filter((t) => t.assignee_id === agent.id).length);
    assert.equal(counts.unassigned, unfinished.filter((t) => t.assignee_id === null).length);
    assert.ok(counts.byStatus.closed >= 3, 'closed by an admin, by the sweep and by a merge');

    const key = await createApiKey(h.http, admin.token, ['tickets:read']);
    assert.equal((await h.http.get('/v1/tickets/counts', { token: key.key })).body.mine, null);
    const other = await signupCompany(h.http, 'Elsewhere');
    const theirs = (await h.http.get('/v1/tickets/counts', { token: other.adminToken })).body;
    assert.deepEqual([theirs.byQueue, theirs.unassigned, theirs.byStatus.new], [[], 0, 0], "another company's counts start at zero");
  });
});
