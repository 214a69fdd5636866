import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { entry, envelope, textMessage } from './events';
import { encodeMetaJson, signMetaBody } from './meta-json';
import { WebhookDriver } from './webhook-driver';
import { WebhookReceiver } from './webhook-receiver';

const SECRET = 'driver-test-app-secret';

describe('WebhookDriver', () => {
  const receiver = new WebhookReceiver();
  let driver: WebhookDriver;

  before(async () => {
    driver = new WebhookDriver(await receiver.start(), SECRET);
  });
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.status = 200;
  });
  after(async () => {
    driver.close();
    await receiver.stop();
  });

  const payload = envelope([entry('1', [textMessage('1', '2', 'Bonjour é 😀 https://x.test/', { mid: 'm_fixed', timestamp: 1 })], { time: 1 })]);

  it('posts Meta-escaped JSON signed over the exact bytes', async () => {
    const responses = await driver.post(payload);
    assert.deepEqual(responses, [{ status: 200, body: 'EVENT_RECEIVED' }]);
    assert.equal(receiver.received.length, 1);
    const [request] = receiver.received;
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/webhooks/messenger');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.raw.toString('utf8'), encodeMetaJson(payload));
    assert.ok(request.raw.toString('latin1').includes('\\u00e9 \\ud83d\\ude00 https:\\/\\/x.test\\/'));
    assert.equal(request.headers['x-hub-signature-256'], signMetaBody(request.raw, SECRET));
    assert.match(String(request.headers['x-hub-signature']), /^sha1=[0-9a-f]{40}$/);
    assert.deepEqual(JSON.parse(request.raw.toString('utf8')), payload);
  });

  it('sends the extra duplicates, one after another or concurrently', async () => {
    const sequential = await driver.post(payload, { duplicates: 2 });
    assert.deepEqual(sequential.map((r) => r.status), [200, 200, 200]);
    const concurrent = await driver.post(payload, { duplicates: 3, concurrent: true });
    assert.equal(concurrent.length, 4);
    assert.equal(receiver.received.length, 7);
    const bodies = new Set(receiver.received.map((r) => r.raw.toString('hex')));
    assert.equal(bodies.size, 1, 'every copy carries identical bytes');
  });

  it('overrides or leaves out the signature for bad-signature tests', async () => {
    await driver.post(payload, { signature: 'sha256=deadbeef' });
    await driver.post(payload, { signature: null });
    assert.equal(receiver.received[0].headers['x-hub-signature-256'], 'sha256=deadbeef');
    assert.equal(receiver.received[0].headers['x-hub-signature'], undefined);
    assert.equal(receiver.received[1].headers['x-hub-signature-256'], undefined);
  });

  it('returns the receiver’s status and body', async () => {
    receiver.status = 403;
    assert.deepEqual(await driver.post(payload), [{ status: 403, body: 'refused' }]);
  });

  it('rejects when the target is unreachable', async () => {
    const closed = new WebhookReceiver();
    const url = await closed.start();
    await closed.stop();
    const lost = new WebhookDriver(url, SECRET);
    await assert.rejects(lost.post(payload));
    lost.close();
  });
});
