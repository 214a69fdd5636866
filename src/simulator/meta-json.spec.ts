import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { encodeMetaJson, signMetaBody, signMetaBodySha1 } from './meta-json';

describe('encodeMetaJson', () => {
  it('escapes non-ASCII characters as lowercase \\uXXXX', () => {
    assert.equal(encodeMetaJson({ text: 'é' }), '{"text":"\\u00e9"}');
    assert.equal(encodeMetaJson('äöå'), '"\\u00e4\\u00f6\\u00e5"');
    assert.equal(encodeMetaJson('€'), '"\\u20ac"');
  });

  it('escapes an emoji as its UTF-16 surrogate pair', () => {
    assert.equal(encodeMetaJson('😀'), '"\\ud83d\\ude00"');
  });

  it('escapes / as \\/', () => {
    assert.equal(encodeMetaJson({ url: 'https://x.test/a' }), '{"url":"https:\\/\\/x.test\\/a"}');
  });

  it('leaves ASCII untouched and writes compact JSON', () => {
    const value = { object: 'page', entry: [{ id: '1', time: 2, text: 'Hello, "world" ~!' }], n: null };
    assert.equal(encodeMetaJson(value), JSON.stringify(value));
  });

  it('produces pure ASCII', () => {
    const encoded = encodeMetaJson({ text: 'Bonjour é 😀 ñ 中文 \u2028', key: 'ü' });
    assert.ok(/^[\x20-\x7e]*$/.test(encoded), encoded);
    assert.ok(encoded.includes('\\u2028'));
  });

  it('round-trips through JSON.parse', () => {
    const value = {
      object: 'page',
      entry: [{ id: '123', messaging: [{ message: { text: 'Ça va ? 😀 / <b>&</b>', quick_reply: { payload: 'é/1' } } }] }],
      'clé/ü': [1, 2.5, true, false, null, '\n\t"\\'],
    };
    assert.deepEqual(JSON.parse(encodeMetaJson(value)), value);
  });

  it('refuses a value with no JSON form', () => {
    assert.throws(() => encodeMetaJson(undefined), TypeError);
  });
});

describe('signMetaBody', () => {
  it('is sha256= and the lowercase hex HMAC-SHA256 of the bytes with the app secret', () => {
    const body = encodeMetaJson({ text: 'é' });
    const expected = createHmac('sha256', 'app-secret').update(Buffer.from(body, 'utf8')).digest('hex');
    assert.equal(signMetaBody(body, 'app-secret'), `sha256=${expected}`);
    assert.equal(signMetaBody(Buffer.from(body), 'app-secret'), `sha256=${expected}`);
    assert.match(signMetaBody(body, 'app-secret'), /^sha256=[0-9a-f]{64}$/);
  });

  it('matches a known HMAC-SHA256 vector', () => {
    // RFC 4231 test case 2.
    assert.equal(
      signMetaBody('what do ya want for nothing?', 'Jefe'),
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('differs when the body is re-serialised without escapes', () => {
    const value = { text: 'é' };
    assert.notEqual(signMetaBody(encodeMetaJson(value), 's'), signMetaBody(JSON.stringify(value), 's'));
  });

  it('signs the legacy SHA-1 header too', () => {
    assert.equal(signMetaBodySha1('what do ya want for nothing?', 'Jefe'), 'sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79');
  });
});
