import { HttpStatus } from '@nestjs/common';
import secureJson from 'secure-json-parse';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-codes';

export const MAX_JSON_DEPTH = 32;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const bad = (code: ErrorCode, message: string, details?: unknown): AppException =>
  new AppException(HttpStatus.BAD_REQUEST, code, message, details);

/**
 * Measures nesting on the raw text, so a 10,000-deep document is refused in one linear
 * pass instead of being parsed into 10,000 objects first.
 */
export function assertDepth(text: string, max = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) throw bad(ErrorCode.NestingTooDeep, `JSON nesting deeper than ${max} levels`);
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
}

/** PostgreSQL cannot store NUL in text, and lone surrogates are not valid UTF-8 anywhere. */
export function assertCleanStrings(value: unknown, path = '$'): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw bad(ErrorCode.InvalidString, 'Strings must not contain NUL characters', { path });
    if (LONE_SURROGATE.test(value)) throw bad(ErrorCode.InvalidString, 'Strings must not contain lone UTF-16 surrogates', { path });
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => assertCleanStrings(item, `${path}[${index}]`));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      assertCleanStrings(key, `${path} (key)`);
      assertCleanStrings(item, `${path}.${key}`);
    }
  }
}

/** Parses an API request body: depth first, then prototype-poisoning-safe JSON, then string hygiene. */
export function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw bad(ErrorCode.InvalidJson, 'Body is not valid UTF-8');
  }
  assertDepth(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad(ErrorCode.InvalidJson, 'Body is not valid JSON');
  }
  if (value !== null && typeof value === 'object') {
    try {
      secureJson.scan(value, { protoAction: 'error', constructorAction: 'error' });
    } catch {
      throw bad(ErrorCode.ForbiddenKey, 'Keys "__proto__" and "constructor.prototype" are not allowed');
    }
  }
  assertCleanStrings(value);
  return value;
}
