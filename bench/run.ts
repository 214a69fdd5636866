import 'reflect-metadata';
import os from 'node:os';
import { type BenchModule, log, machineInfo, printReport, runCleanup, watchOtherCpu } from './support';

/**
 * `npm run bench -- <name>`: runs one benchmark and prints its JSON line on stdout.
 * Goals are reported, not enforced: the exit code is 0 whenever the run itself completed.
 */
const BENCHMARKS: Record<string, () => Promise<BenchModule>> = {
  ingest: async () => (await import('./ingest.bench')).ingest,
  delivery: async () => (await import('./delivery.bench')).delivery,
  workspace: async () => (await import('./workspace.bench')).workspace,
  live: async () => (await import('./live.bench')).live,
};

async function main(): Promise<number> {
  const name = process.argv[2];
  const load = name === undefined ? undefined : BENCHMARKS[name];
  if (!load) {
    console.error(`Usage: npm run bench -- <name>\nBenchmarks: ${Object.keys(BENCHMARKS).join(', ')}${name === undefined ? '' : `\nUnknown benchmark "${name}"`}`);
    return 2;
  }
  const loadAverageBefore = os.loadavg()[0];
  if (loadAverageBefore > 0.5) log(`the 1-minute load average is ${loadAverageBefore.toFixed(2)}: other work on this machine will skew the figures`);
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      log(`${signal}: cleaning up`);
      void runCleanup().finally(() => process.exit(130));
    });
  }
  try {
    const others = watchOtherCpu();
    const report = await (await load()).run();
    const otherCpu = others.stop();
    if (otherCpu.cpu_seconds >= 1) log(`other processes used ${otherCpu.cpu_seconds} CPU seconds during the run: ${JSON.stringify(otherCpu.by_command)}`);
    await runCleanup();
    printReport({ ...report, machine: await machineInfo(loadAverageBefore, otherCpu) });
    return 0;
  } catch (error) {
    if (!interrupted) console.error(`Benchmark ${name} failed:`, error);
    await runCleanup();
    return interrupted ? 130 : 1;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
