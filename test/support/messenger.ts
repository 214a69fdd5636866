import { entry, envelope, type MessagingEvent, textMessage } from '../../src/simulator/events';
import { GraphSimulator } from '../../src/simulator/graph-simulator';
import { WebhookDriver } from '../../src/simulator/webhook-driver';
import { type Harness } from './harness';
import { newPageId, newPsid, pageToken } from './meta-ids';
import { waitFor } from './process';

export { busiestSecond, newPageId, newPsid, pageToken } from './meta-ids';

export interface ConnectedPage {
  channelId: string;
  pageId: string;
  token: string;
  queueId: string;
}


/** Environment that points Guichet at the simulator and sweeps quickly, for tests. */
export const messengerEnv = (sim: GraphSimulator): Record<string, string> => ({
  MESSENGER_GRAPH_URL: sim.url,
  INBOUND_SWEEP_INTERVAL_MS: '250',
  INBOUND_SWEEP_AGE_MS: '500',
  DELIVERY_SWEEP_INTERVAL_MS: '200',
  DELIVERY_RETRY_BASE_MS: '100',
});

export async function startSimulator(): Promise<GraphSimulator> {
  const sim = new GraphSimulator();
  await sim.start();
  return sim;
}

/** Registers a Page at the simulator and connects it through the real API. */
export async function connectPage(h: Harness, sim: GraphSimulator, adminToken: string, name = 'Boutique Lumière'): Promise<ConnectedPage> {
  const pageId = newPageId();
  const token = pageToken();
  sim.addPage({ pageId, token, name });
  const res = await h.http.post('/v1/channels/messenger', { token: adminToken, body: { pageId, pageAccessToken: token } });
  if (res.status !== 201) throw new Error(`connect failed: ${res.status} ${res.text}`);
  return { channelId: res.body.id, pageId, token, queueId: res.body.defaultQueueId };
}

export function driverFor(h: Harness): WebhookDriver {
  return new WebhookDriver(`${h.http.baseUrl}/webhooks/messenger`, h.config.messenger.appSecret);
}

export async function send(driver: WebhookDriver, pageId: string, ...events: MessagingEvent[]): Promise<void> {
  const [res] = await driver.post(envelope([entry(pageId, events)]));
  if (res.status !== 200) throw new Error(`webhook answered ${res.status} ${res.body}`);
}

/** Every acknowledged event of the database has left the pending state. */
export async function waitProcessed(h: Harness, what = 'inbound events processed'): Promise<void> {
  await waitFor(async () => (await h.db.query(`SELECT count(*)::int AS n FROM inbound_events WHERE state = 'pending'`)).rows[0].n === 0, what, 1200);
}

/** A customer writes once: returns the contact and ticket that came of it. */
export async function customerWrites(h: Harness, driver: WebhookDriver, page: ConnectedPage, text = 'Bonjour, où est ma commande ?', psid = newPsid()) {
  await send(driver, page.pageId, textMessage(page.pageId, psid, text));
  await waitProcessed(h);
  const row = await h.db.query(
    `SELECT c.id AS "contactId", t.id AS "ticketId", c.company_id AS "companyId" FROM contacts c JOIN tickets t ON t.contact_id = c.id
     WHERE c.channel_id = $1 AND c.psid = $2 ORDER BY t.created_at DESC LIMIT 1`,
    [page.channelId, psid],
  );
  if (row.rowCount === 0) {
    const events = await h.db.query(`SELECT kind, state, error FROM inbound_events ORDER BY id DESC LIMIT 5`);
    throw new Error(`no ticket was made; latest events: ${JSON.stringify(events.rows)}`);
  }
  return { psid, contactId: row.rows[0].contactId as string, ticketId: row.rows[0].ticketId as string };
}

