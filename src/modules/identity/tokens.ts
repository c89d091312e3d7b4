import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import type { Role } from './model.js';

export interface AccessClaims {
  sub: string;
  role: Role;
  sid: string;
  iat: number;
  exp: number;
}

const ISSUER = 'obscura';
const AUDIENCE = 'obscura-api';

/** HS256 access tokens. The verifier pins the algorithm, so `alg: none` and RS/HS confusion fail. */
export function createTokenCodec(secret: string, ttlSeconds: number, nowMs: () => number) {
  const sign = createSigner({
    key: secret,
    algorithm: 'HS256',
    expiresIn: ttlSeconds * 1000,
    iss: ISSUER,
    aud: AUDIENCE,
    clockTimestamp: undefined,
  });
  const verifier = createVerifier({
    key: secret,
    algorithms: ['HS256'],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
    requiredClaims: ['sub', 'sid', 'exp'],
    clockTimestamp: undefined,
  });
  // Verified tokens by their exact text. fast-jwt's own cache hashes each token with SHA-256
  // to find it; a Map lookup on the string is several times cheaper, and a hit still has to
  // pass the expiry check below.
  const verified = new Map<string, AccessClaims>();
  const CACHE_MAX = 20_000;
  return {
    sign: (c: { sub: string; role: Role; sid: string }) =>
      sign({ ...c, iat: Math.floor(nowMs() / 1000) }) as string,
    verify(
      token: string,
    ): { ok: true; claims: AccessClaims } | { ok: false; expired: boolean; why: string } {
      const hit = verified.get(token);
      if (hit) {
        if (hit.exp * 1000 > nowMs()) return { ok: true, claims: hit };
        verified.delete(token);
        return { ok: false, expired: true, why: 'expired' };
      }
      try {
        const claims = verifier(token) as AccessClaims;
        if (verified.size >= CACHE_MAX) verified.clear();
        verified.set(token, claims);
        return { ok: true, claims };
      } catch (e) {
        const code = e instanceof TokenError ? e.code : 'invalid';
        return {
          ok: false,
          expired: code === TokenError.codes.expired,
          why:
            code === TokenError.codes.invalidSignature
              ? 'bad signature'
              : code === TokenError.codes.invalidAlgorithm
                ? 'algorithm not allowed'
                : 'malformed or not ours',
        };
      }
    },
  };
}

const b64url = (b: Buffer) => b.toString('base64url');
export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Opaque refresh token; only its hash is stored. */
export const newRefreshToken = () => `ort_${b64url(randomBytes(32))}`;

/**
 * API keys look like `obs_<prefix>_<secret>`. The prefix is a public lookup handle (indexed);
 * the secret has 256 bits, so a fast hash is enough to store it safely.
 */
export function newApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = randomBytes(8).toString('hex');
  const secret = b64url(randomBytes(32));
  return { key: `obs_${prefix}_${secret}`, prefix, hash: sha256(secret) };
}

const API_KEY_RE = /^obs_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export function parseApiKey(key: string): { prefix: string; secret: string } | undefined {
  const m = API_KEY_RE.exec(key);
  return m ? { prefix: m[1]!, secret: m[2]! } : undefined;
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(sha256(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Constant-time equality of two strings (false when either is missing or lengths differ). */
export function sameText(a: string | undefined, b: string): boolean {
  if (a === undefined || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
