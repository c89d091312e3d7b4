import { hash, verify } from '@node-rs/argon2';

// OWASP's argon2id baseline: 19 MiB, two passes, one lane. About 40 ms here: slow for a
// guesser, quick enough for a login.
const PARAMS = {
  algorithm: 2 /* Argon2id */,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const hashPassword = (password: string): Promise<string> => hash(password, PARAMS);

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/**
 * Verified when the email is unknown, so that a login for a missing account takes as long as
 * one with a wrong password and response time does not reveal which emails exist.
 */
export const DUMMY_HASH = await hash('obscura-dummy-password-never-matches', PARAMS);
