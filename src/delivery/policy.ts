/**
 * How a message may legally reach a Messenger customer, under Meta's rules as of mid-2026
 * (shared/reference/messenger-platform.md §4, meta-outbound-2026.md §0 and §6).
 *
 * Pure: no clock, no I/O. The same answer is computed when a delivery is queued (stored as
 * evidence) and again just before it is sent, because a window can close while it waits.
 */

export enum Purpose {
  HumanAgentReply = 'human_agent_reply',
  AutomatedReply = 'automated_reply',
  Transactional = 'transactional',
  Promotion = 'promotion',
}

export interface PolicyInput {
  purpose: Purpose;
  now: Date;
  /** The customer's last message, postback, reaction or referral; null when we never saw one. */
  lastInteractionAt: Date | null;
  channel: {
    status: 'active' | 'needs_reauth' | 'restricted';
    humanAgentEnabled: boolean;
    /** Names of the Page's approved utility templates. */
    utilityTemplates: string[];
    marketingMessagesEnabled: boolean;
  };
  consent: {
    marketing: 'none' | 'opted_in' | 'opted_out';
    marketingTokenExpiresAt: Date | null;
    /** Any opt-out: a stop word, STOP NOTIFICATIONS, a 551 from Graph, the Unsubscribe API. */
    optedOut: boolean;
  };
  /** The template a transactional message would use outside the window. */
  utilityTemplate?: string;
}

/** A decision as stored with a delivery: the evidence that the message was legal, and when it was judged. */
export function evidence(decision: PolicyDecision): Record<string, unknown> {
  return { ...decision, decidedAt: new Date().toISOString() };
}

export type RefusalCode =
  | 'outside_messaging_window'
  | 'no_marketing_consent'
  | 'opted_out'
  | 'channel_unavailable'
  | 'marketing_not_enabled'
  | 'no_utility_template'
  | 'never_contacted';

export type PolicyDecision =
  | { allowed: true; mode: 'RESPONSE' | 'UPDATE'; messagingType: 'RESPONSE' | 'UPDATE'; rule: string; windowExpiresAt: Date }
  | { allowed: true; mode: 'MESSAGE_TAG'; messagingType: 'MESSAGE_TAG'; tag: 'HUMAN_AGENT'; rule: string; windowExpiresAt: Date }
  | { allowed: true; mode: 'UTILITY_TEMPLATE'; template: string; rule: string }
  | { allowed: true; mode: 'MARKETING_MESSAGE'; rule: string; tokenExpiresAt: Date }
  | { allowed: false; code: RefusalCode; rule: string; reason: string };

/** Requests carrying these tags get error 100 (subcode 1893061) since 27 April 2026. */
export const RETIRED_TAGS: readonly string[] = Object.freeze(['POST_PURCHASE_UPDATE', 'ACCOUNT_UPDATE', 'CONFIRMED_EVENT_UPDATE']);

/** The rule ids a decision cites, stored with the delivery as evidence. Stable: do not rename. */
export const POLICY_RULES = Object.freeze({
  channelNotActive: 'channel_not_active',
  marketingOptOut: 'marketing_opt_out',
  standardWindow: 'standard_window_24h',
  humanAgent: 'human_agent_7d',
  humanAgentNotEnabled: 'human_agent_not_enabled',
  humanAgentElapsed: 'human_agent_7d_elapsed',
  automatedWindowOnly: 'automated_reply_window_only',
  utilityTemplate: 'utility_template',
  utilityTemplateNotApproved: 'utility_template_not_approved',
  transactionalWindowOnly: 'transactional_window_only',
  marketingNotEnabled: 'marketing_messages_not_enabled',
  marketingOptIn: 'marketing_opt_in_token',
  marketingOptInRequired: 'marketing_opt_in_required',
  noInteraction: 'no_interaction',
} as const);

const HOUR_MS = 3_600_000;
export const STANDARD_WINDOW_MS = 24 * HOUR_MS;
export const HUMAN_AGENT_WINDOW_MS = 7 * 24 * HOUR_MS;

export interface ReplyWindow {
  mode: 'standard' | 'human_agent' | 'closed';
  /**
   * When the current mode ends. For `closed`, when the last window closed (in the past),
   * so a 422 or the ticket view can say since when; null when the customer never wrote.
   */
  expiresAt: Date | null;
}

/**
 * What an agent sees on a ticket. Windows are half-open, [t, t + 24 h) and [t, t + 7 d):
 * at exactly 24 h Meta already answers 10/2018278, so the boundary belongs to the outside.
 */
export function replyWindow(lastInteractionAt: Date | null, humanAgentEnabled: boolean, now: Date): ReplyWindow {
  const last = validTime(lastInteractionAt);
  if (last === null) return { mode: 'closed', expiresAt: null };
  const standardEnd = last + STANDARD_WINDOW_MS;
  const humanAgentEnd = last + HUMAN_AGENT_WINDOW_MS;
  const at = now.getTime();
  // A customer timestamp slightly ahead of our clock (Meta's clock, skew) is still "just now".
  if (at < standardEnd) return { mode: 'standard', expiresAt: new Date(standardEnd) };
  if (!humanAgentEnabled) return { mode: 'closed', expiresAt: new Date(standardEnd) };
  if (at < humanAgentEnd) return { mode: 'human_agent', expiresAt: new Date(humanAgentEnd) };
  return { mode: 'closed', expiresAt: new Date(humanAgentEnd) };
}

/**
 * Decision order, first match wins:
 * 1. Promotions to anyone who opted out are refused before anything else: Meta requires opt-outs
 *    be honoured immediately, and `opted_out` is permanent where `channel_unavailable` is not,
 *    so the delivery is skipped rather than held until the channel recovers.
 * 2. A channel that is not active cannot send anything (190 → needs_reauth, 10/1893063 → restricted).
 * 3. Inside the 24 h standard window anything may be sent, promotions included: RESPONSE for
 *    replies, UPDATE for business-initiated messages.
 * 4. Outside it, each purpose has at most one path: HUMAN_AGENT for human replies (≤ 7 d, feature
 *    approved), an approved utility template for transactional updates, the paid Marketing Message
 *    API for promotions. Automated replies have none.
 *
 * `never_contacted` (no interaction recorded) replaces `outside_messaging_window` only: where a
 * path exists without a window (utility template, marketing token) it is still tried, and a
 * refusal from that path keeps its own, more actionable code.
 */
export function decide(input: PolicyInput): PolicyDecision {
  const { purpose, now, channel, consent } = input;

  if (purpose === Purpose.Promotion && (consent.optedOut || consent.marketing === 'opted_out')) {
    return refuse('opted_out', POLICY_RULES.marketingOptOut, 'The customer opted out; promotions must not be sent to them.');
  }
  if (channel.status !== 'active') {
    return refuse(
      'channel_unavailable',
      POLICY_RULES.channelNotActive,
      channel.status === 'needs_reauth'
        ? 'The Page token is no longer valid; an admin must reconnect the channel.'
        : 'Facebook has temporarily restricted this Page from sending messages.',
    );
  }

  const last = validTime(input.lastInteractionAt);
  const at = now.getTime();
  if (last !== null && at < last + STANDARD_WINDOW_MS) {
    const reply = purpose === Purpose.HumanAgentReply || purpose === Purpose.AutomatedReply;
    const type = reply ? 'RESPONSE' : 'UPDATE';
    return { allowed: true, mode: type, messagingType: type, rule: POLICY_RULES.standardWindow, windowExpiresAt: new Date(last + STANDARD_WINDOW_MS) };
  }

  switch (purpose) {
    case Purpose.HumanAgentReply:
      return humanAgentOutsideWindow(last, at, channel.humanAgentEnabled);
    case Purpose.AutomatedReply:
      // HUMAN_AGENT forbids automated content, and no other tag survived April 2026.
      return closedWindow(last, POLICY_RULES.automatedWindowOnly, 'Automated replies may only be sent within 24 hours of the customer’s last message.');
    case Purpose.Transactional:
      return transactionalOutsideWindow(input, last);
    case Purpose.Promotion:
      return promotionOutsideWindow(input, at);
  }
}

function humanAgentOutsideWindow(last: number | null, at: number, enabled: boolean): PolicyDecision {
  if (last === null) return neverContacted();
  const end = last + HUMAN_AGENT_WINDOW_MS;
  if (at >= end) {
    return refuse('outside_messaging_window', POLICY_RULES.humanAgentElapsed, `The 7-day human agent window closed at ${iso(end)}; wait for the customer to write again.`);
  }
  if (!enabled) {
    // The tag needs the Human Agent feature granted through App Review; without it Graph answers 10/2018278.
    return refuse(
      'outside_messaging_window',
      POLICY_RULES.humanAgentNotEnabled,
      `The 24-hour window closed at ${iso(last + STANDARD_WINDOW_MS)} and this channel does not have Human Agent enabled.`,
    );
  }
  return { allowed: true, mode: 'MESSAGE_TAG', messagingType: 'MESSAGE_TAG', tag: 'HUMAN_AGENT', rule: POLICY_RULES.humanAgent, windowExpiresAt: new Date(end) };
}

function transactionalOutsideWindow(input: PolicyInput, last: number | null): PolicyDecision {
  const template = input.utilityTemplate;
  if (template !== undefined) {
    if (input.channel.utilityTemplates.includes(template)) {
      // Utility templates replaced POST_PURCHASE_UPDATE for order and shipping updates; no window needed.
      return { allowed: true, mode: 'UTILITY_TEMPLATE', template, rule: POLICY_RULES.utilityTemplate };
    }
    // Asked for by name but not approved on this Page: say so, the fix is approving the template.
    return refuse('no_utility_template', POLICY_RULES.utilityTemplateNotApproved, `The utility template "${template}" is not approved on this Page.`);
  }
  return closedWindow(last, POLICY_RULES.transactionalWindowOnly, 'Outside the 24-hour window a transactional update needs an approved utility template.');
}

function promotionOutsideWindow(input: PolicyInput, at: number): PolicyDecision {
  // Checked before consent: it is the channel's state, so a broadcast gets one uniform, fixable answer.
  if (!input.channel.marketingMessagesEnabled) {
    return refuse('marketing_not_enabled', POLICY_RULES.marketingNotEnabled, 'Outside the 24-hour window promotions need Marketing Messages, which this channel does not have.');
  }
  const { marketing, marketingTokenExpiresAt } = input.consent;
  const expires = validTime(marketingTokenExpiresAt);
  // A token without a recorded expiry is refused: paid promotions fail closed on unproven consent.
  if (marketing === 'opted_in' && expires !== null && at < expires) {
    return { allowed: true, mode: 'MARKETING_MESSAGE', rule: POLICY_RULES.marketingOptIn, tokenExpiresAt: new Date(expires) };
  }
  return refuse(
    'no_marketing_consent',
    POLICY_RULES.marketingOptInRequired,
    marketing === 'opted_in' ? 'The customer’s marketing opt-in token has expired.' : 'The customer has not opted in to marketing messages.',
  );
}

function closedWindow(last: number | null, rule: string, reason: string): PolicyDecision {
  if (last === null) return neverContacted();
  return refuse('outside_messaging_window', rule, `${reason} The window closed at ${iso(last + STANDARD_WINDOW_MS)}.`);
}

function neverContacted(): PolicyDecision {
  return refuse('never_contacted', POLICY_RULES.noInteraction, 'The customer has never written to this Page, so there is no window to answer in.');
}

function refuse(code: RefusalCode, rule: string, reason: string): PolicyDecision {
  return { allowed: false, code, rule, reason };
}

/** An invalid Date is treated like no date: it must never open a window. */
function validTime(date: Date | null): number | null {
  if (date === null) return null;
  const time = date.getTime();
  return Number.isFinite(time) ? time : null;
}

function iso(time: number): string {
  return new Date(time).toISOString();
}
