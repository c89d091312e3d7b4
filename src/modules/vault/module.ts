import { existsSync, statSync } from 'node:fs';
import type { Clock } from '../../core/clock.js';
import { conflict } from '../../core/errors.js';
import type { Outbox } from '../../platform/bus/index.js';
import type { Database } from '../../platform/db/index.js';
import type { HttpServer } from '../../platform/http/index.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { ModuleRuntime } from '../../platform/module.js';
import { auditEvent } from '../identity/index.js';
import { generateMasterKey } from './crypto.js';
import { VaultError } from './errors.js';
import {
  createKeyFile,
  FileKeySource,
  isTooOpen,
  keyringFromEnv,
  keyringOf,
  StaticKeySource,
  type KeySource,
} from './keyring.js';
import {
  rotateMasterKey,
  type InProcessRotation,
  type RotateMasterKeyResult,
} from './rotate-master.js';
import { vaultRoutes } from './routes.js';
import { Vault, type VaultStatus } from './service.js';
import { countByKid } from './store.js';

export interface VaultKeyConfig {
  /** VAULT_MASTER_KEY: base64 of 32 bytes. When set, the key file is not used. */
  masterKey?: string | undefined;
  /** VAULT_OLD_MASTER_KEYS: comma-separated base64 keys still accepted for decryption. */
  oldMasterKeys?: string | undefined;
  /** VAULT_KEY_FILE or its computed default. Unset with no master key: an ephemeral key. */
  keyFile?: string | undefined;
  /** Shortest time between two looks at the key file on the hot path (default 1000 ms). */
  reloadIntervalMs?: number;
}

export interface VaultModule extends ModuleRuntime {
  vault: Vault;
  /** Throws `vault_key_mismatch` when the keys do not cover the stored credentials. */
  verify(): Promise<VaultStatus>;
  /**
   * Rotates inside this process, with its own key configuration: the way to rotate an embedded
   * (PGlite) deployment while it serves, since no second process may open its database.
   */
  rotate(opts?: InProcessRotation): Promise<RotateMasterKeyResult>;
  routes(app: HttpServer): Promise<void>;
}

export interface VaultModuleDeps {
  database: Database;
  outbox: Outbox;
  logger: Logger;
  clock: Clock;
  config: VaultKeyConfig;
}

/** Picks the key source: environment, key file (created on first run), or an ephemeral key. */
export async function openKeySource(
  database: Database,
  config: VaultKeyConfig,
  logger?: Logger,
): Promise<KeySource> {
  // The composition root may pass its default key-file path alongside an environment key; the
  // environment key wins without comment.
  if (config.masterKey) {
    return new StaticKeySource(keyringFromEnv(config.masterKey, config.oldMasterKeys));
  }
  if (config.oldMasterKeys) {
    throw new VaultError(
      'vault_key_invalid',
      'VAULT_OLD_MASTER_KEYS is set but VAULT_MASTER_KEY is not; set both',
    );
  }
  if (!config.keyFile) {
    logger?.warn(
      { at: 'vault#keys' },
      'no VAULT_MASTER_KEY or VAULT_KEY_FILE: credentials are sealed under a key that dies with this process',
    );
    return new StaticKeySource(
      keyringOf(generateMasterKey()),
      'an ephemeral key (no VAULT_MASTER_KEY or VAULT_KEY_FILE)',
    );
  }
  const path = config.keyFile;
  if (!existsSync(path)) {
    // A fresh key beside existing records would only turn a lost key file into a confusing
    // mismatch later; say what is wrong now.
    const stored = (await countByKid(database.db)).reduce((n, k) => n + k.count, 0);
    if (stored > 0) {
      throw new VaultError(
        'vault_key_mismatch',
        `vault key file ${path} does not exist but the database holds ${stored} credentials; restore the key file or set VAULT_MASTER_KEY`,
      );
    }
    if (createKeyFile(path).created) {
      logger?.warn(
        { at: 'vault#keys', path },
        'created a new vault key file; back it up, stored credentials cannot be opened without it',
      );
    }
  }
  if (isTooOpen(statSync(path))) {
    logger?.warn(
      { at: 'vault#keys', path },
      'the vault key file is readable by other users; chmod 600 it',
    );
  }
  return new FileKeySource(path, {
    intervalMs: config.reloadIntervalMs,
    onReload: (ring) =>
      logger?.info(
        { at: 'vault#keys', path, primaryKid: ring.primaryKid, kids: [...ring.keys.keys()] },
        'vault key file reloaded',
      ),
    onError: (err) =>
      logger?.error(
        { at: 'vault#keys', path, err: { message: err.message } },
        'vault key file changed but cannot be read; keeping the previous keys',
      ),
  });
}

/**
 * Builds the vault for the composition root. Call `verify()` before serving, so a wrong
 * master key stops start-up instead of failing at the first trade.
 *
 * @example
 * const vaultMod = await createVaultModule({ database, outbox, logger, clock, config: { keyFile } });
 * await vaultMod.verify();
 * await vaultMod.routes(app);
 */
export async function createVaultModule(deps: VaultModuleDeps): Promise<VaultModule> {
  const keys = await openKeySource(deps.database, deps.config, deps.logger);
  const vault = new Vault({
    db: deps.database.db,
    outbox: deps.outbox,
    keys,
    clock: deps.clock,
    audit: auditEvent,
    logger: deps.logger,
  });
  const { masterKey, oldMasterKeys, keyFile } = deps.config;

  async function rotate(o: InProcessRotation = {}): Promise<RotateMasterKeyResult> {
    if (!masterKey && !keyFile) {
      throw conflict(
        'vault_not_rotatable',
        'the vault runs on an ephemeral key; set VAULT_KEY_FILE or VAULT_MASTER_KEY',
      );
    }
    const result = await rotateMasterKey({
      database: deps.database,
      masterKey,
      oldMasterKeys,
      keyFile,
      clock: deps.clock,
      ...(o.retireOld !== undefined ? { retireOld: o.retireOld } : {}),
      ...(o.graceMs !== undefined ? { graceMs: o.graceMs } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    keys.refresh();
    const { primaryKid, rewrapped, skipped, remaining, retiredKids, failed } = result;
    await deps.outbox.transaction(async (_tx, emit) => {
      await emit(
        auditEvent({
          action: 'vault.key_rotated',
          userId: o.actorId ?? null,
          actorId: o.actorId ?? null,
          ip: o.ip ?? null,
          details: {
            primaryKid,
            rewrapped,
            skipped,
            remaining,
            retiredKids,
            failed: failed.length,
          },
        }),
      );
    });
    deps.logger.info(
      {
        at: 'vault#rotate',
        primaryKid,
        rewrapped,
        skipped,
        remaining,
        retiredKids,
        failed: failed.length,
      },
      'vault master key rotated',
    );
    return result;
  }

  return {
    name: 'vault',
    vault,
    async verify() {
      const status = await vault.verify();
      deps.logger.info(
        {
          at: 'vault#verify',
          source: status.source,
          primaryKid: status.primaryKid,
          kids: status.kids,
        },
        'vault keys match the stored credentials',
      );
      return status;
    },
    rotate,
    routes: (app) => vaultRoutes(app, { vault, rotate }),
  };
}
