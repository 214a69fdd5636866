import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { onCleanup } from './support';

/**
 * One autocannon run, in a worker thread of its own: the load generator gets its own event loop
 * (and, on a 2-core machine, in effect its own core) instead of sharing the application's.
 */
export interface LoadSpec {
  label: string;
  /** Base URL of the application, e.g. http://127.0.0.1:40123. */
  url: string;
  method: 'GET' | 'POST';
  path: string;
  connections: number;
  /** Stop after this many seconds... */
  durationSeconds?: number;
  /** ...or after exactly this many requests (takes precedence). */
  amount?: number;
  /** This many requests per second in total (autocannon `overallRate`). */
  overallRate?: number;
  /**
   * With a rate: split the load over this many autocannon runs, started evenly across the first
   * second. autocannon lets each connection send its share of a second as soon as that second
   * starts, so one run delivers "1,000/s" as one burst of 1,000 requests; staggered runs spread
   * them into small bursts all through the second.
   */
  instances?: number;
  /** Leave the responses of the first seconds out of the latency percentiles. */
  settleSeconds?: number;
  /** POST bodies, each sent once, in order, spread over the connections; must cover `amount`. */
  bodies?: string[];
  /** Headers per body (same index), e.g. the signatures. */
  bodyHeaders?: Array<Record<string, string>>;
  /** Headers of every request. */
  headers?: Record<string, string>;
}

export interface LoadResult {
  label: string;
  connections: number;
  instances: number;
  overallRate: number | null;
  /** Responses by status code. */
  statuses: Record<string, number>;
  requests: number;
  ok: number;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  /** 2xx responses per second over the run. */
  okPerSecond: number;
  /** Exact percentiles of the 2xx response times after the settling period, in ms (request written to response parsed). */
  latencyMs: { p50: number; p90: number; p99: number; p99_9: number; max: number; mean: number };
  latencySamples: number;
  /**
   * autocannon's own latency histogram, in whole ms; with a rate set it is corrected for
   * coordinated omission (an expected interval of 1 ms per connection).
   */
  autocannonLatencyMs: { p50: number; p99: number; max: number };
  /** Wall-clock (epoch ms) of the first and last 2xx response. */
  firstOkAt: number | null;
  lastOkAt: number | null;
  /** Sum of the numeric `stored` fields of the JSON answers (the webhook's count of new events). */
  stored: number;
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  if (spec.bodies && spec.amount !== undefined && spec.amount > spec.bodies.length) {
    throw new Error(`${spec.label}: ${spec.amount} requests but only ${spec.bodies.length} bodies`);
  }
  return new Promise<LoadResult>((resolve, reject) => {
    const worker = new Worker(join(__dirname, 'load.worker.js'), { workerData: spec });
    // An interrupted run stops its load before the application closes.
    onCleanup(`stop the load generator (${spec.label})`, () => worker.terminate());
    let settled = false;
    worker.once('message', (message: { result?: LoadResult; error?: string }) => {
      settled = true;
      if (message.result) resolve(message.result);
      else reject(new Error(`${spec.label}: ${message.error ?? 'the load generator failed'}`));
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`${spec.label}: the load generator exited with code ${code}`));
    });
  });
}
