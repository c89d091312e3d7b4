import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyConfig } from '../modules/copy/index.js';
import { identityConfig, type IdentityConfig } from '../modules/identity/index.js';
import { marketConfig } from '../modules/market/index.js';
import { realtimeConfig } from '../modules/realtime/index.js';
import { evaluatorsConfig, signalBindingsConfig, signalsConfig } from '../modules/signals/index.js';
import { tradingConfig } from '../modules/trading/index.js';
import { vaultConfig } from '../modules/vault/index.js';
import {
  bool,
  ConfigError,
  int,
  parseFragment,
  platformConfig,
  readEnvironment,
  str,
  type ConfigOf,
  type PlatformConfig,
} from '../platform/config/index.js';

const appFragment = {
  ...platformConfig,
  ...identityConfig,
  ...vaultConfig,
  ...marketConfig,
  ...realtimeConfig,
  ...tradingConfig,
  ...copyConfig,
  ...signalsConfig,
  ...evaluatorsConfig,
  ...signalBindingsConfig,
  demoSeed: bool('DEMO_SEED', {
    doc: 'Create a demo trader (demo@obscura.local / obscura-sandbox) on first start of the embedded build',
    default: true,
  }),
  demoSignalsMs: int('DEMO_SIGNALS_MS', {
    doc: 'With DEMO_SEED, how often the demo trader receives a signal from the built-in `demo-bot` source (it trades nothing unless bound to an account); 0: never',
    default: 90_000,
    min: 0,
    max: 86_400_000,
  }),
  demoLeadersMs: int('DEMO_LEADERS_MS', {
    doc: 'With DEMO_SEED, how often each of the two demo leaders (Momentum and Mean reversion, see the Copy trading page) decides whether to trade its paper account on the simulated market; 0: no demo leaders',
    default: 60_000,
    min: 0,
    max: 86_400_000,
  }),
  webUi: str('WEB_UI', {
    doc: 'Browser UI at /: auto (serve web/dist, building it at start when missing or stale), prebuilt (serve it as built), off',
    default: 'auto',
    oneOf: ['auto', 'prebuilt', 'off'],
  }),
};

/** Every variable the platform reads, for docs and the .env.example check. */
export const CONFIG_FIELDS = Object.values(appFragment);

type Parsed = PlatformConfig &
  ConfigOf<typeof identityConfig> &
  ConfigOf<typeof vaultConfig> &
  ConfigOf<typeof marketConfig> &
  ConfigOf<typeof realtimeConfig> &
  ConfigOf<typeof tradingConfig> &
  ConfigOf<typeof copyConfig> &
  ConfigOf<typeof signalsConfig> &
  ConfigOf<typeof evaluatorsConfig> &
  ConfigOf<typeof signalBindingsConfig> & {
    demoSeed: boolean;
    demoSignalsMs: number;
    demoLeadersMs: number;
    webUi: WebUiMode;
  };
/** How the browser UI is served; see WEB_UI. */
export type WebUiMode = 'auto' | 'prebuilt' | 'off';
export type AppConfig = Omit<Parsed, 'jwtSecret'> & IdentityConfig & { embedded: boolean };

/**
 * Parses the environment (and .env) into the typed configuration, then fills in what the
 * embedded build may generate for itself. Every problem is reported at once.
 */
export function loadConfig(env: Record<string, string | undefined> = readEnvironment()): AppConfig {
  const raw = parseFragment(appFragment, env) as Parsed;
  const embedded = !raw.databaseUrl;
  const problems: string[] = [];
  if (!embedded && !raw.jwtSecret) {
    problems.push(
      'JWT_SECRET is required with DATABASE_URL, so that every process signs and checks tokens alike',
    );
  }
  if (!embedded && !raw.vaultMasterKey && !raw.vaultKeyFile) {
    problems.push(
      'VAULT_MASTER_KEY or VAULT_KEY_FILE is required with DATABASE_URL, so that every process shares the vault key',
    );
  }
  if (raw.redisUrl && embedded) {
    problems.push(
      'REDIS_URL needs DATABASE_URL too: the embedded database is private to one process',
    );
  }
  if (problems.length) throw new ConfigError(problems);
  const jwtSecret = raw.jwtSecret ?? generatedSecret(raw.dataDir, 'jwt-secret');
  return { ...raw, jwtSecret, embedded };
}

/** A secret the embedded build makes on first start and keeps beside its database. */
function generatedSecret(dataDir: string, name: string): string {
  if (dataDir === 'memory://') return randomBytes(32).toString('base64url');
  const file = join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}
