import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanText, parseMessengerBatch } from './messenger-events';
import { dedupeStickers } from './inbound-applier.service';

const base = (extra: Record<string, unknown>, sender = 'PSID1') => ({ sender: { id: sender }, recipient: { id: 'PAGE1' }, timestamp: 1_700_000_000_000, ...extra });

describe('parseMessengerBatch', () => {
  it('splits every entry and both lists into events with their kind, conversation and dedupe key', () => {
    const { events, skipped } = parseMessengerBatch({
      object: 'page',
      entry: [
        { id: 'PAGE1', time: 1, messaging: [base({ message: { mid: 'm_1', text: 'hi' } }), base({ delivery: { watermark: 5 } })] },
        { id: 'PAGE2', time: 1, standby: [base({ postback: { mid: 'm_2', title: 'Go' } })] },
      ],
    });
    assert.deepEqual(skipped, []);
    assert.deepEqual(
      events.map((e) => [e.pageId, e.kind, e.conversation, e.standby, e.dedupeKey.slice(0, 2)]),
      [
        ['PAGE1', 'message', 'PSID1', false, 'm:'],
        ['PAGE1', 'delivery', 'PSID1', false, 'h:'],
        ['PAGE2', 'postback', 'PSID1', true, 'p:'],
      ],
    );
    assert.equal(events[0].dedupeKey, 'm:m_1');
  });

  it('takes the customer from the recipient of an echo, and a chat-plugin guest from user_ref', () => {
    const { events } = parseMessengerBatch({
      object: 'page',
      entry: [{ id: 'PAGE1', messaging: [{ sender: { id: 'PAGE1' }, recipient: { id: 'PSID9' }, timestamp: 1, message: { mid: 'm_e', is_echo: true } }, { sender: { user_ref: 'guest-7' }, recipient: { id: 'PAGE1' }, timestamp: 2, message: { mid: 'm_g', text: 'x' } }] }],
    });
    assert.deepEqual(events.map((e) => [e.kind, e.conversation]), [['echo', 'PSID9'], ['message', 'guest-7']]);
  });

  it('gives the same dedupe key to the same mid-less event, and different keys to different ones', () => {
    const read = (watermark: number) => parseMessengerBatch({ object: 'page', entry: [{ id: 'P', messaging: [base({ read: { watermark } })] }] }).events[0].dedupeKey;
    assert.equal(read(10), read(10));
    assert.notEqual(read(10), read(11));
  });

  it('reports unusable content instead of throwing', () => {
    assert.deepEqual(parseMessengerBatch('nope').skipped, [{ reason: 'not_a_page_object' }]);
    assert.deepEqual(parseMessengerBatch({ object: 'instagram', entry: [] }).skipped, [{ reason: 'not_a_page_object' }]);
    const { events, skipped } = parseMessengerBatch({
      object: 'page',
      entry: [null, { id: 'P', messaging: 'x' }, { id: 'P', messaging: [7, base({ game_play: {} }), { recipient: { id: 'P' }, timestamp: 1, message: { mid: 'm' } }, base({ message: { mid: 'ok' } })] }],
    });
    assert.deepEqual(skipped.map((s) => s.reason), ['malformed_entry', 'malformed_entry', 'malformed_event', 'unknown_kind', 'malformed_event']);
    assert.equal(skipped[3].kind, 'game_play');
    assert.deepEqual(events.map((e) => e.dedupeKey), ['m:ok']);
  });

  it('falls back to the entry time when an event has no timestamp, and cleans customer text', () => {
    const { events } = parseMessengerBatch({ object: 'page', entry: [{ id: 'P', time: 1_700_000_000_123, messaging: [{ sender: { id: 'S' }, recipient: { id: 'P' }, message: { mid: 'm', text: 'a\u0000b\udc00' } }] }] });
    assert.equal(events[0].occurredAt.getTime(), 1_700_000_000_123);
    assert.equal((events[0].payload.message as { text: string }).text, 'ab\ufffd');
  });
});

describe('cleanText', () => {
  it('drops NUL, replaces lone surrogates and keeps valid pairs', () => {
    assert.equal(cleanText('\u0000x\ud800y\udc00z😀'), 'x\ufffdy\ufffdz😀');
  });
});

describe('dedupeStickers', () => {
  it("keeps the sticker and drops its image twin, but keeps real images", () => {
    const kept = dedupeStickers([
      { type: 'sticker', payload: { url: 'u1', sticker_id: 1 } },
      { type: 'image', payload: { url: 'u1', sticker_id: 1 } },
      { type: 'image', payload: { url: 'photo.jpg' } },
    ]);
    assert.deepEqual(kept.map((a) => a.type), ['sticker', 'image']);
  });

  it('turns a lone image carrying a sticker_id into a sticker (the older shape)', () => {
    assert.deepEqual(dedupeStickers([{ type: 'image', payload: { url: 'u', sticker_id: 9 } }]).map((a) => a.type), ['sticker']);
  });
});
