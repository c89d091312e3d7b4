import { optStr, type ConfigOf, type Field } from '../../platform/config/index.js';
import { decodeKey } from './keyring.js';

/** Optional base64 key(s), checked at parse time so a bad value stops start-up by name. */
const keys = (
  env: string,
  o: { doc: string; example: string; list: boolean },
): Field<string | undefined> => ({
  env,
  doc: o.doc,
  example: o.example,
  secret: true,
  parse(raw) {
    if (raw === undefined || raw.trim() === '') return undefined;
    if (!o.list) {
      decodeKey(raw, env);
      return raw.trim();
    }
    const parts = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    parts.forEach((p, i) => decodeKey(p, `${env} (entry ${i + 1})`));
    return parts.join(',');
  },
});

/**
 * The vault's fragment of the configuration. With VAULT_MASTER_KEY set the keys come from the
 * environment; otherwise from VAULT_KEY_FILE, which the composition root defaults to
 * `${DATA_DIR}/vault-keys.json` and which is created with a fresh key on first run.
 */
export const vaultConfig = {
  vaultMasterKey: keys('VAULT_MASTER_KEY', {
    doc: 'Master key wrapping the credential data keys: base64 of 32 random bytes (openssl rand -base64 32)',
    example: '',
    list: false,
  }),
  vaultOldMasterKeys: keys('VAULT_OLD_MASTER_KEYS', {
    doc: 'Comma-separated former master keys, still accepted for decryption during a rotation',
    example: '',
    list: true,
  }),
  vaultKeyFile: optStr('VAULT_KEY_FILE', {
    doc: 'Keyring file used when VAULT_MASTER_KEY is unset (default: DATA_DIR/vault-keys.json)',
    example: './data/vault-keys.json',
  }),
};

export type VaultConfig = ConfigOf<typeof vaultConfig>;
