import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppException } from '../errors/app.exception';
import { type ErrorBody } from '../errors/error-codes';
import { MAX_JSON_DEPTH, parseJsonBody } from './json-body';

const body = (text: string): Buffer => Buffer.from(text, 'utf8');
const nestedArrays = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const nestedObjects = (depth: number): string => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;

/** Parses and asserts the body is refused with a 400 AppException; returns its response body. */
function refusal(raw: Buffer): ErrorBody {
  let caught: unknown;
  try {
    parseJsonBody(raw);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof AppException, `expected an AppException, got ${String(caught)}`);
  assert.equal(caught.getStatus(), 400);
  return caught.getResponse() as ErrorBody;
}

describe('parseJsonBody', () => {
  it('parses valid JSON', () => {
    assert.deepEqual(parseJsonBody(body('{"name":"Léa","tags":["a","b"],"n":1.5,"ok":true,"none":null}')), {
      name: 'Léa',
      tags: ['a', 'b'],
      n: 1.5,
      ok: true,
      none: null,
    });
    assert.deepEqual(parseJsonBody(body('[1,2,3]')), [1, 2, 3]);
    assert.equal(parseJsonBody(body('"text"')), 'text');
    assert.equal(parseJsonBody(body(' 42 ')), 42);
    assert.equal(parseJsonBody(body('null')), null, 'a JSON null body is valid JSON, not a forbidden key');
  });

  it('returns undefined for an empty buffer', () => {
    assert.equal(parseJsonBody(Buffer.alloc(0)), undefined);
  });

  describe('depth', () => {
    it(`accepts ${MAX_JSON_DEPTH} levels of arrays and of objects`, () => {
      assert.equal(MAX_JSON_DEPTH, 32);
      assert.ok(Array.isArray(parseJsonBody(body(nestedArrays(32)))));
      assert.equal(typeof parseJsonBody(body(nestedObjects(32))), 'object');
      assert.ok(parseJsonBody(body(`{"a":[${'{"b":'.repeat(29)}[]${'}'.repeat(29)}]}`)), 'mixed objects and arrays');
    });

    it('refuses 33 levels with nesting_too_deep', () => {
      assert.equal(refusal(body(nestedArrays(33))).code, 'nesting_too_deep');
      assert.equal(refusal(body(nestedObjects(33))).code, 'nesting_too_deep');
    });

    it('refuses a 10,000-deep array', () => {
      assert.equal(refusal(body(nestedArrays(10_000))).code, 'nesting_too_deep');
      assert.equal(refusal(body('['.repeat(10_000))).code, 'nesting_too_deep', 'even unterminated');
    });

    it('counts siblings, not totals: many shallow containers are fine', () => {
      const wide = `[${Array.from({ length: 1000 }, () => '{"a":[1]}').join(',')}]`;
      assert.equal((parseJsonBody(body(wide)) as unknown[]).length, 1000);
    });

    it('does not count brackets inside strings', () => {
      const brackets = '[{'.repeat(100);
      assert.deepEqual(parseJsonBody(body(`{"a":"${brackets}"}`)), { a: brackets });
      assert.deepEqual(parseJsonBody(body(`{"${brackets}":1}`)), { [brackets]: 1 }, 'in a key');
      const escaped = parseJsonBody(body(`{"a":"\\"${brackets}\\\\"}`)) as { a: string };
      assert.equal(escaped.a, `"${brackets}\\`, 'after an escaped quote, and with an escaped backslash before the closing quote');
      const deepest = `${'['.repeat(31)}["${'['.repeat(50)}"]${']'.repeat(31)}`;
      assert.ok(parseJsonBody(body(deepest)), 'brackets in a string at the deepest allowed level');
    });
  });

  describe('forbidden keys', () => {
    for (const text of ['{"__proto__":{}}', '{"__proto__":{"isAdmin":true}}', '{"constructor":{"prototype":{}}}', '{"a":[{"b":{"__proto__":{"x":1}}}]}', '[{"constructor":{"prototype":{"x":1}}}]']) {
      it(`refuses ${text} with forbidden_key`, () => {
        assert.equal(refusal(body(text)).code, 'forbidden_key');
      });
    }

    it('does not pollute Object.prototype while refusing', () => {
      refusal(body('{"__proto__":{"polluted":true}}'));
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });

    it('accepts harmless keys named like them', () => {
      assert.deepEqual(parseJsonBody(body('{"constructor":"x","prototype":{},"proto":1}')), { constructor: 'x', prototype: {}, proto: 1 });
      assert.deepEqual(parseJsonBody(body('{"constructor":{"name":"x"}}')), { constructor: { name: 'x' } });
    });
  });

  describe('invalid input', () => {
    for (const text of ['{', '{"a":1,}', "{'a':1}", '{"a":undefined}', 'NaN', '[1 2]', '{"a":1}}', 'tru']) {
      it(`refuses ${text} with invalid_json`, () => {
        assert.equal(refusal(body(text)).code, 'invalid_json');
      });
    }

    it('refuses invalid UTF-8 bytes with invalid_json', () => {
      const wrap = (bytes: number[]): Buffer => Buffer.concat([body('{"a":"'), Buffer.from(bytes), body('"}')]);
      assert.equal(refusal(wrap([0xff])).code, 'invalid_json', 'a byte that never appears in UTF-8');
      assert.equal(refusal(wrap([0xc3])).code, 'invalid_json', 'a truncated sequence');
      assert.equal(refusal(wrap([0xc0, 0xaf])).code, 'invalid_json', 'an overlong encoding');
      assert.equal(refusal(wrap([0xed, 0xa0, 0x80])).code, 'invalid_json', 'an encoded surrogate (CESU-8)');
    });
  });

  describe('string hygiene', () => {
    it('refuses NUL in a value, naming the path', () => {
      const top = refusal(body('{"a":"x\\u0000y"}'));
      assert.equal(top.code, 'invalid_string');
      assert.deepEqual(top.details, { path: '$.a' });
      const nested = refusal(body('{"list":["ok",{"b":"\\u0000"}]}'));
      assert.equal(nested.code, 'invalid_string');
      assert.deepEqual(nested.details, { path: '$.list[1].b' });
      assert.deepEqual(refusal(body('"\\u0000"')).details, { path: '$' });
    });

    it('refuses NUL in a key, naming where', () => {
      const top = refusal(body('{"k\\u0000":1}'));
      assert.equal(top.code, 'invalid_string');
      assert.deepEqual(top.details, { path: '$ (key)' });
      const nested = refusal(body('{"outer":{"k\\u0000":1}}'));
      assert.equal(nested.code, 'invalid_string');
      assert.deepEqual(nested.details, { path: '$.outer (key)' });
    });

    for (const [label, text, path] of [
      ['a lone high surrogate', '"\\ud800"', '$'],
      ['a lone low surrogate', '"\\udc00"', '$'],
      ['a high surrogate at the end of a value', '{"a":"abc\\ud83d"}', '$.a'],
      ['a low surrogate at the start of a value', '{"a":["\\ude00abc"]}', '$.a[0]'],
      ['a reversed pair', '{"a":"\\ude00\\ud83d"}', '$.a'],
      ['a lone surrogate in a key', '{"\\ud800":1}', '$ (key)'],
    ] as const) {
      it(`refuses ${label} with invalid_string`, () => {
        const response = refusal(body(text));
        assert.equal(response.code, 'invalid_string');
        assert.deepEqual(response.details, { path });
      });
    }

    it('accepts a valid surrogate pair, escaped or as raw UTF-8', () => {
      assert.equal(parseJsonBody(body('"\\ud83d\\ude00"')), '\u{1F600}');
      assert.deepEqual(parseJsonBody(body('{"emoji":"😀 ok"}')), { emoji: '😀 ok' });
      assert.deepEqual(parseJsonBody(body('{"😀":"\\ud83d\\ude00\\ud83d\\ude00"}')), { '😀': '😀😀' });
    });
  });
});
