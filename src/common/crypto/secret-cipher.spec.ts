import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { EncryptionKey } from '../../config/config';
import { maskToken, SecretCipher, type SecretContext, SecretDecryptError } from './secret-cipher';

const KEY_A: EncryptionKey = { id: 'keyA', key: randomBytes(32) };
const KEY_B: EncryptionKey = { id: 'key_B-2', key: randomBytes(32) };
const KEY_C: EncryptionKey = { id: 'keyC', key: randomBytes(32) };
const CONTEXT: SecretContext = {
  companyId: '7a6b5c4d-3e2f-4a1b-9c8d-665544332211',
  rowId: '4d9f7c1e-1a2b-4c3d-8e9f-001122334455',
  column: 'page_access_token',
};
const TOKEN = 'EAAGm0PX4ZCpsBAKZBZCxyz0123456789abcdef1234';
const ENVELOPE = /^v1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{22})$/;

const cipherA = new SecretCipher({ current: KEY_A, keys: [KEY_A, KEY_C] });

function rejects(fn: () => unknown, reason: SecretDecryptError['reason']): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof SecretDecryptError, `expected SecretDecryptError, got ${String(error)}`);
    assert.equal(error.reason, reason);
    return true;
  });
}

/** Replaces part `index` (0 = version … 4 = tag) of an envelope. */
function withPart(envelope: string, index: number, replace: (part: string) => string): string {
  const parts = envelope.split('.');
  parts[index] = replace(parts[index]);
  return parts.join('.');
}

/** Changes the first character, whose bits are all significant, so the part stays canonical base64url. */
const flipFirst = (part: string): string => (part[0] === 'A' ? 'B' : 'A') + part.slice(1);

describe('SecretCipher', () => {
  it('round-trips ASCII, Unicode and the empty string', () => {
    for (const plaintext of [TOKEN, 'clé secrète — 秘密 🔐 \u0000 end', '']) {
      const envelope = cipherA.encrypt(plaintext, CONTEXT);
      assert.equal(cipherA.decrypt(envelope, CONTEXT), plaintext);
    }
  });

  it('produces a printable v1 envelope with a 12-byte IV, a 16-byte tag and the current key id', () => {
    const envelope = cipherA.encrypt(TOKEN, CONTEXT);
    const match = ENVELOPE.exec(envelope);
    assert.ok(match, envelope);
    assert.equal(match[1], 'keyA');
    assert.equal(Buffer.from(match[2], 'base64url').length, 12);
    assert.equal(Buffer.from(match[3], 'base64url').length, Buffer.byteLength(TOKEN));
    assert.equal(Buffer.from(match[4], 'base64url').length, 16);
    assert.equal(cipherA.keyIdOf(envelope), 'keyA');
  });

  it('uses a fresh IV: two encryptions of the same plaintext differ and both decrypt', () => {
    const first = cipherA.encrypt(TOKEN, CONTEXT);
    const second = cipherA.encrypt(TOKEN, CONTEXT);
    assert.notEqual(first, second);
    assert.notEqual(first.split('.')[2], second.split('.')[2]);
    assert.equal(cipherA.decrypt(first, CONTEXT), TOKEN);
    assert.equal(cipherA.decrypt(second, CONTEXT), TOKEN);
  });

  it('never contains the plaintext, raw or base64-encoded', () => {
    const envelope = cipherA.encrypt(TOKEN, CONTEXT);
    assert.ok(!envelope.includes(TOKEN));
    assert.ok(!envelope.includes(TOKEN.slice(0, 8)));
    assert.ok(!envelope.includes(Buffer.from(TOKEN).toString('base64url').slice(0, 12)));
    assert.ok(!envelope.includes(Buffer.from(TOKEN).toString('base64').slice(0, 12)));
  });

  it('fails authentication when one character of the IV, the ciphertext or the tag changes', () => {
    const envelope = cipherA.encrypt(TOKEN, CONTEXT);
    for (const index of [2, 3, 4]) {
      const tampered = withPart(envelope, index, flipFirst);
      assert.notEqual(tampered, envelope);
      rejects(() => cipherA.decrypt(tampered, CONTEXT), 'authentication_failed');
    }
  });

  it('fails authentication when the key id is changed to another key in the ring', () => {
    const envelope = cipherA.encrypt(TOKEN, CONTEXT);
    const relabelled = withPart(envelope, 1, () => KEY_C.id);
    assert.equal(cipherA.keyIdOf(relabelled), KEY_C.id);
    rejects(() => cipherA.decrypt(relabelled, CONTEXT), 'authentication_failed');
  });

  it('rejects as malformed: truncation, a wrong version, the empty string and garbage', () => {
    const envelope = cipherA.encrypt(TOKEN, CONTEXT);
    const tag = envelope.split('.')[4];
    const cases = [
      envelope.slice(0, -1), // tag one character short
      envelope.slice(0, envelope.lastIndexOf('.')), // tag missing
      envelope.slice(0, 10),
      withPart(envelope, 0, () => 'v2'),
      withPart(envelope, 0, () => 'V1'),
      envelope.slice(1), // "1.keyA..." — no version marker
      '',
      'garbage',
      'not.an.envelope.at.all!',
      '....',
      `${envelope}.extra`,
      withPart(envelope, 1, () => ''), // empty key id
      withPart(envelope, 1, () => 'k'.repeat(33)),
      withPart(envelope, 2, (iv) => iv.slice(0, -2)), // 10-byte IV
      withPart(envelope, 2, (iv) => `${iv}AAAA`), // 15-byte IV
      withPart(envelope, 2, (iv) => iv.replace(/^./, '+')), // base64, not base64url
      withPart(envelope, 3, (ct) => `${ct}=`), // padding
      withPart(envelope, 3, (ct) => `${ct.slice(0, 4)} ${ct.slice(4)}`),
      withPart(envelope, 4, () => `${tag}AAAA`), // 19-byte tag
      // The last tag character carries 2 bits; setting one of its 4 padding bits keeps the bytes but breaks canonical form.
      withPart(envelope, 4, () => tag.slice(0, -1) + String.fromCharCode(tag.charCodeAt(tag.length - 1) + 1)),
    ];
    for (const bad of cases) {
      rejects(() => cipherA.decrypt(bad, CONTEXT), 'malformed');
      rejects(() => cipherA.keyIdOf(bad), 'malformed');
    }
  });

  it('fails authentication in another company, row or column', () => {
    const envelope = cipherA.encrypt(TOKEN, CONTEXT);
    const elsewhere: SecretContext[] = [
      { ...CONTEXT, companyId: '00000000-0000-4000-8000-000000000000' },
      { ...CONTEXT, rowId: '00000000-0000-4000-8000-000000000001' },
      { ...CONTEXT, column: 'app_secret' },
    ];
    for (const context of elsewhere) rejects(() => cipherA.decrypt(envelope, context), 'authentication_failed');
    assert.equal(cipherA.decrypt(envelope, { ...CONTEXT }), TOKEN);
  });

  it('does not let a separator inside a field make two contexts collide', () => {
    const envelope = cipherA.encrypt(TOKEN, { companyId: 'acme', rowId: 'x|y', column: 'token' });
    rejects(() => cipherA.decrypt(envelope, { companyId: 'acme|x', rowId: 'y', column: 'token' }), 'authentication_failed');
    assert.equal(cipherA.decrypt(envelope, { companyId: 'acme', rowId: 'x|y', column: 'token' }), TOKEN);
  });

  it('rotates: an old key still decrypts, needs rotation, and rotate re-encrypts with the current key', () => {
    const old = cipherA.encrypt(TOKEN, CONTEXT);
    assert.equal(cipherA.needsRotation(old), false);

    const cipherB = new SecretCipher({ current: KEY_B, keys: [KEY_B, KEY_A] });
    assert.equal(cipherB.decrypt(old, CONTEXT), TOKEN);
    assert.equal(cipherB.needsRotation(old), true);

    const rotated = cipherB.rotate(old, CONTEXT);
    assert.equal(cipherB.keyIdOf(rotated), KEY_B.id);
    assert.equal(cipherB.needsRotation(rotated), false);
    assert.equal(cipherB.decrypt(rotated, CONTEXT), TOKEN);
    // The rotated envelope stays bound to its cell.
    rejects(() => cipherB.decrypt(rotated, { ...CONTEXT, column: 'other' }), 'authentication_failed');
  });

  it('refuses to rotate an envelope that does not authenticate', () => {
    const cipherB = new SecretCipher({ current: KEY_B, keys: [KEY_B, KEY_A] });
    const old = cipherA.encrypt(TOKEN, CONTEXT);
    rejects(() => cipherB.rotate(old, { ...CONTEXT, rowId: 'another-row' }), 'authentication_failed');
    rejects(() => cipherB.rotate('garbage', CONTEXT), 'malformed');
  });

  it('reports unknown_key when the ring lacks the envelope key', () => {
    const envelope = cipherA.encrypt(TOKEN, CONTEXT);
    const cipherB = new SecretCipher({ current: KEY_B, keys: [KEY_B] });
    rejects(() => cipherB.decrypt(envelope, CONTEXT), 'unknown_key');
    rejects(() => cipherB.rotate(envelope, CONTEXT), 'unknown_key');
    assert.equal(cipherB.needsRotation(envelope), true);
  });

  it('refuses a bad key ring at construction', () => {
    assert.throws(() => new SecretCipher({ current: { id: 'short', key: randomBytes(16) }, keys: [] }), /32 bytes/);
    assert.throws(() => new SecretCipher({ current: { id: 'has.dot', key: randomBytes(32) }, keys: [] }), /must match/);
    assert.throws(() => new SecretCipher({ current: KEY_A, keys: [{ id: KEY_A.id, key: randomBytes(32) }] }), /two different keys/);
  });

  it('does not follow later changes to the caller key buffer', () => {
    const key = Buffer.from(KEY_A.key);
    const cipher = new SecretCipher({ current: { id: 'keyA', key }, keys: [] });
    const envelope = cipher.encrypt(TOKEN, CONTEXT);
    key.fill(0);
    assert.equal(cipher.decrypt(envelope, CONTEXT), TOKEN);
    assert.equal(cipherA.decrypt(envelope, CONTEXT), TOKEN);
  });

  it('refuses to encrypt without a full context or with ill-formed Unicode', () => {
    assert.throws(() => cipherA.encrypt(TOKEN, { ...CONTEXT, companyId: '' }), TypeError);
    assert.throws(() => cipherA.encrypt(TOKEN, { ...CONTEXT, rowId: '' }), TypeError);
    assert.throws(() => cipherA.encrypt(TOKEN, { ...CONTEXT, column: '' }), TypeError);
    assert.throws(() => cipherA.encrypt('lone \ud800 surrogate', CONTEXT), TypeError);
  });
});

describe('maskToken', () => {
  it('shows the first 4 and last 4 characters of a token of 12 or more', () => {
    assert.equal(maskToken('EAAGabcdefgh1234'), 'EAAG…1234');
    assert.equal(maskToken(TOKEN), 'EAAG…1234');
    assert.equal(maskToken('abcdefghijkl'), 'abcd…ijkl');
  });

  it('shows at most the last 2 characters of a short token, and never the whole of it', () => {
    assert.equal(maskToken('abcdefghijk'), '…jk');
    assert.equal(maskToken('abcdefgh'), '…gh');
    assert.equal(maskToken('abcd'), '…d');
    assert.equal(maskToken('ab'), '…');
    assert.equal(maskToken('a'), '…');
    assert.equal(maskToken(''), '…');
    for (let length = 1; length < 12; length += 1) {
      const token = 'x'.repeat(length - 1) + 'Z';
      const masked = maskToken(token);
      assert.ok(masked.startsWith('…'), masked);
      assert.ok(masked.length - 1 <= Math.min(2, length - 1), `${length}: ${masked}`);
    }
  });

  it('does not split a surrogate pair', () => {
    assert.equal(maskToken('🔐🔐🔐🔐abcdefgh🔑🔑🔑🔑'), '🔐🔐🔐🔐…🔑🔑🔑🔑');
  });
});
