import { Inject, Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type AppConfig, normalizeStopWord } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { ConsentRepository } from '../../contacts/consent.repository';
import { ContactRepository } from '../../contacts/contact.repository';
import { DeliveryRepository } from '../../delivery/delivery.repository';
import { MessageDirection, MessageKind } from '../../tickets/message.entity';
import { MessageMutationRepository } from '../../tickets/message-mutation.repository';
import { MessageRepository } from '../../tickets/message.repository';
import { UNFINISHED_STATUSES, TicketStatus } from '../../tickets/ticket.entity';
import { SlaService } from '../../sla/sla.service';
import { TicketEventRepository } from '../../tickets/ticket-event.repository';
import { TicketRepository } from '../../tickets/ticket.repository';
import { type Channel } from '../channel.entity';
import { type PendingEvent } from './inbound-event.repository';

type Json = Record<string, unknown>;
const obj = (value: unknown): Json => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
/** Ids Meta may send as numbers (app ids, sometimes mids): one string form. */
const id = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : typeof value === 'number' ? String(value) : null);
/** The first 80 characters, never splitting a surrogate pair. */
const subjectOf = (text: string): string => Array.from(text).slice(0, 80).join('').slice(0, 80);

/** Kinds that open (or extend) Meta's 24-hour window; opt-ins, reads and deliveries do not. */
const INTERACTIONS = new Set(['message', 'postback', 'reaction', 'referral']);

export interface ApplyResult {
  /** A contact seen for the first time: its profile is fetched after commit. */
  newContactId?: string;
  /** A ticket was opened: the caller commits soon, since opening holds the company's number lock. */
  openedTicket?: boolean;
  /** A ticket was opened or reopened: after commit, it may need an agent. */
  needsAgent?: boolean;
}

/**
 * Applies one inbound event inside the caller's transaction. Every write is idempotent
 * (unique mids, upserts, watermarks), so a replay after a crash changes nothing.
 */
@Injectable()
export class InboundApplier {
  private readonly stopWords: Set<string>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly contacts: ContactRepository,
    private readonly consents: ConsentRepository,
    private readonly tickets: TicketRepository,
    private readonly messages: MessageRepository,
    private readonly mutations: MessageMutationRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly events: TicketEventRepository,
    private readonly sla: SlaService,
  ) {
    this.stopWords = new Set(config.inbound.stopWords);
  }

  async apply(manager: EntityManager, channel: Channel, psid: string, event: PendingEvent): Promise<ApplyResult> {
    const at = new Date(event.occurredAt);
    const companyId = channel.companyId;
    const contact = await this.contacts.upsertSighting(manager, {
      companyId,
      channelId: channel.id,
      psid,
      interactionAt: INTERACTIONS.has(event.kind) ? at : null,
      standby: event.standby,
    });
    const result: ApplyResult = contact.created ? { newContactId: contact.id } : {};
    const ctx: Ctx = { manager, channel, companyId, contactId: contact.id, psid, at, payload: event.payload, result };

    switch (event.kind) {
      case 'message':
        await this.customerMessage(ctx);
        break;
      case 'postback':
        await this.postback(ctx);
        break;
      case 'echo':
        await this.echo(ctx);
        break;
      case 'delivery': {
        const delivery = obj(event.payload.delivery);
        const mids = Array.isArray(delivery.mids) ? delivery.mids.filter((m): m is string => typeof m === 'string') : [];
        await this.messages.markDelivered(manager, companyId, channel.pageId, mids, at);
        await this.deliveries.markDeliveredByMids(manager, companyId, channel.pageId, mids, at);
        if (typeof delivery.watermark === 'number') {
          await this.messages.markUpTo(manager, companyId, contact.id, new Date(delivery.watermark), false);
          await this.deliveries.markUpTo(manager, companyId, contact.id, new Date(delivery.watermark), false);
        }
        break;
      }
      case 'read': {
        const watermark = obj(event.payload.read).watermark;
        if (typeof watermark === 'number') {
          await this.messages.markUpTo(manager, companyId, contact.id, new Date(watermark), true);
          await this.deliveries.markUpTo(manager, companyId, contact.id, new Date(watermark), true);
        }
        break;
      }
      case 'reaction':
      case 'message_edit':
        await this.mutate(manager, companyId, channel.pageId, event.payload, at);
        break;
      case 'referral':
        await this.contacts.setReferral(manager, companyId, contact.id, obj(event.payload.referral));
        break;
      case 'optin':
        await this.optin(ctx);
        break;
      case 'handover': {
        // A request for control changes nothing until the owner passes it.
        if (event.payload.request_thread_control) break;
        const control = obj(event.payload.pass_thread_control ?? event.payload.take_thread_control ?? event.payload.app_roles);
        await this.contacts.setThreadOwner(manager, companyId, contact.id, id(control.new_owner_app_id) ?? (event.payload.take_thread_control ? 'other' : null));
        break;
      }
    }
    return result;
  }

  private async customerMessage(ctx: Ctx): Promise<void> {
    const message = readCustomerMessage(ctx.payload);
    if (!message) return;
    const inserted = await this.inbound(ctx, message.mid, message.kind, message.text, message.content, message.subject);
    if (inserted && this.isStopWord(message.text)) await this.consents.optOut(ctx.manager, ctx.companyId, ctx.channel.id, ctx.contactId, 'stop_word', ctx.at);
  }

  private isStopWord(text: string | null): boolean {
    return text !== null && this.stopWords.has(normalizeStopWord(text));
  }

  /**
   * The common case, a run of plain customer messages in one conversation, in a handful of
   * statements for the whole run instead of several per message: one contact upsert, one
   * threading decision, one multi-row insert, one ticket update. The result is the same as
   * applying them one by one: they all thread into the ticket the first one lands in.
   */
  async applyMessageRun(manager: EntityManager, channel: Channel, psid: string, events: PendingEvent[]): Promise<ApplyResult> {
    const parsed = events.map((event) => ({ event, at: new Date(event.occurredAt), message: readCustomerMessage(event.payload) }));
    const messages = parsed.filter((p): p is typeof p & { message: CustomerMessage } => p.message !== null);
    const latestAt = new Date(Math.max(...parsed.map((p) => p.at.getTime())));
    const contact = await this.contacts.upsertSighting(manager, { companyId: channel.companyId, channelId: channel.id, psid, interactionAt: latestAt, standby: events[events.length - 1].standby });
    const result: ApplyResult = contact.created ? { newContactId: contact.id } : {};
    if (messages.length === 0) return result;
    const first = messages[0];
    const ctx: Ctx = { manager, channel, companyId: channel.companyId, contactId: contact.id, psid, at: first.at, payload: first.event.payload, result };
    const ticketId = await this.threadFor(ctx, first.message.subject);
    const inserted = new Set(
      await this.messages.insertMany(
        manager,
        messages.map(({ message, at }) => ({
          companyId: channel.companyId,
          ticketId,
          contactId: contact.id,
          channelId: channel.id,
          pageId: channel.pageId,
          mid: message.mid,
          direction: MessageDirection.Inbound,
          kind: message.kind,
          text: message.text,
          content: message.content,
          sentAt: at,
        })),
      ),
    );
    const landed = messages.filter((m) => inserted.has(m.message.mid));
    if (landed.length === 0) return result;
    const lastAt = new Date(Math.max(...landed.map((m) => m.at.getTime())));
    const firstAt = new Date(Math.min(...landed.map((m) => m.at.getTime())));
    await this.touch(manager, channel.companyId, ticketId, { firstAt, lastAt }, result);
    for (const waiting of await this.mutations.takeMany(manager, channel.companyId, channel.pageId, [...inserted])) {
      await this.mutate(manager, channel.companyId, channel.pageId, waiting.event, latestAt);
    }
    const stop = landed.find((m) => this.isStopWord(m.message.text));
    if (stop) await this.consents.optOut(manager, channel.companyId, channel.id, contact.id, 'stop_word', stop.at);
    return result;
  }

  private async postback(ctx: Ctx): Promise<void> {
    const postback = obj(ctx.payload.postback);
    const title = str(postback.title) ?? str(postback.payload) ?? '[button]';
    // Before v11 postbacks had no mid; the event hash still keeps replays out of this one.
    const mid = id(postback.mid) ?? `postback:${ctx.psid}:${ctx.at.getTime()}:${title}`.slice(0, 200);
    const content: Json = { payload: postback.payload ?? null };
    if (postback.referral) content.referral = obj(postback.referral);
    await this.inbound(ctx, mid, MessageKind.Postback, title, content, title);
    if (postback.referral) await this.contacts.setReferral(ctx.manager, ctx.companyId, ctx.contactId, obj(postback.referral));
  }

  /** Threads a customer message into the right ticket, then stores it; returns false for a duplicate. */
  private async inbound(ctx: Ctx, mid: string, kind: MessageKind, text: string | null, content: Json, subject: string): Promise<boolean> {
    const ticketId = await this.threadFor(ctx, subject);
    const id = await this.messages.insert(ctx.manager, { ...this.where(ctx, ticketId), mid, direction: MessageDirection.Inbound, kind, text, content, sentAt: ctx.at });
    if (!id) return false;
    await this.touch(ctx.manager, ctx.companyId, ticketId, { firstAt: ctx.at, lastAt: ctx.at }, ctx.result);
    await this.applyParked(ctx, mid);
    return true;
  }

  /** A customer message moved the ticket's clock, and took it back to open if it was waiting. */
  private async touch(manager: EntityManager, companyId: string, ticketId: string, { firstAt, lastAt }: { firstAt: Date; lastAt: Date }, result: ApplyResult): Promise<void> {
    const { left, clock } = await this.tickets.touchCustomerMessage(manager, companyId, ticketId, firstAt, lastAt);
    await this.reopened(manager, companyId, ticketId, left, lastAt, result);
    if (clock) await this.sla.startClock(manager, companyId, ticketId, clock.priority, clock.target, firstAt);
  }

  /** `left`: the status a customer message took the ticket out of, if it did. */
  private async reopened(manager: EntityManager, companyId: string, ticketId: string, left: TicketStatus | null, at: Date, result: ApplyResult): Promise<void> {
    if (!left) return;
    await this.events.reopenedByCustomer(manager, companyId, ticketId, left, at);
    result.needsAgent = true;
  }

  /** Where a message of this conversation belongs. */
  private where(ctx: Ctx, ticketId: string) {
    return { companyId: ctx.companyId, ticketId, contactId: ctx.contactId, channelId: ctx.channel.id, pageId: ctx.channel.pageId };
  }

  /** Reactions and edits that arrived before this message, whichever side sent it. */
  private async applyParked(ctx: Ctx, mid: string): Promise<void> {
    for (const waiting of await this.mutations.take(ctx.manager, ctx.companyId, ctx.channel.pageId, mid)) {
      await this.mutate(ctx.manager, ctx.companyId, ctx.channel.pageId, waiting.event, ctx.at);
    }
  }

  /** The unfinished ticket, else the recently solved one reopened, else a new follow-up ticket. */
  private async threadFor(ctx: Ctx, subject: string): Promise<string> {
    const latest = await this.tickets.latestForContact(ctx.manager, ctx.companyId, ctx.contactId);
    if (latest && (UNFINISHED_STATUSES as readonly TicketStatus[]).includes(latest.status)) return latest.id;
    if (latest?.status === TicketStatus.Solved && latest.solvedAt && ctx.at.getTime() - latest.solvedAt.getTime() < this.config.inbound.reopenWindowMs) {
      await this.reopened(ctx.manager, ctx.companyId, latest.id, await this.tickets.reopen(ctx.manager, ctx.companyId, latest.id), ctx.at, ctx.result);
      return latest.id;
    }
    return this.newTicket(ctx, subject, latest?.id ?? null, ctx.at);
  }

  /** `customerAt` is null when the Page, not the customer, started the conversation. */
  private async newTicket(ctx: Ctx, subject: string, previousTicketId: string | null, customerAt: Date | null): Promise<string> {
    const target = { companyId: ctx.companyId, channelId: ctx.channel.id, contactId: ctx.contactId, queueId: ctx.channel.defaultQueueId, subject: subjectOf(subject), at: customerAt };
    ctx.result.openedTicket = true;
    ctx.result.needsAgent = true;
    return (await this.tickets.create(ctx.manager, target, previousTicketId)).id;
  }

  /**
   * An echo of our own send (metadata names our delivery) settles it as sent, even one whose
   * call timed out: that is how an `unknown` outcome is resolved without a resend. Anything else was
   * sent from outside Guichet (Page inbox, another app) and joins the timeline as outbound.
   */
  private async echo(ctx: Ctx): Promise<void> {
    const message = obj(ctx.payload.message);
    const mid = id(message.mid);
    if (!mid) return;
    const metadata = str(message.metadata);
    if (metadata && /^[0-9a-f-]{36}$/.test(metadata) && (await this.deliveries.settleByEcho(ctx.manager, ctx.companyId, metadata, mid, ctx.at))) {
      await this.applyParked(ctx, mid);
      return;
    }
    if (await this.messages.existsByMid(ctx.manager, ctx.companyId, ctx.channel.pageId, mid)) return;
    const latest = await this.tickets.latestForContact(ctx.manager, ctx.companyId, ctx.contactId);
    const text = str(message.text);
    const attachments = Array.isArray(message.attachments) ? message.attachments.map(obj) : [];
    const ticketId = latest?.id ?? (await this.newTicket(ctx, text ?? '[message]', null, null));
    await this.messages.insert(ctx.manager, {
      ...this.where(ctx, ticketId),
      mid,
      direction: MessageDirection.Outbound,
      kind: text === null && attachments.length > 0 ? MessageKind.Attachments : MessageKind.Text,
      text,
      content: attachments.length > 0 ? { attachments } : {},
      appId: id(message.app_id),
      sentAt: ctx.at,
    });
    await this.applyParked(ctx, mid);
  }

  /** Reactions and edits change a message by mid; one that arrives first waits for it. */
  private async mutate(manager: EntityManager, companyId: string, pageId: string, payload: Json, at: Date): Promise<void> {
    const reaction = obj(payload.reaction);
    const edit = obj(payload.message_edit);
    const mid = id(reaction.mid) ?? id(edit.mid);
    if (!mid) return;
    // A customer holds one reaction per message: a new one replaces it, an unreact clears it.
    const applied = payload.reaction
      ? await this.messages.react(manager, companyId, pageId, mid, reaction.action === 'unreact' ? null : { [str(reaction.reaction) ?? 'other']: str(reaction.emoji) ?? str(reaction.reaction) ?? 'other' })
      : await this.messages.edit(manager, companyId, pageId, mid, str(edit.text) ?? '', at);
    if (!applied) await this.mutations.park(manager, companyId, pageId, mid, payload);
  }

  private async optin(ctx: Ctx): Promise<void> {
    const optin = obj(ctx.payload.optin);
    if (optin.type === 'notification_messages') {
      const status = str(optin.notification_messages_status);
      if (status === 'STOP NOTIFICATIONS') {
        await this.consents.optOut(ctx.manager, ctx.companyId, ctx.channel.id, ctx.contactId, 'meta_stop', ctx.at);
        return;
      }
      const token = str(optin.notification_messages_token);
      if (!token) {
        if (status === 'RESUME NOTIFICATIONS') await this.consents.resume(ctx.manager, ctx.companyId, ctx.channel.id, ctx.contactId);
        return;
      }
      const expiry = typeof optin.token_expiry_timestamp === 'number' ? new Date(optin.token_expiry_timestamp) : null;
      await this.consents.optIn(ctx.manager, ctx.companyId, ctx.channel.id, ctx.contactId, { token, expiresAt: expiry, timezone: str(optin.notification_messages_timezone) });
      return;
    }
    await this.consents.pluginOptin(ctx.manager, ctx.companyId, ctx.channel.id, ctx.contactId, str(optin.ref));
  }
}

interface Ctx {
  manager: EntityManager;
  channel: Channel;
  companyId: string;
  contactId: string;
  psid: string;
  at: Date;
  payload: Json;
  result: ApplyResult;
}

interface CustomerMessage {
  mid: string;
  kind: MessageKind;
  text: string | null;
  content: Json;
  subject: string;
}

/** A customer message as we store it: text, de-duplicated attachments, quick reply, quote. */
function readCustomerMessage(payload: Json): CustomerMessage | null {
  const message = obj(payload.message);
  const mid = id(message.mid);
  if (!mid) return null;
  const text = str(message.text);
  const attachments = dedupeStickers(Array.isArray(message.attachments) ? message.attachments.map(obj) : []);
  const content: Json = {};
  if (attachments.length > 0) content.attachments = attachments;
  if (message.quick_reply) content.quickReply = obj(message.quick_reply);
  if (message.reply_to) content.replyTo = obj(message.reply_to);
  return {
    mid,
    kind: text === null && attachments.length > 0 ? MessageKind.Attachments : MessageKind.Text,
    text,
    content,
    subject: text ?? (attachments.length > 0 ? `[${String(attachments[0].type)}]` : '[message]'),
  };
}

/**
 * Until Meta's sticker transition ends, a sticker comes as a sticker attachment and an image
 * attachment of the same sticker: keep the sticker, drop its image twin.
 */
export function dedupeStickers(attachments: Json[]): Json[] {
  const stickers = attachments.filter((a) => a.type === 'sticker');
  const stickerIds = new Set<unknown>(stickers.map((a) => obj(a.payload).sticker_id).filter((id) => id !== undefined));
  const stickerUrls = new Set<unknown>(stickers.map((a) => obj(a.payload).url).filter((url) => url !== undefined));
  return attachments
    .filter((a) => a.type !== 'image' || !(stickerIds.has(obj(a.payload).sticker_id) || stickerUrls.has(obj(a.payload).url)))
    .map((a) => (a.type === 'image' && obj(a.payload).sticker_id !== undefined ? { ...a, type: 'sticker' } : a));
}
