import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type GraphSimulator } from '../src/simulator/graph-simulator';
import { createAgent, signupCompany } from './support/fixtures';
import { type Harness, startHarness } from './support/harness';
import { HttpClient } from './support/http';
import { type ConnectedPage, connectPage, customerWrites, driverFor, messengerEnv, startSimulator } from './support/messenger';
import { spawnService, type ServiceProcess, waitReady } from './support/process';
import { openStream, type SseStream } from './support/sse';

describe('live updates: GET /v1/events as Server-Sent Events', () => {
  let h: Harness;
  let sim: GraphSimulator;
  let other: ServiceProcess;
  let elsewhere: HttpClient;
  const a = { token: '', page: undefined as unknown as ConnectedPage };
  const b = { token: '', page: undefined as unknown as ConnectedPage };
  const streams: SseStream[] = [];
  const stream = async (token: string, lastEventId?: string) => {
    const s = await openStream(h.http.baseUrl, token, lastEventId);
    streams.push(s);
    return s;
  };

  before(async () => {
    sim = await startSimulator();
    h = await startHarness('live', { ...messengerEnv(sim), LIVE_EVENTS_POLL_MS: '200' });
    // Changes are made through another API process: the streams are served by the harness's.
    other = await spawnService({ ...h.env, ROLE: 'api', PORT: '0' });
    await waitReady(other);
    elsewhere = new HttpClient(other.url);
    for (const company of [a, b]) {
      const admin = (await signupCompany(h.http)).adminToken;
      company.token = (await createAgent(h.http, admin)).token;
      company.page = await connectPage(h, sim, admin);
    }
  });
  after(async () => {
    for (const s of streams) await s.close();
    other.child.kill('SIGTERM');
    await other.exited;
    await h.close();
    await sim.stop();
  });

  it("streams a company's ticket and message events from another process, and never another company's", async () => {
    const [forA, forB] = [await stream(a.token), await stream(b.token)];
    assert.equal(forA.status, 200);
    const ticketA = await customerWrites(h, driverFor(h), a.page, 'Bonjour A');
    const ticketB = await customerWrites(h, driverFor(h), b.page, 'Bonjour B');
    await forA.until((e) => e.event === 'ticket.created' && e.data.ticketId === ticketA.ticketId, "A's new ticket");
    await forA.until((e) => e.event === 'message.added' && e.data.ticketId === ticketA.ticketId && e.data.direction === 'inbound', "A's customer message");

    assert.equal((await elsewhere.patch(`/v1/tickets/${ticketA.ticketId}`, { token: a.token, body: { priority: 'high' } })).status, 200);
    assert.equal((await elsewhere.post(`/v1/tickets/${ticketA.ticketId}/notes`, { token: a.token, body: { text: 'à voir' } })).status, 201);
    const reply = await elsewhere.post(`/v1/tickets/${ticketA.ticketId}/messages`, { token: a.token, body: { text: 'Nous regardons.' } });
    assert.equal(reply.status, 201, reply.text);
    assert.equal((await elsewhere.patch(`/v1/tickets/${ticketB.ticketId}`, { token: b.token, body: { priority: 'urgent' } })).status, 200);

    const updated = await forA.until((e) => e.event === 'ticket.updated' && e.data.priority === 'high', "A's priority change");
    assert.equal(updated.data.ticketId, ticketA.ticketId);
    await forA.until((e) => e.event === 'note.added', "A's note");
    await forA.until((e) => e.event === 'message.added' && e.data.messageId === reply.body.id, "A's reply");
    await forA.until((e) => e.event === 'delivery.updated' && e.data.messageId === reply.body.id && e.data.state === 'sent', "A's reply sent");
    await forB.until((e) => e.event === 'ticket.updated' && e.data.priority === 'urgent', "B's priority change");

    assert.ok(forA.events.every((e) => e.data.ticketId === ticketA.ticketId), `A saw only its ticket: ${JSON.stringify(forA.events.map((e) => e.data.ticketId))}`);
    assert.ok(forB.events.every((e) => e.data.ticketId === ticketB.ticketId), 'B saw only its ticket');
    const ids = forA.events.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, 'each event once');
  });

  it('a client that reconnects with Last-Event-ID gets exactly what it missed, in order', async () => {
    const { ticketId } = await customerWrites(h, driverFor(h), a.page, 'Encore');
    const watcher = await stream(a.token);
    const first = await stream(a.token);
    await elsewhere.post(`/v1/tickets/${ticketId}/notes`, { token: a.token, body: { text: 'avant' } });
    const seen = await first.until((e) => e.event === 'note.added', 'the first note');
    await first.close();

    // While disconnected: changes from both processes, and the customer.
    await elsewhere.patch(`/v1/tickets/${ticketId}`, { token: a.token, body: { tags: { add: ['suivi'] } } });
    await h.http.post(`/v1/tickets/${ticketId}/notes`, { token: a.token, body: { text: 'pendant' } });
    await customerWrites(h, driverFor(h), a.page, 'Toujours là ?', (await h.db.query('SELECT c.psid FROM tickets t JOIN contacts c ON c.id = t.contact_id WHERE t.id = $1', [ticketId])).rows[0].psid);
    const marker = await elsewhere.patch(`/v1/tickets/${ticketId}`, { token: a.token, body: { priority: 'low' } });
    assert.equal(marker.status, 200);

    const resumed = await stream(a.token, seen.id);
    const isMarker = (e: { event: string; data: any }) => e.event === 'ticket.updated' && e.data.priority === 'low';
    await resumed.until(isMarker, 'the last change, after resuming');
    await watcher.until(isMarker, 'the last change, on the stream that never left');

    const upTo = (events: Array<{ id: string; event: string; data: any }>) => events.slice(0, events.findIndex(isMarker) + 1).map((e) => e.id);
    const continuous = upTo(watcher.events);
    const split = [...first.events.map((e) => e.id), ...upTo(resumed.events)];
    assert.deepEqual(split, continuous.slice(continuous.indexOf(first.events[0].id)), 'before and after the disconnect together are the uninterrupted stream');
    assert.ok(upTo(resumed.events).length >= 4, 'the missed changes came');
  });

  it("a merge tells both tickets' watchers: the merged one closes, the other gains its timeline", async () => {
    const first = await customerWrites(h, driverFor(h), a.page, 'Première question');
    assert.equal((await elsewhere.patch(`/v1/tickets/${first.ticketId}`, { token: a.token, body: { status: 'solved' } })).status, 200);
    await h.db.query(`UPDATE tickets SET solved_at = now() - interval '30 days' WHERE id = $1`, [first.ticketId]);
    const second = await customerWrites(h, driverFor(h), a.page, 'Autre question', first.psid);
    assert.notEqual(second.ticketId, first.ticketId);
    const watch = await stream(a.token);
    assert.equal((await elsewhere.post(`/v1/tickets/${first.ticketId}/merge`, { token: a.token, body: { intoTicketId: second.ticketId } })).status, 200);
    const into = await watch.until((e) => e.event === 'ticket.merged' && e.data.ticketId === second.ticketId, 'the target told');
    assert.equal(into.data.from, first.ticketId);
    await watch.until((e) => e.event === 'ticket.merged' && e.data.ticketId === first.ticketId && e.data.into === second.ticketId, 'the merged ticket told');
    await watch.until((e) => e.event === 'ticket.updated' && e.data.ticketId === first.ticketId && e.data.status === 'closed', 'the merged ticket closed');
  });

  it('a quiet stream resumes from where it began: the id it opens with is a place to come back to', async () => {
    const quiet = await stream(b.token);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(quiet.events, []);
    assert.match(quiet.lastEventId(), /^\d+-\d+$/);
    await quiet.close();
    const { ticketId } = await customerWrites(h, driverFor(h), b.page, 'Pendant que personne ne regardait');
    const back = await stream(b.token, quiet.lastEventId());
    await back.until((e) => e.event === 'ticket.created' && e.data.ticketId === ticketId, 'the ticket made while away');
    assert.ok(!back.events.some((e) => e.event === 'reset'));
  });

  it('refuses what it cannot resume from: a malformed id is a 400, a forgotten one restarts with a reset event', async () => {
    for (const id of ['yesterday', '99999999999999999999-1', '1-9999999999999999999']) {
      const bad = await fetch(`${h.http.baseUrl}/v1/events`, { headers: { authorization: `Bearer ${a.token}`, 'last-event-id': id } });
      assert.equal(bad.status, 400, id);
      assert.equal(((await bad.json()) as { code: string }).code, 'invalid_cursor');
    }
    const forgotten = await stream(a.token, '1-1');
    await forgotten.until((e) => e.event === 'reset', 'the reset');
    assert.deepEqual(forgotten.events[0].data, { reason: 'history_expired' });
    // Another company's event id is no way in: B is told to reset, and sees none of A's events.
    const [ofA] = (await h.db.query(`SELECT e.xid::text || '-' || e.id AS id FROM live_events e JOIN tickets t ON t.id = e.ticket_id WHERE t.channel_id = $1 LIMIT 1`, [a.page.channelId])).rows;
    const intruder = await stream(b.token, ofA.id);
    await intruder.until((e) => e.event === 'reset', "B's reset");
    await elsewhere.post(`/v1/tickets/${(await customerWrites(h, driverFor(h), a.page, 'Pour A seulement')).ticketId}/notes`, { token: a.token, body: { text: 'privé' } });
    await forgotten.until((e) => e.event === 'note.added', "A's note, on A's stream");
    assert.deepEqual(intruder.events.map((e) => e.event), ['reset']);
    assert.equal((await fetch(`${h.http.baseUrl}/v1/events`)).status, 401);
  });
});
