import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { VaultError } from './errors.js';

/**
 * Envelope encryption of exchange credentials, without I/O. Each record's secret is sealed with
 * its own random data key; the data key is sealed (wrapped) with a master key named by its kid.
 * Rotation therefore re-wraps 32 bytes per record and never touches the secret's ciphertext.
 *
 * Every sealed value is base64 of iv(12) | ciphertext | tag(16), AES-256-GCM.
 */
export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ALG = 'aes-256-gcm';

/** A master key and its id. The key lives in a KeyObject so its bytes stay out of the JS heap. */
export interface MasterKey {
  kid: string;
  key: KeyObject;
}

/** The secret half of a credential: what only the execution path ever sees. */
export interface ExchangeSecret {
  apiKey: string;
  secret: string;
  passphrase?: string;
}

/** Everything a credential's ciphertext is bound to; changing any of these breaks the tag. */
export interface CredentialRef {
  credentialId: string;
  userId: string;
  exchange: string;
}

export interface SealedCredential {
  kid: string;
  wrappedKey: string;
  sealed: string;
}

/**
 * The kid is an HMAC of a fixed label under the key rather than a plain hash of the key: it is
 * stored beside every record and in the key file, and a keyed derivation under its own label
 * can never coincide with any other digest of the key that some other code might compute.
 * 64 bits tell a handful of keys apart with no realistic chance of collision.
 */
export function kidOf(key: KeyObject): string {
  return createHmac('sha256', key).update('obscura:vault:kid:v1').digest('hex').slice(0, 16);
}

/** Wraps raw key bytes; the caller's buffer is zeroed because the KeyObject holds a copy. */
export function masterKeyFrom(raw: Buffer): MasterKey {
  if (raw.length !== KEY_BYTES) {
    throw new VaultError(
      'vault_key_invalid',
      `a master key must be ${KEY_BYTES} bytes (got ${raw.length})`,
    );
  }
  const key = createSecretKey(raw);
  raw.fill(0);
  return { kid: kidOf(key), key };
}

export const generateMasterKey = (): MasterKey => masterKeyFrom(randomBytes(KEY_BYTES));

/** Binds a wrapped data key to its record and to the master key that wrapped it. */
export const dataKeyAad = (credentialId: string, kid: string) =>
  `obscura:v1:dk:${credentialId}:${kid}`;

/**
 * Binds a sealed secret to its record, its owner and its exchange: a ciphertext copied into
 * another row, another user's row, or relabelled as another exchange's key fails to open.
 */
export const credentialAad = (r: CredentialRef) =>
  `obscura:v1:cred:${r.credentialId}:${r.userId}:${r.exchange}`;

export function seal(key: KeyObject | Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALG, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = cipher.update(plaintext);
  cipher.final();
  const out = Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64');
  body.fill(0);
  return out;
}

/** Opens a sealed value; any mismatch of key, AAD, IV, ciphertext or tag is `credential_tampered`. */
export function open(key: KeyObject | Buffer, sealed: string, aad: string, what: string): Buffer {
  const raw = Buffer.from(sealed, 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) {
    throw new VaultError('credential_tampered', `the ${what} is truncated`);
  }
  try {
    const decipher = createDecipheriv(ALG, key, raw.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    const plain = decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES));
    decipher.final();
    return plain;
  } catch (cause) {
    throw new VaultError('credential_tampered', `the ${what} failed its integrity check`, {
      cause,
    });
  }
}

function encodeSecret(s: ExchangeSecret): Buffer {
  const body: Record<string, string> = { k: s.apiKey, s: s.secret };
  if (s.passphrase !== undefined) body.p = s.passphrase;
  return Buffer.from(JSON.stringify(body), 'utf8');
}

function decodeSecret(plain: Buffer): ExchangeSecret {
  const body = JSON.parse(plain.toString('utf8')) as { k?: unknown; s?: unknown; p?: unknown };
  if (typeof body.k !== 'string' || typeof body.s !== 'string') {
    throw new VaultError('credential_tampered', 'the credential payload has an unknown shape');
  }
  return typeof body.p === 'string'
    ? { apiKey: body.k, secret: body.s, passphrase: body.p }
    : { apiKey: body.k, secret: body.s };
}

export function sealCredential(
  master: MasterKey,
  ref: CredentialRef,
  secret: ExchangeSecret,
): SealedCredential {
  const dataKey = randomBytes(KEY_BYTES);
  const body = encodeSecret(secret);
  try {
    return {
      kid: master.kid,
      sealed: seal(dataKey, body, credentialAad(ref)),
      wrappedKey: seal(master.key, dataKey, dataKeyAad(ref.credentialId, master.kid)),
    };
  } finally {
    // Best effort: the JS strings of the secret cannot be wiped, but these buffers can.
    body.fill(0);
    dataKey.fill(0);
  }
}

export function unwrapDataKey(master: MasterKey, credentialId: string, wrappedKey: string): Buffer {
  const dataKey = open(
    master.key,
    wrappedKey,
    dataKeyAad(credentialId, master.kid),
    'wrapped data key',
  );
  if (dataKey.length !== KEY_BYTES) {
    dataKey.fill(0);
    throw new VaultError('credential_tampered', 'the wrapped data key has the wrong length');
  }
  return dataKey;
}

export function openCredential(
  master: MasterKey,
  ref: CredentialRef,
  stored: { wrappedKey: string; sealed: string },
): ExchangeSecret {
  const dataKey = unwrapDataKey(master, ref.credentialId, stored.wrappedKey);
  let plain: Buffer | undefined;
  try {
    plain = open(dataKey, stored.sealed, credentialAad(ref), 'credential');
    return decodeSecret(plain);
  } finally {
    plain?.fill(0);
    dataKey.fill(0);
  }
}

/** Re-wraps a record's data key under another master key; the secret's ciphertext is untouched. */
export function rewrapDataKey(
  from: MasterKey,
  to: MasterKey,
  credentialId: string,
  wrappedKey: string,
): string {
  const dataKey = unwrapDataKey(from, credentialId, wrappedKey);
  try {
    return seal(to.key, dataKey, dataKeyAad(credentialId, to.kid));
  } finally {
    dataKey.fill(0);
  }
}
