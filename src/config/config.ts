import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsEnum,
  IsIn,
  IsInt,
  IsOptional,
  IsUUID,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

export enum Role {
  Api = 'api',
  Worker = 'worker',
  All = 'all',
}

/**
 * Development defaults so that `npm start` works on a machine with local services.
 * They are public knowledge, so production refuses to boot with any of them.
 */
export const DEV_SECRETS = {
  JWT_SECRET: 'dev-only-jwt-secret-change-me-0123456789abcdef',
  ENCRYPTION_KEYS: 'dev1:ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM=',
  MESSENGER_APP_SECRET: 'dev-only-messenger-app-secret',
  MESSENGER_VERIFY_TOKEN: 'dev-only-verify-token',
} as const;

const DURATION = /^\d{1,6}(ms|s|m|h|d)$/;
const DURATION_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** `7d`, `36h`, `90m`, `30s`, `500ms` in milliseconds. */
export function parseDuration(value: string): number {
  const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(value) ?? [];
  if (!amount) throw new Error(`not a duration: ${value}`);
  return Number(amount) * DURATION_MS[unit as keyof typeof DURATION_MS];
}

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  return value;
};

/** The raw environment, one property per variable, with its default and its rule. */
class EnvVars {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV = 'development';

  @IsEnum(Role)
  ROLE: Role = Role.All;

  @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  @IsUrl({ protocols: ['postgres', 'postgresql'], require_protocol: true, require_tld: false })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/guichet';

  @Transform(toInt) @IsInt() @Min(1) @Max(200)
  DATABASE_POOL_SIZE = 10;

  @Transform(toBool) @IsBoolean()
  DB_SKIP_MIGRATIONS = false;

  @IsUrl({ protocols: ['redis', 'rediss'], require_protocol: true, require_tld: false })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @Matches(/^[A-Za-z0-9_{}-]{1,64}$/)
  REDIS_PREFIX = 'guichet';

  @IsString() @MinLength(32)
  JWT_SECRET: string = DEV_SECRETS.JWT_SECRET;

  @IsString() @MinLength(1) @MaxLength(200)
  JWT_ISSUER = 'guichet';

  @IsString() @MinLength(1) @MaxLength(200)
  JWT_AUDIENCE = 'guichet-api';

  @Transform(toInt) @IsInt() @Min(60) @Max(86400)
  JWT_TTL_SECONDS = 900;

  @Matches(/^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=(,[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=)*$/, {
    message: 'must be a comma-separated list of id:base64(32 bytes), the current key first',
  })
  ENCRYPTION_KEYS: string = DEV_SECRETS.ENCRYPTION_KEYS;

  @IsString() @MinLength(16)
  MESSENGER_APP_SECRET: string = DEV_SECRETS.MESSENGER_APP_SECRET;

  @IsString() @MinLength(8)
  MESSENGER_VERIFY_TOKEN: string = DEV_SECRETS.MESSENGER_VERIFY_TOKEN;

  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  MESSENGER_GRAPH_URL = 'https://graph.facebook.com';

  @Matches(/^v\d+\.\d+$/)
  MESSENGER_GRAPH_VERSION = 'v25.0';

  @Transform(toInt) @IsInt() @Min(100) @Max(60_000)
  GRAPH_TIMEOUT_MS = 10_000;

  @Transform(toInt) @IsInt() @Min(50) @Max(60_000)
  GRAPH_CONNECT_TIMEOUT_MS = 3_000;

  @Matches(DURATION, { message: 'must be a duration such as 7d, 36h or 90m' })
  REOPEN_WINDOW = '7d';

  @Matches(DURATION, { message: 'must be a duration such as 7d, 36h or 90m' })
  AUTO_CLOSE_AFTER = '4d';

  @Transform(toInt) @IsInt() @Min(100) @Max(3_600_000)
  TICKET_SWEEP_INTERVAL_MS = 60_000;

  @IsString() @MaxLength(2000)
  STOP_WORDS = 'stop,stopp,unsubscribe,cancel,end,quit,arrêt,arret,stop all,désabonner,desabonner,désinscrire,desinscrire,baja,parar';

  @Matches(DURATION, { message: 'must be a duration such as 7d, 36h or 90m' })
  INBOUND_RETENTION = '7d';

  /** How far back GET /v1/events resumes from a Last-Event-ID; at least the 5 minutes a reconnect needs. */
  @Matches(DURATION, { message: 'must be a duration such as 7d, 36h or 90m' })
  LIVE_EVENTS_RETENTION = '1h';

  @Transform(toInt) @IsInt() @Min(50) @Max(10_000)
  LIVE_EVENTS_POLL_MS = 500;

  @Transform(toInt) @IsInt() @Min(100) @Max(600_000)
  INBOUND_SWEEP_INTERVAL_MS = 5_000;

  @Transform(toInt) @IsInt() @Min(0) @Max(3_600_000)
  INBOUND_SWEEP_AGE_MS = 30_000;

  /** Sends per second per Page, all lanes together (Meta allows 300). */
  @Transform(toInt) @IsInt() @Min(1) @Max(300)
  DELIVERY_PAGE_RATE = 250;

  /** Promotions per second per Page: low by default, so the Page inbox and agents keep working. */
  @Transform(toInt) @IsInt() @Min(1) @Max(300)
  DELIVERY_PROMOTION_RATE = 20;

  /** Audio and video per second per Page (Meta allows 10). */
  @Transform(toInt) @IsInt() @Min(1) @Max(10)
  DELIVERY_MEDIA_RATE = 10;

  /** Widens the one-second window so jitter between us and Meta never makes it look like more. */
  @Transform(toInt) @IsInt() @Min(0) @Max(500)
  DELIVERY_RATE_MARGIN_MS = 15;

  /** Graph calls in flight at once for one Page and lane, per worker process. */
  @Transform(toInt) @IsInt() @Min(1) @Max(200)
  DELIVERY_PAGE_CONCURRENCY = 50;

  /** Pages served at once per lane, per worker process. */
  @Transform(toInt) @IsInt() @Min(1) @Max(200)
  DELIVERY_LANE_CONCURRENCY = 8;

  /** How long one Page keeps a worker slot before it yields to the next Page. */
  @Transform(toInt) @IsInt() @Min(100) @Max(60_000)
  DELIVERY_SLICE_MS = 2_000;

  @Transform(toInt) @IsInt() @Min(1_000) @Max(600_000)
  DELIVERY_LEASE_MS = 30_000;

  @Transform(toInt) @IsInt() @Min(1) @Max(50)
  DELIVERY_MAX_ATTEMPTS = 5;

  @Transform(toInt) @IsInt() @Min(10) @Max(600_000)
  DELIVERY_RETRY_BASE_MS = 2_000;

  /** Without an echo after this long, an `unknown` agent reply or transactional message is sent once more. */
  @Transform(toInt) @IsInt() @Min(100) @Max(86_400_000)
  DELIVERY_UNKNOWN_RESEND_AFTER_MS = 60_000;

  @Transform(toInt) @IsInt() @Min(50) @Max(600_000)
  DELIVERY_SWEEP_INTERVAL_MS = 1_000;

  @Transform(toInt) @IsInt() @Min(1000) @Max(600_000)
  SHUTDOWN_TIMEOUT_MS = 20_000;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  LOGIN_MAX_FAILURES = 5;

  @Transform(toInt) @IsInt() @Min(1) @Max(86400)
  LOGIN_FAILURE_WINDOW_SECONDS = 900;

  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000)
  SIGNUPS_PER_HOUR_PER_ADDRESS = 20;

  @Transform(toInt) @IsInt() @Min(1) @Max(500)
  WORKER_CONCURRENCY = 5;

  @IsOptional() @IsString() @MinLength(16)
  METRICS_TOKEN?: string;

  @IsOptional() @IsUUID()
  OPERATOR_COMPANY_ID?: string;

  @Transform(toBool) @IsBoolean()
  TRUST_PROXY = false;
}

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/** The typed configuration every part of the service reads; built once at boot. */
export interface AppConfig {
  env: 'development' | 'test' | 'production';
  role: Role;
  http: { host: string; port: number; trustProxy: boolean };
  database: { url: string; poolSize: number; skipMigrations: boolean };
  redis: { url: string; prefix: string };
  auth: {
    jwtSecret: string;
    jwtIssuer: string;
    jwtAudience: string;
    jwtTtlSeconds: number;
    loginMaxFailures: number;
    loginFailureWindowSeconds: number;
    signupsPerHourPerAddress: number;
  };
  encryption: { current: EncryptionKey; keys: EncryptionKey[] };
  messenger: { appSecret: string; verifyToken: string; graphUrl: string; graphVersion: string; graphTimeoutMs: number; graphConnectTimeoutMs: number };
  delivery: {
    pageRate: number;
    promotionRate: number;
    mediaRate: number;
    rateMarginMs: number;
    pageConcurrency: number;
    laneConcurrency: number;
    sliceMs: number;
    leaseMs: number;
    maxAttempts: number;
    retryBaseMs: number;
    unknownResendAfterMs: number;
    sweepIntervalMs: number;
  };
  inbound: { reopenWindowMs: number; stopWords: string[]; sweepIntervalMs: number; sweepAgeMs: number; retentionMs: number };
  tickets: { autoCloseAfterMs: number; sweepIntervalMs: number };
  live: { retentionMs: number; pollMs: number };
  shutdownTimeoutMs: number;
  logLevel: string;
  workerConcurrency: number;
  metricsToken?: string;
  /** Queues are shared by every company: when set, only this company's admins see the dashboard. */
  operatorCompanyId?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Unset and empty variables take their default: an empty value in a compose file means "not set". */
function present(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(new EnvVars())) {
    const value = env[key];
    if (value !== undefined && value !== '') out[key] = value;
  }
  for (const optional of ['METRICS_TOKEN', 'OPERATOR_COMPANY_ID']) {
    if (env[optional]) out[optional] = env[optional];
  }
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const vars = plainToInstance(EnvVars, present(env));
  const problems = validateSync(vars, { forbidUnknownValues: true }).flatMap((e) =>
    Object.values(e.constraints ?? {}).map((message) => `${e.property}: ${message}`),
  );
  if (vars.NODE_ENV === 'production') {
    for (const [name, devValue] of Object.entries(DEV_SECRETS)) {
      if (vars[name as keyof typeof DEV_SECRETS] === devValue) {
        problems.push(`${name}: the development default is refused when NODE_ENV=production`);
      }
    }
  }
  if (vars.DELIVERY_PROMOTION_RATE > vars.DELIVERY_PAGE_RATE) problems.push('DELIVERY_PROMOTION_RATE: must not exceed DELIVERY_PAGE_RATE');
  // A lease shorter than a Graph call would let a second worker take a delivery that is still being sent.
  if (vars.DELIVERY_LEASE_MS <= vars.GRAPH_CONNECT_TIMEOUT_MS + vars.GRAPH_TIMEOUT_MS) {
    problems.push('DELIVERY_LEASE_MS: must exceed GRAPH_CONNECT_TIMEOUT_MS + GRAPH_TIMEOUT_MS');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const keys = vars.ENCRYPTION_KEYS.split(',').map((entry) => {
    const [id, b64] = entry.split(':');
    return { id, key: Buffer.from(b64, 'base64') };
  });
  return {
    env: vars.NODE_ENV as AppConfig['env'],
    role: vars.ROLE,
    http: { host: vars.HOST, port: vars.PORT, trustProxy: vars.TRUST_PROXY },
    database: { url: vars.DATABASE_URL, poolSize: vars.DATABASE_POOL_SIZE, skipMigrations: vars.DB_SKIP_MIGRATIONS },
    redis: { url: vars.REDIS_URL, prefix: vars.REDIS_PREFIX },
    auth: {
      jwtSecret: vars.JWT_SECRET,
      jwtIssuer: vars.JWT_ISSUER,
      jwtAudience: vars.JWT_AUDIENCE,
      jwtTtlSeconds: vars.JWT_TTL_SECONDS,
      loginMaxFailures: vars.LOGIN_MAX_FAILURES,
      loginFailureWindowSeconds: vars.LOGIN_FAILURE_WINDOW_SECONDS,
      signupsPerHourPerAddress: vars.SIGNUPS_PER_HOUR_PER_ADDRESS,
    },
    encryption: { current: keys[0], keys },
    messenger: {
      appSecret: vars.MESSENGER_APP_SECRET,
      verifyToken: vars.MESSENGER_VERIFY_TOKEN,
      graphUrl: vars.MESSENGER_GRAPH_URL.replace(/\/+$/, ''),
      graphVersion: vars.MESSENGER_GRAPH_VERSION,
      graphTimeoutMs: vars.GRAPH_TIMEOUT_MS,
      graphConnectTimeoutMs: vars.GRAPH_CONNECT_TIMEOUT_MS,
    },
    delivery: {
      pageRate: vars.DELIVERY_PAGE_RATE,
      promotionRate: vars.DELIVERY_PROMOTION_RATE,
      mediaRate: vars.DELIVERY_MEDIA_RATE,
      rateMarginMs: vars.DELIVERY_RATE_MARGIN_MS,
      pageConcurrency: vars.DELIVERY_PAGE_CONCURRENCY,
      laneConcurrency: vars.DELIVERY_LANE_CONCURRENCY,
      sliceMs: vars.DELIVERY_SLICE_MS,
      leaseMs: vars.DELIVERY_LEASE_MS,
      maxAttempts: vars.DELIVERY_MAX_ATTEMPTS,
      retryBaseMs: vars.DELIVERY_RETRY_BASE_MS,
      unknownResendAfterMs: vars.DELIVERY_UNKNOWN_RESEND_AFTER_MS,
      sweepIntervalMs: vars.DELIVERY_SWEEP_INTERVAL_MS,
    },
    inbound: {
      reopenWindowMs: parseDuration(vars.REOPEN_WINDOW),
      stopWords: vars.STOP_WORDS.split(',').map((word) => normalizeStopWord(word)).filter((word) => word.length > 0),
      sweepIntervalMs: vars.INBOUND_SWEEP_INTERVAL_MS,
      sweepAgeMs: vars.INBOUND_SWEEP_AGE_MS,
      retentionMs: parseDuration(vars.INBOUND_RETENTION),
    },
    tickets: { autoCloseAfterMs: parseDuration(vars.AUTO_CLOSE_AFTER), sweepIntervalMs: vars.TICKET_SWEEP_INTERVAL_MS },
    live: { retentionMs: parseDuration(vars.LIVE_EVENTS_RETENTION), pollMs: vars.LIVE_EVENTS_POLL_MS },
    shutdownTimeoutMs: vars.SHUTDOWN_TIMEOUT_MS,
    logLevel: vars.LOG_LEVEL,
    workerConcurrency: vars.WORKER_CONCURRENCY,
    metricsToken: vars.METRICS_TOKEN,
    operatorCompanyId: vars.OPERATOR_COMPANY_ID,
  };
}

/** Case, accents, surrounding spaces and punctuation do not matter: "Arrêt !" is "arret". */
export function normalizeStopWord(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N} ]+/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export const runsHttpApi = (role: Role): boolean => role !== Role.Worker;
export const runsWorkers = (role: Role): boolean => role !== Role.Api;
