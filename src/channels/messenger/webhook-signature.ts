import { createHmac, timingSafeEqual } from 'node:crypto';

const HEADER = /^sha256=([0-9a-f]{64})$/;

/**
 * Meta signs the exact bytes it sends (ASCII-escaped JSON), so the check runs on the raw
 * body before any parsing. Only the lowercase sha256 form is accepted; the legacy SHA-1
 * header is not a fallback.
 */
export function verifyMetaSignature(raw: Buffer, header: string | string[] | undefined, appSecret: string): boolean {
  if (typeof header !== 'string' || header.length !== 71) return false;
  const hex = HEADER.exec(header)?.[1];
  if (!hex) return false;
  const expected = createHmac('sha256', appSecret).update(raw).digest();
  return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
}
