import { createHash, randomBytes, randomInt } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { echo, entry, envelope, newMid, type WebhookAttachment } from './events';
import { WebhookDriver, type WebhookResponse } from './webhook-driver';

/**
 * A real HTTP server that plays Meta's Graph API for Guichet's tests, benchmarks and demos: Page tokens,
 * `/me`, `subscribed_apps`, user profiles and the Send API with its per-Page rate limit, Meta-shaped
 * errors, echo webhooks, and scripted failures (Graph errors, raw HTTP answers, delays, hangs, drops).
 * Control endpoints under `/_sim/` expose the same controls to the CLI and to non-JS tools.
 */

export interface PageConfig {
  pageId: string;
  token: string;
  name: string;
}

export interface UserProfile {
  first_name: string;
  last_name: string;
  profile_pic: string;
}

export interface RecordedCall {
  method: string;
  /** The path without the version prefix and without the query, e.g. `/me/messages`. */
  path: string;
  /** The version prefix when there was one, e.g. `v25.0`. */
  version?: string;
  query: Record<string, string>;
  /** The Page the call is about: from the path (`/{page-id}/…`) or else from the token. */
  pageId?: string;
  /** `recipient.id` of a Send API call. */
  recipient?: string;
  /** The parsed JSON (or form) body, or undefined when there was none. */
  body: unknown;
  /** The access token received, from `Authorization: Bearer`, the `access_token` query parameter or the body. */
  token?: string;
  /** True when the token came in the URL (query string), where it would end up in access logs. */
  tokenInUrl: boolean;
  /** Epoch milliseconds when the request arrived. */
  at: number;
  /** The HTTP status answered; undefined for hung and dropped calls. */
  status?: number;
  /** The JSON answered (or the raw text of a scripted `http` answer). */
  response?: unknown;
}

export type ScriptResponse =
  | { kind: 'graph_error'; code: number; subcode?: number; message?: string; httpStatus?: number }
  | { kind: 'http'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'delay'; ms: number }
  | { kind: 'hang' }
  | { kind: 'drop' }
  | { kind: 'headers'; headers: Record<string, string> };

export interface ScriptMatch {
  pageId?: string;
  recipient?: string;
  /** A string matches the path exactly (without version prefix and query, e.g. `/me/messages`); a RegExp is tested on it. */
  path?: RegExp | string;
  method?: string;
}

export interface ScriptRule {
  match: ScriptMatch;
  /** How many calls this rule answers before it expires; default forever. */
  times?: number;
  respond: ScriptResponse;
}

/** The JSON form of a rule (`POST /_sim/script`): `path` is an exact string, `pathPattern` a RegExp source. */
export interface ScriptRuleJson {
  match?: { pageId?: string; recipient?: string; path?: string; pathPattern?: string; method?: string };
  times?: number;
  respond: ScriptResponse;
}

export interface EchoWebhookConfig {
  url: string;
  appSecret: string;
  /** `message.app_id` of the echoes; default `DEFAULT_APP_ID`. */
  appId?: string;
}

export interface GraphSimulatorOptions {
  /** Send API calls per second per Page for text and other light messages (Meta: 300). */
  sendRatePerSecond?: number;
  /** Send API calls per second per Page for audio and video attachments (Meta: 10). */
  mediaRatePerSecond?: number;
  /**
   * Delays every Send API answer (`POST /{page-id}/messages`) by a uniform random time in this
   * range, in ms, as Meta's own latency; the call is recorded and rate-limited when it arrives.
   */
  sendLatencyMs?: { min: number; max: number };
  /** Where to post echo webhooks for messages sent through the Send API; no echoes when absent. */
  webhook?: EchoWebhookConfig;
  /** Told of every Graph call as it is answered (status set), before the answer leaves: a host process reports calls with it. */
  onAnswered?: (call: RecordedCall) => void;
}

export interface EchoRecord {
  mid: string;
  pageId: string;
  recipient: string;
  /** The receiver's HTTP status, once it answered. */
  status?: number;
  /** Why the echo could not be delivered. */
  error?: string;
}

export interface GraphErrorBody {
  error: { message: string; type: string; code: number; error_subcode?: number; fbtrace_id: string };
}

/** The app id the simulator answers with and puts in echoes unless told otherwise. */
export const DEFAULT_APP_ID = '1517776481860111';

const VERSION_PREFIX = /^\/(v\d+\.\d+)(?=\/|$)/;
const SENDER_ACTIONS = new Set(['typing_on', 'typing_off', 'mark_seen', 'react', 'unreact']);
const MESSAGING_TYPES = new Set(['RESPONSE', 'UPDATE', 'MESSAGE_TAG', 'UTILITY']);
const CURRENT_TAGS = new Set(['HUMAN_AGENT', 'CUSTOMER_FEEDBACK']);
/** Requests carrying these tags get error 100 since 27 April 2026 (messenger-platform.md §0.5). */
const DEPRECATED_TAGS = new Set(['CONFIRMED_EVENT_UPDATE', 'ACCOUNT_UPDATE', 'POST_PURCHASE_UPDATE']);
const MEDIA_TYPES = new Set(['audio', 'video']);
const PROFILE_FIELDS = new Set(['id', 'first_name', 'last_name', 'name', 'profile_pic']);
const DEFAULT_PROFILE_FIELDS = ['first_name', 'last_name', 'profile_pic'];

const ERROR_MESSAGES: Record<string, string> = {
  '1': 'An unknown error occurred',
  '2': 'An unexpected error has occurred. Please retry your request later.',
  '4': '(#4) Application request limit reached',
  '10': '(#10) Application does not have permission for this action',
  '10/2018278': '(#10) This message is sent outside of allowed window.',
  '10/1893063': '(#10) This Page is temporarily restricted from sending messages.',
  '17': '(#17) User request limit reached',
  '32': '(#32) Page request limit reached',
  '100': '(#100) Invalid parameter',
  '100/2018001': '(#100) No matching user found',
  '100/2018218': '(#100) No profile available for this user.',
  '104': 'An access token is required to request this resource.',
  '190': 'Invalid OAuth access token - Cannot parse access token',
  '200': '(#200) Permissions error',
  '230': '(#230) Permissions disallow message to user',
  '368': '(#368) The action attempted has been deemed abusive or is otherwise disallowed',
  '551': "(#551) This person isn't available right now.",
  '613': '(#613) Calls to this API have exceeded the rate limit.',
  '1200': '(#1200) Temporary send message failure. Please try again later.',
};

const FIRST_NAMES = ['Camille', 'Léa', 'Hugo', 'Chloé', 'Lucas', 'Manon', 'Inès', 'Théo', 'Zoé', 'Nathan', 'Emma', 'Yanis'];
const LAST_NAMES = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau'];

/** A Graph API error body: `{ error: { message, type: 'OAuthException', code, error_subcode?, fbtrace_id } }`. */
export function graphError(code: number, subcode?: number, message?: string): GraphErrorBody {
  const text =
    message ??
    (subcode !== undefined ? ERROR_MESSAGES[`${code}/${subcode}`] : undefined) ??
    ERROR_MESSAGES[String(code)] ??
    `(#${code}) Simulated error`;
  const error: GraphErrorBody['error'] = { message: text, type: 'OAuthException', code, fbtrace_id: fbtraceId() };
  if (subcode !== undefined) error.error_subcode = subcode;
  return { error };
}

function fbtraceId(): string {
  return `A${randomBytes(8).toString('base64url')}`;
}

/** The profile a PSID gets when none was set: a stable name derived from the PSID. */
export function generatedProfile(psid: string): UserProfile {
  const hash = createHash('sha256').update(psid).digest();
  return {
    first_name: FIRST_NAMES[hash[0] % FIRST_NAMES.length],
    last_name: LAST_NAMES[hash[1] % LAST_NAMES.length],
    profile_pic: `https://platform-lookaside.fbsbx.com/platform/profilepic/?psid=${encodeURIComponent(psid)}`,
  };
}

/** Compiles the JSON form of a script rule (from `POST /_sim/script`) into a rule. Throws on a malformed one. */
export function ruleFromJson(json: unknown): ScriptRule {
  if (!isRecord(json)) throw new Error('a rule must be an object');
  const match = json.match === undefined ? {} : json.match;
  if (!isRecord(match)) throw new Error('match must be an object');
  const compiled: ScriptMatch = {};
  for (const key of ['pageId', 'recipient', 'method', 'path'] as const) {
    const value = match[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new Error(`match.${key} must be a string`);
    compiled[key] = value;
  }
  if (match.pathPattern !== undefined) {
    if (typeof match.pathPattern !== 'string') throw new Error('match.pathPattern must be a string');
    compiled.path = new RegExp(match.pathPattern);
  }
  if (json.times !== undefined && (typeof json.times !== 'number' || !Number.isInteger(json.times) || json.times < 0)) {
    throw new Error('times must be a non-negative integer');
  }
  return { match: compiled, times: json.times, respond: responseFromJson(json.respond) };
}

function responseFromJson(json: unknown): ScriptResponse {
  if (!isRecord(json)) throw new Error('respond must be an object');
  const int = (key: string): number => {
    const value = json[key];
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new Error(`respond.${key} must be an integer`);
    return value;
  };
  const optionalInt = (key: string): number | undefined => (json[key] === undefined ? undefined : int(key));
  const headers = (key: string): Record<string, string> | undefined => {
    const value = json[key];
    if (value === undefined) return undefined;
    if (!isRecord(value) || Object.values(value).some((v) => typeof v !== 'string')) {
      throw new Error(`respond.${key} must map header names to strings`);
    }
    return value as Record<string, string>;
  };
  switch (json.kind) {
    case 'graph_error': {
      if (json.message !== undefined && typeof json.message !== 'string') throw new Error('respond.message must be a string');
      return {
        kind: 'graph_error',
        code: int('code'),
        subcode: optionalInt('subcode'),
        message: json.message,
        httpStatus: optionalInt('httpStatus'),
      };
    }
    case 'http': {
      if (json.body !== undefined && typeof json.body !== 'string') throw new Error('respond.body must be a string');
      return { kind: 'http', status: int('status'), body: json.body, headers: headers('headers') };
    }
    case 'delay':
      return { kind: 'delay', ms: int('ms') };
    case 'hang':
      return { kind: 'hang' };
    case 'drop':
      return { kind: 'drop' };
    case 'headers':
      return { kind: 'headers', headers: headers('headers') ?? {} };
    default:
      throw new Error('respond.kind must be graph_error, http, delay, hang, drop or headers');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Runs after the answer was written (echo webhooks). */
  after?: () => void;
}

interface ActiveRule {
  rule: ScriptRule;
  remaining: number | undefined;
}

interface ParsedBody {
  value: unknown;
  invalid: boolean;
}

class ControlError extends Error {}

export class GraphSimulator {
  /** Every Graph call received (control calls under `/_sim/` excluded), oldest first. */
  readonly calls: RecordedCall[] = [];
  /** Echo webhooks emitted after Send API calls, oldest first. */
  readonly echoes: EchoRecord[] = [];

  private server: http.Server | undefined;
  private baseUrl: string | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pendingEchoes = new Set<Promise<void>>();
  private readonly pages = new Map<string, { name: string }>();
  private readonly tokens = new Map<string, string>();
  private readonly profiles = new Map<string, UserProfile | null>();
  private readonly subscriptions = new Map<string, string[]>();
  private readonly sendWindows = new Map<string, number[]>();
  private readonly mediaWindows = new Map<string, number[]>();
  private rules: ActiveRule[] = [];
  private webhook: EchoWebhookConfig | undefined;
  private echoDriver: WebhookDriver | undefined;
  private readonly sendRate: number;
  private readonly mediaRate: number;
  private readonly sendLatency: { min: number; max: number } | undefined;

  private readonly onAnswered?: (call: RecordedCall) => void;

  constructor(options: GraphSimulatorOptions = {}) {
    this.sendRate = options.sendRatePerSecond ?? 300;
    this.mediaRate = options.mediaRatePerSecond ?? 10;
    const latency = options.sendLatencyMs;
    if (latency !== undefined && !(Number.isFinite(latency.min) && Number.isFinite(latency.max) && latency.min >= 0 && latency.max >= latency.min)) {
      throw new Error('GraphSimulator: sendLatencyMs needs 0 <= min <= max');
    }
    this.sendLatency = latency;
    this.onAnswered = options.onAnswered;
    this.setWebhook(options.webhook);
  }

  /** Listens and resolves with the base URL, e.g. `http://127.0.0.1:40123` (port 0 picks a free port). */
  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) throw new Error('GraphSimulator is already started');
    const server = http.createServer((req, res) => this.onRequest(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('GraphSimulator: no TCP address');
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.baseUrl = `http://${shownHost}:${address.port}`;
    return this.baseUrl;
  }

  /** The base URL once started. */
  get url(): string {
    if (this.baseUrl === undefined) throw new Error('GraphSimulator is not started');
    return this.baseUrl;
  }

  /** Closes the server and every socket, hung and delayed requests included. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.baseUrl = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.echoDriver?.close();
    await closed;
  }

  /** Adds a Page and one valid token for it (call again to add more tokens; the last name wins). */
  addPage(page: PageConfig): void {
    this.pages.set(page.pageId, { name: page.name });
    this.tokens.set(page.token, page.pageId);
  }

  /** Makes a token invalid: calls with it get error 190 from then on. */
  revokeToken(token: string): void {
    this.tokens.delete(token);
  }

  /** Sets a PSID's profile; `null` makes profile lookups fail with 100/2018218 (no profile available). */
  setProfile(psid: string, profile: UserProfile | null): void {
    this.profiles.set(psid, profile);
  }

  /** The fields the last `POST /{page-id}/subscribed_apps` recorded, or undefined when the Page is not subscribed. */
  subscribedFields(pageId: string): string[] | undefined {
    return this.subscriptions.get(pageId);
  }

  /** Where echo webhooks go; `undefined` turns echoes off. */
  setWebhook(config: EchoWebhookConfig | undefined): void {
    this.echoDriver?.close();
    this.webhook = config;
    this.echoDriver = config ? new WebhookDriver(config.url, config.appSecret) : undefined;
  }

  /** Adds a scripted answer; rules are checked in the order they were added. */
  script(rule: ScriptRule): void {
    if (rule.times !== undefined && rule.times <= 0) return;
    this.rules.push({ rule, remaining: rule.times });
  }

  clearScripts(): void {
    this.rules = [];
  }

  /**
   * Forgets the calls, scripts, rate windows, subscriptions and echoes. Pages, tokens, profiles and the echo
   * webhook stay, unless `configuration` is true.
   */
  reset(options: { configuration?: boolean } = {}): void {
    this.calls.length = 0;
    this.echoes.length = 0;
    this.rules = [];
    this.sendWindows.clear();
    this.mediaWindows.clear();
    this.subscriptions.clear();
    if (options.configuration) {
      this.pages.clear();
      this.tokens.clear();
      this.profiles.clear();
    }
  }

  /** Resolves once every echo webhook emitted so far has been answered (or has failed). */
  async settled(): Promise<void> {
    while (this.pendingEchoes.size > 0) await Promise.allSettled([...this.pendingEchoes]);
  }

  // --- request handling ---------------------------------------------------------------------------

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.handle(req, res, Buffer.concat(chunks)).catch((error: unknown) => {
        console.error('GraphSimulator: request failed', error);
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify(graphError(1, undefined, 'GraphSimulator internal error')));
        }
      });
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname === '/_sim' || url.pathname.startsWith('/_sim/')) {
      await this.control(method, url.pathname, raw, res);
      return;
    }

    const versionMatch = VERSION_PREFIX.exec(url.pathname);
    const path = (versionMatch ? url.pathname.slice(versionMatch[0].length) : url.pathname) || '/';
    const query = Object.fromEntries(url.searchParams);
    const parsed = parseBody(raw, req.headers['content-type']);
    const body = isRecord(parsed.value) ? parsed.value : undefined;

    const { token, tokenInUrl } = extractToken(req.headers.authorization, query, body);
    const tokenPage = token === undefined ? undefined : this.tokens.get(token);
    const segments = path.split('/').filter((s) => s.length > 0).map(decodeURIComponent);
    const pageScoped = segments.length === 2 && ['messages', 'subscribed_apps', 'message_attachments'].includes(segments[1]);
    let pageId: string | undefined;
    if (segments[0] === 'me') pageId = tokenPage;
    else if (pageScoped) pageId = segments[0];
    else if (segments.length === 1 && this.pages.has(segments[0])) pageId = segments[0];
    else pageId = tokenPage;
    const recipientId = body !== undefined && isRecord(body.recipient) ? body.recipient.id : undefined;

    const call: RecordedCall = {
      method,
      path,
      query,
      body: parsed.value,
      tokenInUrl,
      at: Date.now(),
    };
    if (versionMatch) call.version = versionMatch[1];
    if (pageId !== undefined) call.pageId = pageId;
    if (typeof recipientId === 'string') call.recipient = recipientId;
    if (token !== undefined) call.token = token;
    this.calls.push(call);

    let extraHeaders: Record<string, string> = {};
    const rule = this.takeRule(call);
    if (rule) {
      switch (rule.kind) {
        case 'graph_error':
          this.write(res, call, { status: rule.httpStatus ?? 400, body: graphError(rule.code, rule.subcode, rule.message) });
          return;
        case 'http': {
          call.status = rule.status;
          call.response = rule.body;
          this.onAnswered?.(call);
          if (res.destroyed) return;
          res.writeHead(rule.status, rule.headers ?? {});
          res.end(rule.body ?? '');
          return;
        }
        case 'hang':
          return;
        case 'drop':
          req.socket.destroy();
          return;
        case 'delay':
          await this.sleep(rule.ms);
          break;
        case 'headers':
          extraHeaders = rule.headers;
          break;
      }
    }

    const answer: Answer = parsed.invalid
      ? { status: 400, body: graphError(100, undefined, '(#100) The request body could not be parsed') }
      : this.route(method, segments, query, body, token, tokenPage, pageId);
    answer.headers = { ...answer.headers, ...extraHeaders };
    const latency = this.sendLatency;
    if (latency !== undefined && method === 'POST' && segments.length === 2 && segments[1] === 'messages') {
      await this.sleep(latency.min + Math.random() * (latency.max - latency.min));
    }
    this.write(res, call, answer);
    answer.after?.();
  }

  private takeRule(call: RecordedCall): ScriptResponse | undefined {
    const index = this.rules.findIndex(({ rule }) => ruleMatches(rule.match, call));
    if (index < 0) return undefined;
    const active = this.rules[index];
    if (active.remaining !== undefined) {
      active.remaining -= 1;
      if (active.remaining <= 0) this.rules.splice(index, 1);
    }
    return active.rule.respond;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private write(res: http.ServerResponse, call: RecordedCall, answer: Answer): void {
    call.status = answer.status;
    call.response = answer.body;
    this.onAnswered?.(call);
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(answer.status, {
      'content-type': 'application/json; charset=UTF-8',
      'x-fb-trace-id': fbtraceId(),
      ...answer.headers,
    });
    res.end(JSON.stringify(answer.body));
  }

  private route(
    method: string,
    segments: string[],
    query: Record<string, string>,
    body: Record<string, unknown> | undefined,
    token: string | undefined,
    tokenPage: string | undefined,
    pageId: string | undefined,
  ): Answer {
    if (token === undefined) return { status: 400, body: graphError(104) };
    if (tokenPage === undefined) return { status: 400, body: graphError(190) };
    if (pageId !== undefined && pageId !== tokenPage && !this.pages.has(pageId)) {
      // A page-scoped path naming a Page the simulator does not know.
      return unsupported(method, segments[0]);
    }
    if (pageId !== undefined && pageId !== tokenPage) {
      return { status: 400, body: graphError(200, undefined, '(#200) The access token does not belong to this Page') };
    }
    const page = tokenPage;
    const [first, second] = segments;

    if (segments.length === 1 && method === 'GET') {
      if (first === 'me' || first === page) return { status: 200, body: { id: page, name: this.pages.get(page)?.name } };
      return this.profile(first, query.fields);
    }
    if (segments.length === 2 && second === 'messages' && method === 'POST') return this.send(page, body);
    if (segments.length === 2 && second === 'message_attachments' && method === 'POST') {
      return { status: 200, body: { attachment_id: String(randomInt(1e14, 9e14)) } };
    }
    if (segments.length === 2 && second === 'subscribed_apps') {
      if (method === 'POST') return this.subscribe(page, query, body);
      if (method === 'DELETE') {
        this.subscriptions.delete(page);
        return { status: 200, body: { success: true } };
      }
      if (method === 'GET') {
        const fields = this.subscriptions.get(page);
        const app = { id: this.webhook?.appId ?? DEFAULT_APP_ID, name: 'Guichet', subscribed_fields: fields };
        return { status: 200, body: { data: fields ? [app] : [] } };
      }
    }
    return unsupported(method, first ?? '');
  }

  private profile(psid: string, fields: string | undefined): Answer {
    const wanted = fields ? fields.split(',').map((f) => f.trim()).filter((f) => f.length > 0) : DEFAULT_PROFILE_FIELDS;
    const unknownField = wanted.find((f) => !PROFILE_FIELDS.has(f));
    if (unknownField !== undefined) {
      return {
        status: 400,
        body: graphError(100, undefined, `(#100) Tried accessing nonexisting field (${unknownField}) on node type (User)`),
      };
    }
    const stored = this.profiles.get(psid);
    if (stored === null) return { status: 400, body: graphError(100, 2018218) };
    const profile = stored ?? generatedProfile(psid);
    const all: Record<string, string> = { ...profile, name: `${profile.first_name} ${profile.last_name}`, id: psid };
    const result: Record<string, string> = {};
    for (const field of wanted) result[field] = all[field];
    result.id = psid;
    return { status: 200, body: result };
  }

  private subscribe(page: string, query: Record<string, string>, body: Record<string, unknown> | undefined): Answer {
    const raw: unknown = query.subscribed_fields ?? body?.subscribed_fields;
    const fields =
      typeof raw === 'string'
        ? raw.split(',').map((f) => f.trim()).filter((f) => f.length > 0)
        : Array.isArray(raw) && raw.every((f) => typeof f === 'string')
          ? raw
          : undefined;
    if (fields === undefined || fields.length === 0) {
      return { status: 400, body: graphError(100, undefined, '(#100) The parameter subscribed_fields is required') };
    }
    this.subscriptions.set(page, fields);
    return { status: 200, body: { success: true } };
  }

  private send(page: string, body: Record<string, unknown> | undefined): Answer {
    const invalid = (message: string, subcode?: number): Answer => ({
      status: 400,
      body: graphError(100, subcode, `(#100) ${message}`),
    });
    const message = body?.message;
    const attachment = isRecord(message) && isRecord(message.attachment) ? message.attachment : undefined;
    const isMedia = typeof attachment?.type === 'string' && MEDIA_TYPES.has(attachment.type);
    if (!this.admit(isMedia ? this.mediaWindows : this.sendWindows, page, isMedia ? this.mediaRate : this.sendRate)) {
      return { status: 400, body: graphError(613) };
    }

    const recipient = body?.recipient;
    const recipientId = isRecord(recipient) && typeof recipient.id === 'string' ? recipient.id : undefined;
    const otherRecipient =
      isRecord(recipient) &&
      (typeof recipient.user_ref === 'string' || typeof recipient.notification_messages_token === 'string');
    if (recipientId === undefined && !otherRecipient) return invalid('The parameter recipient is required');

    const senderAction = body?.sender_action;
    if (message === undefined && senderAction === undefined) return invalid('Must send either message or sender_action');
    if (message !== undefined && senderAction !== undefined) return invalid('sender_action must be sent without message');
    if (senderAction !== undefined) {
      if (typeof senderAction !== 'string' || !SENDER_ACTIONS.has(senderAction.toLowerCase())) {
        return invalid('Param sender_action must be one of {TYPING_ON, TYPING_OFF, MARK_SEEN, REACT, UNREACT}');
      }
      return { status: 200, body: recipientId === undefined ? {} : { recipient_id: recipientId } };
    }

    const messagingType = body?.messaging_type;
    if (messagingType !== undefined) {
      if (typeof messagingType !== 'string' || !MESSAGING_TYPES.has(messagingType)) {
        return invalid('Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG, UTILITY}');
      }
      const tag = body?.tag;
      if (messagingType === 'MESSAGE_TAG') {
        if (typeof tag !== 'string') return invalid('Param tag is required for messaging_type MESSAGE_TAG');
        if (DEPRECATED_TAGS.has(tag)) return invalid(`The message tag ${tag} is deprecated`, 1893061);
        if (!CURRENT_TAGS.has(tag)) return invalid('Param tag must be one of {HUMAN_AGENT, CUSTOMER_FEEDBACK}');
      }
    }

    if (!isRecord(message)) return invalid('Param message must be an object');
    const text = message.text;
    const kinds = [text !== undefined, attachment !== undefined, message.sticker_id !== undefined].filter(Boolean);
    if (kinds.length !== 1) return invalid('Param message must have exactly one of text, attachment or sticker_id');
    if (text !== undefined) {
      if (typeof text !== 'string' || text.length === 0) return invalid('Param message[text] must be a non-empty string');
      if ([...text].length > 2000) return invalid('Length of param message[text] must be less than or equal to 2000');
    }
    if (message.attachment !== undefined && attachment === undefined) {
      return invalid('Param message[attachment] must be an object');
    }
    const metadata = message.metadata;
    if (metadata !== undefined && (typeof metadata !== 'string' || metadata.length > 1000)) {
      return invalid('Length of param message[metadata] must be less than or equal to 1000');
    }
    const quickReplies = message.quick_replies;
    if (quickReplies !== undefined && (!Array.isArray(quickReplies) || quickReplies.length > 13)) {
      return invalid('Param message[quick_replies] must be an array of at most 13 elements');
    }

    const mid = newMid();
    const answer: Answer = {
      status: 200,
      body: recipientId === undefined ? { message_id: mid } : { recipient_id: recipientId, message_id: mid },
    };
    if (recipientId !== undefined && this.webhook) {
      const webhook = this.webhook;
      answer.after = () =>
        this.emitEcho(page, recipientId, {
          mid,
          appId: webhook.appId ?? DEFAULT_APP_ID,
          text: typeof text === 'string' ? text : undefined,
          attachments: attachment ? [echoedAttachment(attachment)] : undefined,
          metadata: typeof metadata === 'string' ? metadata : undefined,
        });
    }
    return answer;
  }

  /** Sliding one-second window per Page: true (and counted) when the call fits under `limit`. */
  private admit(windows: Map<string, number[]>, page: string, limit: number): boolean {
    const now = performance.now();
    let window = windows.get(page);
    if (!window) {
      window = [];
      windows.set(page, window);
    }
    while (window.length > 0 && window[0] <= now - 1000) window.shift();
    if (window.length >= limit) return false;
    window.push(now);
    return true;
  }

  private emitEcho(
    page: string,
    psid: string,
    message: { mid: string; appId: string; text?: string; attachments?: WebhookAttachment[]; metadata?: string },
  ): void {
    const driver = this.echoDriver;
    if (!driver) return;
    const record: EchoRecord = { mid: message.mid, pageId: page, recipient: psid };
    this.echoes.push(record);
    const payload = envelope([entry(page, [echo(page, psid, message)])]);
    const pending: Promise<void> = driver.post(payload).then(
      ([response]: WebhookResponse[]) => {
        record.status = response.status;
      },
      (error: unknown) => {
        record.error = error instanceof Error ? error.message : String(error);
      },
    );
    const tracked = pending.finally(() => this.pendingEchoes.delete(tracked));
    this.pendingEchoes.add(tracked);
  }

  // --- control endpoints ----------------------------------------------------------------------------

  private async control(method: string, path: string, raw: Buffer, res: http.ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown): void => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify(body));
    };
    try {
      const parsed = parseBody(raw, 'application/json');
      if (parsed.invalid) throw new ControlError('the body is not valid JSON');
      const body: unknown = parsed.value;
      const input = isRecord(body) ? body : {};
      const route = `${method} ${path.replace(/\/+$/, '')}`;
      switch (route) {
        case 'GET /_sim/calls':
          return reply(200, this.calls);
        case 'GET /_sim/echoes':
          return reply(200, this.echoes);
        case 'GET /_sim/state':
          return reply(200, {
            pages: [...this.pages].map(([pageId, { name }]) => ({ pageId, name })),
            subscriptions: Object.fromEntries(this.subscriptions),
            scripts: this.rules.length,
            calls: this.calls.length,
            echoWebhook: this.webhook?.url ?? null,
          });
        case 'POST /_sim/reset':
          this.reset({ configuration: input.configuration === true });
          return reply(200, { ok: true });
        case 'POST /_sim/pages':
          this.addPage({ pageId: text(input, 'pageId'), token: text(input, 'token'), name: text(input, 'name') });
          return reply(200, { ok: true });
        case 'POST /_sim/revoke':
          this.revokeToken(text(input, 'token'));
          return reply(200, { ok: true });
        case 'POST /_sim/profiles': {
          const psid = text(input, 'psid');
          const profile = 'profile' in input ? input.profile : input;
          if (profile === null) this.setProfile(psid, null);
          else if (isRecord(profile)) {
            this.setProfile(psid, {
              first_name: text(profile, 'first_name'),
              last_name: text(profile, 'last_name'),
              profile_pic: text(profile, 'profile_pic'),
            });
          } else throw new ControlError('profile must be an object or null');
          return reply(200, { ok: true });
        }
        case 'POST /_sim/script':
          try {
            this.script(ruleFromJson(body));
          } catch (error) {
            throw new ControlError(error instanceof Error ? error.message : String(error));
          }
          return reply(200, { ok: true });
        case 'DELETE /_sim/script':
          this.clearScripts();
          return reply(200, { ok: true });
        case 'POST /_sim/echo-webhook':
          this.setWebhook(
            input.url === undefined
              ? undefined
              : {
                  url: text(input, 'url'),
                  appSecret: text(input, 'appSecret'),
                  appId: input.appId === undefined ? undefined : text(input, 'appId'),
                },
          );
          return reply(200, { ok: true });
        case 'POST /_sim/webhooks': {
          const driver = new WebhookDriver(text(input, 'target'), text(input, 'appSecret'));
          try {
            const duplicates = input.duplicates;
            if (duplicates !== undefined && (typeof duplicates !== 'number' || !Number.isInteger(duplicates) || duplicates < 0)) {
              throw new ControlError('duplicates must be a non-negative integer');
            }
            if (!('payload' in input)) throw new ControlError('payload is required');
            const responses = await driver.post(input.payload, {
              duplicates,
              concurrent: input.concurrent === true,
              signature: input.signature === undefined ? undefined : text(input, 'signature'),
            });
            return reply(200, { statuses: responses.map((r) => r.status), responses });
          } finally {
            driver.close();
          }
        }
        default:
          return reply(404, { error: `unknown control route ${route}` });
      }
    } catch (error) {
      if (error instanceof ControlError) return reply(400, { error: error.message });
      return reply(502, { error: error instanceof Error ? error.message : String(error) });
    }
  }
}

function text(input: Record<string, unknown>, key: string): string {
  const value = input[key];
  if (typeof value !== 'string' || value.length === 0) throw new ControlError(`${key} must be a non-empty string`);
  return value;
}

function ruleMatches(match: ScriptMatch, call: RecordedCall): boolean {
  if (match.pageId !== undefined && match.pageId !== call.pageId) return false;
  if (match.recipient !== undefined && match.recipient !== call.recipient) return false;
  if (match.method !== undefined && match.method.toUpperCase() !== call.method) return false;
  if (match.path !== undefined) {
    if (typeof match.path === 'string') return match.path === call.path;
    match.path.lastIndex = 0;
    return match.path.test(call.path);
  }
  return true;
}

function unsupported(method: string, id: string): Answer {
  return {
    status: 400,
    body: graphError(
      100,
      33,
      `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
    ),
  };
}

function extractToken(
  authorization: string | undefined,
  query: Record<string, string>,
  body: Record<string, unknown> | undefined,
): { token: string | undefined; tokenInUrl: boolean } {
  const header = authorization === undefined ? undefined : /^(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(authorization)?.[1];
  if (header !== undefined) return { token: header, tokenInUrl: false };
  if (query.access_token !== undefined && query.access_token.length > 0) {
    return { token: query.access_token, tokenInUrl: true };
  }
  const fromBody = body?.access_token;
  if (typeof fromBody === 'string' && fromBody.length > 0) return { token: fromBody, tokenInUrl: false };
  return { token: undefined, tokenInUrl: false };
}

/** JSON bodies, and form bodies whose values may themselves be JSON (Graph accepts both). */
function parseBody(raw: Buffer, contentType: string | undefined): ParsedBody {
  if (raw.length === 0) return { value: undefined, invalid: false };
  const source = raw.toString('utf8');
  const type = (contentType ?? '').toLowerCase();
  if (type.includes('multipart/')) return { value: undefined, invalid: false };
  if (type.includes('json') || (!type.includes('x-www-form-urlencoded') && /^\s*[[{]/.test(source))) {
    try {
      return { value: JSON.parse(source) as unknown, invalid: false };
    } catch {
      return { value: undefined, invalid: true };
    }
  }
  const form: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(source)) {
    let parsed: unknown = value;
    if (/^\s*[[{]/.test(value)) {
      try {
        parsed = JSON.parse(value) as unknown;
      } catch {
        parsed = value;
      }
    }
    form[key] = parsed;
  }
  return { value: form, invalid: false };
}

/** How Meta echoes an attachment the Page sent: media by URL (a CDN URL for saved assets), templates as sent. */
function echoedAttachment(attachment: Record<string, unknown>): WebhookAttachment {
  const type = typeof attachment.type === 'string' ? attachment.type : 'fallback';
  const payload = isRecord(attachment.payload) ? attachment.payload : {};
  if (type === 'template') return { type, payload };
  const savedId = payload.attachment_id;
  const assetId = typeof savedId === 'string' || typeof savedId === 'number' ? String(savedId) : newMid();
  const url = typeof payload.url === 'string' ? payload.url : `https://scontent.xx.fbcdn.net/simulated/${assetId}`;
  return { type, payload: { url } };
}
