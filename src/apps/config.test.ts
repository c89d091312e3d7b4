import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../platform/config/index.js';
import { CONFIG_FIELDS, loadConfig } from './config.js';

const base = { DATA_DIR: 'memory://', OBSCURA_ENV_FILE: '/nonexistent' };

describe('configuration', () => {
  it('starts with no variables at all on the embedded defaults', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({
      port: 8000,
      host: '127.0.0.1',
      embedded: true,
      logLevel: 'info',
      rateLimitGeneral: 100,
      rateLimitExecution: 10,
    });
    expect(c.jwtSecret.length).toBeGreaterThanOrEqual(32);
  });

  it('names every offending variable at once', () => {
    try {
      loadConfig({
        ...base,
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        DATABASE_URL: 'mysql://x',
        RATE_LIMIT_GENERAL: '0',
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const msg = (e as Error).message;
      for (const name of ['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'RATE_LIMIT_GENERAL'])
        expect(msg).toContain(name);
    }
  });

  it('requires shared secrets when several processes share PostgreSQL', () => {
    expect(() => loadConfig({ ...base, DATABASE_URL: 'postgres://localhost/x' })).toThrow(
      /JWT_SECRET[\s\S]*VAULT_MASTER_KEY/,
    );
    expect(() => loadConfig({ ...base, JWT_SECRET: 'short' })).toThrow(
      /JWT_SECRET must be at least 32/,
    );
    expect(() => loadConfig({ ...base, VAULT_MASTER_KEY: 'dG9vIHNob3J0' })).toThrow(
      /VAULT_MASTER_KEY/,
    );
  });

  it('documents every variable in .env.example and the README', () => {
    const example = readFileSync('.env.example', 'utf8');
    const readme = readFileSync('README.md', 'utf8');
    for (const f of CONFIG_FIELDS) {
      expect(example, f.env).toContain(`${f.env}=`);
      expect(readme, f.env).toContain(`\`${f.env}\``);
    }
  });
});
