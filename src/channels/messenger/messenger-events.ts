import { createHash } from 'node:crypto';

export type EventKind = 'message' | 'echo' | 'delivery' | 'read' | 'postback' | 'reaction' | 'message_edit' | 'optin' | 'referral' | 'handover';

export interface ParsedEvent {
  pageId: string;
  /** The customer side: PSID, or user_ref for chat-plugin guests. */
  conversation: string;
  dedupeKey: string;
  kind: EventKind;
  standby: boolean;
  occurredAt: Date;
  payload: Record<string, unknown>;
}

export interface SkippedItem {
  reason: 'not_a_page_object' | 'malformed_entry' | 'malformed_event' | 'unknown_kind';
  pageId?: string;
  kind?: string;
}

const HANDOVER_KEYS = ['pass_thread_control', 'take_thread_control', 'request_thread_control', 'app_roles'] as const;
const SIMPLE_KINDS = ['delivery', 'read', 'postback', 'reaction', 'message_edit', 'optin', 'referral'] as const;

const LONE_SURROGATES = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Customer text may hold NUL (PostgreSQL refuses it) and lone surrogates (not valid UTF-8): clean, never reject. */
export function cleanText(text: string): string {
  return text.replaceAll('\u0000', '').replace(LONE_SURROGATES, '\ufffd');
}

function cleanDeep(value: unknown): unknown {
  if (typeof value === 'string') return cleanText(value);
  if (Array.isArray(value)) return value.map(cleanDeep);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [cleanText(key), cleanDeep(item)]));
  }
  return value;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
/** Page ids, PSIDs and user_refs: strings or numbers, as long as the columns that keep them. */
const ID = /^[\w.:-]{1,64}$/;
const idOf = (party: unknown): string | undefined => {
  if (!isRecord(party)) return undefined;
  const raw = party.id ?? party.user_ref;
  const id = typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : raw;
  return typeof id === 'string' && ID.test(id) ? id : undefined;
};

/** Meta's timestamps are epoch milliseconds; anything outside 2010..tomorrow is not one. */
const EARLIEST = Date.UTC(2010, 0, 1);
const validTime = (value: unknown, now: number): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= EARLIEST && value <= now + 86_400_000 ? value : undefined;

function midOf(item: Record<string, unknown>): string | undefined {
  const raw = isRecord(item.message) ? item.message.mid : isRecord(item.postback) ? item.postback.mid : undefined;
  const mid = typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : raw;
  return typeof mid === 'string' && mid.length > 0 ? mid : undefined;
}

/** The event's kind, or for unknown events the key Meta used (for logs). */
function kindOf(item: Record<string, unknown>): string {
  if (isRecord(item.message)) return item.message.is_echo === true ? 'echo' : 'message';
  for (const kind of SIMPLE_KINDS) if (isRecord(item[kind])) return kind;
  if (HANDOVER_KEYS.some((key) => isRecord(item[key]))) return 'handover';
  return Object.keys(item).find((key) => !['sender', 'recipient', 'timestamp'].includes(key)) ?? 'none';
}

/**
 * Splits one webhook POST into events, one per messaging[] or standby[] item, across all
 * the Pages it carries. Anything unusable is reported, not thrown: Meta must still get its 200.
 */
export function parseMessengerBatch(body: unknown, now = Date.now()): { events: ParsedEvent[]; skipped: SkippedItem[] } {
  const events: ParsedEvent[] = [];
  const skipped: SkippedItem[] = [];
  if (!isRecord(body) || body.object !== 'page' || !Array.isArray(body.entry)) return { events, skipped: [{ reason: 'not_a_page_object' }] };

  for (const entry of body.entry) {
    const pageId = isRecord(entry) ? idOf({ id: entry.id }) : undefined;
    const entryTime = isRecord(entry) ? validTime(entry.time, now) : undefined;
    if (!isRecord(entry) || !pageId) {
      skipped.push({ reason: 'malformed_entry' });
      continue;
    }
    for (const [list, standby] of [[entry.messaging, false], [entry.standby, true]] as const) {
      if (list === undefined) continue;
      if (!Array.isArray(list)) {
        skipped.push({ reason: 'malformed_entry', pageId });
        continue;
      }
      for (const raw of list) {
        if (!isRecord(raw)) {
          skipped.push({ reason: 'malformed_event', pageId });
          continue;
        }
        const kind = kindOf(raw);
        const known = kind === 'message' || kind === 'echo' || kind === 'handover' || (SIMPLE_KINDS as readonly string[]).includes(kind);
        if (!known) {
          skipped.push({ reason: 'unknown_kind', pageId, kind: kind.slice(0, 40) });
          continue;
        }
        // In echoes the Page is the sender and the customer the recipient; a checkbox-plugin
        // opt-in has no sender at all, only the user_ref inside the opt-in.
        const conversation = kind === 'echo' ? idOf(raw.recipient) : (idOf(raw.sender) ?? (kind === 'optin' ? idOf({ user_ref: (raw.optin as Record<string, unknown>).user_ref }) : undefined));
        const mid = midOf(raw);
        if (!conversation || (mid !== undefined && mid.length > 200)) {
          skipped.push({ reason: 'malformed_event', pageId, kind });
          continue;
        }
        // A missing or absurd timestamp must not lose the message: the entry's time, else now.
        const timestamp = validTime(raw.timestamp, now) ?? entryTime ?? now;
        const dedupeKey = mid ? `${kind === 'postback' ? 'p' : 'm'}:${mid}` : `h:${createHash('sha256').update(JSON.stringify(raw)).digest('base64url')}`;
        events.push({ pageId, conversation, dedupeKey, kind: kind as EventKind, standby, occurredAt: new Date(timestamp), payload: cleanDeep(raw) as Record<string, unknown> });
      }
    }
  }
  return { events, skipped };
}
