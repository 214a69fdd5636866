import { randomBytes } from 'node:crypto';

/**
 * Typed builders for Messenger webhook payloads, shaped like Meta's (messenger-platform.md §1.2–1.3).
 * Every event builder returns one item of `entry[].messaging[]` (or `standby[]`); wrap them with
 * `entry(...)` and `envelope(...)`, then post with `WebhookDriver`.
 */

export interface Party {
  id: string;
}

export interface AttachmentPayload {
  url?: string;
  sticker_id?: number;
  title?: string;
  [key: string]: unknown;
}

export interface WebhookAttachment {
  type: string;
  payload?: AttachmentPayload;
  title?: string;
  url?: string;
}

export interface WebhookMessage {
  mid: string;
  text?: string;
  attachments?: WebhookAttachment[];
  quick_reply?: { payload: string };
  reply_to?: { mid: string; is_self_reply?: boolean };
  is_echo?: true;
  app_id?: number | string;
  metadata?: string;
}

export interface DeliveryEvent {
  mids?: string[];
  watermark: number;
}

export interface ReadEvent {
  watermark: number;
}

export interface ReferralData {
  ref?: string;
  source: string;
  type: string;
}

export interface PostbackEvent {
  mid: string;
  title: string;
  payload?: string;
  referral?: ReferralData;
}

export type ReactionKind = 'smile' | 'angry' | 'sad' | 'wow' | 'love' | 'like' | 'dislike' | 'other';

export interface ReactionEvent {
  mid: string;
  action: 'react' | 'unreact';
  reaction?: ReactionKind;
  emoji?: string;
}

export interface MessageEditEvent {
  mid: string;
  text: string;
  num_edit: number;
}

export type NotificationMessagesStatus = 'STOP NOTIFICATIONS' | 'RESUME NOTIFICATIONS';

export interface OptinEvent {
  ref?: string;
  user_ref?: string;
  type?: 'notification_messages';
  notification_messages_token?: string;
  token_expiry_timestamp?: number;
  notification_messages_timezone?: string;
  user_token_status?: 'REFRESHED' | 'NOT_REFRESHED';
  notification_messages_status?: NotificationMessagesStatus;
  title?: string;
  payload?: string;
}

export interface ThreadControlEvent {
  new_owner_app_id: string;
  previous_owner_app_id: string | null;
  metadata?: string;
}

/** One item of `messaging[]` / `standby[]`: sender, recipient, timestamp (ms) and one event-kind key. */
export interface MessagingEvent {
  sender: Party;
  recipient: Party;
  timestamp: number;
  message?: WebhookMessage;
  delivery?: DeliveryEvent;
  read?: ReadEvent;
  postback?: PostbackEvent;
  reaction?: ReactionEvent;
  message_edit?: MessageEditEvent;
  referral?: ReferralData;
  optin?: OptinEvent;
  pass_thread_control?: ThreadControlEvent;
  /** Event kinds Guichet does not know (e.g. `messaging_game_plays`). */
  [kind: string]: unknown;
}

export interface WebhookEntry {
  id: string;
  time: number;
  messaging?: MessagingEvent[];
  standby?: MessagingEvent[];
}

export interface WebhookPayload {
  object: 'page';
  entry: WebhookEntry[];
}

export interface EventOptions {
  /** Event time in epoch milliseconds; defaults to now. */
  timestamp?: number;
}

/** A new message id shaped like Meta's: `m_` followed by 60 URL-safe characters, random. */
export function newMid(): string {
  return `m_${randomBytes(45).toString('base64url')}`;
}

/** Meta's numeric ids travel as JSON numbers when they fit; keep anything else as given. */
function appIdValue(appId: number | string): number | string {
  if (typeof appId === 'number') return appId;
  const asNumber = Number(appId);
  return /^\d+$/.test(appId) && Number.isSafeInteger(asNumber) ? asNumber : appId;
}

function base(sender: string, recipient: string, options: EventOptions = {}): MessagingEvent {
  return { sender: { id: sender }, recipient: { id: recipient }, timestamp: options.timestamp ?? Date.now() };
}

/** The top-level body of a webhook POST: `{ object: 'page', entry: [...] }`. */
export function envelope(entries: WebhookEntry[]): WebhookPayload {
  return { object: 'page', entry: entries };
}

/** One `entry[]` item for a Page; events go in `messaging[]`, or `standby[]` when another app owns the thread. */
export function entry(
  pageId: string,
  events: MessagingEvent[],
  options: { standby?: boolean; time?: number } = {},
): WebhookEntry {
  const time = options.time ?? Date.now();
  return options.standby ? { id: pageId, time, standby: events } : { id: pageId, time, messaging: events };
}

/** A customer's text message (also a quick-reply tap with `quickReplyPayload`, or a quote-reply with `replyToMid`). */
export function textMessage(
  pageId: string,
  psid: string,
  text: string,
  options: EventOptions & { mid?: string; quickReplyPayload?: string; replyToMid?: string } = {},
): MessagingEvent {
  const message: WebhookMessage = { mid: options.mid ?? newMid(), text };
  if (options.quickReplyPayload !== undefined) message.quick_reply = { payload: options.quickReplyPayload };
  if (options.replyToMid !== undefined) message.reply_to = { mid: options.replyToMid };
  return { ...base(psid, pageId, options), message };
}

/** A customer's message with attachments (and optional text). */
export function attachmentMessage(
  pageId: string,
  psid: string,
  attachments: WebhookAttachment[],
  options: EventOptions & { mid?: string; text?: string; replyToMid?: string } = {},
): MessagingEvent {
  const message: WebhookMessage = { mid: options.mid ?? newMid() };
  if (options.text !== undefined) message.text = options.text;
  message.attachments = attachments;
  if (options.replyToMid !== undefined) message.reply_to = { mid: options.replyToMid };
  return { ...base(psid, pageId, options), message };
}

/**
 * A sticker's attachments. Until 30 Aug 2026 Meta sends a sticker as BOTH a `sticker` and an `image`
 * attachment carrying the same url and `sticker_id` (`transition`, the default); afterwards only `sticker`.
 */
export function stickerAttachments(
  url: string,
  stickerId: number,
  options: { transition?: boolean } = {},
): WebhookAttachment[] {
  const sticker: WebhookAttachment = { type: 'sticker', payload: { url, sticker_id: stickerId } };
  if (options.transition === false) return [sticker];
  return [sticker, { type: 'image', payload: { url, sticker_id: stickerId } }];
}

/** A customer's sticker message, with the transition-period double attachment by default. */
export function stickerMessage(
  pageId: string,
  psid: string,
  sticker: { url: string; stickerId: number; transition?: boolean },
  options: EventOptions & { mid?: string } = {},
): MessagingEvent {
  return attachmentMessage(pageId, psid, stickerAttachments(sticker.url, sticker.stickerId, sticker), options);
}

/** An echo of a message the Page sent: sender = Page, recipient = PSID, `message.is_echo: true`. */
export function echo(
  pageId: string,
  psid: string,
  message: {
    mid: string;
    text?: string;
    attachments?: WebhookAttachment[];
    appId: number | string;
    metadata?: string;
  },
  options: EventOptions = {},
): MessagingEvent {
  const body: WebhookMessage = { mid: message.mid, is_echo: true, app_id: appIdValue(message.appId) };
  if (message.metadata !== undefined) body.metadata = message.metadata;
  if (message.text !== undefined) body.text = message.text;
  if (message.attachments !== undefined) body.attachments = message.attachments;
  return { ...base(pageId, psid, options), message: body };
}

/** Delivery receipt: every message the Page sent before `watermark` reached the customer. */
export function delivery(
  pageId: string,
  psid: string,
  watermark: number,
  mids?: string[],
  options: EventOptions = {},
): MessagingEvent {
  const event: DeliveryEvent = mids === undefined ? { watermark } : { mids, watermark };
  return { ...base(psid, pageId, options), delivery: event };
}

/** Read receipt: the customer read every message the Page sent at or before `watermark`. */
export function read(pageId: string, psid: string, watermark: number, options: EventOptions = {}): MessagingEvent {
  return { ...base(psid, pageId, options), read: { watermark } };
}

/** A button tap. Leave `payload` out for the standby copy other apps receive. */
export function postback(
  pageId: string,
  psid: string,
  data: { title: string; payload?: string; mid?: string; referral?: ReferralData },
  options: EventOptions = {},
): MessagingEvent {
  const event: PostbackEvent = { mid: data.mid ?? newMid(), title: data.title };
  if (data.payload !== undefined) event.payload = data.payload;
  if (data.referral !== undefined) event.referral = data.referral;
  return { ...base(psid, pageId, options), postback: event };
}

/** A reaction to (or removal of a reaction from) the message `mid`. */
export function reaction(
  pageId: string,
  psid: string,
  data: { mid: string; reaction?: ReactionKind; emoji?: string; action: 'react' | 'unreact' },
  options: EventOptions = {},
): MessagingEvent {
  const event: ReactionEvent = { mid: data.mid, action: data.action };
  if (data.reaction !== undefined) event.reaction = data.reaction;
  if (data.emoji !== undefined) event.emoji = data.emoji;
  return { ...base(psid, pageId, options), reaction: event };
}

/** The customer edited the message `mid`; `numEdit` counts the edits so far. */
export function messageEdit(
  pageId: string,
  psid: string,
  data: { mid: string; text: string; numEdit: number },
  options: EventOptions = {},
): MessagingEvent {
  return { ...base(psid, pageId, options), message_edit: { mid: data.mid, text: data.text, num_edit: data.numEdit } };
}

/** The customer arrived through an m.me link, an ad, a shop and so on. */
export function referral(
  pageId: string,
  psid: string,
  data: { ref?: string; source: string; type: string },
  options: EventOptions = {},
): MessagingEvent {
  const event: ReferralData = { source: data.source, type: data.type };
  if (data.ref !== undefined) event.ref = data.ref;
  return { ...base(psid, pageId, options), referral: event };
}

/** A marketing-messages opt-in, or a stop / resume when `status` is given. */
export function marketingOptin(
  pageId: string,
  psid: string,
  data: {
    token: string;
    expiry: number;
    timezone: string;
    status?: NotificationMessagesStatus;
    title?: string;
    payload?: string;
    tokenStatus?: 'REFRESHED' | 'NOT_REFRESHED';
  },
  options: EventOptions = {},
): MessagingEvent {
  const event: OptinEvent = {
    type: 'notification_messages',
    notification_messages_token: data.token,
    token_expiry_timestamp: data.expiry,
    notification_messages_timezone: data.timezone,
    user_token_status: data.tokenStatus ?? 'NOT_REFRESHED',
  };
  if (data.status !== undefined) event.notification_messages_status = data.status;
  if (data.title !== undefined) event.title = data.title;
  if (data.payload !== undefined) event.payload = data.payload;
  return { ...base(psid, pageId, options), optin: event };
}

/** A Send-to-Messenger plugin opt-in carrying its `data-ref`. */
export function pluginOptin(pageId: string, psid: string, ref: string, options: EventOptions = {}): MessagingEvent {
  return { ...base(psid, pageId, options), optin: { ref } };
}

/** Another app passed the thread to `newOwnerAppId` (`previousOwnerAppId` is null when the thread was idle). */
export function passThreadControl(
  pageId: string,
  psid: string,
  newOwnerAppId: string,
  previousOwnerAppId: string | null,
  options: EventOptions & { metadata?: string } = {},
): MessagingEvent {
  const event: ThreadControlEvent = { new_owner_app_id: newOwnerAppId, previous_owner_app_id: previousOwnerAppId };
  if (options.metadata !== undefined) event.metadata = options.metadata;
  return { ...base(psid, pageId, options), pass_thread_control: event };
}

/** An event kind Guichet does not handle (`messaging_game_plays`), for "ignore and still answer 200" tests. */
export function unknownEvent(pageId: string, psid: string, options: EventOptions = {}): MessagingEvent {
  return {
    ...base(psid, pageId, options),
    messaging_game_plays: {
      game_id: '1234567890',
      player_id: psid,
      context_type: 'SOLO',
      score: 42,
      payload: '{"level":3}',
    },
  };
}
