import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rowCounts } from './support/database';
import { PASSWORD, signupCompany, uniqueEmail } from './support/fixtures';
import { type Harness, startHarness } from './support/harness';
import { type ReqOptions } from './support/http';

interface Case {
  name: string;
  method: string;
  path: string;
  options: ReqOptions;
  status: number;
  code: string;
}

describe('bad input never gets a 500 and writes nothing', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness('badinput');
    token = (await signupCompany(h.http)).adminToken;
  });
  after(() => h.close());

  const validAgent = () => ({ email: uniqueEmail('bad'), name: 'Bad Input', password: PASSWORD, role: 'agent' });
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

  const cases = (): Case[] => {
    const auth = { token };
    const post = (name: string, options: ReqOptions, status: number, code: string, path = '/v1/agents'): Case => ({ name, method: 'POST', path, options: { ...auth, ...options }, status, code });
    return [
      post('unknown field', { body: { ...validAgent(), isRoot: true } }, 400, 'validation_failed'),
      post('unknown field on a public route', { body: { companyName: 'X', name: 'X', email: uniqueEmail('s'), password: PASSWORD, plan: 'free' } }, 400, 'validation_failed', '/v1/auth/signup'),
      post('wrong type: number for email', { body: { ...validAgent(), email: 123 } }, 400, 'validation_failed'),
      post('wrong type: object for name', { body: { ...validAgent(), name: { first: 'x' } } }, 400, 'validation_failed'),
      post('wrong enum value', { body: { ...validAgent(), role: 'root' } }, 400, 'validation_failed'),
      post('missing fields', { body: {} }, 400, 'validation_failed'),
      post('string too long', { body: { ...validAgent(), name: 'x'.repeat(10_000) } }, 400, 'validation_failed'),
      post('blank string', { body: { ...validAgent(), name: '   ' } }, 400, 'validation_failed'),
      post('array too long', { body: { name: 'k', scopes: Array.from({ length: 1_000 }, () => 'tickets:read') } }, 400, 'validation_failed', '/v1/api-keys'),
      post('array of the wrong type', { body: { name: 'k', scopes: 'tickets:read' } }, 400, 'validation_failed', '/v1/api-keys'),
      post('array body', { raw: '[]' }, 400, 'validation_failed'),
      post('string body', { raw: '"agent"' }, 400, 'validation_failed'),
      post('number body', { raw: '42' }, 400, 'validation_failed'),
      post('null body', { raw: 'null' }, 400, 'validation_failed'),
      post('empty JSON body', { raw: '' }, 400, 'validation_failed'),
      post('__proto__ key', { raw: `{"__proto__":{"role":"admin"},"email":"${uniqueEmail('p')}","name":"P","password":"${PASSWORD}","role":"agent"}` }, 400, 'forbidden_key'),
      post('nested __proto__ key', { raw: `{"name":"k","scopes":["tickets:read"],"x":{"__proto__":{"admin":true}}}` }, 400, 'forbidden_key', '/v1/api-keys'),
      post('constructor.prototype key', { raw: '{"constructor":{"prototype":{"isAdmin":true}}}' }, 400, 'forbidden_key'),
      post('2 MiB body', { raw: JSON.stringify({ ...validAgent(), name: 'x'.repeat(2 * 1024 * 1024) }) }, 413, 'payload_too_large'),
      post('invalid JSON', { raw: '{"email": "a@b.c",' }, 400, 'invalid_json'),
      post('invalid UTF-8', { raw: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }, 400, 'invalid_json'),
      post('10,000-deep nesting', { raw: deep(10_000) }, 400, 'nesting_too_deep'),
      post('33-deep nesting inside a field', { raw: `{"name":${deep(33)}}` }, 400, 'nesting_too_deep'),
      post('NUL byte in a string', { body: { ...validAgent(), name: 'a\u0000b' } }, 400, 'invalid_string'),
      post('escaped NUL in a string', { raw: `{"email":"${uniqueEmail('n')}","name":"a\\u0000b","password":"${PASSWORD}","role":"agent"}` }, 400, 'invalid_string'),
      post('lone high surrogate', { raw: `{"email":"${uniqueEmail('s')}","name":"a\\ud800b","password":"${PASSWORD}","role":"agent"}` }, 400, 'invalid_string'),
      post('lone low surrogate', { raw: `{"email":"${uniqueEmail('s')}","name":"\\udc00","password":"${PASSWORD}","role":"agent"}` }, 400, 'invalid_string'),
      post('NUL in a key', { raw: '{"na\\u0000me":"x"}' }, 400, 'invalid_string'),
      post('text/plain body', { raw: 'hello', contentType: 'text/plain' }, 415, 'unsupported_media_type'),
      post('form body', { raw: 'email=a%40b.c', contentType: 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type'),
      post('XML body', { raw: '<agent/>', contentType: 'application/xml' }, 415, 'unsupported_media_type'),
      { name: 'malformed id', method: 'GET', path: '/v1/agents/not-a-uuid', options: auth, status: 400, code: 'validation_failed' },
      { name: 'SQL in an id', method: 'PATCH', path: `/v1/agents/${encodeURIComponent("1' OR '1'='1")}`, options: { ...auth, body: { name: 'x' } }, status: 400, code: 'validation_failed' },
      { name: 'NUL in an id', method: 'DELETE', path: '/v1/api-keys/%00', options: auth, status: 400, code: 'invalid_string' },
      { name: 'malformed cursor', method: 'GET', path: '/v1/agents?cursor=%%%', options: auth, status: 400, code: 'invalid_cursor' },
      { name: 'cursor of garbage', method: 'GET', path: '/v1/agents?cursor=bm90LWpzb24', options: auth, status: 400, code: 'invalid_cursor' },
      { name: 'cursor of the wrong shape', method: 'GET', path: `/v1/agents?cursor=${Buffer.from('["x",1]').toString('base64url')}`, options: auth, status: 400, code: 'invalid_cursor' },
      { name: 'cursor with a NUL', method: 'GET', path: '/v1/api-keys?cursor=a%00b', options: auth, status: 400, code: 'invalid_string' },
      { name: 'limit 0', method: 'GET', path: '/v1/agents?limit=0', options: auth, status: 400, code: 'validation_failed' },
      { name: 'limit 101', method: 'GET', path: '/v1/agents?limit=101', options: auth, status: 400, code: 'validation_failed' },
      { name: 'limit -1', method: 'GET', path: '/v1/agents?limit=-1', options: auth, status: 400, code: 'validation_failed' },
      { name: 'limit 1.5', method: 'GET', path: '/v1/agents?limit=1.5', options: auth, status: 400, code: 'validation_failed' },
      { name: 'limit abc', method: 'GET', path: '/v1/agents?limit=abc', options: auth, status: 400, code: 'validation_failed' },
      { name: 'limit twice', method: 'GET', path: '/v1/agents?limit=1&limit=2', options: auth, status: 400, code: 'validation_failed' },
      { name: 'unknown query parameter', method: 'GET', path: '/v1/agents?offset=100', options: auth, status: 400, code: 'validation_failed' },
      { name: 'unknown route', method: 'GET', path: '/v1/nothing-here', options: auth, status: 404, code: 'not_found' },
      { name: 'unknown route without credentials', method: 'POST', path: '/wp-admin/setup.php', options: { raw: '{}' }, status: 404, code: 'not_found' },
    ];
  };

  it('each case gets its 4xx with a stable code, the one error shape, and no write', async () => {
    for (const c of cases()) {
      const before = await rowCounts(h.db);
      const res = await h.http.call(c.method, c.path, c.options);
      assert.equal(res.status, c.status, `${c.name}: ${res.text.slice(0, 300)}`);
      assert.equal(res.body.code, c.code, c.name);
      assert.equal(res.body.statusCode, c.status, c.name);
      assert.equal(typeof res.body.message, 'string', c.name);
      assert.deepEqual(Object.keys(res.body).filter((k) => !['statusCode', 'code', 'message', 'details'].includes(k)), [], `${c.name}: nothing beyond the error shape`);
      assert.ok(!/at .+\.js:\d+/.test(res.text), `${c.name}: no stack trace`);
      assert.match(res.headers['content-type'] ?? '', /application\/json/, c.name);
      assert.deepEqual(await rowCounts(h.db), before, `${c.name}: nothing was written`);
    }
  });

  it('validation errors say which field was wrong', async () => {
    const res = await h.http.post('/v1/agents', { token, body: { ...validAgent(), role: 'root', extra: 1 } });
    assert.equal(res.status, 400);
    const fields = (res.body.details as Array<{ field: string }>).map((d) => d.field).sort();
    assert.deepEqual(fields, ['extra', 'role']);
  });

  it('valid text with accents, emoji and escaped Unicode is accepted as is', async () => {
    const res = await h.http.post('/v1/agents', { token, raw: `{"email":"${uniqueEmail('u')}","name":"Zo\\u00e9 \\ud83d\\ude00 Ünïcødé","password":"${PASSWORD}","role":"agent"}` });
    assert.equal(res.status, 201);
    assert.equal(res.body.name, 'Zoé 😀 Ünïcødé');
  });
});
