import { envelope, entry, textMessage } from '../src/simulator/events';
import { GraphSimulator } from '../src/simulator/graph-simulator';
import { WebhookDriver } from '../src/simulator/webhook-driver';

/**
 * `npm run simulator`: the Messenger simulator (a fake Graph API) on SIMULATOR_PORT (default 4000).
 * `npm run simulator -- send --target <url> --secret <app secret> --page <id> --psid <id> --text "…"`:
 * one signed text-message webhook, Meta style; prints the receiver's statuses.
 */

const USAGE = `Usage:
  npm run simulator [-- --port 4000 --host 127.0.0.1 --page <id> --token <page token> --name <page name>
                        --webhook <echo target url> --secret <app secret> --app-id <id> --rate <sends/s per Page>]
      Starts the fake Graph API (port also from SIMULATOR_PORT). --page/--token/--name pre-register a Page;
      --webhook/--secret turn on echo webhooks for messages sent through it.
  npm run simulator -- send --target <url> --secret <app secret> --page <id> --psid <id> --text <text>
                        [--duplicates N] [--concurrent] [--mid <mid>]
      Sends one signed text-message webhook and prints the statuses (exit 1 unless all are 2xx).`;

type Flags = Map<string, string | true>;

function parseArgs(argv: string[]): { command: string | undefined; flags: Flags } {
  const flags: Flags = new Map();
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq > 0) {
        flags.set(arg.slice(2, eq), arg.slice(eq + 1));
        continue;
      }
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        flags.set(arg.slice(2), next);
        i++;
      } else {
        flags.set(arg.slice(2), true);
      }
    } else if (command === undefined) {
      command = arg;
    } else {
      throw new Error(`Unexpected argument: ${arg}`);
    }
  }
  return { command, flags };
}

function value(flags: Flags, name: string): string | undefined {
  const found = flags.get(name);
  if (found === true) throw new Error(`--${name} needs a value`);
  return found;
}

function required(flags: Flags, name: string): string {
  const found = value(flags, name);
  if (found === undefined || found === '') throw new Error(`--${name} is required`);
  return found;
}

function integer(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const parsed = Number(raw);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return parsed;
}

async function serve(flags: Flags): Promise<void> {
  const port = integer(value(flags, 'port') ?? process.env.SIMULATOR_PORT, 'port', 4000);
  const host = value(flags, 'host') ?? process.env.SIMULATOR_HOST ?? '127.0.0.1';
  const rate = value(flags, 'rate');
  const webhookUrl = value(flags, 'webhook');
  const secret = value(flags, 'secret');
  if (webhookUrl !== undefined && secret === undefined) throw new Error('--webhook needs --secret (the app secret)');
  const simulator = new GraphSimulator({
    sendRatePerSecond: rate === undefined ? undefined : integer(rate, 'rate', 300),
    webhook: webhookUrl === undefined || secret === undefined ? undefined : { url: webhookUrl, appSecret: secret, appId: value(flags, 'app-id') },
  });
  const pageId = value(flags, 'page');
  if (pageId !== undefined) {
    simulator.addPage({ pageId, token: required(flags, 'token'), name: value(flags, 'name') ?? `Page ${pageId}` });
  }
  const url = await simulator.start(port, host);
  console.log(`Messenger simulator listening on ${url}`);
  console.log(`Point Guichet at it: MESSENGER_GRAPH_URL=${url} (control endpoints under ${url}/_sim/)`);
  const shutdown = (): void => {
    simulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

async function send(flags: Flags): Promise<void> {
  const pageId = required(flags, 'page');
  const psid = required(flags, 'psid');
  const driver = new WebhookDriver(required(flags, 'target'), required(flags, 'secret'));
  const event = textMessage(pageId, psid, required(flags, 'text'), { mid: value(flags, 'mid') });
  try {
    const responses = await driver.post(envelope([entry(pageId, [event])]), {
      duplicates: integer(value(flags, 'duplicates'), 'duplicates', 0),
      concurrent: flags.get('concurrent') === true,
    });
    console.log(`mid ${String(event.message?.mid)}`);
    for (const response of responses) console.log(`${response.status} ${response.body}`);
    if (!responses.every((r) => r.status >= 200 && r.status < 300)) process.exitCode = 1;
  } finally {
    driver.close();
  }
}

async function main(): Promise<void> {
  const { command, flags } = parseArgs(process.argv.slice(2));
  if (flags.has('help') || command === 'help') {
    console.log(USAGE);
    return;
  }
  if (command === undefined || command === 'serve') return serve(flags);
  if (command === 'send') return send(flags);
  throw new Error(`Unknown command: ${command}\n\n${USAGE}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
