import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { GraphSimulator, type GraphSimulatorOptions, type RecordedCall } from '../src/simulator/graph-simulator';

/**
 * The Graph simulator in a process of its own, for benchmarks that time calls at the simulator.
 * Meta's servers do not share our two cores: in the bench process, the simulator's event loop
 * stalled 20 to 60 ms now and then behind the bench's own work, and its arrival times, which the
 * rate limit and the latency figures are computed from, moved with it. Here it runs alone, at a
 * higher scheduling priority when the machine allows it, and reports each call as it answers.
 */

type HostOptions = Omit<GraphSimulatorOptions, 'onAnswered' | 'webhook'>;
type Page = { pageId: string; token: string; name: string };
type ToHost = { kind: 'sync'; id: number };
type FromHost = { kind: 'ready'; url: string } | { kind: 'call'; call: RecordedCall } | { kind: 'synced'; id: number };

/** The parent's view: the calls answered so far, in the order they were answered. */
export class SimulatorProcess {
  readonly calls: RecordedCall[] = [];
  private syncs = new Map<number, () => void>();
  private nextSync = 0;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.on('message', (message: FromHost) => {
      if (message.kind === 'call') this.calls.push(message.call);
      else if (message.kind === 'synced') this.syncs.get(message.id)?.();
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  static async start(options: HostOptions, pages: Page[]): Promise<SimulatorProcess> {
    const child = fork(join(__dirname, 'sim-host.js'), [JSON.stringify({ options, pages })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    try {
      if (child.pid !== undefined) setPriority(child.pid, -10);
    } catch {
      // Not allowed (not root): the simulator shares the machine at the same priority as the rest.
    }
    const [ready] = (await once(child, 'message')) as [FromHost];
    if (ready.kind !== 'ready') throw new Error('the simulator process did not start');
    return new SimulatorProcess(child, ready.url);
  }

  /** Resolves once every call answered before now is in `calls` (the IPC channel keeps order). */
  async sync(): Promise<void> {
    const id = this.nextSync++;
    const done = new Promise<void>((resolve) => this.syncs.set(id, resolve));
    this.child.send({ kind: 'sync', id } satisfies ToHost);
    await done;
    this.syncs.delete(id);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await once(this.child, 'exit');
  }
}

async function host(): Promise<void> {
  const { options, pages } = JSON.parse(process.argv[2]) as { options: HostOptions; pages: Page[] };
  // The parent keeps the calls; this process forgets each once reported, so its heap stays small.
  const simulator = new GraphSimulator({ ...options, onAnswered: ({ response: _response, ...call }) => process.send?.({ kind: 'call', call } satisfies FromHost) });
  for (const page of pages) simulator.addPage(page);
  const url = await simulator.start();
  setInterval(() => simulator.calls.splice(0), 1_000).unref();
  process.on('message', (message: ToHost) => {
    if (message.kind === 'sync') process.send?.({ kind: 'synced', id: message.id } satisfies FromHost);
  });
  process.on('SIGTERM', () => void simulator.stop().finally(() => process.exit(0)));
  process.on('disconnect', () => process.exit(0));
  process.send?.({ kind: 'ready', url } satisfies FromHost);
}

if (require.main === module) void host();
