import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { encodeCursor } from '../src/common/pagination/cursor';
import { GraphSimulator } from '../src/simulator/graph-simulator';
import { newPageId, pageToken } from '../test/support/meta-ids';
import { type LoadResult, runLoad } from './load';
import { type BenchModule, type BenchReport, benchEnv, benchRedisPrefix, bootApp, codeVersion, createBenchDatabase, log, onCleanup, percentiles, postJson, ratio, round, envInt } from './support';

/**
 * `npm run bench -- workspace`: the agent's reads at a million tickets.
 *
 * One company gets 100,000 tickets, then 1,000,000 with 10 messages each (10,000,000 messages,
 * one ticket with 30,000). Seeding is set-based SQL inside PostgreSQL (INSERT … SELECT over
 * generate_series, triggers off, secondary indexes dropped and rebuilt): the rows never leave the
 * server, which is faster than COPY streaming them in. Each endpoint is then driven open-loop at a
 * fixed rate, and set beside the raw SQL of the same page, run with `pg` in the same run.
 */

const TICKETS = envInt('BENCH_WORKSPACE_TICKETS', 1_000_000);
const FIRST_TICKETS = envInt('BENCH_WORKSPACE_FIRST_TICKETS', 100_000);
const MESSAGES_PER_TICKET = 10;
const LONG_TIMELINE = envInt('BENCH_WORKSPACE_LONG_TIMELINE', 30_000);
/** Requests per second of each open-loop run, and how long it lasts. */
const RATE = envInt('BENCH_WORKSPACE_RATE', 50);
const SECONDS = envInt('BENCH_WORKSPACE_SECONDS', 20);
const RAW_RUNS = envInt('BENCH_WORKSPACE_RAW_RUNS', 2_000);
const PAGE = 25;
const DEEP_PAGE = 200;
/** Each reference code appears in 100 messages: a search with a realistic handful of hits. */
const CODES = (TICKETS * MESSAGES_PER_TICKET) / 100;

interface Latency {
  p50: number;
  p99: number;
}

interface Seeded {
  companyId: string;
  channelId: string;
  queueId: string;
  pageId: string;
}

export const workspace: BenchModule = {
  async run(): Promise<Omit<BenchReport, 'machine'>> {
    const db = await createBenchDatabase('workspace');
    const sim = new GraphSimulator();
    await sim.start();
    onCleanup('stop the simulator', () => sim.stop());
    const app = await bootApp(benchEnv(db.url, benchRedisPrefix('workspace'), { ROLE: 'api', MESSENGER_GRAPH_URL: sim.url }));
    // The service's own session settings (data-source.ts), so the raw SQL is planned as the API's is.
    const pg = new Client({ connectionString: db.url, options: '-c jit=off -c max_parallel_workers_per_gather=0' });
    await pg.connect();
    onCleanup('close the SQL client', () => pg.end());

    const signup = await postJson(`${app.baseUrl}/v1/auth/signup`, { companyName: 'Million', name: 'Ada Admin', email: 'ada@million.test', password: 'correct horse battery staple' });
    const token = signup.body.accessToken as string;
    const companyId = (signup.body.company as { id: string }).id;
    const pageId = newPageId();
    const pageAccess = pageToken();
    sim.addPage({ pageId, token: pageAccess, name: 'Million' });
    const channel = await postJson(`${app.baseUrl}/v1/channels/messenger`, { pageId, pageAccessToken: pageAccess }, token);
    const seeded: Seeded = { companyId, channelId: channel.body.id as string, queueId: channel.body.defaultQueueId as string, pageId };
    const api = (label: string, path: string) => measureApi(app.baseUrl, token, label, path);

    log(`seeding ${FIRST_TICKETS.toLocaleString()} tickets`);
    const firstSeconds = await seed(pg, seeded, 1, FIRST_TICKETS);
    const probe = await ticketAt(pg, companyId, Math.floor(FIRST_TICKETS / 2));
    const counts100k = await api('counts at 100k', '/v1/tickets/counts');

    log(`seeding up to ${TICKETS.toLocaleString()} tickets and ${(TICKETS * MESSAGES_PER_TICKET + LONG_TIMELINE).toLocaleString()} messages`);
    const restSeconds = await seed(pg, seeded, FIRST_TICKETS + 1, TICKETS);
    const [{ count: messageCount }] = (await pg.query<{ count: string }>('SELECT count(*) FROM messages')).rows;

    const counts1m = await api('counts at 1M', '/v1/tickets/counts');
    const byId = await api('ticket by id', `/v1/tickets/${probe}`);
    const page1 = await api('list, first page', `/v1/tickets?limit=${PAGE}`);
    const deepCursor = await cursorOfPage(app.baseUrl, token, DEEP_PAGE);
    const page200 = await api(`list, page ${DEEP_PAGE}`, `/v1/tickets?limit=${PAGE}&cursor=${deepCursor}`);
    const code = `ref${String(Math.floor(CODES / 3)).padStart(6, '0')}`;
    const search = await api('search', `/v1/search?q=${code}&limit=${PAGE}`);
    const longTicket = await ticketAt(pg, companyId, 1);
    const shortTicket = await ticketAt(pg, companyId, Math.floor(TICKETS / 3));
    const middle = await timelineCursor(pg, longTicket, Math.floor(LONG_TIMELINE / 2));
    const timelineLong = await api('timeline, 30,000 messages', `/v1/tickets/${longTicket}/messages?limit=10&cursor=${middle.cursor}`);
    const timelineShort = await api('timeline, 10 messages', `/v1/tickets/${shortTicket}/messages?limit=10`);

    log('raw SQL baselines');
    const deep = await pg.query<{ activity_at: Date; id: string }>(
      `SELECT activity_at, id FROM tickets WHERE company_id = $1 ORDER BY activity_at DESC, id DESC OFFSET ${DEEP_PAGE * PAGE - PAGE - 1} LIMIT 1`,
      [companyId],
    );
    const rawPage1 = await measureSql(pg, `SELECT * FROM tickets WHERE company_id = $1 ORDER BY activity_at DESC, id DESC LIMIT ${PAGE + 1}`, [companyId]);
    const rawPage200 = await measureSql(pg, `SELECT * FROM tickets WHERE company_id = $1 AND (activity_at, id) < ($2, $3) ORDER BY activity_at DESC, id DESC LIMIT ${PAGE + 1}`, [
      companyId,
      deep.rows[0].activity_at,
      deep.rows[0].id,
    ]);
    const rawById = await measureSql(pg, 'SELECT * FROM tickets WHERE company_id = $1 AND id = $2', [companyId, probe]);
    const rawSearch = await measureSql(
      pg,
      `WITH m AS MATERIALIZED (SELECT id, sent_at AS at, 1 AS rank FROM messages WHERE company_id = $1 AND to_tsvector('simple', coalesce(text, '')) @@ to_tsquery('simple', $2) ORDER BY sent_at DESC, id DESC LIMIT ${PAGE + 1}),
       c AS MATERIALIZED (SELECT id, created_at AS at, 0 AS rank FROM contacts WHERE company_id = $1 AND name ILIKE $3 ORDER BY created_at DESC, id DESC LIMIT ${PAGE + 1})
       SELECT * FROM (SELECT * FROM m UNION ALL SELECT * FROM c) hits ORDER BY at DESC, rank DESC, id DESC LIMIT ${PAGE + 1}`,
      [companyId, `${code}:*`, `%${code}%`],
    );
    const rawTimeline = (ticketId: string, after: [Date, string] | null) =>
      measureSql(
        pg,
        `(SELECT id, sent_at AS at, 0 AS rank FROM messages WHERE company_id = $1 AND ticket_id = $2 ${after ? 'AND (sent_at, 0, id) > ($3, 0, $4)' : ''} ORDER BY sent_at, id LIMIT 11)
         UNION ALL (SELECT id, at, 1 AS rank FROM ticket_events WHERE company_id = $1 AND ticket_id = $2 ${after ? 'AND (at, 1, id) > ($3, 0, $4)' : ''} ORDER BY at, id LIMIT 11)
         ORDER BY at, rank, id LIMIT 11`,
        after ? [companyId, ticketId, ...after] : [companyId, ticketId],
      );
    const rawLong = await rawTimeline(longTicket, [middle.at, middle.id]);
    const rawShort = await rawTimeline(shortTicket, null);

    const p = (l: Latency) => ({ p50: round(l.p50), p99: round(l.p99) });
    const ratios = {
      list_p99_vs_raw_keyset: ratio(page1.p99, rawPage1.p99),
      page200_p99_vs_page1: ratio(page200.p99, page1.p99),
      counts_p99_vs_ticket_by_id: ratio(counts1m.p99, byId.p99),
      counts_p99_1m_vs_100k: ratio(counts1m.p99, counts100k.p99),
      search_p99_vs_raw: ratio(search.p99, rawSearch.p99),
      timeline_long_p99_vs_short: ratio(timelineLong.p99, timelineShort.p99),
    };
    return {
      bench: 'workspace',
      figures: {
        tickets: TICKETS,
        messages: Number(messageCount),
        seed_seconds: { first_tickets: round(firstSeconds, 1), rest: round(restSeconds, 1) },
        open_loop: { rate_per_second: RATE, seconds: SECONDS },
        list_page1_ms: p(page1),
        [`list_page${DEEP_PAGE}_ms`]: p(page200),
        counts_at_100k_ms: p(counts100k),
        counts_at_1m_ms: p(counts1m),
        ticket_by_id_ms: p(byId),
        search_ms: p(search),
        timeline_30000_messages_ms: p(timelineLong),
        timeline_10_messages_ms: p(timelineShort),
      },
      baselines: {
        raw_keyset_page1_ms: p(rawPage1),
        [`raw_keyset_page${DEEP_PAGE}_ms`]: p(rawPage200),
        raw_primary_key_lookup_ms: p(rawById),
        raw_search_ms: p(rawSearch),
        raw_timeline_30000_messages_ms: p(rawLong),
        raw_timeline_10_messages_ms: p(rawShort),
      },
      ratios,
      goals: {
        list_p99_within_5x_raw_keyset: ratios.list_p99_vs_raw_keyset !== null && ratios.list_p99_vs_raw_keyset <= 5,
        list_p99_under_50ms: page1.p99 <= 50,
        page200_within_1_5x_page1: ratios.page200_p99_vs_page1 !== null && ratios.page200_p99_vs_page1 <= 1.5,
        counts_within_3x_primary_key_lookup: ratios.counts_p99_vs_ticket_by_id !== null && ratios.counts_p99_vs_ticket_by_id <= 3,
        counts_flat_100k_to_1m: ratios.counts_p99_1m_vs_100k !== null && ratios.counts_p99_1m_vs_100k <= 1.2,
        long_timeline_within_1_5x_short: ratios.timeline_long_p99_vs_short !== null && ratios.timeline_long_p99_vs_short <= 1.5,
      },
      config: { code: codeVersion(), BENCH_WORKSPACE_TICKETS: TICKETS, BENCH_WORKSPACE_RATE: RATE, BENCH_WORKSPACE_SECONDS: SECONDS },
    };
  },
};

/**
 * Tickets `from`..`to` of the company, each with its contact and 10 messages (ticket #1 with
 * LONG_TIMELINE): about 60 % closed, the rest spread over the other statuses and priorities,
 * a minute apart, none assigned. Triggers are off while seeding (the counts are rebuilt in
 * one statement, the live feed has no reader), and secondary indexes are rebuilt afterwards.
 */
async function seed(pg: Client, s: Seeded, from: number, to: number): Promise<number> {
  const started = performance.now();
  const indexes = await droppableIndexes(pg);
  for (const index of indexes) await pg.query(`DROP INDEX "${index.name}"`);
  await pg.query(`SET session_replication_role = replica`);
  await pg.query(`SET maintenance_work_mem = '1GB'`);
  const params = [s.companyId, s.channelId, s.queueId, from, to];
  await pg.query(
    `INSERT INTO contacts (id, company_id, channel_id, psid, name, created_at, updated_at)
     SELECT md5('c' || g)::uuid, $1, $2, 'psid' || g, 'Client ' || g, timestamptz '2024-01-01' + g * interval '1 minute', now()
     FROM generate_series($3::int, $4::int) g`,
    [s.companyId, s.channelId, from, to],
  );
  await pg.query(
    `INSERT INTO tickets (id, company_id, number, channel_id, contact_id, queue_id, status, priority, subject, created_at, updated_at, activity_at, last_customer_message_at, solved_at, closed_at)
     SELECT md5('t' || g)::uuid, $1, g, $2, md5('c' || g)::uuid, $3,
       (ARRAY['closed','closed','closed','closed','closed','closed','closed','solved','open','open','pending','new']::ticket_status[])[1 + g % 12],
       (ARRAY['normal','normal','low','high','urgent']::ticket_priority[])[1 + g % 5],
       'Commande ' || g, at, at, at + interval '9 minutes', at + interval '9 minutes',
       CASE WHEN g % 12 < 8 THEN at + interval '1 hour' END, CASE WHEN g % 12 < 7 THEN at + interval '5 days' END
     FROM generate_series($4::int, $5::int) g, LATERAL (SELECT timestamptz '2024-01-01' + g * interval '1 minute' AS at) t`,
    params,
  );
  await pg.query(
    `INSERT INTO messages (company_id, ticket_id, contact_id, channel_id, page_id, mid, direction, kind, text, sent_at)
     SELECT $1, md5('t' || g)::uuid, md5('c' || g)::uuid, $2, $3, 'm_' || g || '_' || m,
       CASE WHEN m % 2 = 1 THEN 'inbound' ELSE 'outbound' END::message_direction, 'text',
       'Bonjour, au sujet de la commande ' || g || ' : colis ref' || lpad(((g * ${MESSAGES_PER_TICKET} + m) % ${CODES})::text, 6, '0') || ' toujours pas livré',
       timestamptz '2024-01-01' + g * interval '1 minute' + m * interval '1 second'
     FROM generate_series($4::int, $5::int) g, generate_series(1, CASE WHEN g = 1 THEN ${LONG_TIMELINE} ELSE ${MESSAGES_PER_TICKET} END) m`,
    [s.companyId, s.channelId, s.pageId, from, to],
  );
  await pg.query(`UPDATE companies SET last_ticket_number = $2 WHERE id = $1`, [s.companyId, to]);
  // What the ticket_counts trigger would have kept, in one pass.
  await pg.query(`DELETE FROM ticket_counts WHERE company_id = $1`, [s.companyId]);
  await pg.query(
    `INSERT INTO ticket_counts (company_id, queue_id, assignee_key, status, n)
     SELECT company_id, queue_id, COALESCE(assignee_id, '00000000-0000-0000-0000-000000000000'), status, count(*) FROM tickets WHERE company_id = $1 GROUP BY 1, 2, 3, 4`,
    [s.companyId],
  );
  await pg.query(`SET session_replication_role = origin`);
  for (const index of indexes) {
    log(`  rebuilding ${index.name}`);
    await pg.query(index.definition);
  }
  log('  vacuum analyze');
  await pg.query('VACUUM (ANALYZE) contacts, tickets, messages, ticket_counts');
  return (performance.now() - started) / 1000;
}

/** Secondary indexes of the seeded tables; primary keys stay (they back constraints). */
async function droppableIndexes(pg: Client): Promise<Array<{ name: string; definition: string }>> {
  const rows = await pg.query<{ name: string; definition: string }>(
    `SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS definition FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
     WHERE t.relname IN ('contacts', 'tickets', 'messages') AND NOT x.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`,
  );
  return rows.rows;
}

async function ticketAt(pg: Client, companyId: string, number: number): Promise<string> {
  return (await pg.query<{ id: string }>('SELECT id FROM tickets WHERE company_id = $1 AND number = $2', [companyId, number])).rows[0].id;
}

/** The cursor an agent holds after paging through `page - 1` pages of the default list. */
async function cursorOfPage(baseUrl: string, token: string, page: number): Promise<string> {
  let cursor = '';
  for (let i = 1; i < page; i++) {
    const res = await fetch(`${baseUrl}/v1/tickets?limit=${PAGE}${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${token}` } });
    cursor = ((await res.json()) as { nextCursor: string }).nextCursor;
  }
  return cursor;
}

/** A timeline cursor after the `offset`-th message of the ticket, as the API would hand it out. */
async function timelineCursor(pg: Client, ticketId: string, offset: number): Promise<{ cursor: string; at: Date; id: string }> {
  const row = (await pg.query<{ sent_at: Date; id: string }>('SELECT sent_at, id FROM messages WHERE ticket_id = $1 ORDER BY sent_at, id OFFSET $2 LIMIT 1', [ticketId, offset])).rows[0];
  return { cursor: encodeCursor([row.sent_at.toISOString(), '0', row.id]), at: row.sent_at, id: row.id };
}

async function measureApi(baseUrl: string, token: string, label: string, path: string): Promise<Latency> {
  log(`${label}: GET ${path.slice(0, 80)} at ${RATE}/s for ${SECONDS} s`);
  const result: LoadResult = await runLoad({
    label,
    url: baseUrl,
    method: 'GET',
    path,
    connections: 10,
    overallRate: RATE,
    durationSeconds: SECONDS,
    instances: 5,
    settleSeconds: 2,
    headers: { authorization: `Bearer ${token}` },
  });
  if (result.errors > 0 || result.ok !== result.requests) throw new Error(`${label}: ${JSON.stringify(result.statuses)}, ${result.errors} errors`);
  log(`  p50 ${round(result.latencyMs.p50)} ms, p99 ${round(result.latencyMs.p99)} ms`);
  return { p50: result.latencyMs.p50, p99: result.latencyMs.p99 };
}

/** The same page in raw SQL, one statement at a time on one connection, after a warm-up. */
async function measureSql(pg: Client, sql: string, params: unknown[]): Promise<Latency> {
  for (let i = 0; i < 50; i++) await pg.query(sql, params);
  const times: number[] = [];
  for (let i = 0; i < RAW_RUNS; i++) {
    const start = performance.now();
    await pg.query(sql, params);
    times.push(performance.now() - start);
  }
  const { p50, p99 } = percentiles(times, [50, 99]);
  return { p50, p99 };
}
