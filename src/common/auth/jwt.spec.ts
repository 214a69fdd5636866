import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { type AccessClaims, issueAccessToken, type JwtSettings, verifyAccessToken } from './jwt';

const SETTINGS: JwtSettings = {
  secret: 'unit-test-jwt-secret-0123456789abcdef-0123456789',
  issuer: 'guichet',
  audience: 'guichet-api',
  ttlSeconds: 900,
};
const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const AGENT = '4d9f7c1e-1a2b-4c3d-8e9f-001122334455';
const COMPANY = '7a6b5c4d-3e2f-4a1b-9c8d-665544332211';

const b64url = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const decodePart = (part: string): Record<string, unknown> => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
const hmac = (input: string, secret = SETTINGS.secret): string => createHmac('sha256', secret).update(input).digest('base64url');

function issue(now = NOW, settings = SETTINGS): { token: string; header: string; payload: string; signature: string } {
  const { token } = issueAccessToken(settings, AGENT, COMPANY, now);
  const [header, payload, signature] = token.split('.');
  return { token, header, payload, signature };
}

/** A token correctly signed with SETTINGS.secret over an arbitrary header and payload. */
function signed(payload: unknown, header: unknown = { alg: 'HS256', typ: 'JWT' }): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${hmac(input)}`;
}

describe('issueAccessToken / verifyAccessToken', () => {
  it('round-trips: a fresh token verifies to the claims it was issued with', () => {
    const { token, expiresIn } = issueAccessToken(SETTINGS, AGENT, COMPANY, NOW);
    assert.equal(expiresIn, 900);
    assert.equal(token.split('.').length, 3);
    const claims = verifyAccessToken(SETTINGS, token, NOW);
    assert.ok(claims);
    const iat = Math.floor(NOW / 1000);
    assert.equal(claims.sub, AGENT);
    assert.equal(claims.cid, COMPANY);
    assert.equal(claims.iss, 'guichet');
    assert.equal(claims.aud, 'guichet-api');
    assert.equal(claims.iat, iat);
    assert.equal(claims.exp, iat + 900);
    assert.match(claims.jti, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('issues the fixed HS256 header and a unique jti per token', () => {
    const a = issue();
    const b = issue();
    assert.deepEqual(decodePart(a.header), { alg: 'HS256', typ: 'JWT' });
    assert.notEqual(decodePart(a.payload).jti, decodePart(b.payload).jti);
    assert.notEqual(a.token, b.token);
  });

  it('still verifies just before expiry', () => {
    const { token } = issue();
    assert.ok(verifyAccessToken(SETTINGS, token, NOW + 899_000));
  });

  it('refuses a tampered payload', () => {
    const { header, payload, signature } = issue();
    const claims = decodePart(payload);
    const forged = b64url({ ...claims, cid: '00000000-0000-4000-8000-000000000000' });
    assert.equal(verifyAccessToken(SETTINGS, `${header}.${forged}.${signature}`, NOW), null);
  });

  it('refuses a tampered signature', () => {
    const { header, payload, signature } = issue();
    const flip = (c: string): string => (c === 'A' ? 'B' : 'A');
    const tampered = `${signature.slice(0, 10)}${flip(signature[10])}${signature.slice(11)}`;
    assert.notEqual(tampered, signature);
    assert.equal(verifyAccessToken(SETTINGS, `${header}.${payload}.${tampered}`, NOW), null);
    assert.equal(verifyAccessToken(SETTINGS, `${header}.${payload}.`, NOW), null, 'empty signature');
    assert.equal(verifyAccessToken(SETTINGS, `${header}.${payload}.${signature.slice(0, 20)}`, NOW), null, 'truncated signature');
  });

  it('refuses an alg:none header', () => {
    const { payload, signature } = issue();
    const none = b64url({ alg: 'none', typ: 'JWT' });
    assert.equal(verifyAccessToken(SETTINGS, `${none}.${payload}.`, NOW), null);
    assert.equal(verifyAccessToken(SETTINGS, `${none}.${payload}.${signature}`, NOW), null);
    assert.equal(verifyAccessToken(SETTINGS, signed(decodePart(payload), { alg: 'none', typ: 'JWT' }), NOW), null, 'even when signed');
  });

  it('refuses a token signed with another secret', () => {
    const { token } = issue(NOW, { ...SETTINGS, secret: 'another-secret-entirely-0123456789abcdef-xyz' });
    assert.equal(verifyAccessToken(SETTINGS, token, NOW), null);
  });

  it('refuses an expired token', () => {
    const { token } = issue();
    assert.equal(verifyAccessToken(SETTINGS, token, NOW + 900_000), null, 'at exp');
    assert.equal(verifyAccessToken(SETTINGS, token, NOW + 3_600_000), null, 'long after exp');
  });

  it('refuses a token whose iat is far in the future, but tolerates a minute of clock skew', () => {
    const future = issue(NOW + 10 * 60_000);
    assert.equal(verifyAccessToken(SETTINGS, future.token, NOW), null);
    const skewed = issue(NOW + 30_000);
    assert.ok(verifyAccessToken(SETTINGS, skewed.token, NOW));
  });

  it('refuses a wrong issuer', () => {
    const { token } = issue();
    assert.equal(verifyAccessToken({ ...SETTINGS, issuer: 'someone-else' }, token, NOW), null);
    assert.equal(verifyAccessToken(SETTINGS, issue(NOW, { ...SETTINGS, issuer: 'someone-else' }).token, NOW), null);
  });

  it('refuses a wrong audience', () => {
    const { token } = issue();
    assert.equal(verifyAccessToken({ ...SETTINGS, audience: 'other-api' }, token, NOW), null);
    assert.equal(verifyAccessToken(SETTINGS, issue(NOW, { ...SETTINGS, audience: 'other-api' }).token, NOW), null);
  });

  it('refuses a wrong number of parts', () => {
    const { token, header, payload, signature } = issue();
    for (const candidate of ['', token.replace(/\./g, ''), `${header}.${payload}`, `${token}.${signature}`, `${token}.`, `.${token}`]) {
      assert.equal(verifyAccessToken(SETTINGS, candidate, NOW), null, JSON.stringify(candidate));
    }
  });

  it('refuses correctly signed tokens whose claims are incomplete or not JSON', () => {
    const iat = Math.floor(NOW / 1000);
    const full: AccessClaims = { sub: AGENT, cid: COMPANY, iss: 'guichet', aud: 'guichet-api', iat, exp: iat + 900, jti: 'j' };
    assert.ok(verifyAccessToken(SETTINGS, signed(full), NOW), 'the hand-signed control token verifies');
    for (const key of ['sub', 'cid', 'iat', 'exp'] as const) {
      const partial: Partial<AccessClaims> = { ...full };
      delete partial[key];
      assert.equal(verifyAccessToken(SETTINGS, signed(partial), NOW), null, `without ${key}`);
    }
    assert.equal(verifyAccessToken(SETTINGS, signed({ ...full, exp: String(full.exp) }), NOW), null, 'exp as a string');
    assert.equal(verifyAccessToken(SETTINGS, signed('{not json'), NOW), null, 'payload not JSON');
  });
});
