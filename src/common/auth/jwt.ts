import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

export interface AccessClaims {
  sub: string;
  cid: string;
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
}

export interface JwtSettings {
  secret: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** The header is fixed: we only ever issue and accept HS256, so "alg" cannot be chosen by a caller. */
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const sign = (input: string, secret: string): Buffer => createHmac('sha256', secret).update(input).digest();

export function issueAccessToken(settings: JwtSettings, agentId: string, companyId: string, now = Date.now()): { token: string; expiresIn: number } {
  const iat = Math.floor(now / 1000);
  const claims: AccessClaims = {
    sub: agentId,
    cid: companyId,
    iss: settings.issuer,
    aud: settings.audience,
    iat,
    exp: iat + settings.ttlSeconds,
    jti: randomUUID(),
  };
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = sign(`${HEADER}.${payload}`, settings.secret).toString('base64url');
  return { token: `${HEADER}.${payload}.${signature}`, expiresIn: settings.ttlSeconds };
}

/** Returns the claims of a valid token, or null: callers only need to know "not authenticated". */
export function verifyAccessToken(settings: JwtSettings, token: string, now = Date.now()): AccessClaims | null {
  const parts = token.split('.');
  // One spelling per token: Node's base64url decoder would skip stray characters and spare bits.
  if (parts.length !== 3 || parts[0] !== HEADER || !/^[A-Za-z0-9_-]{43}$/.test(parts[2])) return null;
  const given = Buffer.from(parts[2], 'base64url');
  if (given.toString('base64url') !== parts[2]) return null;
  const expected = sign(`${parts[0]}.${parts[1]}`, settings.secret);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let claims: Partial<AccessClaims>;
  try {
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Partial<AccessClaims>;
  } catch {
    return null;
  }
  if (claims === null || typeof claims !== 'object') return null;
  const seconds = Math.floor(now / 1000);
  if (claims.iss !== settings.issuer || claims.aud !== settings.audience) return null;
  if (typeof claims.exp !== 'number' || claims.exp <= seconds) return null;
  if (typeof claims.iat !== 'number' || claims.iat > seconds + 60) return null;
  if (typeof claims.sub !== 'string' || typeof claims.cid !== 'string' || !UUID.test(claims.sub) || !UUID.test(claims.cid)) return null;
  return claims as AccessClaims;
}
