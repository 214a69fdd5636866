/**
 * The one table of Send API failures (shared/reference/messenger-platform.md §5.2) and a pure
 * classifier over it. Retry decisions rest on code and subcode together, so rows are ordered:
 * transport failures, then code+subcode rows, then code-only rows, then HTTP-status rows, then
 * the catch-alls. The first matching row wins.
 */

export type ErrorAction = 'retry' | 'pause_page' | 'fail' | 'hold_channel';

/**
 * `status_4xx` is an addition to the brief's list: the generic "Graph rejected it" row needs to
 * tell a 4xx apart from a failure about which nothing is known. An empty `match` matches anything.
 */
export type HttpMatch = 'status_5xx' | 'status_429' | 'status_4xx' | 'timeout_before_send' | 'timeout_after_send' | 'network';

export interface ErrorRule {
  match: { code?: number; subcode?: number; http?: HttpMatch };
  action: ErrorAction | 'unknown';
  reason: string;
  channelStatus?: 'needs_reauth' | 'restricted';
  recordsOptOut?: boolean;
  /** Whether the same delivery may still go out later (after a retry, a pause or a held channel). */
  retryable?: boolean;
}

export interface SendFailure {
  httpStatus?: number;
  code?: number | null;
  subcode?: number | null;
  /**
   * Set when no HTTP response was read. `network` means the request never left (connection
   * refused, DNS); a connection lost after the body was written must be `timeout_after_send`.
   */
  transport?: 'timeout_before_send' | 'timeout_after_send' | 'network';
  retryAfterSeconds?: number | null;
  businessUseCaseWaitSeconds?: number | null;
}

export interface Classification {
  action: ErrorAction | 'unknown';
  reason: string;
  code: number | null;
  subcode: number | null;
  channelStatus?: 'needs_reauth' | 'restricted';
  recordsOptOut: boolean;
  /** Only for `pause_page`: how long the Page must not call Graph. */
  pauseSeconds?: number;
}

/** Used when Meta throttles without saying for how long. */
export const DEFAULT_PAUSE_SECONDS = 60;

const rateLimit = (code: number, what: string): ErrorRule => ({
  match: { code },
  action: 'pause_page',
  reason: `Rate limited by Meta (${code}: ${what}); the Page is paused and the message retried later.`,
  retryable: true,
});

const BUSINESS_USE_CASE_CODES = [80000, 80001, 80002, 80003, 80004, 80005, 80006, 80007, 80008];

const ROWS: ErrorRule[] = [
  // No answer at all. Graph has no idempotency key, so only a request known never to have left may be resent blindly.
  {
    match: { http: 'timeout_after_send' },
    action: 'unknown',
    reason: 'The request reached Meta but no answer came back; it may have been sent. Wait for an echo before resending.',
    retryable: false,
  },
  { match: { http: 'timeout_before_send' }, action: 'retry', reason: 'Timed out before the request was sent; nothing reached Meta.', retryable: true },
  { match: { http: 'network' }, action: 'retry', reason: 'Could not connect to Meta (connection refused or DNS failure); nothing was sent.', retryable: true },

  // Code + subcode rows must precede their code-only rows.
  {
    // Frequency caps are per recipient: pausing the whole Page would punish every other customer.
    match: { code: 4, subcode: 2018354 },
    action: 'fail',
    reason: 'Marketing frequency limit for this person (4/2018354: minimum delay between notifications); not retried.',
    retryable: false,
  },
  {
    match: { code: 9, subcode: 2018352 },
    action: 'fail',
    reason: 'Marketing frequency limit for this person (9/2018352: too many actions); not retried.',
    retryable: false,
  },
  {
    match: { code: 10, subcode: 2018278 },
    action: 'fail',
    reason: 'Sent outside the allowed messaging window (10/2018278); the customer must write again first.',
    retryable: false,
  },
  {
    // New in June 2026: restriction is Page-wide, so queued deliveries wait instead of burning through.
    match: { code: 10, subcode: 1893063 },
    action: 'hold_channel',
    reason: 'Facebook temporarily restricted this Page from sending messages (10/1893063); deliveries are held.',
    channelStatus: 'restricted',
    retryable: true,
  },
  {
    match: { code: 100, subcode: 1893061 },
    action: 'fail',
    reason: 'Meta rejected a retired message tag (100/1893061); retired tags are refused since 27 April 2026.',
    retryable: false,
  },
  { match: { code: 100, subcode: 2018001 }, action: 'fail', reason: 'No matching user found (100/2018001).', retryable: false },

  // Code-only rows.
  {
    // Meta's policy: opt-outs, blocks and deactivations must be respected at once.
    match: { code: 551 },
    action: 'fail',
    reason: 'This person isn’t available right now (551); recorded as an opt-out.',
    recordsOptOut: true,
    retryable: false,
  },
  { match: { code: 100 }, action: 'fail', reason: 'Invalid parameter (100); the request must be fixed, not retried.', retryable: false },
  {
    match: { code: 190 },
    action: 'hold_channel',
    reason: 'The Page access token is invalid or expired (190); deliveries are held until an admin reconnects the channel.',
    channelStatus: 'needs_reauth',
    retryable: true,
  },
  { match: { code: 200 }, action: 'fail', reason: 'Permissions error (200); check the app review and the Page’s grants.', retryable: false },
  { match: { code: 230 }, action: 'fail', reason: 'Permissions disallow messaging this person (230).', retryable: false },
  { match: { code: 368 }, action: 'fail', reason: 'Meta deemed the message abusive or otherwise disallowed (368).', retryable: false },
  rateLimit(4, 'application request limit'),
  rateLimit(17, 'user request limit'),
  rateLimit(32, 'Page request limit'),
  rateLimit(613, 'calls exceeded the rate limit'),
  ...BUSINESS_USE_CASE_CODES.map((code) => rateLimit(code, 'business use case limit')),
  { match: { code: 1200 }, action: 'retry', reason: 'Temporary send failure at Meta (1200); retried with backoff.', retryable: true },
  // Code 2 can also mean the customer blocked the Page: the worker's attempt limit turns it into a failure.
  { match: { code: 2 }, action: 'retry', reason: 'Unexpected error at Meta (2); retried with backoff.', retryable: true },
  { match: { code: 1 }, action: 'retry', reason: 'Unknown error at Meta (1); retried with backoff.', retryable: true },

  // HTTP status without a recognised Graph code.
  { match: { http: 'status_429' }, action: 'pause_page', reason: 'Too many requests (HTTP 429); the Page is paused for as long as Meta asks.', retryable: true },
  { match: { http: 'status_5xx' }, action: 'retry', reason: 'Meta answered with a server error (HTTP 5xx); retried with backoff.', retryable: true },
  { match: { http: 'status_4xx' }, action: 'fail', reason: 'Meta rejected the request with an unrecognised error; not retried.', retryable: false },
  // Nothing we can interpret, not even a status: we cannot tell whether the message went out.
  { match: {}, action: 'unknown', reason: 'The outcome of the send could not be determined.', retryable: false },
];

export const SEND_ERROR_TABLE: readonly ErrorRule[] = Object.freeze(ROWS.map((row) => Object.freeze({ ...row, match: Object.freeze(row.match) })));

export function classifySendFailure(failure: SendFailure): Classification {
  const rule = SEND_ERROR_TABLE.find((row) => matches(row, failure)) ?? SEND_ERROR_TABLE[SEND_ERROR_TABLE.length - 1];
  const classification: Classification = {
    action: rule.action,
    reason: rule.reason,
    code: failure.code ?? null,
    subcode: failure.subcode ?? null,
    recordsOptOut: rule.recordsOptOut === true,
  };
  if (rule.channelStatus) classification.channelStatus = rule.channelStatus;
  if (rule.action === 'pause_page') classification.pauseSeconds = pauseSeconds(failure);
  return classification;
}

function matches(rule: ErrorRule, failure: SendFailure): boolean {
  const { code, subcode, http } = rule.match;
  if (code !== undefined && failure.code !== code) return false;
  if (subcode !== undefined && failure.subcode !== subcode) return false;
  if (http === undefined) return true;
  const status = failure.httpStatus;
  switch (http) {
    case 'timeout_before_send':
    case 'timeout_after_send':
    case 'network':
      return failure.transport === http;
    case 'status_429':
      return status === 429;
    case 'status_5xx':
      return status !== undefined && status >= 500 && status <= 599;
    case 'status_4xx':
      return status !== undefined && status >= 400 && status <= 499;
  }
}

/** As long as the longest wait Meta asked for; the default when it named none. */
function pauseSeconds(failure: SendFailure): number {
  const asked = [failure.retryAfterSeconds, failure.businessUseCaseWaitSeconds].filter(
    (value): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0,
  );
  return asked.length > 0 ? Math.ceil(Math.max(...asked)) : DEFAULT_PAUSE_SECONDS;
}

/**
 * `X-Business-Use-Case-Usage`: `{"<business-id>":[{"type":…,"call_count":…,"total_cputime":…,
 * "total_time":…,"estimated_time_to_regain_access":<minutes>}]}`. Returns the longest wait in
 * seconds across all entries, or null when the header is absent or carries no usable value.
 */
export function parseBusinessUseCaseUsage(header: string | undefined): number | null {
  if (header === undefined || header.trim() === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(header);
  } catch {
    return null;
  }
  if (!isRecord(parsed)) return null;
  let longest: number | null = null;
  for (const entries of Object.values(parsed)) {
    if (!Array.isArray(entries)) continue;
    for (const entry of entries as unknown[]) {
      if (!isRecord(entry)) continue;
      const minutes = entry.estimated_time_to_regain_access;
      if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes < 0) continue;
      longest = Math.max(longest ?? 0, minutes * 60);
    }
  }
  return longest;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
