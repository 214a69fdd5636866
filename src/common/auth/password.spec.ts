import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dummyPasswordHash, hashPassword, verifyPassword } from './password';

const FORMAT = /^scrypt\$16384\$8\$1\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

describe('hashPassword / verifyPassword', () => {
  it('stores scrypt$16384$8$1$salt$hash with a 16-byte salt and a 64-byte hash', async () => {
    const stored = await hashPassword('correct horse battery staple');
    const match = FORMAT.exec(stored);
    assert.ok(match, stored);
    assert.equal(Buffer.from(match[1], 'base64').length, 16);
    assert.equal(Buffer.from(match[2], 'base64').length, 64);
    assert.ok(!stored.includes('correct horse'));
  });

  it('verifies the right password', async () => {
    const stored = await hashPassword('correct horse battery staple');
    assert.equal(await verifyPassword('correct horse battery staple', stored), true);
  });

  it('rejects a wrong password', async () => {
    const stored = await hashPassword('correct horse battery staple');
    assert.equal(await verifyPassword('correct horse battery stapler', stored), false);
    assert.equal(await verifyPassword('Correct horse battery staple', stored), false);
    assert.equal(await verifyPassword('', stored), false);
  });

  it('salts: two hashes of the same password differ, and each verifies', async () => {
    const [a, b] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    assert.notEqual(a, b);
    assert.notEqual(a.split('$')[4], b.split('$')[4], 'salts differ');
    assert.equal(await verifyPassword('same password', a), true);
    assert.equal(await verifyPassword('same password', b), true);
  });

  it('returns false for an unknown scheme or a malformed record', async () => {
    const stored = await hashPassword('pw-123456');
    assert.equal(await verifyPassword('pw-123456', stored.replace(/^scrypt\$/, 'bcrypt$')), false);
    assert.equal(await verifyPassword('pw-123456', stored.replace(/^scrypt\$/, 'argon2id$')), false);
    assert.equal(await verifyPassword('pw-123456', '$2b$10$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'), false);
    assert.equal(await verifyPassword('pw-123456', ''), false);
    assert.equal(await verifyPassword('pw-123456', 'scrypt$16384$8$1$'), false, 'no salt or hash');
    assert.equal(await verifyPassword('anything', 'scrypt$16384$8$1$c2FsdA==$!!!!'), false, 'a hash that decodes to nothing never matches');
    assert.equal(await verifyPassword('pw-123456', stored.replace(/^scrypt\$16384/, 'scrypt$abc')), false, 'bad parameters are false, not a throw');
  });

  it('verifies NFKC-equivalent passwords', async () => {
    const ligature = await hashPassword('\ufb01le-secret');
    assert.equal(await verifyPassword('file-secret', ligature), true, 'U+FB01 ligature vs "fi"');
    const composed = await hashPassword('caf\u00e9-secret');
    assert.equal(await verifyPassword('cafe\u0301-secret', composed), true, 'precomposed vs combining accent');
    const fullwidth = await hashPassword('\uff30\uff37-secret');
    assert.equal(await verifyPassword('PW-secret', fullwidth), true, 'fullwidth letters');
    assert.equal(await verifyPassword('cafe-secret', composed), false, 'a different letter is still wrong');
  });

  it('dummyPasswordHash is a real, stable hash that matches nothing guessable', async () => {
    const first = await dummyPasswordHash();
    assert.match(first, FORMAT);
    assert.equal(await dummyPasswordHash(), first);
    assert.equal(await verifyPassword('', first), false);
    assert.equal(await verifyPassword('password', first), false);
  });
});
