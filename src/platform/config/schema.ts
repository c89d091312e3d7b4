/**
 * A tiny typed configuration schema. Each module declares a fragment; the composition root
 * joins them and parses the environment once, reporting every bad variable together.
 */
export interface Field<T> {
  env: string;
  doc: string;
  /** Shown in .env.example. */
  example?: string;
  /** The value used when the variable is unset, as text; absent when there is none. */
  defaultValue?: string;
  secret?: boolean;
  parse(raw: string | undefined): T;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Opts<T> = { doc: string; default?: T; example?: string; secret?: boolean };

const need = (env: string, raw: string | undefined): string => {
  if (raw === undefined || raw === '') throw new Error(`${env} is required`);
  return raw;
};

export const str = (
  env: string,
  o: Opts<string> & { pattern?: RegExp; oneOf?: readonly string[] },
): Field<string> => ({
  env,
  doc: o.doc,
  example: o.example ?? o.default,
  defaultValue: o.default,
  secret: o.secret,
  parse(raw) {
    const v = raw === undefined || raw === '' ? o.default : raw;
    const s = need(env, v);
    if (o.oneOf && !o.oneOf.includes(s))
      throw new Error(`${env} must be one of ${o.oneOf.join(', ')} (got "${s}")`);
    if (o.pattern && !o.pattern.test(s)) throw new Error(`${env} has an invalid format`);
    return s;
  },
});

export const optStr = (
  env: string,
  o: Omit<Opts<string>, 'default'> & { pattern?: RegExp; minLength?: number },
): Field<string | undefined> => ({
  env,
  doc: o.doc,
  example: o.example,
  secret: o.secret,
  parse(raw) {
    if (raw === undefined || raw === '') return undefined;
    if (o.pattern && !o.pattern.test(raw)) throw new Error(`${env} has an invalid format`);
    if (o.minLength !== undefined && raw.length < o.minLength) {
      throw new Error(`${env} must be at least ${o.minLength} characters`);
    }
    return raw;
  },
});

export const int = (
  env: string,
  o: Opts<number> & { min?: number; max?: number },
): Field<number> => ({
  env,
  doc: o.doc,
  example: o.example ?? (o.default === undefined ? undefined : String(o.default)),
  defaultValue: o.default === undefined ? undefined : String(o.default),
  parse(raw) {
    const s =
      raw === undefined || raw === ''
        ? o.default === undefined
          ? undefined
          : String(o.default)
        : raw;
    const v = need(env, s);
    if (!/^-?\d+$/.test(v.trim())) throw new Error(`${env} must be a whole number (got "${v}")`);
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new Error(`${env} is out of range`);
    if (o.min !== undefined && n < o.min)
      throw new Error(`${env} must be at least ${o.min} (got ${n})`);
    if (o.max !== undefined && n > o.max)
      throw new Error(`${env} must be at most ${o.max} (got ${n})`);
    return n;
  },
});

export const bool = (env: string, o: Opts<boolean>): Field<boolean> => ({
  env,
  doc: o.doc,
  example: o.example ?? (o.default === undefined ? undefined : String(o.default)),
  defaultValue: o.default === undefined ? undefined : String(o.default),
  parse(raw) {
    if (raw === undefined || raw === '') {
      if (o.default === undefined) throw new Error(`${env} is required`);
      return o.default;
    }
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    throw new Error(`${env} must be true or false (got "${raw}")`);
  },
});

export const url = (
  env: string,
  o: Omit<Opts<string>, 'default'> & { protocols: string[] },
): Field<string | undefined> => ({
  env,
  doc: o.doc,
  example: o.example,
  secret: o.secret,
  parse(raw) {
    if (raw === undefined || raw === '') return undefined;
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new Error(`${env} is not a valid URL`);
    }
    if (!o.protocols.includes(u.protocol)) {
      throw new Error(`${env} must use ${o.protocols.join(' or ')} (got ${u.protocol})`);
    }
    return raw;
  },
});

export type Fragment = Record<string, Field<unknown>>;
export type ConfigOf<F extends Fragment> = {
  [K in keyof F]: F[K] extends Field<infer T> ? T : never;
};

/** Parses every field, collecting all problems before failing so an operator fixes them at once. */
export function parseFragment<F extends Fragment>(
  fragment: F,
  env: Record<string, string | undefined>,
): ConfigOf<F> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, field] of Object.entries(fragment)) {
    try {
      out[key] = field.parse(env[field.env]);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return out as ConfigOf<F>;
}
