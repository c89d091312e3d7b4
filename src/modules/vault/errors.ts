import { AppError, type ErrorKind } from '../../core/errors.js';

/**
 * Why the vault refused to open a credential. None of these messages carries key material or
 * plaintext, so they are safe to log and to surface at the HTTP edge.
 */
export type VaultErrorCode =
  /** The authentication tag did not verify: a byte of the record changed, or it was moved. */
  | 'credential_tampered'
  /** The record names a master key that the keyring does not hold. */
  | 'vault_key_unknown'
  /** At start-up, the configured master keys do not cover the stored credentials. */
  | 'vault_key_mismatch'
  /** A master key or key file is malformed. */
  | 'vault_key_invalid'
  /** Another rotation holds the key file's lock. */
  | 'vault_rotation_running';

const KIND: Record<VaultErrorCode, ErrorKind> = {
  credential_tampered: 'internal',
  vault_key_unknown: 'unavailable',
  vault_key_mismatch: 'unavailable',
  vault_key_invalid: 'internal',
  vault_rotation_running: 'conflict',
};

export class VaultError extends AppError {
  declare readonly code: VaultErrorCode;

  constructor(code: VaultErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(KIND[code], code, message, opts);
    this.name = 'VaultError';
  }
}

export const isVaultError = (e: unknown, code?: VaultErrorCode): e is VaultError =>
  e instanceof VaultError && (code === undefined || e.code === code);
