import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { databaseSnapshot } from './support/database';
import { PASSWORD, signupCompany, uniqueEmail } from './support/fixtures';
import { type Harness, startHarness } from './support/harness';
import { type ReqOptions, type Res } from './support/http';

interface Case {
  name: string;
  method: string;
  path: string;
  options: ReqOptions;
  /** An exact status, or any client error ('4xx'). */
  status: number | '4xx';
  /** The exact code, or undefined when only the error shape is required. */
  code: string | undefined;
  /** Sends the request some other way than through fetch (malformed HTTP, say). */
  send?: () => Promise<Res>;
}

/**
 * Writes bytes to the server as they are, over a plain socket, and reads the one response:
 * fetch would never send a malformed request line or header.
 */
async function rawHttp(baseUrl: string, request: string): Promise<Res> {
  const { hostname, port } = new URL(baseUrl);
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('no response to the raw request within 10 s')));
  });
  const split = raw.indexOf('\r\n\r\n');
  assert.ok(split > 0, `not an HTTP response: ${JSON.stringify(raw.slice(0, 300))}`);
  const [statusLine, ...headerLines] = raw.slice(0, split).split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3}) /.exec(statusLine)?.[1];
  assert.ok(status, `no status line: ${JSON.stringify(statusLine)}`);
  const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  const text = raw.slice(split + 4);
  const body: unknown = (headers['content-type'] ?? '').includes('json') && text.length > 0 ? JSON.parse(text) : text;
  return { status: Number(status), headers, body, text };
}

describe('bad input never gets a 500 and writes nothing', () => {
  let h: Harness;
  let token: string;
  let adminId: string;
  before(async () => {
    h = await startHarness('badinput');
    const company = await signupCompany(h.http);
    token = company.adminToken;
    adminId = company.adminId;
  });
  after(() => h.close());

  const validAgent = () => ({ email: uniqueEmail('bad'), name: 'Bad Input', password: PASSWORD, role: 'agent' });
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

  const cases = (): Case[] => {
    const auth = { token };
    const post = (name: string, options: ReqOptions, status: number, code: string, path = '/v1/agents'): Case => ({ name, method: 'POST', path, options: { ...auth, ...options }, status, code });
    // The admin's own record and company: a PATCH that got through would visibly change them.
    const patch = (name: string, path: string, raw: string): Case => ({ name, method: 'PATCH', path, options: { ...auth, raw }, status: 400, code: 'validation_failed' });
    const cursor = (name: string, values: unknown[]): Case => ({
      name,
      method: 'GET',
      path: `/v1/agents?cursor=${Buffer.from(JSON.stringify(values)).toString('base64url')}`,
      options: auth,
      status: 400,
      code: 'invalid_cursor',
    });
    const someId = '3f2b8c1a-9d4e-4f6a-8b7c-0123456789ab';
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
      post('JSON declared as UTF-16', { body: validAgent(), contentType: 'application/json; charset=utf-16' }, 415, 'unsupported_media_type'),
      patch('agent: explicit null name', `/v1/agents/${adminId}`, '{"name":null}'),
      patch('agent: explicit null role', `/v1/agents/${adminId}`, '{"role":null}'),
      patch('agent: explicit null active', `/v1/agents/${adminId}`, '{"active":null}'),
      patch('agent: string for a boolean', `/v1/agents/${adminId}`, '{"active":"yes"}'),
      patch('company: explicit null name', '/v1/company', '{"name":null}'),
      patch('company: explicit null time zone', '/v1/company', '{"timeZone":null}'),
      { name: 'malformed id', method: 'GET', path: '/v1/agents/not-a-uuid', options: auth, status: 400, code: 'validation_failed' },
      { name: 'SQL in an id', method: 'PATCH', path: `/v1/agents/${encodeURIComponent("1' OR '1'='1")}`, options: { ...auth, body: { name: 'x' } }, status: 400, code: 'validation_failed' },
      { name: 'NUL in an id', method: 'DELETE', path: '/v1/api-keys/%00', options: auth, status: 400, code: 'invalid_string' },
      { name: 'malformed cursor', method: 'GET', path: '/v1/agents?cursor=%%%', options: auth, status: 400, code: 'invalid_cursor' },
      { name: 'cursor of garbage', method: 'GET', path: '/v1/agents?cursor=bm90LWpzb24', options: auth, status: 400, code: 'invalid_cursor' },
      { name: 'cursor of the wrong shape', method: 'GET', path: `/v1/agents?cursor=${Buffer.from('["x",1]').toString('base64url')}`, options: auth, status: 400, code: 'invalid_cursor' },
      { name: 'cursor with a NUL', method: 'GET', path: '/v1/api-keys?cursor=a%00b', options: auth, status: 400, code: 'invalid_string' },
      // Dates JavaScript's Date.parse accepts but PostgreSQL's timestamptz input refuses (or overflows).
      cursor('cursor with a bare year', ['2025', someId]),
      cursor('cursor with a month and day', ['March 7', someId]),
      cursor('cursor at the end of JavaScript time', ['+275760-09-13T00:00:00.000Z', someId]),
      { name: 'percent-encoding that is not UTF-8 in the path', method: 'GET', path: '/v1/agents/%FF', options: auth, status: 400, code: 'validation_failed' },
      { name: 'lone surrogate in the query string', method: 'GET', path: '/v1/agents?cursor=%ED%A0%80', options: auth, status: '4xx', code: undefined },
      {
        name: 'malformed Content-Length',
        method: 'POST',
        path: '/v1/agents',
        options: auth,
        status: 400,
        code: undefined,
        send: () =>
          rawHttp(
            h.http.baseUrl,
            `POST /v1/agents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: abc\r\nConnection: close\r\n\r\n${JSON.stringify(validAgent())}`,
          ),
      },
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
      const before = await databaseSnapshot(h.db);
      const res = c.send ? await c.send() : await h.http.call(c.method, c.path, c.options);
      if (c.status === '4xx') assert.ok(res.status >= 400 && res.status < 500, `${c.name}: ${res.status} ${res.text.slice(0, 300)}`);
      else assert.equal(res.status, c.status, `${c.name}: ${res.text.slice(0, 300)}`);
      if (c.code === undefined) assert.match(String(res.body?.code), /^[a-z_]+$/, `${c.name}: a stable code`);
      else assert.equal(res.body.code, c.code, c.name);
      assert.equal(res.body.statusCode, res.status, c.name);
      assert.equal(typeof res.body.message, 'string', c.name);
      assert.deepEqual(Object.keys(res.body).filter((k) => !['statusCode', 'code', 'message', 'details'].includes(k)), [], `${c.name}: nothing beyond the error shape`);
      assert.ok(!/at .+\.js:\d+/.test(res.text), `${c.name}: no stack trace`);
      assert.match(res.headers['content-type'] ?? '', /application\/json/, c.name);
      assert.deepEqual(await databaseSnapshot(h.db), before, `${c.name}: nothing was written`);
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
