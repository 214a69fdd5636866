import { createHmac } from 'node:crypto';

/** Every UTF-16 code unit above ASCII, and `/`: the characters Meta escapes in webhook bodies. */
const META_ESCAPED = /[\u0080-\uffff/]/g;

function escapeUnit(unit: string): string {
  if (unit === '/') return '\\/';
  return `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * Serialises `value` the way Meta writes webhook bodies: compact JSON, pure ASCII, with every non-ASCII
 * UTF-16 code unit as a lowercase `\uXXXX` escape (`é` → `\u00e9`, `😀` → `\ud83d\ude00`) and `/` as `\/`.
 * `JSON.parse` of the result gives back the same value. A receiver that re-serialises the parsed body
 * with `JSON.stringify` gets different bytes, so its signature check fails: that is the point.
 */
export function encodeMetaJson(value: unknown): string {
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) throw new TypeError('encodeMetaJson: the value has no JSON representation');
  // `/` and non-ASCII characters only ever appear inside JSON strings, so a global replace is safe.
  return json.replace(META_ESCAPED, escapeUnit);
}

/** The `X-Hub-Signature-256` header value for `body`: `sha256=` + lowercase hex HMAC-SHA256 keyed with the app secret. */
export function signMetaBody(body: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

/** The legacy `X-Hub-Signature` header value (HMAC-SHA1), which Meta still sends alongside the SHA-256 one. */
export function signMetaBodySha1(body: Buffer | string, appSecret: string): string {
  return `sha1=${createHmac('sha1', appSecret).update(body).digest('hex')}`;
}
