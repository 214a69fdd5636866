import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { MAX_MESSAGES, MAX_TEXT_PART, splitText, toSendApiMessages, validateContent } from './message-content';
import { ButtonTemplateDto, OutboundMessageDto, PostbackButtonDto, WebUrlButtonDto } from './message-content.dto';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Words separated by single spaces, numbered so that a reordering would show. */
function words(length: number): string {
  let text = '';
  for (let i = 0; text.length < length; i++) text += (text ? ' ' : '') + `w${i}`;
  return text.slice(0, length).trimEnd();
}

function assertWellFormedParts(parts: string[]): void {
  for (const part of parts) {
    assert.ok(part.length > 0 && part.length <= MAX_TEXT_PART, `part of length ${part.length}`);
    assert.ok(part.trim() !== '', 'blank part');
    assert.ok(!LONE_SURROGATE.test(part), 'a surrogate pair was split');
  }
}

describe('splitText', () => {
  it('keeps a text of exactly 2,000 characters as one part', () => {
    const text = 'a'.repeat(2000);
    assert.deepEqual(splitText(text), [text]);
    const spaced = 'abcd '.repeat(399) + 'abcde';
    assert.equal(spaced.length, 2000);
    assert.deepEqual(splitText(spaced), [spaced]);
  });

  it('splits 2,001 characters in two, at the last space', () => {
    const text = 'abcd '.repeat(400) + 'x';
    assert.equal(text.length, 2001);
    assert.deepEqual(splitText(text), ['abcd '.repeat(400).trimEnd(), 'x']);
  });

  it('hard-cuts 2,001 characters without any space at 2,000', () => {
    assert.deepEqual(splitText('a'.repeat(2001)), ['a'.repeat(2000), 'a']);
  });

  it('splits 10,000 characters into parts of at most 2,000, in order, losing only the break spaces', () => {
    assert.deepEqual(splitText('b'.repeat(10_000)), Array.from({ length: 5 }, () => 'b'.repeat(2000)));
    const text = words(10_000);
    const parts = splitText(text);
    assertWellFormedParts(parts);
    assert.equal(parts.length, 6);
    assert.equal(parts.join(' '), text);
  });

  it('never cuts inside an emoji that straddles the 2,000th code unit', () => {
    const text = 'a'.repeat(1999) + '😀' + 'b';
    const parts = splitText(text);
    assert.deepEqual(parts, ['a'.repeat(1999), '😀b']);
    assertWellFormedParts(parts);
  });

  it('keeps a ZWJ family emoji and a flag whole', () => {
    const family = '👨‍👩‍👧‍👦';
    const text = 'a'.repeat(1995) + family + '🇫🇷' + 'z';
    const parts = splitText(text);
    assert.deepEqual(parts, ['a'.repeat(1995), family + '🇫🇷z']);
    const flags = 'a'.repeat(1999) + '🇫🇷🇧🇪';
    assert.deepEqual(splitText(flags), ['a'.repeat(1999), '🇫🇷🇧🇪']);
  });

  it('falls back to code points for one grapheme longer than a part, still never halving a surrogate pair', () => {
    // 'a' with 1,998 combining acutes then astral variation selectors: one grapheme, pair at 1,999–2,000.
    const text = 'a' + '\u0301'.repeat(1998) + '\u{E0100}'.repeat(300);
    const parts = splitText(text);
    assertWellFormedParts(parts);
    assert.equal(parts[0].length, 1999);
    assert.equal(parts.join(''), text);
  });

  it('breaks before a long word and hard-cuts the word itself', () => {
    const text = 'short words ' + 'x'.repeat(3000) + ' end';
    assert.deepEqual(splitText(text), ['short words', 'x'.repeat(2000), 'x'.repeat(1000) + ' end']);
  });

  it('prefers a paragraph break, then a line break, to a later space', () => {
    const first = words(1500);
    const second = words(800);
    assert.deepEqual(splitText(`${first}\n\n${second}`), [first, second]);
    assert.deepEqual(splitText(`${first}\r\n\r\n${second}`), [first, second]);
    assert.deepEqual(splitText(`${first}\n${second}`), [first, second]);
    // A line break beats a space but loses to a paragraph break, even an earlier one.
    const third = words(200);
    assert.deepEqual(splitText(`${first}\n\n${third}\n${second}`), [first, `${third}\n${second}`]);
  });

  it('ignores a paragraph break in the first half of the window, which would leave a stub', () => {
    const text = `${words(300)}\n\n${words(2500)}`;
    const parts = splitText(text);
    assertWellFormedParts(parts);
    assert.ok(parts[0].length > 1900, `first part is ${parts[0].length} long`);
    assert.ok(parts[0].startsWith(`${words(300)}\n\nw0 w1`));
  });

  it('equals the original once the whitespace at the breaks is put back, for mixed whitespace', () => {
    const paragraph = (n: number): string => `${words(700 + n * 37)}\n${words(90)}  ${words(400)}\t${words(300)}`;
    const text = Array.from({ length: 8 }, (_, n) => paragraph(n)).join('\n\n');
    const parts = splitText(text);
    assertWellFormedParts(parts);
    const squash = (value: string): string => value.replace(/\s+/g, ' ');
    assert.equal(squash(parts.join(' ')), squash(text));
    for (const part of parts.slice(1)) assert.ok(!/^\s/.test(part), 'a part starts with the break whitespace');
    for (const part of parts.slice(0, -1)) assert.ok(!/\s$/.test(part), 'a part ends with the break whitespace');
  });

  it('never produces an empty or blank part', () => {
    assert.deepEqual(splitText('a'.repeat(2000) + ' '.repeat(10) + '\n'), ['a'.repeat(2000)]);
    assert.deepEqual(splitText(' '.repeat(5000)), []);
    assert.deepEqual(splitText(''), []);
    assert.deepEqual(splitText(' '.repeat(2500) + 'hello'), ['hello']);
  });
});

describe('toSendApiMessages', () => {
  const quickReplies = [
    { title: 'Yes', payload: 'CONFIRM_YES' },
    { title: 'No', payload: 'CONFIRM_NO' },
  ];

  it('sends the text parts, then each attachment, then the template, with quick replies on the last only', () => {
    const text = words(3000);
    const messages = toSendApiMessages({
      text,
      attachments: [
        { type: 'image', url: 'https://cdn.example.com/a.jpg' },
        { type: 'file', url: 'https://cdn.example.com/invoice.pdf' },
      ],
      template: {
        type: 'button',
        text: 'Was this helpful?',
        buttons: [
          { type: 'web_url', title: 'Open order', url: 'https://shop.example.com/o/42' },
          { type: 'postback', title: 'Talk to us', payload: 'HUMAN' },
        ],
      },
      quickReplies,
    });
    const [first, second] = splitText(text);
    assert.deepEqual(messages, [
      { text: first },
      { text: second },
      { attachment: { type: 'image', payload: { url: 'https://cdn.example.com/a.jpg', is_reusable: true } } },
      { attachment: { type: 'file', payload: { url: 'https://cdn.example.com/invoice.pdf', is_reusable: true } } },
      {
        attachment: {
          type: 'template',
          payload: {
            template_type: 'button',
            text: 'Was this helpful?',
            buttons: [
              { type: 'web_url', url: 'https://shop.example.com/o/42', title: 'Open order' },
              { type: 'postback', title: 'Talk to us', payload: 'HUMAN' },
            ],
          },
        },
        quick_replies: [
          { content_type: 'text', title: 'Yes', payload: 'CONFIRM_YES' },
          { content_type: 'text', title: 'No', payload: 'CONFIRM_NO' },
        ],
      },
    ]);
  });

  it('puts quick replies on the last text part when there is only text', () => {
    const messages = toSendApiMessages({ text: words(4500), quickReplies });
    assert.equal(messages.length, 3);
    assert.deepEqual(
      messages.map((message) => 'quick_replies' in message),
      [false, false, true],
    );
  });

  it('accepts quick replies on an attachment-only message', () => {
    const content = { attachments: [{ type: 'video' as const, url: 'https://cdn.example.com/v.mp4' }], quickReplies };
    assert.deepEqual(toSendApiMessages(content), [
      {
        attachment: { type: 'video', payload: { url: 'https://cdn.example.com/v.mp4', is_reusable: true } },
        quick_replies: quickReplies.map((reply) => ({ content_type: 'text', ...reply })),
      },
    ]);
    assert.deepEqual(validateContent(content), []);
  });

  it('maps a generic template to snake_case, leaving out what was not given', () => {
    const messages = toSendApiMessages({
      template: {
        type: 'generic',
        elements: [
          { title: 'Blue mug', subtitle: '12 €', imageUrl: 'https://cdn.example.com/mug.jpg', buttons: [{ type: 'postback', title: 'Buy', payload: 'BUY_MUG' }] },
          { title: 'Plain card' },
        ],
      },
    });
    assert.deepEqual(messages, [
      {
        attachment: {
          type: 'template',
          payload: {
            template_type: 'generic',
            elements: [
              { title: 'Blue mug', subtitle: '12 €', image_url: 'https://cdn.example.com/mug.jpg', buttons: [{ type: 'postback', title: 'Buy', payload: 'BUY_MUG' }] },
              { title: 'Plain card' },
            ],
          },
        },
      },
    ]);
  });

  it('maps a receipt template', () => {
    const messages = toSendApiMessages({
      template: {
        type: 'receipt',
        recipientName: 'Camille Martin',
        orderNumber: 'A-1042',
        currency: 'EUR',
        paymentMethod: 'Visa 1234',
        elements: [{ title: 'Blue mug', price: 12.5, quantity: 2 }, { title: 'Gift wrap', price: 0 }],
        summary: { totalCost: 25 },
      },
    });
    assert.deepEqual(messages, [
      {
        attachment: {
          type: 'template',
          payload: {
            template_type: 'receipt',
            recipient_name: 'Camille Martin',
            order_number: 'A-1042',
            currency: 'EUR',
            payment_method: 'Visa 1234',
            elements: [{ title: 'Blue mug', price: 12.5, quantity: 2 }, { title: 'Gift wrap', price: 0 }],
            summary: { total_cost: 25 },
          },
        },
      },
    ]);
  });
});

describe('validateContent', () => {
  const attachments = Array.from({ length: 10 }, (_, i) => ({ type: 'image' as const, url: `https://cdn.example.com/${i}.jpg` }));
  const template: ButtonTemplateDto = { type: 'button', text: 'Anything else?', buttons: [{ type: 'postback', title: 'No', payload: 'NO' }] };

  it(`allows exactly ${MAX_MESSAGES} messages and refuses ${MAX_MESSAGES + 1}`, () => {
    const text = 'a'.repeat(20_000);
    assert.equal(toSendApiMessages({ text, attachments }).length, 20);
    assert.deepEqual(validateContent({ text, attachments }), []);
    const problems = validateContent({ text, attachments, template });
    assert.equal(problems.length, 1);
    assert.match(problems[0], /21 messages.*at most 20/);
  });

  it('refuses content that makes no message at all', () => {
    assert.deepEqual(validateContent({}), ['a message needs text, attachments or a template']);
    assert.deepEqual(validateContent({ text: '   ', quickReplies: [{ title: 'Hi', payload: 'HI' }] }), ['a message needs text, attachments or a template']);
  });
});

// ---- The DTO, as the validation pipe runs it ---------------------------------------------------

async function check(body: unknown): Promise<{ dto: OutboundMessageDto; errors: string[] }> {
  const dto = plainToInstance(OutboundMessageDto, body);
  const flatten = (errors: ValidationError[], parent = ''): string[] =>
    errors.flatMap((error) => {
      const path = parent ? `${parent}.${error.property}` : error.property;
      return [...Object.keys(error.constraints ?? {}).map((constraint) => `${path}:${constraint}`), ...flatten(error.children ?? [], path)];
    });
  return { dto, errors: flatten(await validate(dto, { whitelist: true, forbidNonWhitelisted: true })) };
}

const GOOD = {
  text: '  Your parcel left our warehouse.  ',
  attachments: [{ type: 'image', url: 'https://cdn.example.com/parcel.jpg' }],
  quickReplies: [{ title: 'Track it', payload: 'TRACK:42' }],
  template: {
    type: 'button',
    text: 'Anything else?',
    buttons: [
      { type: 'web_url', title: 'Open order', url: 'https://shop.example.com/o/42' },
      { type: 'postback', title: 'Talk to us', payload: ' HUMAN ' },
    ],
  },
};

describe('OutboundMessageDto', () => {
  it('accepts a full body and builds the template and button classes from their type', async () => {
    const { dto, errors } = await check(GOOD);
    assert.deepEqual(errors, []);
    assert.equal(dto.text, 'Your parcel left our warehouse.');
    assert.ok(dto.template instanceof ButtonTemplateDto);
    assert.ok(dto.template.buttons[0] instanceof WebUrlButtonDto);
    assert.ok(dto.template.buttons[1] instanceof PostbackButtonDto);
    assert.equal(dto.template.buttons[1].payload, ' HUMAN ', 'payloads are opaque, never trimmed');
    assert.deepEqual(validateContent(dto), []);
  });

  it('accepts a generic and a receipt template alone', async () => {
    const generic = await check({
      template: {
        type: 'generic',
        elements: [{ title: 'Blue mug', subtitle: '12 €', imageUrl: 'https://cdn.example.com/mug.jpg', buttons: [{ type: 'postback', title: 'Buy', payload: 'BUY' }] }],
      },
    });
    assert.deepEqual(generic.errors, []);
    const receipt = await check({
      template: {
        type: 'receipt',
        recipientName: 'Camille Martin',
        orderNumber: 'A-1042',
        currency: 'EUR',
        paymentMethod: 'Visa 1234',
        elements: [{ title: 'Blue mug', price: 12.5, quantity: 2 }],
        summary: { totalCost: 25 },
      },
    });
    assert.deepEqual(receipt.errors, []);
  });

  it('accepts text of 20,000 characters and refuses 20,001', async () => {
    assert.deepEqual((await check({ text: 'a'.repeat(20_000) })).errors, []);
    assert.deepEqual((await check({ text: 'a'.repeat(20_001) })).errors, ['text:maxLength']);
  });

  it('refuses 14 quick replies', async () => {
    const quickReplies = Array.from({ length: 14 }, (_, i) => ({ title: `Option ${i}`, payload: `P${i}` }));
    assert.deepEqual((await check({ text: 'Pick one', quickReplies })).errors, ['quickReplies:arrayMaxSize']);
    assert.deepEqual((await check({ text: 'Pick one', quickReplies: quickReplies.slice(0, 13) })).errors, []);
  });

  it('refuses an http:// URL in an attachment and in a button', async () => {
    assert.deepEqual((await check({ attachments: [{ type: 'image', url: 'http://cdn.example.com/a.jpg' }] })).errors, ['attachments.0.url:isUrl']);
    const template = { ...GOOD.template, buttons: [{ type: 'web_url', title: 'Open', url: 'http://shop.example.com' }] };
    assert.deepEqual((await check({ template })).errors, ['template.buttons.0.url:isUrl']);
  });

  it('refuses a 21-character button title and accepts 20', async () => {
    const withTitle = (title: string): unknown => ({ template: { ...GOOD.template, buttons: [{ type: 'postback', title, payload: 'X' }] } });
    assert.deepEqual((await check(withTitle('x'.repeat(21)))).errors, ['template.buttons.0.title:maxLength']);
    assert.deepEqual((await check(withTitle('x'.repeat(20)))).errors, []);
  });

  it('refuses 4 buttons and a button template without buttons', async () => {
    const button = { type: 'postback', title: 'Go', payload: 'GO' };
    assert.deepEqual((await check({ template: { ...GOOD.template, buttons: [button, button, button, button] } })).errors, ['template.buttons:arrayMaxSize']);
    assert.deepEqual((await check({ template: { ...GOOD.template, buttons: [] } })).errors, ['template.buttons:arrayMinSize']);
  });

  it('refuses an empty body with one clear message', async () => {
    const dto = plainToInstance(OutboundMessageDto, {});
    const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
    assert.equal(errors.length, 1);
    assert.deepEqual(errors[0].constraints, { templateOrContent: 'a message needs text, attachments or a template' });
    assert.deepEqual((await check({ attachments: [], quickReplies: [{ title: 'Hi', payload: 'HI' }] })).errors, ['template:templateOrContent']);
  });

  it('refuses an unknown template type, and a button of unknown type', async () => {
    const { errors } = await check({ template: { type: 'list', text: 'x' } });
    assert.deepEqual(errors.sort(), ['template.text:whitelistValidation', 'template.type:isIn']);
    assert.deepEqual((await check({ template: { text: 'no type' } })).errors.sort(), ['template.text:whitelistValidation', 'template.type:isIn']);
    assert.deepEqual((await check({ template: { type: 'constructor' } })).errors, ['template.type:isIn']);
    const button = { type: 'call', title: 'Call', payload: '+33100000000' };
    assert.deepEqual((await check({ template: { ...GOOD.template, buttons: [button] } })).errors.sort(), [
      'template.buttons.0.payload:whitelistValidation',
      'template.buttons.0.title:whitelistValidation',
      'template.buttons.0.type:isIn',
    ]);
  });

  it('refuses nulls and non-objects with a 400-style error rather than throwing', async () => {
    assert.deepEqual((await check({ text: null })).errors.sort(), ['text:isNotEmpty', 'text:isString', 'text:maxLength']);
    assert.deepEqual((await check({ text: 'hi', template: null })).errors, ['template:templateOrContent', 'template:nestedValidation']);
    assert.deepEqual((await check({ text: 'hi', template: [GOOD.template] })).errors[0], 'template:templateOrContent');
    assert.deepEqual((await check({ template: { ...GOOD.template, buttons: [null] } })).errors, ['template.buttons.0:nestedValidation']);
  });

  it('refuses unknown fields, a bad attachment type and a bad currency', async () => {
    assert.deepEqual((await check({ text: 'hi', messagingType: 'UPDATE' })).errors, ['messagingType:whitelistValidation']);
    assert.deepEqual((await check({ attachments: [{ type: 'sticker', url: 'https://cdn.example.com/s.png' }] })).errors, ['attachments.0.type:isIn']);
    const receipt = {
      type: 'receipt',
      recipientName: 'Camille',
      orderNumber: 'A-1',
      currency: 'euros',
      paymentMethod: 'Visa 1234',
      elements: [{ title: 'Mug', price: -1 }],
      summary: { totalCost: 'lots' },
    };
    assert.deepEqual((await check({ template: receipt })).errors.sort(), [
      'template.currency:isISO4217CurrencyCode',
      'template.elements.0.price:min',
      'template.summary.totalCost:isNumber',
      'template.summary.totalCost:min',
    ]);
  });
});
