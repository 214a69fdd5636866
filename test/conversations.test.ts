import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { attachmentMessage, echo, entry, envelope, marketingOptin, messageEdit, newMid, pluginOptin, reaction, stickerMessage, textMessage } from '../src/simulator/events';
import { type GraphSimulator } from '../src/simulator/graph-simulator';
import { encodeMetaJson } from '../src/simulator/meta-json';
import { signupCompany } from './support/fixtures';
import { type Harness, startHarness } from './support/harness';
import { type ConnectedPage, connectPage, customerWrites, driverFor, messengerEnv, newPsid, send, startSimulator, waitProcessed } from './support/messenger';

describe('conversations become tickets', () => {
  let h: Harness;
  let sim: GraphSimulator;
  let token: string;
  let page: ConnectedPage;
  before(async () => {
    sim = await startSimulator();
    h = await startHarness('conversations', { ...messengerEnv(sim), REOPEN_WINDOW: '7d' });
    token = (await signupCompany(h.http)).adminToken;
    page = await connectPage(h, sim, token);
  });
  after(async () => {
    await h.close();
    await sim.stop();
  });

  const ticketsOf = async (psid: string) =>
    (await h.db.query(`SELECT t.* FROM tickets t JOIN contacts c ON c.id = t.contact_id WHERE c.psid = $1 ORDER BY t.number`, [psid])).rows;

  it('a new customer gets a contact, a placeholder then a real name, and ticket #n in the default queue', async () => {
    const psid = newPsid();
    sim.setProfile(psid, { first_name: 'Amélie', last_name: 'Poulain', profile_pic: 'https://cdn.example/p.jpg' });
    const { ticketId, contactId } = await customerWrites(h, driverFor(h), page, 'Bonjour ! Ma commande 1042 n’est pas arrivée, pouvez-vous vérifier ? Merci beaucoup pour votre aide', psid);
    const ticket = (await h.http.get(`/v1/tickets/${ticketId}`, { token })).body;
    assert.equal(ticket.status, 'new');
    assert.equal(ticket.priority, 'normal');
    assert.equal(ticket.queueId, page.queueId);
    assert.equal(ticket.subject.length, 80);
    assert.ok(ticket.subject.startsWith('Bonjour ! Ma commande 1042'));
    let contact: any;
    for (let i = 0; i < 200; i++) {
      contact = (await h.http.get(`/v1/contacts/${contactId}`, { token })).body;
      if (contact.profileState !== 'pending') break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal(contact.name, 'Amélie Poulain');
    assert.equal(contact.profilePicUrl, 'https://cdn.example/p.jpg');
    assert.ok(contact.lastInteractionAt);
    const call = sim.calls.find((c) => c.path === `/${psid}`);
    assert.ok(call && !call.tokenInUrl && call.token === page.token, 'the token went in a header');
  });

  it('a profile error leaves the placeholder name and never blocks the message', async () => {
    const psid = newPsid();
    sim.setProfile(psid, null);
    const { contactId, ticketId } = await customerWrites(h, driverFor(h), page, 'hi', psid);
    for (let i = 0; i < 200; i++) {
      const state = (await h.db.query('SELECT profile_state FROM contacts WHERE id = $1', [contactId])).rows[0].profile_state;
      if (state !== 'pending') break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const contact = (await h.http.get(`/v1/contacts/${contactId}`, { token })).body;
    assert.equal(contact.profileState, 'unavailable');
    assert.equal(contact.name, `Messenger user ${psid.slice(-4)}`);
    assert.equal((await h.http.get(`/v1/tickets/${ticketId}/messages`, { token })).body.data[0].text, 'hi');
  });

  it('threading: a reply joins the open ticket; a recently solved ticket reopens; after the window a follow-up is made', async () => {
    const driver = driverFor(h);
    const psid = newPsid();
    const first = await customerWrites(h, driver, page, 'first', psid);
    await customerWrites(h, driver, page, 'second', psid);
    assert.equal((await ticketsOf(psid)).length, 1, 'a reply joins the unfinished ticket');

    await h.db.query(`UPDATE tickets SET status = 'pending' WHERE id = $1`, [first.ticketId]);
    await customerWrites(h, driver, page, 'third', psid);
    assert.deepEqual((await ticketsOf(psid)).map((t) => t.status), ['open'], 'a customer message moves pending back to open');

    await h.db.query(`UPDATE tickets SET status = 'solved', solved_at = now() - interval '2 days' WHERE id = $1`, [first.ticketId]);
    await customerWrites(h, driver, page, 'fourth', psid);
    let tickets = await ticketsOf(psid);
    assert.equal(tickets.length, 1);
    assert.equal(tickets[0].status, 'open', 'solved 2 days ago, inside the 7-day window: reopened');
    assert.equal(tickets[0].solved_at, null);

    await h.db.query(`UPDATE tickets SET status = 'solved', solved_at = now() - interval '8 days' WHERE id = $1`, [first.ticketId]);
    await customerWrites(h, driver, page, 'fifth', psid);
    tickets = await ticketsOf(psid);
    assert.equal(tickets.length, 2, 'solved 8 days ago: a new ticket');
    assert.equal(tickets[1].status, 'new');
    assert.equal(tickets[1].previous_ticket_id, first.ticketId, 'linked as a follow-up');
    assert.ok(tickets[1].number > tickets[0].number);

    const timeline: Array<{ type: string; text: string | null; kind: string; data: { from?: string; to?: string } }> = (await h.http.get(`/v1/tickets/${first.ticketId}/messages`, { token })).body.data;
    // The two reopenings by the customer are in the timeline after the messages that caused them.
    assert.deepEqual(
      timeline.map((item) => (item.type === 'message' ? item.text : `${item.kind} ${item.data.from}>${item.data.to}`)),
      ['first', 'second', 'third', 'status_changed pending>open', 'fourth', 'status_changed solved>open'],
    );
  });

  it('two messages of a new customer at the same instant create one ticket', async () => {
    const psid = newPsid();
    const at = Date.now();
    const driver = driverFor(h);
    await Promise.all([
      send(driver, page.pageId, textMessage(page.pageId, psid, 'one', { timestamp: at })),
      send(driver, page.pageId, textMessage(page.pageId, psid, 'two', { timestamp: at })),
      driver.post(envelope([entry(page.pageId, [textMessage(page.pageId, psid, 'three', { timestamp: at })])])),
    ]);
    await waitProcessed(h);
    const tickets = await ticketsOf(psid);
    assert.equal(tickets.length, 1);
    assert.equal((await h.db.query('SELECT count(*)::int AS n FROM messages WHERE ticket_id = $1', [tickets[0].id])).rows[0].n, 3);
  });

  it('ticket numbers are sequential per company, without gaps or repeats under concurrency', async () => {
    const company = await signupCompany(h.http);
    const own = await connectPage(h, sim, company.adminToken);
    const driver = driverFor(h);
    await Promise.all(Array.from({ length: 25 }, (_, i) => send(driver, own.pageId, textMessage(own.pageId, newPsid(), `customer ${i}`))));
    await waitProcessed(h);
    const numbers = (await h.db.query('SELECT number FROM tickets WHERE company_id = $1 ORDER BY number', [company.companyId])).rows.map((r) => r.number);
    assert.deepEqual(numbers, Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('keeps one sticker, cleans NUL and lone surrogates, keeps quick replies and attachments', async () => {
    const psid = newPsid();
    const driver = driverFor(h);
    const stickerMid = newMid();
    await send(driver, page.pageId, stickerMessage(page.pageId, psid, { url: 'https://cdn.example/sticker.png', stickerId: 369239263222822 }, { mid: stickerMid }));
    const dirty = JSON.parse(encodeMetaJson(envelope([entry(page.pageId, [textMessage(page.pageId, psid, 'a\u0000b\ud800c', { quickReplyPayload: 'SIZE_M' })])])));
    await driver.post(dirty);
    await send(driver, page.pageId, attachmentMessage(page.pageId, psid, [{ type: 'location', payload: { coordinates: { lat: 48.85, long: 2.35 } } }, { type: 'file', payload: { url: 'https://cdn.example/invoice.pdf' } }]));
    await waitProcessed(h);
    const messages = (await h.db.query(`SELECT m.* FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE c.psid = $1 ORDER BY m.sent_at, m.id`, [psid])).rows;
    const sticker = messages.find((m) => m.mid === stickerMid);
    assert.deepEqual(sticker.content.attachments.map((a: { type: string }) => a.type), ['sticker'], 'one sticker, not a sticker and an image');
    const cleaned = messages.find((m) => m.content.quickReply);
    assert.equal(cleaned.text, 'ab\ufffdc');
    assert.deepEqual(cleaned.content.quickReply, { payload: 'SIZE_M' });
    const files = messages.find((m) => m.kind === 'attachments' && m.mid !== stickerMid);
    assert.deepEqual(files.content.attachments.map((a: { type: string }) => a.type), ['location', 'file']);
  });

  it('reactions and edits apply even when they arrive before their message', async () => {
    const psid = newPsid();
    const driver = driverFor(h);
    const mid = newMid();
    const now = Date.now();
    await send(driver, page.pageId, reaction(page.pageId, psid, { mid, reaction: 'like', emoji: '👍', action: 'react' }, { timestamp: now + 2 }));
    await send(driver, page.pageId, messageEdit(page.pageId, psid, { mid, text: 'edited text', numEdit: 1 }, { timestamp: now + 3 }));
    await waitProcessed(h);
    assert.equal((await h.db.query('SELECT count(*)::int AS n FROM message_mutations WHERE mid = $1', [mid])).rows[0].n, 2, 'parked');
    await send(driver, page.pageId, textMessage(page.pageId, psid, 'original text', { mid, timestamp: now }));
    await waitProcessed(h);
    const message = (await h.db.query('SELECT text, edits, reactions FROM messages WHERE mid = $1', [mid])).rows[0];
    assert.equal(message.text, 'edited text');
    assert.equal(message.edits[0].text, 'original text');
    assert.deepEqual(message.reactions, { like: '👍' });
    assert.equal((await h.db.query('SELECT count(*)::int AS n FROM message_mutations WHERE mid = $1', [mid])).rows[0].n, 0);

    await send(driver, page.pageId, reaction(page.pageId, psid, { mid, reaction: 'like', emoji: '👍', action: 'unreact' }, { timestamp: now + 4 }));
    await waitProcessed(h);
    assert.deepEqual((await h.db.query('SELECT reactions FROM messages WHERE mid = $1', [mid])).rows[0].reactions, {});
  });

  it("events of one conversation are applied in Meta's order, whatever order they arrive in", async () => {
    const psid = newPsid();
    const mid = newMid();
    const now = Date.now();
    const [res] = await driverFor(h).post(
      envelope([
        entry(page.pageId, [
          messageEdit(page.pageId, psid, { mid, text: 'second version', numEdit: 1 }, { timestamp: now + 5 }),
          textMessage(page.pageId, psid, 'a later message', { timestamp: now + 9 }),
          textMessage(page.pageId, psid, 'first version', { mid, timestamp: now }),
        ]),
      ]),
    );
    assert.equal(res.status, 200);
    await waitProcessed(h);
    const [ticket] = await ticketsOf(psid);
    assert.equal(ticket.subject, 'first version', 'the earliest message opened the ticket');
    const timeline = (await h.http.get(`/v1/tickets/${ticket.id}/messages`, { token })).body.data;
    assert.deepEqual(timeline.map((m: { text: string }) => m.text), ['second version', 'a later message']);
    assert.equal((await h.db.query('SELECT count(*)::int AS n FROM message_mutations WHERE mid = $1', [mid])).rows[0].n, 0, 'the edit found its message: nothing parked');
  });

  it("a reaction to the Page's own message waits for its echo; a new reaction replaces the old one", async () => {
    const psid = newPsid();
    const driver = driverFor(h);
    const mid = newMid();
    const now = Date.now();
    await send(driver, page.pageId, reaction(page.pageId, psid, { mid, reaction: 'love', emoji: '❤', action: 'react' }, { timestamp: now + 1 }));
    await waitProcessed(h);
    await send(driver, page.pageId, echo(page.pageId, psid, { mid, text: 'Your parcel left today', appId: '263902037430900' }, { timestamp: now }));
    await waitProcessed(h);
    assert.deepEqual((await h.db.query('SELECT reactions FROM messages WHERE mid = $1', [mid])).rows[0].reactions, { love: '❤' });
    await send(driver, page.pageId, reaction(page.pageId, psid, { mid, reaction: 'like', emoji: '👍', action: 'react' }, { timestamp: now + 2 }));
    await waitProcessed(h);
    assert.deepEqual((await h.db.query('SELECT reactions FROM messages WHERE mid = $1', [mid])).rows[0].reactions, { like: '👍' });
    await send(driver, page.pageId, { ...reaction(page.pageId, psid, { mid, action: 'unreact' }, { timestamp: now + 3 }) });
    await waitProcessed(h);
    assert.deepEqual((await h.db.query('SELECT reactions FROM messages WHERE mid = $1', [mid])).rows[0].reactions, {});
  });

  it('a lock held elsewhere delays an event, it does not fail it', async () => {
    const company = await signupCompany(h.http);
    const own = await connectPage(h, sim, company.adminToken);
    const blocker = await h.db.connect();
    const psid = newPsid();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM companies WHERE id = $1 FOR UPDATE', [company.companyId]);
      await send(driverFor(h), own.pageId, textMessage(own.pageId, psid, 'patience'));
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await blocker.query('COMMIT');
      blocker.release();
    }
    await waitProcessed(h);
    assert.deepEqual((await h.db.query(`SELECT state FROM inbound_events WHERE conversation = $1`, [psid])).rows, [{ state: 'processed' }]);
    assert.equal((await ticketsOf(psid)).length, 1);
  });

  it('a checkbox-plugin opt-in, which has no sender, keeps its ref', async () => {
    const userRef = `ref_${newPsid()}`;
    const [res] = await driverFor(h).post({ object: 'page', entry: [{ id: page.pageId, time: Date.now(), messaging: [{ recipient: { id: page.pageId }, timestamp: Date.now(), optin: { ref: 'checkout-checkbox', user_ref: userRef } }] }] });
    assert.equal(res.status, 200);
    await waitProcessed(h);
    const row = (await h.db.query(`SELECT s.plugin_ref FROM consents s JOIN contacts c ON c.id = s.contact_id WHERE c.psid = $1`, [userRef])).rows;
    assert.deepEqual(row, [{ plugin_ref: 'checkout-checkbox' }]);
  });

  it('a stop word records a marketing opt-out and stays a normal message; Meta STOP and plugin refs are kept', async () => {
    const driver = driverFor(h);
    const psid = newPsid();
    await send(driver, page.pageId, marketingOptin(page.pageId, psid, { token: 'nmt-1', expiry: Date.now() + 1e9, timezone: 'Europe/Paris' }));
    const stop = await customerWrites(h, driver, page, '  Arrêt ! ', psid);
    const consent = (await h.db.query('SELECT * FROM consents WHERE contact_id = $1', [stop.contactId])).rows[0];
    assert.equal(consent.marketing, 'opted_out');
    assert.equal(consent.opt_out_reason, 'stop_word');
    assert.equal((await h.http.get(`/v1/tickets/${stop.ticketId}/messages`, { token })).body.data.at(-1).text, '  Arrêt ! ');

    const other = newPsid();
    await send(driver, page.pageId, marketingOptin(page.pageId, other, { token: 'nmt-2', expiry: Date.now() + 1e9, timezone: 'UTC', status: 'STOP NOTIFICATIONS' }));
    await send(driver, page.pageId, pluginOptin(page.pageId, other, 'checkout-box'));
    await waitProcessed(h);
    const row = (await h.db.query(`SELECT s.* FROM consents s JOIN contacts c ON c.id = s.contact_id WHERE c.psid = $1`, [other])).rows[0];
    assert.equal(row.marketing, 'opted_out');
    assert.equal(row.opt_out_reason, 'meta_stop');
    assert.equal(row.plugin_ref, 'checkout-box');
    const noTicket = await h.db.query(`SELECT count(*)::int AS n FROM tickets t JOIN contacts c ON c.id = t.contact_id WHERE c.psid = $1`, [other]);
    assert.equal(noTicket.rows[0].n, 0, 'opt-ins open no ticket');
    const contact = (await h.db.query('SELECT last_interaction_at FROM contacts WHERE psid = $1', [other])).rows[0];
    assert.equal(contact.last_interaction_at, null, "opt-ins do not open Meta's window");
  });

  it('standby events are recorded as another app owning the thread', async () => {
    const psid = newPsid();
    const [res] = await driverFor(h).post(envelope([entry(page.pageId, [textMessage(page.pageId, psid, 'via another app')], { standby: true })]));
    assert.equal(res.status, 200);
    await waitProcessed(h);
    const contact = (await h.db.query('SELECT in_standby FROM contacts WHERE psid = $1', [psid])).rows[0];
    assert.equal(contact.in_standby, true);
  });

  it('lists tickets by status and queue, newest first, with cursors; contacts by name', async () => {
    const company = await signupCompany(h.http);
    const own = await connectPage(h, sim, company.adminToken);
    const driver = driverFor(h);
    for (let i = 0; i < 5; i++) await customerWrites(h, driver, own, `hello ${i}`);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await h.http.get(`/v1/tickets?status=new,open&queueId=${own.queueId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: company.adminToken });
      assert.equal(res.status, 200);
      seen.push(...res.body.data.map((t: { number: number }) => t.number));
      cursor = res.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [5, 4, 3, 2, 1]);
    assert.equal((await h.http.get('/v1/tickets?status=solved', { token: company.adminToken })).body.data.length, 0);
    assert.equal((await h.http.get('/v1/tickets?status=bogus', { token: company.adminToken })).status, 400);

    const first = (await h.db.query('SELECT id FROM contacts WHERE company_id = $1 ORDER BY created_at LIMIT 1', [company.companyId])).rows[0].id;
    const patched = await h.http.patch(`/v1/contacts/${first}`, { token: company.adminToken, body: { name: 'Zoé Martin-Quérol', externalId: 'shop-991', tags: ['VIP', 'vip', 'fr'] } });
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.body.tags, ['vip', 'fr']);
    const found = await h.http.get(`/v1/contacts?q=${encodeURIComponent('MARTIN-QUÉ')}`, { token: company.adminToken });
    assert.deepEqual(found.body.data.map((c: { id: string }) => c.id), [first]);
    assert.equal((await h.http.get(`/v1/contacts?channelId=${own.channelId}`, { token: company.adminToken })).body.data.length, 5);
  });
});
