/**
 * Turns an outbound message (message-content.dto.ts) into the `message` objects of Meta's Send
 * API (shared/reference/messenger-platform.md §3.2 to §3.4), one object per Graph call.
 *
 * Pure: no I/O. A Send API `message` carries exactly one of `text` or `attachment`, so a reply
 * with text, two images and a template is four calls, sent in this order: the text parts, the
 * attachments (as Chatwoot does, §3.3), then the template.
 */
import type { ButtonDto, OutboundMessageDto, TemplateDto } from './message-content.dto';

/**
 * Meta: text "must be UTF-8 and less than 2000 characters" (§3.2). Counted here in UTF-16 code
 * units, never fewer than code points or user-visible characters, so a part within this bound is
 * within Meta's limit whichever of those Meta counts.
 */
export const MAX_TEXT_PART = 2000;

/**
 * Each message is its own Graph call and its own delivery, paced per Page. More than this from
 * one reply floods the customer's screen and the Page's send budget, and is almost certainly a
 * mistake (a pasted document), so it is refused rather than split further.
 */
export const MAX_MESSAGES = 20;

/**
 * Where a part may break. No-break spaces (U+00A0, U+2007, U+202F) are left out on purpose:
 * they exist to keep two words together.
 */
const SPACE = /^[ \t\n\r\f\v\u2028\u2029\u3000]$/;
const isSpace = (char: string | undefined): boolean => char !== undefined && SPACE.test(char);

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

function newlinesInRun(text: string, from: number): number {
  let count = 0;
  for (let i = from; i < text.length && isSpace(text[i]); i++) if (text[i] === '\n') count++;
  return count;
}

/**
 * A cut that is not at whitespace: at the last grapheme boundary, so a flag, a skin-toned or
 * family emoji, or a letter with its accent is never torn in two. A single grapheme longer than a
 * whole part (thousands of combining marks) falls back to code points, never halving a surrogate
 * pair, which Graph would refuse as invalid UTF-8.
 */
function hardCut(text: string, max: number): number {
  const start = graphemes.segment(text.slice(0, max + 1)).containing(max)?.index ?? max;
  if (start > 0) return start;
  return isHighSurrogate(text.charCodeAt(max - 1)) && isLowSurrogate(text.charCodeAt(max)) ? max - 1 : max;
}

/**
 * Where to end the next part: the head is text.slice(0, cut). Prefers, in order, the last
 * paragraph break, the last line break, the last space, then a hard cut. Paragraph and line
 * breaks only count in the second half of the window: one near the start would leave a stub
 * message, and a space later on reads better than that.
 */
function breakAt(text: string, max: number): number {
  let line = 0;
  let space = 0;
  for (let p = max; p >= 1; p--) {
    if (!isSpace(text[p]) || isSpace(text[p - 1])) continue;
    if (p * 2 >= max) {
      const newlines = newlinesInRun(text, p);
      if (newlines >= 2) return p;
      if (newlines === 1 && line === 0) line = p;
    } else if (space !== 0) {
      break;
    }
    if (space === 0) space = p;
  }
  return line || space || hardCut(text, max);
}

/**
 * Splits text into parts of at most `max` UTF-16 code units, in order. The whitespace at each
 * break is dropped (a message bubble already separates the parts); nothing else is changed, and
 * no part is empty or blank.
 */
export function splitText(text: string, max = MAX_TEXT_PART): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const cut = breakAt(rest, max);
    const head = rest.slice(0, cut);
    if (head.trim() !== '') parts.push(head);
    let next = cut;
    while (isSpace(rest[next])) next++;
    rest = rest.slice(next);
  }
  if (rest.trim() !== '') parts.push(rest);
  return parts;
}

function button(value: ButtonDto): Record<string, unknown> {
  return value.type === 'web_url' ? { type: 'web_url', url: value.url, title: value.title } : { type: 'postback', title: value.title, payload: value.payload };
}

function templatePayload(template: TemplateDto): Record<string, unknown> {
  switch (template.type) {
    case 'button':
      return { template_type: 'button', text: template.text, buttons: template.buttons.map(button) };
    case 'generic':
      return {
        template_type: 'generic',
        elements: template.elements.map((element) => ({
          title: element.title,
          ...(element.subtitle === undefined ? {} : { subtitle: element.subtitle }),
          ...(element.imageUrl === undefined ? {} : { image_url: element.imageUrl }),
          ...(element.buttons?.length ? { buttons: element.buttons.map(button) } : {}),
        })),
      };
    case 'receipt':
      return {
        template_type: 'receipt',
        recipient_name: template.recipientName,
        order_number: template.orderNumber,
        currency: template.currency,
        payment_method: template.paymentMethod,
        elements: template.elements.map((element) => ({
          title: element.title,
          price: element.price,
          ...(element.quantity === undefined ? {} : { quantity: element.quantity }),
        })),
        summary: { total_cost: template.summary.totalCost },
      };
    default: {
      // Only reachable with content that skipped validation; sending a guess would be worse.
      const unknown: never = template;
      throw new Error(`Unknown template type: ${String((unknown as { type?: unknown }).type)}`);
    }
  }
}

/**
 * The Send API `message` objects for this content, in sending order. Quick replies go on the
 * last one only: Messenger shows them under the latest message and drops them once another
 * arrives, so on an earlier part they would flash and vanish.
 */
export function toSendApiMessages(content: OutboundMessageDto): Array<Record<string, unknown>> {
  const messages: Array<Record<string, unknown>> = [
    ...(content.text === undefined ? [] : splitText(content.text)).map((text) => ({ text })),
    // is_reusable: Graph answers with an attachment_id the Page can send again without a re-upload (§3.3).
    ...(content.attachments ?? []).map((attachment) => ({ attachment: { type: attachment.type, payload: { url: attachment.url, is_reusable: true } } })),
    ...(content.template === undefined ? [] : [{ attachment: { type: 'template', payload: templatePayload(content.template) } }]),
  ];
  const quickReplies = content.quickReplies ?? [];
  if (quickReplies.length > 0 && messages.length > 0) {
    messages[messages.length - 1] = {
      ...messages[messages.length - 1],
      quick_replies: quickReplies.map((reply) => ({ content_type: 'text', title: reply.title, payload: reply.payload })),
    };
  }
  return messages;
}

/**
 * Problems with content that already passed the DTO's validation, for the rules that depend on
 * the message as a whole. Quick replies riding on an attachment or a template are fine: Meta
 * allows them on any message. Empty means the content may be queued; the caller answers 400
 * otherwise, so a message that cannot go out never becomes a failed delivery.
 */
export function validateContent(content: OutboundMessageDto): string[] {
  const count = toSendApiMessages(content).length;
  // Callers that build content in code (notifications) do not pass through the DTO's own check.
  if (count === 0) return ['a message needs text, attachments or a template'];
  if (count > MAX_MESSAGES) {
    return [`this content makes ${count} messages and at most ${MAX_MESSAGES} may be sent at once: shorten the text or send fewer attachments`];
  }
  return [];
}
