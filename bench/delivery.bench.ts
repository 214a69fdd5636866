import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Worker as Thread } from 'node:worker_threads';
import { Queue, Worker } from 'bullmq';
import { Pool } from 'pg';
import { DEFAULT_JOB_OPTIONS } from '../src/jobs/job.catalogue';
import { createRedis } from '../src/jobs/redis.provider';
import { entry, envelope, textMessage } from '../src/simulator/events';
import { GraphSimulator, type RecordedCall } from '../src/simulator/graph-simulator';
import { WebhookDriver } from '../src/simulator/webhook-driver';
import { busiestSecond, newPageId, newPsid, pageToken } from '../test/support/meta-ids';
import { SimulatorProcess } from './sim-host';
import {
  BENCH_REDIS_URL,
  type BenchModule,
  type BenchReport,
  benchEnv,
  benchRedisPrefix,
  codeVersion,
  createBenchDatabase,
  log,
  onCleanup,
  percentiles,
  postJson,
  ratio,
  round,
  sleep,
  waitUntil,
  envInt,
} from './support';

/**
 * `npm run bench -- delivery`: the outbound delivery engine, in worker processes of its own,
 * against the Graph simulator in a process of its own (`sim-host.ts`).
 *
 *  1. throughput of ONE worker process: transactional deliveries spread over many Pages, sent
 *     against a simulator answering at once, then one answering in 50–150 ms; baseline: BullMQ
 *     running no-op jobs at the same concurrency in one process;
 *  2. pacing: one Page, DELIVERY_PAGE_RATE=300 against Meta's 300/s, for more than 60 s;
 *  3. agent replies: POST /v1/tickets/:id/messages to the call at the simulator, first alone,
 *     then while a 100,000-message promotion broadcast streams on the same Page at 300/s.
 */

/** Pages the throughput runs spread their deliveries over, one contact per delivery. */
const PAGES = envInt('BENCH_DELIVERY_PAGES', 20);
const THROUGHPUT_DELIVERIES = envInt('BENCH_DELIVERY_THROUGHPUT', 10_000);
/** Unmeasured deliveries before each throughput run: JIT, pools, connections to the simulator. */
const WARMUP_DELIVERIES = 1_000;
const LATENCY_MS = { min: 50, max: 150 };
/** A throughput run stops this long after its first send, so a slow engine cannot stretch the bench. */
const THROUGHPUT_MAX_MS = 45_000;
/** High enough that the simulator never refuses a call in the throughput runs. */
const UNLIMITED_RATE = 1_000_000;
/** Meta's Send API limit per Page, and the engine's page rate under test. */
const PAGE_LIMIT = 300;
/** About 64 s at the paced rate (300 per 1.015 s). */
const RATE_DELIVERIES = envInt('BENCH_DELIVERY_RATE_DELIVERIES', 19_000);
const RATE_SETTLE_MS = 1_000;
/** On a machine too slow to keep the pace, the run stops this long after its first send (the goal then fails). */
const RATE_MAX_MS = 75_000;
const REPLIES = envInt('BENCH_DELIVERY_REPLIES', 200);
const REPLY_SPACING_MS = 100;
const WARMUP_REPLIES = 20;
/** Conversations the replies go to, round-robin (a contact's messages go out one after another). */
const TICKETS = 20;
const BROADCAST = envInt('BENCH_DELIVERY_BROADCAST', 100_000);
/** Replies start once the broadcast has been sending for this long. */
const BROADCAST_SETTLE_MS = 2_000;
const BULLMQ_JOBS = envInt('BENCH_DELIVERY_BULLMQ_JOBS', 10_000);
/** The service's default DELIVERY_PAGE_CONCURRENCY and DELIVERY_LANE_CONCURRENCY, which this bench does not change. */
const PAGE_CONCURRENCY = 50;
const LANE_CONCURRENCY = 8;
const SWEEP_INTERVAL_MS = 200;
/** DATABASE_POOL_SIZE for the API and worker processes when set; the service's default (10) otherwise. */
const POOL_SIZE = process.env.BENCH_DELIVERY_POOL_SIZE;
/** Give up after this long without any delivery changing state. */
const STALL_MS = 30_000;
const AFTER_CUT_STALL_MS = 10_000;


// ---------------------------------------------------------------------------------------------
// Service processes: the compiled main, as `npm start` runs it, one role each
// ---------------------------------------------------------------------------------------------

interface Service {
  label: string;
  child: ChildProcess;
  url: string;
  /** The last 256 KiB of its stdout and stderr. */
  output(): string;
  exited: Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** Spawns `dist/src/main.js` and waits for /health/ready; killed at clean-up if still running. */
async function startService(label: string, env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(__dirname, '..', 'src', 'main.js')], {
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (chunk: Buffer): void => {
    out += chunk.toString();
    if (out.length > 512 * 1024) out = out.slice(-256 * 1024);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const service: Service = { label, child, url: `http://127.0.0.1:${port}`, output: () => out, exited };
  onCleanup(`stop the ${label}`, () => stopService(service, 'SIGKILL'));
  let gone = false;
  void exited.then(() => (gone = true));
  for (let i = 0; i < 600 && !gone; i++) {
    try {
      if ((await fetch(`${service.url}/health/ready`)).status === 200) return service;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`the ${label} did not get ready:\n${out.slice(-3000)}`);
}

/** SIGTERM (a graceful drain) or SIGKILL; SIGKILL anyway after 25 s. */
async function stopService(service: Service, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill(signal);
  const timer = setTimeout(() => service.child.kill('SIGKILL'), 25_000);
  await service.exited;
  clearTimeout(timer);
}

/** pino lines at warn or above: the engine logs pauses, crashed sends and limiter trouble there. */
function warnings(service: Service): { count: number; messages: Record<string, number> } {
  const messages: Record<string, number> = {};
  let count = 0;
  for (const line of service.output().split('\n')) {
    const match = /"level":(\d+)/.exec(line);
    if (!match || Number(match[1]) < 40) continue;
    count++;
    const msg = /"msg":"([^"]*)"/.exec(line)?.[1] ?? 'unparsed';
    messages[msg] = (messages[msg] ?? 0) + 1;
  }
  return { count, messages };
}

/** CPU seconds (user + system) of one process, or of every process with this command name (Linux /proc). */
function cpuSeconds(which: { pid: number } | { command: string }): number {
  const ticksOf = (pid: string): number => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if ('command' in which && stat.slice(stat.indexOf('(') + 1, close) !== which.command) return 0;
      const fields = stat.slice(close + 2).split(' ');
      return Number(fields[11]) + Number(fields[12]);
    } catch {
      return 0;
    }
  };
  if ('pid' in which) return ticksOf(String(which.pid)) / 100;
  let ticks = 0;
  try {
    for (const name of readdirSync('/proc')) if (/^\d+$/.test(name)) ticks += ticksOf(name);
  } catch {
    return Number.NaN;
  }
  return ticks / 100;
}

/** Where the CPU went between `start()` and `stop()`: the worker, PostgreSQL, Redis, the simulator, this process, in % of one core. */
function cpuMeter(worker: Service, sim: SimulatorProcess): { stop(): { worker: number; postgres: number; bench: number; redis: number; simulator: number } } {
  const at = Date.now();
  const pid = worker.child.pid ?? 0;
  const simPid = sim.pid;
  const before = { worker: cpuSeconds({ pid }), postgres: cpuSeconds({ command: 'postgres' }), redis: cpuSeconds({ command: 'redis-server' }), simulator: cpuSeconds({ pid: simPid }), bench: process.cpuUsage() };
  return {
    stop() {
      const seconds = (Date.now() - at) / 1000;
      const bench = process.cpuUsage(before.bench);
      const pct = (used: number) => round((100 * used) / seconds, 0);
      return {
        worker: pct(cpuSeconds({ pid }) - before.worker),
        postgres: pct(cpuSeconds({ command: 'postgres' }) - before.postgres),
        redis: pct(cpuSeconds({ command: 'redis-server' }) - before.redis),
        simulator: pct(cpuSeconds({ pid: simPid }) - before.simulator),
        bench: pct((bench.user + bench.system) / 1e6),
      };
    },
  };
}

interface TimerLateness {
  timers: number;
  p50_ms: number;
  p99_ms: number;
  p99_9_ms: number;
  /** Share of timers that fired more than the pacer's 5 ms late: each such call loses its slot. */
  over_5ms: number;
}

/**
 * How late this machine fires timers, measured by a thread of this process that does nothing
 * else: one timer per pacing slot (1.015 s / 300). What it sees comes from the machine (the
 * scheduler, the virtual CPUs), not from any busy event loop, and a paced call cannot leave
 * more punctually than that.
 */
function timerProbe(spacingMs: number): { stop(): Promise<TimerLateness> } {
  const thread = new Thread(
    `const { parentPort, workerData } = require('node:worker_threads');
     const late = [];
     let next = performance.now() + workerData;
     let timer;
     const tick = () => {
       const now = performance.now();
       late.push(now - next);
       next = Math.max(next + workerData, now);
       timer = setTimeout(tick, Math.max(0, next - performance.now()));
     };
     timer = setTimeout(tick, workerData);
     parentPort.once('message', () => { clearTimeout(timer); parentPort.postMessage(late); });`,
    { eval: true, workerData: spacingMs },
  );
  return {
    async stop() {
      thread.postMessage('stop');
      const [late] = (await once(thread, 'message')) as [number[]];
      await thread.terminate();
      const q = percentiles(late, [50, 99, 99.9]);
      return { timers: late.length, p50_ms: round(q.p50, 2), p99_ms: round(q.p99, 2), p99_9_ms: round(q.p99_9, 2), over_5ms: round(late.filter((ms) => ms > 5).length / Math.max(1, late.length), 4) };
    },
  };
}

interface RoundTrips {
  samples: number;
  /** `SELECT 1` on its own connection: what every statement of a reply waits for at least. */
  postgres_ms: Record<string, number>;
  /** The API's `GET /health/live`: the HTTP part of a reply, without its work. */
  http_ms: Record<string, number>;
}

/**
 * The bare round trips a reply is made of, sampled every 50 ms while the replies run: shows
 * how much slower the machine itself answers while a broadcast runs, apart from our code.
 */
function roundTripProbe(db: Pool, apiUrl: string): { stop(): Promise<RoundTrips> } {
  const pg: number[] = [];
  const http: number[] = [];
  let running = true;
  const loop = async (into: number[], once: () => Promise<unknown>) => {
    while (running) {
      const at = performance.now();
      await once();
      into.push(performance.now() - at);
      await sleep(50);
    }
  };
  const loops = Promise.all([loop(pg, () => db.query('SELECT 1')), loop(http, () => fetch(`${apiUrl}/health/live`).then((r) => r.arrayBuffer()))]);
  // A failure is for stop() to throw, not an unhandled rejection meanwhile.
  loops.catch(() => undefined);
  const q = (values: number[]) => Object.fromEntries(Object.entries(percentiles(values, [50, 99])).map(([k, v]) => [k, round(v, 2)]));
  return {
    async stop() {
      running = false;
      await loops;
      return { samples: pg.length, postgres_ms: q(pg), http_ms: q(http) };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The business side: contacts who just wrote, and deliveries queued for them, written directly
// ---------------------------------------------------------------------------------------------

interface ConnectedPage {
  pageId: string;
  token: string;
  channelId: string;
}

interface QueueSpec {
  page: ConnectedPage;
  count: number;
  lane: 'transactional' | 'promotion';
  label: string;
}

let contactBatch = 0;

/**
 * One new contact per delivery (last_interaction_at = now(), so the 24 h window allows UPDATE),
 * with its profile already fetched, as for a customer who wrote in long ago (a pending profile
 * would have the worker fetch 100,000 of them from the simulator during the measurement), and
 * its delivery; every spec in one transaction, so the workers see the whole batch at once,
 * with fresh planner statistics.
 * Returns the commit time (epoch ms).
 */
async function queueDeliveries(db: Pool, companyId: string, specs: QueueSpec[]): Promise<number> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    for (const spec of specs) {
      const psidPrefix = `8${String(++contactBatch).padStart(4, '0')}`;
      await client.query(
        `WITH c AS (
           INSERT INTO contacts (company_id, channel_id, psid, name, first_name, last_name, profile_state, last_interaction_at)
           SELECT $1::uuid, $2::uuid, $4::text || lpad(g::text, 8, '0'), 'Bench customer ' || g, 'Bench', 'customer ' || g, 'fetched', now()
           FROM generate_series(1, $3::int) g
           RETURNING id, psid)
         INSERT INTO deliveries (company_id, channel_id, page_id, contact_id, psid, lane, purpose, payload, decision)
         SELECT $1::uuid, $2::uuid, $5::text, c.id, c.psid, $6::text::delivery_lane, $6::text::delivery_purpose,
           jsonb_build_object('text', $7::text || ' ' || c.psid), '{"mode":"UPDATE","rule":"standard_window_24h"}'::jsonb
         FROM c ORDER BY c.psid`,
        [companyId, spec.page.channelId, spec.count, psidPrefix, spec.page.pageId, spec.lane, `${spec.label}: votre commande est en route`],
      );
    }
    // A fresh table that just grew by thousands of rows has no statistics yet: PostgreSQL then
    // plans the claim's NOT EXISTS as a scan of the whole lane instead of a probe by contact
    // (each claim O(queued rows)). Autovacuum fixes that within a minute in production; the
    // bench analyses at once, so every run measures the plan a live database would use.
    await client.query('ANALYZE deliveries, contacts');
    await client.query('COMMIT');
    return Date.now();
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Deliveries of these channels not yet settled (queued, being sent, or of unknown outcome). */
async function unsettled(db: Pool, channelIds: string[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM deliveries WHERE channel_id = ANY($1::uuid[]) AND state IN ('queued', 'sending', 'unknown')`,
    [channelIds],
  );
  return rows[0].n;
}

async function deliveryStates(db: Pool, channelIds: string[]): Promise<Record<string, number>> {
  const { rows } = await db.query<{ state: string; n: number }>(
    `SELECT state, count(*)::int AS n FROM deliveries WHERE channel_id = ANY($1::uuid[]) GROUP BY state ORDER BY state`,
    [channelIds],
  );
  return Object.fromEntries(rows.map((row) => [row.state, row.n]));
}

/**
 * Waits until none of these channels' deliveries is unsettled; false after `stallMs` without
 * progress, or as soon as `enough` says so.
 */
async function waitSettled(db: Pool, channelIds: string[], enough: () => boolean = () => false, stallMs = STALL_MS): Promise<boolean> {
  let last = -1;
  let lastProgress = Date.now();
  for (;;) {
    const left = await unsettled(db, channelIds);
    if (left === 0) return true;
    if (enough()) return false;
    if (left !== last) {
      last = left;
      lastProgress = Date.now();
    } else if (Date.now() - lastProgress > stallMs) {
      log(`  stalled with ${left} deliveries unsettled; states ${JSON.stringify(await deliveryStates(db, channelIds))}`);
      return false;
    }
    await sleep(100);
  }
}

/** For a stall: what the unsettled rows look like, and whether the simulator saw a call for them. */
async function describeUnsettled(db: Pool, sim: SimulatorProcess, channelIds: string[]): Promise<void> {
  const { rows } = await db.query<{ id: string; state: string; attempts: number; dispatched: boolean; lease_left_ms: number | null; idle_ms: number }>(
    `SELECT id, state, attempts, dispatched_at IS NOT NULL AS dispatched,
       round(extract(epoch FROM lease_until - now()) * 1000)::int AS lease_left_ms, round(extract(epoch FROM now() - updated_at) * 1000)::int AS idle_ms
     FROM deliveries WHERE channel_id = ANY($1::uuid[]) AND state IN ('queued', 'sending', 'unknown') ORDER BY seq LIMIT 5`,
    [channelIds],
  );
  for (const row of rows) {
    const calls = sim.calls.filter((call) => (call.body as { message?: { metadata?: unknown } } | undefined)?.message?.metadata === row.id);
    log(`    ${JSON.stringify(row)}; simulator calls for it: ${JSON.stringify(calls.map((call) => call.status ?? 'no answer yet'))}`);
  }
}

// ---------------------------------------------------------------------------------------------
// What the simulator saw
// ---------------------------------------------------------------------------------------------

const sendPaths = (pages: ConnectedPage[]): Set<string> => new Set(pages.map((page) => `/${page.pageId}/messages`));

function sendsTo(sim: SimulatorProcess, pages: ConnectedPage[], from = 0): RecordedCall[] {
  const paths = sendPaths(pages);
  const out: RecordedCall[] = [];
  for (let i = from; i < sim.calls.length; i++) {
    const call = sim.calls[i];
    if (call.method === 'POST' && paths.has(call.path)) out.push(call);
  }
  return out;
}

/** The most calls that arrived within any one-second window. */

const statusCounts = (calls: RecordedCall[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const call of calls) counts[String(call.status ?? 'none')] = (counts[String(call.status ?? 'none')] ?? 0) + 1;
  return counts;
};

const textOf = (call: RecordedCall): string | undefined => {
  const message = (call.body as { message?: { text?: unknown } } | undefined)?.message;
  return typeof message?.text === 'string' ? message.text : undefined;
};

// ---------------------------------------------------------------------------------------------
// 1. Throughput of one worker process
// ---------------------------------------------------------------------------------------------

interface ThroughputResult {
  /** False when the run was cut at THROUGHPUT_MAX_MS with deliveries still queued. */
  completed: boolean;
  sent: number;
  sentPerSecond: number;
  seconds: number;
  firstSendAfterCommitMs: number | null;
  statuses: Record<string, number>;
  settled: boolean;
  states: Record<string, number>;
  warnings: { count: number; messages: Record<string, number> };
  cpuPercent: ReturnType<ReturnType<typeof cpuMeter>['stop']>;
}

async function throughputRun(
  label: string,
  sim: SimulatorProcess,
  env: Record<string, string>,
  db: Pool,
  companyId: string,
  pages: ConnectedPage[],
): Promise<ThroughputResult> {
  const worker = await startService(`worker (${label})`, { ...env, ROLE: 'worker', MESSENGER_GRAPH_URL: sim.url });
  const channelIds = pages.map((page) => page.channelId);
  const perPage = (total: number) => pages.map((page, i) => ({ page, count: Math.floor(total / pages.length) + (i < total % pages.length ? 1 : 0), lane: 'transactional' as const, label }));

  log(`  warm-up: ${WARMUP_DELIVERIES} deliveries over ${pages.length} Pages`);
  await queueDeliveries(db, companyId, perPage(WARMUP_DELIVERIES));
  if (!(await waitSettled(db, channelIds))) throw new Error(`${label}: the warm-up deliveries were not all sent`);
  await sleep(500);

  await sim.sync();
  const from = sim.calls.length;
  log(`  ${THROUGHPUT_DELIVERIES} transactional deliveries over ${pages.length} Pages, committed at once`);
  const committedAt = await queueDeliveries(db, companyId, perPage(THROUGHPUT_DELIVERIES));
  const meter = cpuMeter(worker, sim);
  const completed = await waitSettled(db, channelIds, () => Date.now() > (sim.calls[from]?.at ?? Infinity) + THROUGHPUT_MAX_MS);
  const cpuPercent = meter.stop();
  let cutAt: number | null = null;
  if (!completed) {
    cutAt = Date.now();
    const { rowCount } = await db.query(`DELETE FROM deliveries WHERE channel_id = ANY($1::uuid[]) AND state = 'queued'`, [channelIds]);
    log(`  cut after ${THROUGHPUT_MAX_MS / 1000} s: ${rowCount} deliveries still queued were dropped`);
  }
  // After a cut only the calls in flight are left: they settle within seconds, or never.
  const settled = completed || (await waitSettled(db, channelIds, undefined, AFTER_CUT_STALL_MS));
  if (!settled) await describeUnsettled(db, sim, channelIds);
  await stopService(worker, 'SIGTERM');
  await sim.sync();
  const calls = sendsTo(sim, pages, from);
  const ok = calls.filter((call) => call.status === 200 && (cutAt === null || call.at <= cutAt)).map((call) => call.at);
  const first = Math.min(...ok);
  const last = cutAt ?? Math.max(...ok);
  const seconds = (last - first) / 1000;
  const result: ThroughputResult = {
    completed,
    sent: ok.length,
    sentPerSecond: seconds > 0 ? round(ok.length / seconds, 1) : 0,
    seconds: round(seconds, 3),
    firstSendAfterCommitMs: ok.length > 0 ? first - committedAt : null,
    statuses: statusCounts(calls),
    settled,
    states: await deliveryStates(db, channelIds),
    warnings: warnings(worker),
    cpuPercent,
  };
  log(`  ${result.sent} sent in ${result.seconds} s = ${result.sentPerSecond}/s; first send ${result.firstSendAfterCommitMs} ms after the commit; statuses ${JSON.stringify(result.statuses)}`);
  log(`  CPU, % of one core: ${JSON.stringify(cpuPercent)}`);
  if (result.warnings.count > 0) log(`  worker warnings: ${JSON.stringify(result.warnings.messages)}`);
  return result;
}

/** Raw BullMQ in this process: no-op jobs added with addBulk, one Worker at the given concurrency. */
async function bullmqBaseline(prefix: string, jobs: number, concurrency: number): Promise<{ jobsPerSecond: number; seconds: number; completed: number }> {
  const producer = createRedis(BENCH_REDIS_URL, 'bench-baseline-producer');
  const consumer = createRedis(BENCH_REDIS_URL, 'bench-baseline-worker');
  const name = 'bench-noop';
  const queue = new Queue(name, { connection: producer, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  const worker = new Worker(name, () => Promise.resolve('done'), { connection: consumer, prefix, concurrency, autorun: false, lockDuration: 10_000, stalledInterval: 5_000 });
  onCleanup('close the BullMQ baseline', async () => {
    await worker.close(true).catch(() => undefined);
    await queue.close().catch(() => undefined);
    producer.disconnect();
    consumer.disconnect();
  });
  for (let i = 0; i < jobs; i += 1_000) {
    await queue.addBulk(Array.from({ length: Math.min(1_000, jobs - i) }, (_, k) => ({ name: 'noop', data: { companyId: 'bench', channelId: `bench-${i + k}` } })));
  }
  const times: number[] = [];
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  worker.on('completed', () => {
    times.push(Date.now());
    if (times.length === jobs) done();
  });
  void worker.run();
  await Promise.race([finished, sleep(120_000)]);
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  producer.disconnect();
  consumer.disconnect();
  const seconds = times.length > 1 ? (times[times.length - 1] - times[0]) / 1000 : 0;
  return { jobsPerSecond: seconds > 0 ? round(times.length / seconds, 1) : 0, seconds: round(seconds, 3), completed: times.length };
}

// ---------------------------------------------------------------------------------------------
// 2. Pacing on one Page
// ---------------------------------------------------------------------------------------------

interface RateResult {
  /** False when the run was cut at RATE_MAX_MS with deliveries still queued. */
  completed: boolean;
  sent: number;
  sentPerSecondSteady: number;
  steadySeconds: number;
  busiestSecond: number;
  busiestSecondSteady: number;
  notOk: number;
  /** The shortest time spanned by 301 consecutive accepted calls: Meta's window is 1,000 ms. */
  tightestSpanMs: number | null;
  timerLateness: TimerLateness;
  cpuPercent: ReturnType<ReturnType<typeof cpuMeter>['stop']>;
  statuses: Record<string, number>;
  settled: boolean;
}

async function pageRateRun(sim: SimulatorProcess, db: Pool, companyId: string, page: ConnectedPage, worker: Service): Promise<RateResult> {
  log(`  warm-up: ${PAGE_LIMIT} deliveries on the Page`);
  await queueDeliveries(db, companyId, [{ page, count: PAGE_LIMIT, lane: 'transactional', label: 'rate warm-up' }]);
  if (!(await waitSettled(db, [page.channelId]))) throw new Error('page rate: the warm-up deliveries were not all sent');
  // Out of the simulator's one-second window before the measured stream starts.
  await sleep(1_500);
  await sim.sync();
  const from = sim.calls.length;
  log(`  ${RATE_DELIVERIES} transactional deliveries on one Page, DELIVERY_PAGE_RATE=${PAGE_LIMIT}, the simulator refusing above ${PAGE_LIMIT}/s`);
  await queueDeliveries(db, companyId, [{ page, count: RATE_DELIVERIES, lane: 'transactional', label: 'rate' }]);
  const meter = cpuMeter(worker, sim);
  const timers = timerProbe(1_015 / PAGE_LIMIT);
  const firstCallAt = (): number | undefined => sim.calls[from]?.at;
  const completed = await waitSettled(db, [page.channelId], () => Date.now() > (firstCallAt() ?? Infinity) + RATE_MAX_MS);
  let cutAt: number | null = null;
  if (!completed) {
    cutAt = Date.now();
    const { rowCount } = await db.query(`DELETE FROM deliveries WHERE channel_id = $1 AND state = 'queued'`, [page.channelId]);
    log(`  cut after ${RATE_MAX_MS / 1000} s: ${rowCount} deliveries still queued were dropped`);
  }
  const cpuPercent = meter.stop();
  const timerLateness = await timers.stop();
  const settled = completed || (await waitSettled(db, [page.channelId], undefined, AFTER_CUT_STALL_MS));
  if (!settled) await describeUnsettled(db, sim, [page.channelId]);
  await sim.sync();
  const calls = sendsTo(sim, [page], from);
  const ok = calls.filter((call) => call.status === 200).map((call) => call.at).sort((a, b) => a - b);
  const windowStart = (ok[0] ?? 0) + RATE_SETTLE_MS;
  const steady = ok.filter((at) => at >= windowStart && (cutAt === null || at <= cutAt));
  const windowEnd = cutAt ?? steady[steady.length - 1];
  let tightestSpanMs: number | null = null;
  for (let i = 0; i + PAGE_LIMIT < ok.length; i++) tightestSpanMs = Math.min(tightestSpanMs ?? Infinity, ok[i + PAGE_LIMIT] - ok[i]);
  const steadySeconds = steady.length > 0 ? (windowEnd - windowStart) / 1000 : 0;
  const result: RateResult = {
    completed,
    sent: ok.length,
    sentPerSecondSteady: steadySeconds > 0 ? round(steady.length / steadySeconds, 2) : 0,
    steadySeconds: round(steadySeconds, 3),
    busiestSecond: busiestSecond(calls.map((call) => call.at)),
    busiestSecondSteady: busiestSecond(steady),
    notOk: calls.filter((call) => call.status !== 200).length,
    tightestSpanMs,
    timerLateness,
    statuses: statusCounts(calls),
    settled,
    cpuPercent,
  };
  log(
    `  ${result.sent} sent; steady ${result.sentPerSecondSteady}/s over ${result.steadySeconds} s; busiest second ${result.busiestSecond} calls; statuses ${JSON.stringify(result.statuses)}`,
  );
  log(`  301 calls spanned at least ${tightestSpanMs} ms; timers of an idle thread here fired late by p99 ${timerLateness.p99_ms} ms, more than 5 ms for ${round(timerLateness.over_5ms * 100, 2)} %`);
  log(`  CPU, % of one core: ${JSON.stringify(cpuPercent)}`);
  return result;
}

// ---------------------------------------------------------------------------------------------
// 3. Agent replies, alone and during a broadcast
// ---------------------------------------------------------------------------------------------

interface ReplyRun {
  latencyMs: Record<string, number>;
  apiMs: Record<string, number>;
  replies: number;
  matched: number;
  non201: number;
  /** Reply calls the simulator refused (613 and the like). */
  refused: number;
  startedAt: number;
  endedAt: number;
}

/**
 * Open loop: one POST every REPLY_SPACING_MS whatever the previous ones do, round-robin over
 * the tickets; each reply's latency runs from just before its POST to the arrival at the
 * simulator of its first call that Graph accepted (matched by its unique text).
 */
async function replyRun(label: string, sim: SimulatorProcess, db: Pool, apiUrl: string, token: string, tickets: string[], page: ConnectedPage, count: number): Promise<ReplyRun> {
  const run = randomBytes(3).toString('hex');
  const postedAt = new Map<string, number>();
  const apiMs: number[] = [];
  let non201 = 0;
  await sim.sync();
  const from = sim.calls.length;
  const startedAt = Date.now();
  const posts: Array<Promise<void>> = [];
  for (let i = 0; i < count; i++) {
    const due = startedAt + i * REPLY_SPACING_MS;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const text = `Bonjour, ici le service client (${label} ${run} #${i}). Votre colis part demain.`;
    const ticket = tickets[i % tickets.length];
    posts.push(
      (async () => {
        const before = Date.now();
        postedAt.set(text, before);
        const response = await postJson(`${apiUrl}/v1/tickets/${ticket}/messages`, { text }, token);
        apiMs.push(Date.now() - before);
        if (response.status !== 201) {
          non201++;
          postedAt.delete(text);
          if (non201 <= 3) log(`  reply answered ${response.status}: ${JSON.stringify(response.body).slice(0, 300)}`);
        }
      })(),
    );
  }
  await Promise.all(posts);
  const agentLaneSettled = async () =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM deliveries WHERE channel_id = $1 AND lane = 'agent_reply' AND state IN ('queued', 'sending', 'unknown')`, [page.channelId])).rows[0].n === 0;
  try {
    await waitUntil(agentLaneSettled, `the ${label} replies to be sent`, STALL_MS);
  } catch (error) {
    // Reported as replies that never arrived (matched < replies), which fails the goal.
    log(`  ${(error as Error).message}`);
  }
  const endedAt = Date.now();
  await sim.sync();
  const arrived = new Map<string, number>();
  let refused = 0;
  for (const call of sendsTo(sim, [page], from)) {
    const text = textOf(call);
    if (text === undefined || !postedAt.has(text)) continue;
    if (call.status !== 200) {
      refused++;
      continue;
    }
    if (!arrived.has(text)) arrived.set(text, call.at);
  }
  const latencies = [...arrived].map(([text, at]) => at - (postedAt.get(text) as number));
  const result: ReplyRun = {
    latencyMs: { ...percentiles(latencies, [50, 90, 99]), max: latencies.length > 0 ? Math.max(...latencies) : Number.NaN },
    apiMs: percentiles(apiMs, [50, 99]),
    replies: count,
    matched: arrived.size,
    non201,
    refused,
    startedAt,
    endedAt,
  };
  log(
    `  ${result.matched}/${count} replies reached the simulator: p50 ${result.latencyMs.p50} ms, p90 ${result.latencyMs.p90} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms; API p99 ${result.apiMs.p99} ms` +
      (non201 + refused > 0 ? `; ${non201} POSTs not 201, ${refused} calls refused` : ''),
  );
  return result;
}

/** Every customer writes once through the webhook; returns their tickets once the worker made them. */
async function customersWrite(apiUrl: string, appSecret: string, db: Pool, page: ConnectedPage, count: number): Promise<string[]> {
  const driver = new WebhookDriver(`${apiUrl}/webhooks/messenger`, appSecret);
  try {
    for (let i = 0; i < count; i++) {
      const [response] = await driver.post(envelope([entry(page.pageId, [textMessage(page.pageId, newPsid(), `Bonjour, où en est ma commande n° ${i} ?`)])]));
      if (response.status !== 200) throw new Error(`the webhook answered ${response.status}: ${response.body}`);
    }
  } finally {
    driver.close();
  }
  const tickets = async () => (await db.query<{ id: string }>(`SELECT id FROM tickets WHERE channel_id = $1 ORDER BY number`, [page.channelId])).rows.map((row) => row.id);
  await waitUntil(async () => (await tickets()).length >= count, `${count} tickets`, STALL_MS);
  return tickets();
}

// ---------------------------------------------------------------------------------------------

async function run(): Promise<Omit<BenchReport, 'machine'>> {
  const started = Date.now();
  const code = codeVersion();

  log('creating and migrating a fresh database');
  const database = await createBenchDatabase('delivery');
  const redisPrefix = benchRedisPrefix('delivery');
  const db = new Pool({ connectionString: database.url, max: 3, application_name: 'guichet-bench-observer' });
  onCleanup('close the observer pool', () => db.end());

  // The API's own simulator (connecting Pages, profiles); each measured run has its own, and
  // every simulator knows every Page and token.
  const setupSim = new GraphSimulator();
  await setupSim.start();
  onCleanup('stop the setup Graph simulator', () => setupSim.stop());
  const env = benchEnv(database.url, redisPrefix, {
    ROLE: 'api',
    DB_SKIP_MIGRATIONS: 'true',
    LOG_LEVEL: 'warn',
    MESSENGER_GRAPH_URL: setupSim.url,
    DELIVERY_PAGE_RATE: String(PAGE_LIMIT),
    DELIVERY_PROMOTION_RATE: String(PAGE_LIMIT),
    DELIVERY_SWEEP_INTERVAL_MS: String(SWEEP_INTERVAL_MS),
    ...(POOL_SIZE ? { DATABASE_POOL_SIZE: POOL_SIZE } : {}),
  });
  const api = await startService('API process', env);
  log(`API process up at ${api.url} (ROLE=api)`);

  const signup = await postJson(`${api.url}/v1/auth/signup`, {
    companyName: 'Bench Boutique',
    name: 'Ada Admin',
    email: `bench.${randomBytes(4).toString('hex')}@example.test`,
    password: 'correct horse battery staple',
  });
  if (signup.status !== 201) throw new Error(`signup answered ${signup.status}: ${JSON.stringify(signup.body)}`);
  const adminToken = String(signup.body.accessToken);
  const companyId = String((signup.body.company as { id: string }).id);

  const pageConfigs = Array.from({ length: PAGES + 2 }, (_, i) => ({ pageId: newPageId(), token: pageToken(), name: `Boutique ${i + 1}` }));
  const pages: ConnectedPage[] = [];
  for (const config of pageConfigs) {
    setupSim.addPage(config);
    const connected = await postJson(`${api.url}/v1/channels/messenger`, { pageId: config.pageId, pageAccessToken: config.token }, adminToken);
    if (connected.status !== 201) throw new Error(`connecting a Page answered ${connected.status}: ${JSON.stringify(connected.body)}`);
    pages.push({ pageId: config.pageId, token: config.token, channelId: String(connected.body.id) });
  }
  const throughputPages = pages.slice(0, PAGES);
  const ratePage = pages[PAGES];
  const replyPage = pages[PAGES + 1];
  const newSim = async (options: Parameters<typeof SimulatorProcess.start>[0]): Promise<SimulatorProcess> => {
    const sim = await SimulatorProcess.start(options, pageConfigs);
    onCleanup('stop a Graph simulator', () => sim.stop());
    return sim;
  };
  log(`company and ${pages.length} Pages connected`);

  // --- 1. throughput -----------------------------------------------------------------------
  log(`BullMQ baseline: ${BULLMQ_JOBS} no-op jobs, one Worker of concurrency ${PAGE_CONCURRENCY}, in this process`);
  const bull = await bullmqBaseline(redisPrefix, BULLMQ_JOBS, PAGE_CONCURRENCY);
  log(`  ${bull.completed} jobs in ${bull.seconds} s = ${bull.jobsPerSecond}/s`);

  log(`throughput, simulator answering at once (one worker process)`);
  const fastSim = await newSim({ sendRatePerSecond: UNLIMITED_RATE });
  const fast = await throughputRun('instant Graph', fastSim, env, db, companyId, throughputPages);
  await fastSim.stop();

  log(`throughput, simulator answering in ${LATENCY_MS.min}–${LATENCY_MS.max} ms (one worker process)`);
  const slowSim = await newSim({ sendRatePerSecond: UNLIMITED_RATE, sendLatencyMs: LATENCY_MS });
  const slow = await throughputRun('50-150 ms Graph', slowSim, env, db, companyId, throughputPages);
  await slowSim.stop();

  // --- 2 and 3: a simulator that refuses above 300/s per Page, a fresh worker process each ---
  const metaSim = await newSim({ sendRatePerSecond: PAGE_LIMIT });
  const rateWorker = await startService('worker (page rate)', { ...env, ROLE: 'worker', MESSENGER_GRAPH_URL: metaSim.url });
  log('page rate: one Page against a limit of 300/s');
  const rate = await pageRateRun(metaSim, db, companyId, ratePage, rateWorker);
  await stopService(rateWorker, 'SIGTERM');
  const rateWarnings = warnings(rateWorker);
  if (rateWarnings.count > 0) log(`  worker warnings: ${JSON.stringify(rateWarnings.messages)}`);
  // Whatever the cut or a stall left on that Page must not keep the next worker busy.
  const leftover = (await db.query(`DELETE FROM deliveries WHERE channel_id = $1 AND state IN ('queued', 'sending', 'unknown')`, [ratePage.channelId])).rowCount ?? 0;
  if (leftover > 0) log(`  ${leftover} unsettled deliveries of the page-rate run removed before the next step`);

  const worker = await startService('worker (agent replies)', { ...env, ROLE: 'worker', MESSENGER_GRAPH_URL: metaSim.url });

  log(`agent replies: ${TICKETS} customers write through the webhook`);
  const tickets = await customersWrite(api.url, env.MESSENGER_APP_SECRET, db, replyPage, TICKETS);
  await replyRun('warm-up', metaSim, db, api.url, adminToken, tickets, replyPage, WARMUP_REPLIES);
  log(`agent replies alone: ${REPLIES}, one every ${REPLY_SPACING_MS} ms`);
  const aloneProbe = roundTripProbe(db, api.url);
  const alone = await replyRun('alone', metaSim, db, api.url, adminToken, tickets, replyPage, REPLIES);
  const aloneTrips = await aloneProbe.stop();

  log(`broadcast: ${BROADCAST} promotions queued on the same Page (DELIVERY_PROMOTION_RATE=${PAGE_LIMIT} = the page rate)`);
  await metaSim.sync();
  const broadcastFrom = metaSim.calls.length;
  const insertStarted = Date.now();
  await queueDeliveries(db, companyId, [{ page: replyPage, count: BROADCAST, lane: 'promotion', label: 'Promo' }]);
  log(`  inserted and committed in ${round((Date.now() - insertStarted) / 1000, 1)} s; waiting for the stream`);
  const promotionSends = (from: number) => sendsTo(metaSim, [replyPage], from).filter((call) => textOf(call)?.startsWith('Promo: ') === true);
  await waitUntil(() => Promise.resolve(promotionSends(broadcastFrom).length > 0), 'the first promotion send', STALL_MS);
  await sleep(BROADCAST_SETTLE_MS);
  log(`agent replies during the broadcast: ${REPLIES}, one every ${REPLY_SPACING_MS} ms`);
  const broadcastMeter = cpuMeter(worker, metaSim);
  const duringProbe = roundTripProbe(db, api.url);
  const during = await replyRun('broadcast', metaSim, db, api.url, adminToken, tickets, replyPage, REPLIES);
  const duringTrips = await duringProbe.stop();
  log(`  bare round trips p99, alone → during the broadcast: PostgreSQL ${aloneTrips.postgres_ms.p99} → ${duringTrips.postgres_ms.p99} ms, HTTP ${aloneTrips.http_ms.p99} → ${duringTrips.http_ms.p99} ms`);
  const broadcastCpu = broadcastMeter.stop();
  log(`  CPU, % of one core: ${JSON.stringify(broadcastCpu)}`);
  const promotions = promotionSends(broadcastFrom);
  const inWindow = promotions.filter((call) => call.at >= during.startedAt && call.at <= during.endedAt);
  const windowSeconds = (during.endedAt - during.startedAt) / 1000;
  const promotionsPerSecond = round(inWindow.filter((call) => call.status === 200).length / windowSeconds, 1);
  const pageCallsDuring = sendsTo(metaSim, [replyPage], broadcastFrom).filter((call) => call.at >= during.startedAt && call.at <= during.endedAt);
  const broadcastNotOk = sendsTo(metaSim, [replyPage], broadcastFrom).filter((call) => call.status !== 200).length;
  const promotionsSent = promotions.filter((call) => call.status === 200).length;
  log(
    `  promotions: ${promotionsSent} sent so far, ${promotionsPerSecond}/s while the replies ran; Page calls in the busiest second ${busiestSecond(pageCallsDuring.map((call) => call.at))}; ${broadcastNotOk} calls refused`,
  );
  await stopService(worker, 'SIGTERM');
  const metaWarnings = warnings(worker);
  if (metaWarnings.count > 0) log(`  worker warnings: ${JSON.stringify(metaWarnings.messages)}`);
  await metaSim.stop();
  await stopService(api, 'SIGTERM');

  const fastRatio = ratio(fast.sentPerSecond, bull.jobsPerSecond);
  const slowRatio = ratio(slow.sentPerSecond, bull.jobsPerSecond);
  const rateRatio = ratio(rate.sentPerSecondSteady, PAGE_LIMIT);
  const replyRatio = ratio(during.latencyMs.p99, alone.latencyMs.p99);
  const repliesComplete = alone.matched === REPLIES && during.matched === REPLIES;

  log(`done in ${round((Date.now() - started) / 1000, 1)} s`);
  return {
    bench: 'delivery',
    figures: {
      sent_per_s_one_worker: fast.sentPerSecond,
      sent_per_s_one_worker_graph_50_150ms: slow.sentPerSecond,
      throughput: {
        deliveries: THROUGHPUT_DELIVERIES,
        pages: PAGES,
        lane: 'transactional',
        instant: {
          completed: fast.completed,
          sent: fast.sent,
          seconds: fast.seconds,
          first_send_after_commit_ms: fast.firstSendAfterCommitMs,
          statuses: fast.statuses,
          states: fast.states,
          settled: fast.settled,
          worker_warnings: fast.warnings.count,
          cpu_percent_of_one_core: fast.cpuPercent,
        },
        graph_50_150ms: {
          completed: slow.completed,
          sent: slow.sent,
          seconds: slow.seconds,
          first_send_after_commit_ms: slow.firstSendAfterCommitMs,
          statuses: slow.statuses,
          states: slow.states,
          settled: slow.settled,
          worker_warnings: slow.warnings.count,
          cpu_percent_of_one_core: slow.cpuPercent,
        },
        measured: `Graph-accepted calls ÷ time from the first to the last at the simulator (or to the cut, ${THROUGHPUT_MAX_MS / 1000} s after the first)`,
      },
      page_rate_sent_per_s: rate.sentPerSecondSteady,
      page_rate: {
        deliveries: RATE_DELIVERIES,
        completed: rate.completed,
        sent: rate.sent,
        steady_seconds: rate.steadySeconds,
        steady_from_s: RATE_SETTLE_MS / 1000,
        busiest_second_calls: rate.busiestSecond,
        busiest_second_calls_steady: rate.busiestSecondSteady,
        rate_limit_errors: rate.notOk,
        tightest_span_of_301_calls_ms: rate.tightestSpanMs,
        timer_lateness: rate.timerLateness,
        statuses: rate.statuses,
        settled: rate.settled,
        unsettled_removed_after: leftover,
        worker_warnings: rateWarnings.count,
        cpu_percent_of_one_core: rate.cpuPercent,
      },
      agent_reply_ms_with_broadcast: { ...during.latencyMs },
      agent_reply: {
        replies: REPLIES,
        spacing_ms: REPLY_SPACING_MS,
        tickets: TICKETS,
        matched_alone: alone.matched,
        matched_with_broadcast: during.matched,
        api_ms_alone: alone.apiMs,
        api_ms_with_broadcast: during.apiMs,
        non_201: alone.non201 + during.non201,
        reply_calls_refused: alone.refused + during.refused,
        round_trips_alone: aloneTrips,
        round_trips_with_broadcast: duringTrips,
        measured: 'from just before the POST to the arrival at the simulator of its accepted Send API call',
      },
      broadcast: {
        queued: BROADCAST,
        promotion_rate: PAGE_LIMIT,
        page_rate: PAGE_LIMIT,
        sent_before_stop: promotionsSent,
        sent_per_s_during_replies: promotionsPerSecond,
        busiest_second_page_calls_during_replies: busiestSecond(pageCallsDuring.map((call) => call.at)),
        calls_refused: broadcastNotOk,
        cpu_percent_of_one_core: broadcastCpu,
      },
      worker_warnings_agent_replies: metaWarnings.count,
      worker_warning_messages: { ...fast.warnings.messages, ...slow.warnings.messages, ...rateWarnings.messages, ...metaWarnings.messages },
    },
    baselines: {
      bullmq_noop_jobs_per_s: bull.jobsPerSecond,
      bullmq_jobs: bull.completed,
      bullmq_concurrency: PAGE_CONCURRENCY,
      page_limit_per_s: PAGE_LIMIT,
      agent_reply_ms_alone: { ...alone.latencyMs },
    },
    ratios: {
      sent_vs_bullmq_noop: fastRatio,
      sent_graph_50_150ms_vs_bullmq_noop: slowRatio,
      page_rate_vs_limit: rateRatio,
      agent_reply_p99_with_vs_without_broadcast: replyRatio,
      postgres_round_trip_p99_with_vs_without_broadcast: ratio(duringTrips.postgres_ms.p99, aloneTrips.postgres_ms.p99),
      http_round_trip_p99_with_vs_without_broadcast: ratio(duringTrips.http_ms.p99, aloneTrips.http_ms.p99),
    },
    goals: {
      page_rate_at_least_0_98x: rate.completed && rate.settled && rate.steadySeconds >= 60 && rateRatio !== null && rateRatio >= 0.98,
      zero_rate_limit_errors: rate.sent > 0 && rate.notOk === 0,
      agent_reply_p99_with_broadcast_at_most_1_2x: repliesComplete && replyRatio !== null && replyRatio <= 1.2,
    },
    config: {
      code,
      ROLE: 'api + one worker process',
      DELIVERY_PAGE_RATE: PAGE_LIMIT,
      DELIVERY_PROMOTION_RATE: PAGE_LIMIT,
      DELIVERY_SWEEP_INTERVAL_MS: SWEEP_INTERVAL_MS,
      DELIVERY_PAGE_CONCURRENCY: `${PAGE_CONCURRENCY} (default)`,
      DELIVERY_LANE_CONCURRENCY: `${LANE_CONCURRENCY} (default)`,
      DATABASE_POOL_SIZE: POOL_SIZE ?? '10 (default)',
      DB_SKIP_MIGRATIONS: 'true',
      LOG_LEVEL: 'warn',
      bulk_inserts: 'one transaction each, ANALYZE deliveries, contacts before the commit',
      NODE_ENV: 'production',
      simulator: `its own process (nice -10 when allowed); ${UNLIMITED_RATE}/s per Page for throughput, ${PAGE_LIMIT}/s per Page for page rate and replies`,
    },
  };
}

export const delivery: BenchModule = { run };
