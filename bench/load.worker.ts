import { parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import { type LoadResult, type LoadSpec } from './load';
import { percentiles, round, sleep } from './stats';

/**
 * The worker-thread side of `runLoad`: runs autocannon and posts back a LoadResult. Every
 * response time is kept, so percentiles are exact (autocannon's own histogram counts whole
 * milliseconds, too coarse for a sub-millisecond hello-world).
 */

/** Public in autocannon (`autocannon.aggregateResult`), missing from its type definitions. */
const aggregate = (autocannon as unknown as { aggregateResult: (this: void, results: unknown[], opts: object) => autocannon.Result }).aggregateResult;

function runInstance(opts: autocannon.Options, onResponse: (statusCode: number, responseTime: number) => void): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (error: Error | null, raw: unknown) => (error ? reject(error) : resolve(raw)));
    instance.on('response', (_client, statusCode, _bytes, responseTime) => onResponse(statusCode, responseTime));
  });
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  /** performance.now() of each 2xx response, same index as `latencies`. */
  const answeredAt: number[] = [];
  const statuses: Record<string, number> = {};
  let firstOkAt: number | null = null;
  let lastOkAt: number | null = null;
  let lastResponse = 0;
  let stored = 0;
  let next = 0;

  const bodies = spec.bodies;
  const request: autocannon.Request = { method: spec.method, path: spec.path };
  if (bodies) {
    // Called once per request, across every connection and instance: each body goes out once.
    request.setupRequest = (req) => {
      const index = next++;
      if (index >= bodies.length) throw new Error(`${spec.label}: ran out of bodies at ${index}`);
      return { ...req, body: bodies[index], headers: { ...req.headers, ...spec.bodyHeaders?.[index] } };
    };
    request.onResponse = (status, body) => {
      if (status < 200 || status >= 300) return;
      try {
        const value = (JSON.parse(body) as { stored?: unknown }).stored;
        if (typeof value === 'number') stored += value;
      } catch {
        // Not JSON: nothing stored to count.
      }
    };
  }

  const onResponse = (statusCode: number, responseTime: number): void => {
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    lastResponse = performance.now();
    if (statusCode >= 200 && statusCode < 300) {
      latencies.push(responseTime);
      answeredAt.push(lastResponse);
      const now = Date.now();
      firstOkAt ??= now;
      lastOkAt = now;
    }
  };

  // Paced: `instances` autocannon runs side by side, started 1/instances of a second apart,
  // each with its share of connections, rate and requests.
  const instances = spec.overallRate !== undefined ? Math.max(1, spec.instances ?? 1) : 1;
  if (spec.amount !== undefined && spec.amount % instances !== 0) throw new Error(`${spec.label}: amount must be a multiple of ${instances}`);
  if (spec.overallRate !== undefined && spec.overallRate % instances !== 0) throw new Error(`${spec.label}: rate must be a multiple of ${instances}`);
  const opts: autocannon.Options = {
    url: spec.url,
    connections: Math.max(1, Math.floor(spec.connections / instances)),
    pipelining: 1,
    // Meta gives up on a webhook after 20 s.
    timeout: 20,
    headers: spec.headers,
    requests: [request],
    ...(spec.amount !== undefined ? { amount: spec.amount / instances } : { duration: spec.durationSeconds ?? 10 }),
    ...(spec.overallRate !== undefined ? { overallRate: spec.overallRate / instances } : {}),
  };

  const startedAt = performance.now();
  const raws = await Promise.all(
    Array.from({ length: instances }, async (_, i) => {
      if (i > 0) await sleep((i * 1000) / instances);
      return runInstance(opts, onResponse);
    }),
  );
  const result = aggregate(raws, opts);
  const ok = latencies.length;
  const elapsedSeconds = Math.max(1e-3, (lastResponse - startedAt) / 1000);
  // Latency percentiles leave out the settling period (staggered runs still starting up).
  const settleUntil = startedAt + (spec.settleSeconds ?? 0) * 1000;
  const settled = latencies.filter((_, i) => answeredAt[i] >= settleUntil);
  const measured = settled.length > 0 ? settled : latencies;
  const exact = percentiles(measured, [50, 90, 99, 99.9]);
  return {
    label: spec.label,
    connections: opts.connections as number * instances,
    instances,
    overallRate: spec.overallRate ?? null,
    statuses,
    requests: Object.values(statuses).reduce((a, b) => a + b, 0),
    ok,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: round(elapsedSeconds, 3),
    okPerSecond: round(ok / elapsedSeconds, 1),
    latencyMs: {
      p50: round(exact.p50, 3),
      p90: round(exact.p90, 3),
      p99: round(exact.p99, 3),
      p99_9: round(exact.p99_9, 3),
      max: round(measured.reduce((a, b) => Math.max(a, b), 0), 3),
      mean: round(measured.reduce((a, b) => a + b, 0) / Math.max(1, measured.length), 3),
    },
    latencySamples: measured.length,
    autocannonLatencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    firstOkAt,
    lastOkAt,
    stored,
  };
}

if (parentPort) {
  const port = parentPort;
  run(workerData as LoadSpec).then(
    (result) => port.postMessage({ result }),
    (error: unknown) => port.postMessage({ error: error instanceof Error ? error.message : String(error) }),
  );
}
