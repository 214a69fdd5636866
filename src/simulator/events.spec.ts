import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  attachmentMessage,
  delivery,
  echo,
  entry,
  envelope,
  marketingOptin,
  messageEdit,
  newMid,
  passThreadControl,
  pluginOptin,
  postback,
  reaction,
  read,
  referral,
  stickerAttachments,
  stickerMessage,
  textMessage,
  unknownEvent,
} from './events';

const PAGE = '1000001';
const PSID = '2000002';

describe('webhook event builders', () => {
  it('mids look like Meta’s and are random', () => {
    const a = newMid();
    assert.match(a, /^m_[A-Za-z0-9_-]{40,}$/);
    assert.notEqual(a, newMid());
  });

  it('wraps events in an entry and an envelope, in messaging[] or standby[]', () => {
    const event = textMessage(PAGE, PSID, 'hi', { timestamp: 5 });
    const payload = envelope([entry(PAGE, [event], { time: 7 }), entry(PAGE, [event], { standby: true, time: 8 })]);
    assert.equal(payload.object, 'page');
    assert.deepEqual(payload.entry[0], { id: PAGE, time: 7, messaging: [event] });
    assert.deepEqual(payload.entry[1], { id: PAGE, time: 8, standby: [event] });
  });

  it('builds a customer text message (sender = PSID, recipient = Page)', () => {
    const event = textMessage(PAGE, PSID, 'Bonjour', { mid: 'm_1', quickReplyPayload: 'YES', replyToMid: 'm_0', timestamp: 10 });
    assert.deepEqual(event, {
      sender: { id: PSID },
      recipient: { id: PAGE },
      timestamp: 10,
      message: { mid: 'm_1', text: 'Bonjour', quick_reply: { payload: 'YES' }, reply_to: { mid: 'm_0' } },
    });
    const plain = textMessage(PAGE, PSID, 'x');
    assert.match(plain.message?.mid ?? '', /^m_/);
    assert.equal(typeof plain.timestamp, 'number');
  });

  it('sends a sticker as both a sticker and an image attachment during the transition', () => {
    assert.deepEqual(stickerAttachments('https://cdn.test/s.png', 369239263222822), [
      { type: 'sticker', payload: { url: 'https://cdn.test/s.png', sticker_id: 369239263222822 } },
      { type: 'image', payload: { url: 'https://cdn.test/s.png', sticker_id: 369239263222822 } },
    ]);
    assert.equal(stickerAttachments('u', 1, { transition: false }).length, 1);
    const event = stickerMessage(PAGE, PSID, { url: 'u', stickerId: 1 });
    assert.deepEqual(event.message?.attachments?.map((a) => a.type), ['sticker', 'image']);
    const photo = attachmentMessage(PAGE, PSID, [{ type: 'image', payload: { url: 'u' } }], { text: 'look' });
    assert.equal(photo.message?.text, 'look');
  });

  it('builds an echo from the Page to the PSID', () => {
    const event = echo(PAGE, PSID, { mid: 'm_e', text: 'Merci', appId: '1517776481860111', metadata: 'msg-1' });
    assert.deepEqual(event.sender, { id: PAGE });
    assert.deepEqual(event.recipient, { id: PSID });
    assert.deepEqual(event.message, { mid: 'm_e', is_echo: true, app_id: 1517776481860111, metadata: 'msg-1', text: 'Merci' });
  });

  it('builds receipts, postbacks, reactions, edits, referrals and optins', () => {
    assert.deepEqual(delivery(PAGE, PSID, 99, ['m_a']).delivery, { mids: ['m_a'], watermark: 99 });
    assert.deepEqual(delivery(PAGE, PSID, 99).delivery, { watermark: 99 });
    assert.deepEqual(read(PAGE, PSID, 98).read, { watermark: 98 });
    assert.deepEqual(postback(PAGE, PSID, { title: 'Oui', payload: 'YES', mid: 'm_p' }).postback, {
      mid: 'm_p',
      title: 'Oui',
      payload: 'YES',
    });
    assert.deepEqual(reaction(PAGE, PSID, { mid: 'm_r', reaction: 'love', emoji: '❤', action: 'react' }).reaction, {
      mid: 'm_r',
      action: 'react',
      reaction: 'love',
      emoji: '❤',
    });
    assert.deepEqual(messageEdit(PAGE, PSID, { mid: 'm_x', text: 'new', numEdit: 2 }).message_edit, {
      mid: 'm_x',
      text: 'new',
      num_edit: 2,
    });
    assert.deepEqual(referral(PAGE, PSID, { ref: 'promo', source: 'SHORTLINK', type: 'OPEN_THREAD' }).referral, {
      source: 'SHORTLINK',
      type: 'OPEN_THREAD',
      ref: 'promo',
    });
    const optin = marketingOptin(PAGE, PSID, { token: 'tok', expiry: 123, timezone: 'Europe/Paris', status: 'STOP NOTIFICATIONS' });
    assert.equal(optin.optin?.type, 'notification_messages');
    assert.equal(optin.optin?.notification_messages_token, 'tok');
    assert.equal(optin.optin?.token_expiry_timestamp, 123);
    assert.equal(optin.optin?.notification_messages_timezone, 'Europe/Paris');
    assert.equal(optin.optin?.notification_messages_status, 'STOP NOTIFICATIONS');
    assert.deepEqual(pluginOptin(PAGE, PSID, 'data-ref').optin, { ref: 'data-ref' });
    assert.deepEqual(passThreadControl(PAGE, PSID, '111', null).pass_thread_control, {
      new_owner_app_id: '111',
      previous_owner_app_id: null,
    });
  });

  it('builds an event of a kind Guichet does not know', () => {
    const event = unknownEvent(PAGE, PSID);
    assert.ok(event.messaging_game_plays !== undefined);
    assert.equal(event.message, undefined);
    assert.deepEqual(event.sender, { id: PSID });
  });
});
