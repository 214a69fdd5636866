import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKey } from '../../config/config';

/** Where a secret lives; bound as associated data so a ciphertext only decrypts in its own cell. */
export interface SecretContext {
  companyId: string;
  rowId: string;
  column: string;
}

export type SecretDecryptReason = 'malformed' | 'unknown_key' | 'authentication_failed';

export class SecretDecryptError extends Error {
  constructor(readonly reason: SecretDecryptReason, message: string) {
    super(message);
    this.name = 'SecretDecryptError';
  }
}

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

interface Envelope {
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** A JSON array rather than a joined string: no separator inside a field can make two contexts collide. */
function associatedData(context: SecretContext): Buffer {
  return Buffer.from(JSON.stringify(['guichet:v1', context.companyId, context.rowId, context.column]), 'utf8');
}

/** Node's base64url decoder skips junk silently; re-encoding is what makes the check strict. */
function strictBase64url(part: string): Buffer | undefined {
  if (!BASE64URL.test(part)) return undefined;
  const bytes = Buffer.from(part, 'base64url');
  return bytes.toString('base64url') === part ? bytes : undefined;
}

function parse(envelope: string): Envelope {
  const malformed = new SecretDecryptError('malformed', 'Encrypted secret is malformed');
  if (typeof envelope !== 'string') throw malformed;
  const parts = envelope.split('.');
  if (parts.length !== 5) throw malformed;
  const [version, keyId, ivPart, ciphertextPart, tagPart] = parts;
  if (version !== VERSION || !KEY_ID.test(keyId)) throw malformed;
  const iv = strictBase64url(ivPart);
  const ciphertext = strictBase64url(ciphertextPart);
  const tag = strictBase64url(tagPart);
  if (!iv || !ciphertext || !tag || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw malformed;
  return { keyId, iv, ciphertext, tag };
}

/**
 * AES-256-GCM for secrets at rest, as `v1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url parts).
 * The key id travels with the envelope so old keys can stay in the ring while rows are rotated.
 */
export class SecretCipher {
  private readonly current: EncryptionKey;
  private readonly ring = new Map<string, Buffer>();

  constructor(keys: { current: EncryptionKey; keys: EncryptionKey[] }) {
    for (const { id, key } of [keys.current, ...keys.keys]) {
      if (!KEY_ID.test(id)) throw new Error(`Encryption key id '${id}' must match ${KEY_ID.source}`);
      if (key.length !== KEY_BYTES) throw new Error(`Encryption key '${id}' must be ${KEY_BYTES} bytes`);
      const known = this.ring.get(id);
      if (known && !known.equals(key)) throw new Error(`Encryption key id '${id}' is used for two different keys`);
      // Copied so a caller reusing or zeroing its buffer cannot change what we decrypt with.
      this.ring.set(id, Buffer.from(key));
    }
    this.current = { id: keys.current.id, key: this.ring.get(keys.current.id) as Buffer };
  }

  encrypt(plaintext: string, context: SecretContext): string {
    if (typeof plaintext !== 'string') throw new TypeError('Only strings can be encrypted');
    const bytes = Buffer.from(plaintext, 'utf8');
    // Lone surrogates would come back as U+FFFD: refuse rather than return something else later.
    if (bytes.toString('utf8') !== plaintext) throw new TypeError('Secret is not well-formed Unicode');
    for (const field of ['companyId', 'rowId', 'column'] as const) {
      if (typeof context[field] !== 'string' || context[field] === '') throw new TypeError(`Secret context needs a ${field}`);
    }
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(context));
    const ciphertext = Buffer.concat([cipher.update(bytes), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, this.current.id, iv.toString('base64url'), ciphertext.toString('base64url'), tag.toString('base64url')].join('.');
  }

  decrypt(envelope: string, context: SecretContext): string {
    const { keyId, iv, ciphertext, tag } = parse(envelope);
    const key = this.ring.get(keyId);
    if (!key) throw new SecretDecryptError('unknown_key', `Encrypted secret uses key '${keyId}', which is not configured`);
    try {
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      decipher.setAAD(associatedData(context));
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      // Deliberately one reason for a wrong key, a tampered part and a wrong context: they are indistinguishable.
      throw new SecretDecryptError('authentication_failed', 'Encrypted secret failed authentication');
    }
  }

  keyIdOf(envelope: string): string {
    return parse(envelope).keyId;
  }

  needsRotation(envelope: string): boolean {
    return this.keyIdOf(envelope) !== this.current.id;
  }

  rotate(envelope: string, context: SecretContext): string {
    return this.encrypt(this.decrypt(envelope, context), context);
  }
}

/** Enough of a token to tell two apart in logs and the UI, never enough to use it. */
export function maskToken(token: string): string {
  const chars = Array.from(token);
  if (chars.length >= 12) return `${chars.slice(0, 4).join('')}…${chars.slice(-4).join('')}`;
  // At most a quarter of a short token, so even a 1–3 character one is not shown whole.
  const shown = Math.min(2, Math.floor(chars.length / 4));
  return `…${shown > 0 ? chars.slice(-shown).join('') : ''}`;
}
