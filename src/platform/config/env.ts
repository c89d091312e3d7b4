import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'dotenv';

/**
 * The one place that reads the process environment. Values from an optional `.env` file fill
 * in what the real environment leaves unset; the real environment always wins.
 */
export function readEnvironment(
  opts: { envFile?: string; base?: NodeJS.ProcessEnv } = {},
): Record<string, string | undefined> {
  const base = opts.base ?? process.env;
  const file = opts.envFile ?? base.OBSCURA_ENV_FILE ?? '.env';
  const fromFile = existsSync(file) ? parse(readFileSync(file)) : {};
  return { ...fromFile, ...base };
}
