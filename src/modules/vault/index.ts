export {
  createVaultModule,
  type VaultKeyConfig,
  type VaultModule,
  type VaultModuleDeps,
} from './module.js';
export { vaultConfig, type VaultConfig } from './config.js';
export {
  rotateMasterKey,
  type InProcessRotation,
  type RotateMasterKeyOptions,
  type RotateMasterKeyResult,
} from './rotate-master.js';
export { isVaultError, VaultError, type VaultErrorCode } from './errors.js';
export type {
  CredentialView,
  DecryptOutcome,
  ExchangeCredentials,
  RequestContext,
  Vault,
  VaultStatus,
} from './service.js';
export type { RewrapOptions, RewrapResult } from './rotation.js';
export { SUPPORTED_EXCHANGES, type CredentialInput, type ExchangeId } from './validate.js';
