import { GraphSimulator } from '../src/simulator/graph-simulator';
import { newPageId, pageToken } from '../test/support/meta-ids';
import { spawnService, waitReady } from '../test/support/process';
import { openStream } from '../test/support/sse';
import { type BenchModule, type BenchReport, benchEnv, benchRedisPrefix, bootApp, codeVersion, createBenchDatabase, log, onCleanup, percentiles, postJson, ratio, round, sleep, envInt } from './support';

/**
 * `npm run bench -- live`: how soon an agent's stream shows a change made in another process.
 * An API process of its own changes one ticket's priority CHANGES times at RATE per second; the
 * stream is served by this process. Each change's latency runs from just before its PATCH is
 * sent to the moment its `ticket.updated` is read off the stream, so it includes the commit; the
 * baseline is the PATCH's own round trip, measured in the same run.
 */

const CHANGES = envInt('BENCH_LIVE_CHANGES', 600);
const RATE = envInt('BENCH_LIVE_RATE', 20);
// The seeded ticket is 'normal': every change differs from the one before, so each one makes an event.
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];

export const live: BenchModule = {
  async run(): Promise<Omit<BenchReport, 'machine'>> {
    const db = await createBenchDatabase('live');
    const sim = new GraphSimulator();
    await sim.start();
    onCleanup('stop the simulator', () => sim.stop());
    const env = benchEnv(db.url, benchRedisPrefix('live'), { MESSENGER_GRAPH_URL: sim.url });
    const app = await bootApp({ ...env, ROLE: 'api' });
    const other = await spawnService({ ...env, ROLE: 'all' });
    onCleanup('stop the other process', async () => {
      other.child.kill('SIGTERM');
      await other.exited;
    });
    await waitReady(other);

    const signup = await postJson(`${app.baseUrl}/v1/auth/signup`, { companyName: 'Live', name: 'Ada Admin', email: 'ada@live.test', password: 'correct horse battery staple' });
    const token = signup.body.accessToken as string;
    const pageId = newPageId();
    const access = pageToken();
    sim.addPage({ pageId, token: access, name: 'Live' });
    const channel = await postJson(`${app.baseUrl}/v1/channels/messenger`, { pageId, pageAccessToken: access }, token);
    const ticketId = await seedTicket(db.url, (signup.body.company as { id: string }).id, channel.body.id as string, channel.body.defaultQueueId as string);

    const stream = await openStream(app.baseUrl, token);
    onCleanup('close the stream', () => stream.close());
    log(`${CHANGES} changes through another process at ${RATE}/s`);
    const sentAt: number[] = [];
    const roundTrips: number[] = [];
    const start = Date.now();
    for (let i = 0; i < CHANGES; i++) {
      const due = start + (i * 1000) / RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      sentAt.push(Date.now());
      const res = await fetch(`${other.url}/v1/tickets/${ticketId}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ priority: PRIORITIES[i % PRIORITIES.length] }),
      });
      if (res.status !== 200) throw new Error(`PATCH answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
      roundTrips.push(Date.now() - sentAt[i]);
    }
    const updates = () => stream.events.filter((e) => e.event === 'ticket.updated');
    await stream.until(() => updates().length >= CHANGES, 'every change on the stream');
    const received = updates();
    received.forEach((event, i) => {
      if (event.data.priority !== PRIORITIES[i % PRIORITIES.length]) throw new Error(`change ${i} arrived out of order`);
    });
    const latency = percentiles(
      received.slice(0, CHANGES).map((event, i) => event.receivedAt - sentAt[i]),
      [50, 99],
    );
    const patch = percentiles(roundTrips, [50, 99]);
    const ratios = { event_p99_vs_patch_round_trip_p99: ratio(latency.p99, patch.p99) };
    return {
      bench: 'live',
      figures: { changes: CHANGES, rate_per_second: RATE, commit_to_stream_ms: { p50: round(latency.p50), p99: round(latency.p99), max: round(Math.max(...received.map((e, i) => e.receivedAt - sentAt[i]))) } },
      baselines: { patch_round_trip_ms: { p50: round(patch.p50), p99: round(patch.p99) } },
      ratios,
      goals: { stream_p99_within_1s_of_commit: latency.p99 <= 1_000 },
      config: { code: codeVersion(), LIVE_EVENTS_POLL_MS: app.config.live.pollMs },
    };
  },
};

async function seedTicket(url: string, companyId: string, channelId: string, queueId: string): Promise<string> {
  const { Client } = await import('pg');
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    const contact = await pg.query<{ id: string }>(`INSERT INTO contacts (company_id, channel_id, psid, name) VALUES ($1, $2, 'live-psid', 'Client') RETURNING id`, [companyId, channelId]);
    const ticket = await pg.query<{ id: string }>(
      `INSERT INTO tickets (company_id, number, channel_id, contact_id, queue_id, subject) VALUES ($1, 1, $2, $3, $4, 'Live') RETURNING id`,
      [companyId, channelId, contact.rows[0].id, queueId],
    );
    await pg.query('UPDATE companies SET last_ticket_number = 1 WHERE id = $1', [companyId]);
    return ticket.rows[0].id;
  } finally {
    await pg.end();
  }
}
