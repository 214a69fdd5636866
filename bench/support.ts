import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { createApp } from '../src/app.factory';
import { type AppConfig, loadConfig } from '../src/config/config';
import { migrate } from '../src/database/migrate';
import { deleteRedisKeys } from '../test/support/redis';
import { percentiles, ratio, round, sleep } from './stats';

export { percentiles, ratio, round, sleep };

/**
 * Shared plumbing for `npm run bench -- <name>`: a fresh database migrated from migrations/, a
 * Redis key prefix of its own, the real application booted in this process, and the one JSON
 * line every benchmark ends with. Progress goes to stderr so that stdout holds only that line.
 */

export const BENCH_ADMIN_URL = process.env.GUICHET_BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const BENCH_REDIS_URL = process.env.GUICHET_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const BENCH_RUN_ID = `${Date.now().toString(36)}${process.pid.toString(36)}`;

/** What a benchmark module hands back; `run.ts` prints it as the final line. */
export interface BenchReport {
  bench: string;
  figures: Record<string, unknown>;
  baselines: Record<string, unknown>;
  ratios: Record<string, number | null>;
  goals: Record<string, boolean>;
  /** The settings under test that differ from the service's defaults. */
  config: Record<string, string | number>;
  machine: MachineInfo;
}

export interface BenchModule {
  run(): Promise<Omit<BenchReport, 'machine'>>;
}

/** A positive whole number from the environment (a benchmark's size knob), or the default. */
export function envInt(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Clean-up: everything a run creates is registered here and undone at the end, pass or fail.
// ---------------------------------------------------------------------------------------------

type CleanupStep = { label: string; fn: () => Promise<unknown> };
const cleanupSteps: CleanupStep[] = [];

export function onCleanup(label: string, fn: () => Promise<unknown>): void {
  cleanupSteps.push({ label, fn });
}

let cleaning: Promise<void> | undefined;

/**
 * Runs the registered steps newest first; a failing step is reported and the others still run.
 * A second call while one runs (a signal during a failure, say) waits for the same clean-up.
 */
export function runCleanup(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanupSteps.length > 0) {
      const step = cleanupSteps.pop() as CleanupStep;
      try {
        await step.fn();
      } catch (error) {
        log(`clean-up "${step.label}" failed: ${(error as Error).message}`);
      }
    }
  })().finally(() => (cleaning = undefined));
  return cleaning;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL and Redis
// ---------------------------------------------------------------------------------------------

export function databaseUrl(name: string): string {
  const url = new URL(BENCH_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: BENCH_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** `guichet_bench_<run>_<label>`, created and migrated by the service's own runner; dropped at clean-up. */
export async function createBenchDatabase(label: string): Promise<{ name: string; url: string }> {
  const name = `guichet_bench_${BENCH_RUN_ID}_${label}_${randomBytes(2).toString('hex')}`.toLowerCase().slice(0, 63);
  const url = databaseUrl(name);
  onCleanup(`drop database ${name}`, () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)));
  await migrate(loadConfig({ DATABASE_URL: url, ROLE: 'api', NODE_ENV: 'test', LOG_LEVEL: 'silent' }));
  return { name, url };
}

const deleteBenchRedisKeys = (pattern: string): Promise<number> => deleteRedisKeys(pattern, BENCH_REDIS_URL);

/** A prefix of its own for this run; its keys are deleted at clean-up. */
export function benchRedisPrefix(label: string): string {
  const prefix = `gb_${BENCH_RUN_ID}_${label}`;
  onCleanup(`delete Redis keys ${prefix}*`, () => deleteBenchRedisKeys(`${prefix}*`));
  return prefix;
}

// ---------------------------------------------------------------------------------------------
// The application under test
// ---------------------------------------------------------------------------------------------

export interface BootedApp {
  app: NestFastifyApplication;
  config: AppConfig;
  baseUrl: string;
  port: number;
}

/**
 * Fresh secrets and NODE_ENV=production, so nothing development-only is on the measured path;
 * logs are silent (the log pipeline would otherwise be part of every figure).
 */
export function benchEnv(databaseUrlValue: string, redisPrefix: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    ROLE: 'all',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: databaseUrlValue,
    REDIS_URL: BENCH_REDIS_URL,
    REDIS_PREFIX: redisPrefix,
    LOG_LEVEL: 'silent',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    MESSENGER_APP_SECRET: randomBytes(16).toString('hex'),
    MESSENGER_VERIFY_TOKEN: randomBytes(12).toString('hex'),
    ...overrides,
  };
}

/** The real application, `createApp(loadConfig(env))`, in this process, listening on a free port. */
export async function bootApp(env: Record<string, string>): Promise<BootedApp> {
  const config = loadConfig(env);
  const app = await createApp(config);
  onCleanup('close the application', () => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('the application has no TCP address');
  return { app, config, baseUrl: `http://127.0.0.1:${address.port}`, port: address.port };
}

export interface JsonResponse {
  status: number;
  body: Record<string, unknown>;
}

export async function postJson(url: string, body: unknown, token?: string): Promise<JsonResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: response.status, body: parsed };
}

// ---------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------

/** Polls `check` every `intervalMs` until it returns true, or gives up after `timeoutMs` without progress. */
export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs: number, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// The machine
// ---------------------------------------------------------------------------------------------

export interface MachineInfo {
  os: string;
  cpus: { model: string; count: number };
  memory_gib: number;
  node: string;
  postgres?: string;
  redis?: string;
  /** 1-minute load average just before the run: well above 0 means something else was using the CPUs. */
  load_average_before?: number;
  /** CPU seconds other processes (not this one, PostgreSQL or Redis) used during the run. */
  other_processes_cpu?: { cpu_seconds: number; by_command: Record<string, number> };
}

function distribution(): string | undefined {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

export async function machineInfo(loadAverageBefore?: number, otherCpu?: MachineInfo['other_processes_cpu']): Promise<MachineInfo> {
  const cpus = os.cpus();
  const info: MachineInfo = {
    os: [distribution(), `${os.type()} ${os.release()} ${os.arch()}`].filter(Boolean).join(', '),
    cpus: { model: cpus[0]?.model.trim() ?? 'unknown', count: cpus.length },
    memory_gib: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    ...(loadAverageBefore !== undefined ? { load_average_before: round(loadAverageBefore, 2) } : {}),
    ...(otherCpu ? { other_processes_cpu: otherCpu } : {}),
  };
  try {
    info.postgres = await admin(async (c) => (await c.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version);
  } catch {
    // Reported as missing rather than failing a finished run.
  }
  const redis = new IORedis(BENCH_REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    info.redis = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1];
  } catch {
    // Same.
  } finally {
    redis.disconnect();
  }
  return info;
}

/**
 * CPU time used during the run by processes other than this one, its children, PostgreSQL and Redis (Linux
 * /proc, sampled every second): a busy neighbour, such as a test run, skews every figure.
 */
export function watchOtherCpu(): { stop(): { cpu_seconds: number; by_command: Record<string, number> } } {
  const TICKS_PER_SECOND = 100;
  const ours = new Set(['postgres', 'redis-server']);
  const last = new Map<number, number>();
  const byCommand = new Map<string, number>();
  const sample = (): void => {
    let entries: string[];
    try {
      entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
    } catch {
      return;
    }
    for (const name of entries) {
      const pid = Number(name);
      if (pid === process.pid) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const close = stat.lastIndexOf(')');
        const command = stat.slice(stat.indexOf('(') + 1, close);
        if (ours.has(command)) continue;
        const fields = stat.slice(close + 2).split(' ');
        // Services the benchmark spawned (fields[1] is the parent pid) are part of what it measures.
        if (Number(fields[1]) === process.pid) continue;
        const ticks = Number(fields[11]) + Number(fields[12]);
        const previous = last.get(pid);
        last.set(pid, ticks);
        if (previous !== undefined && ticks > previous) byCommand.set(command, (byCommand.get(command) ?? 0) + ticks - previous);
      } catch {
        // Gone meanwhile.
      }
    }
  };
  sample();
  const timer = setInterval(sample, 1000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      const top = [...byCommand].sort((a, b) => b[1] - a[1]).filter(([, ticks]) => ticks >= TICKS_PER_SECOND / 10);
      const total = [...byCommand.values()].reduce((a, b) => a + b, 0);
      return { cpu_seconds: round(total / TICKS_PER_SECOND, 1), by_command: Object.fromEntries(top.slice(0, 5).map(([command, ticks]) => [command, round(ticks / TICKS_PER_SECOND, 1)])) };
    },
  };
}

/** The code measured: `git describe`-like short commit, with `-dirty` when src/ or migrations/ have local changes. */
export function codeVersion(): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: join(__dirname, '..', '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--', 'src', 'migrations') === '' ? commit : `${commit}-dirty`;
  } catch {
    return 'unknown';
  }
}

/** The run's only stdout output: one JSON line. */
export function printReport(report: BenchReport): void {
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
