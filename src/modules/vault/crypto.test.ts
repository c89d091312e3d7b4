import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateMasterKey,
  kidOf,
  masterKeyFrom,
  openCredential,
  rewrapDataKey,
  sealCredential,
  type CredentialRef,
} from './crypto.js';
import { VaultError } from './errors.js';

const ref: CredentialRef = {
  credentialId: '0190a0b0-0000-7000-8000-000000000001',
  userId: '0190a0b0-0000-7000-8000-0000000000aa',
  exchange: 'binance',
};
const secret = { apiKey: 'AKIA-test-key-1234', secret: 's3cr3t-value', passphrase: 'pass phrase' };

/** Flips one bit of the decoded byte at `index` (negative counts from the end). */
function flip(sealed: string, index: number): string {
  const raw = Buffer.from(sealed, 'base64');
  const i = index < 0 ? raw.length + index : index;
  raw[i] = (raw[i] ?? 0) ^ 0x01;
  return raw.toString('base64');
}

const refusal = (fn: () => unknown): VaultError => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VaultError);
    return e as VaultError;
  }
  throw new Error('expected a refusal');
};

describe('vault crypto', () => {
  it('seals and opens a credential, with and without a passphrase', () => {
    const master = generateMasterKey();
    expect(openCredential(master, ref, sealCredential(master, ref, secret))).toEqual(secret);
    const noPass = { apiKey: 'k', secret: 's' };
    expect(openCredential(master, ref, sealCredential(master, ref, noPass))).toEqual(noPass);
  });

  it('uses a fresh IV and data key per seal', () => {
    const master = generateMasterKey();
    const a = sealCredential(master, ref, secret);
    const b = sealCredential(master, ref, secret);
    expect(a.sealed).not.toBe(b.sealed);
    expect(a.wrappedKey).not.toBe(b.wrappedKey);
    expect(Buffer.from(a.sealed, 'base64').toString('latin1')).not.toContain(secret.secret);
  });

  it.each([
    ['the IV', 0],
    ['the ciphertext', 14],
    ['the tag', -1],
  ])('refuses a payload with one bit flipped in %s as credential_tampered', (_what, index) => {
    const master = generateMasterKey();
    const stored = sealCredential(master, ref, secret);
    const err = refusal(() =>
      openCredential(master, ref, { ...stored, sealed: flip(stored.sealed, index) }),
    );
    expect(err.code).toBe('credential_tampered');
    expect(err.message).not.toContain(secret.secret);
  });

  it('refuses a tampered wrapped data key', () => {
    const master = generateMasterKey();
    const stored = sealCredential(master, ref, secret);
    const err = refusal(() =>
      openCredential(master, ref, { ...stored, wrappedKey: flip(stored.wrappedKey, 20) }),
    );
    expect(err.code).toBe('credential_tampered');
    expect(err.message).toMatch(/wrapped data key/);
  });

  it('refuses a truncated value', () => {
    const master = generateMasterKey();
    const stored = sealCredential(master, ref, secret);
    expect(refusal(() => openCredential(master, ref, { ...stored, sealed: 'AAAA' })).code).toBe(
      'credential_tampered',
    );
  });

  it('refuses a wrong master key', () => {
    const stored = sealCredential(generateMasterKey(), ref, secret);
    const other = generateMasterKey();
    // As if a record were relabelled with the other key's kid: the tag still refuses it.
    const err = refusal(() => openCredential(other, ref, stored));
    expect(err.code).toBe('credential_tampered');
  });

  it.each([
    ['another record', { credentialId: '0190a0b0-0000-7000-8000-000000000002' }],
    ['another user', { userId: '0190a0b0-0000-7000-8000-0000000000bb' }],
    ['another exchange', { exchange: 'kraken' }],
  ])('refuses a ciphertext moved to %s', (_what, change) => {
    const master = generateMasterKey();
    const stored = sealCredential(master, ref, secret);
    expect(refusal(() => openCredential(master, { ...ref, ...change }, stored)).code).toBe(
      'credential_tampered',
    );
  });

  it('refuses a payload swapped between two records even with their own data keys', () => {
    const master = generateMasterKey();
    const refB = { ...ref, credentialId: '0190a0b0-0000-7000-8000-000000000002' };
    const a = sealCredential(master, ref, secret);
    const b = sealCredential(master, refB, { apiKey: 'other', secret: 'other' });
    expect(
      refusal(() => openCredential(master, refB, { wrappedKey: b.wrappedKey, sealed: a.sealed }))
        .code,
    ).toBe('credential_tampered');
    expect(
      refusal(() => openCredential(master, refB, { wrappedKey: a.wrappedKey, sealed: b.sealed }))
        .code,
    ).toBe('credential_tampered');
  });

  it('re-wraps the data key under a new master key and keeps the plaintext', () => {
    const oldKey = generateMasterKey();
    const newKey = generateMasterKey();
    const stored = sealCredential(oldKey, ref, secret);
    const wrappedKey = rewrapDataKey(oldKey, newKey, ref.credentialId, stored.wrappedKey);
    const moved = { kid: newKey.kid, wrappedKey, sealed: stored.sealed };
    expect(openCredential(newKey, ref, moved)).toEqual(secret);
    expect(refusal(() => openCredential(oldKey, ref, moved)).code).toBe('credential_tampered');
  });

  it('derives a stable 16-hex kid per key and zeroes the bytes it was given', () => {
    const raw = randomBytes(32);
    const copy = Buffer.from(raw);
    const a = masterKeyFrom(raw);
    expect(a.kid).toMatch(/^[0-9a-f]{16}$/);
    expect(raw.equals(Buffer.alloc(32))).toBe(true);
    expect(masterKeyFrom(copy).kid).toBe(a.kid);
    expect(kidOf(generateMasterKey().key)).not.toBe(a.kid);
  });

  it('rejects a master key that is not 32 bytes', () => {
    expect(refusal(() => masterKeyFrom(randomBytes(16))).code).toBe('vault_key_invalid');
  });
});
