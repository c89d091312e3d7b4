/**
 * A binding's rules as they travel (JSON, decimal strings) and as the planner takes them. Every
 * field is checked and every problem reported at once, each naming its field
 * (`rules/maxOrderNotional`, `rules/allowedSymbols/2`) with a stable code, so a request with
 * absurd values is refused whole and nothing is written.
 */
import { Decimal } from '../../../core/decimal.js';
import type { Direction } from '../domain/types.js';
import { DIRECTIONS, type BindingRules, type Sizing } from './domain.js';

/** The rules on the wire: what the API takes and returns and the database stores. */
export interface RulesWire {
  minConfidence: number;
  minAgreeing: number | null;
  maxOrderNotional: string;
  maxPositionNotional: string | null;
  sizing:
    | { mode: 'fixed_notional'; notional: string }
    | { mode: 'equity_pct'; pct: string }
    | { mode: 'model_suggested'; capPct: string };
  allowedSymbols: string[];
  directions: Direction[];
  entryOrder: 'limit' | 'market';
}

/** Rules as a request may send them: anything may be missing or wrong. */
export type RulesInput = { [K in keyof RulesWire]?: unknown };

export interface FieldProblem {
  field: string;
  code: string;
  message: string;
}

/** The largest notional a binding may name: far above any account, far below overflow. */
export const MAX_NOTIONAL = Decimal.parse('1000000000000');
export const MAX_AGREEING = 100;
export const MAX_SYMBOLS = 200;
const HUNDRED = Decimal.fromInt(100);

export const SIZING_MODES = ['fixed_notional', 'equity_pct', 'model_suggested'] as const;

type Parsed = { ok: true; rules: BindingRules } | { ok: false; errors: FieldProblem[] };

/**
 * Checks rules sent in full (a creation, or stored rules with a change applied).
 * `knownSymbol` says whether the platform lists an instrument under that name.
 */
export function parseRules(
  input: RulesInput,
  knownSymbol: (symbol: string) => boolean,
  prefix = 'rules',
): Parsed {
  const errors: FieldProblem[] = [];
  const at = (field: string) => `${prefix}/${field}`;
  const fail = (field: string, code: string, message: string) => {
    errors.push({ field: at(field), code, message });
    return undefined;
  };

  const minConfidence = ((): number | undefined => {
    const v = input.minConfidence;
    if (v === undefined) return fail('minConfidence', 'required', 'is required (0 to 1)');
    if (typeof v !== 'number' || !Number.isFinite(v))
      return fail('minConfidence', 'not_a_number', 'must be a number from 0 to 1');
    if (v < 0 || v > 1)
      return fail('minConfidence', 'out_of_range', `must be from 0 to 1 (was ${v})`);
    return v;
  })();

  const minAgreeing = ((): number | null | undefined => {
    const v = input.minAgreeing;
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v))
      return fail('minAgreeing', 'not_an_integer', 'must be a whole number of models');
    if (v < 1 || v > MAX_AGREEING)
      return fail('minAgreeing', 'out_of_range', `must be from 1 to ${MAX_AGREEING} (was ${v})`);
    return v;
  })();

  const notional = (field: string, v: unknown, required: boolean) => {
    if (v === undefined || v === null) {
      return required ? fail(field, 'required', 'is required (a decimal string)') : null;
    }
    return amount(field, v, MAX_NOTIONAL, fail);
  };
  const maxOrderNotional = notional('maxOrderNotional', input.maxOrderNotional, true);
  const maxPositionNotional = notional('maxPositionNotional', input.maxPositionNotional, false);
  const sizing = parseSizing(input.sizing, fail);

  const allowedSymbols = ((): string[] | undefined => {
    const v = input.allowedSymbols ?? [];
    if (!Array.isArray(v)) return fail('allowedSymbols', 'not_a_list', 'must be a list of symbols');
    if (v.length > MAX_SYMBOLS)
      return fail('allowedSymbols', 'too_many', `at most ${MAX_SYMBOLS} symbols`);
    const seen = new Set<string>();
    let ok = true;
    v.forEach((s: unknown, i) => {
      if (typeof s !== 'string' || !knownSymbol(s)) {
        ok = false;
        fail(`allowedSymbols/${i}`, 'unknown_symbol', `${String(s)} is not a listed instrument`);
      } else if (seen.has(s)) {
        ok = false;
        fail(`allowedSymbols/${i}`, 'duplicate', `${s} is listed twice`);
      } else seen.add(s);
    });
    return ok ? [...seen] : undefined;
  })();

  const directions = ((): Direction[] | undefined => {
    const v = input.directions ?? [...DIRECTIONS];
    if (!Array.isArray(v) || v.length === 0) {
      return fail('directions', 'empty', 'must list at least one of long, short, close');
    }
    const seen = new Set<Direction>();
    let ok = true;
    v.forEach((d: unknown, i) => {
      if (typeof d !== 'string' || !(DIRECTIONS as readonly string[]).includes(d)) {
        ok = false;
        fail(`directions/${i}`, 'unknown_direction', 'must be one of long, short, close');
      } else if (seen.has(d as Direction)) {
        ok = false;
        fail(`directions/${i}`, 'duplicate', `${d} is listed twice`);
      } else seen.add(d as Direction);
    });
    return ok ? DIRECTIONS.filter((d) => seen.has(d)) : undefined;
  })();

  const entryOrder = ((): 'limit' | 'market' | undefined => {
    const v = input.entryOrder ?? 'limit';
    if (v !== 'limit' && v !== 'market')
      return fail('entryOrder', 'invalid_choice', 'must be limit or market');
    return v;
  })();

  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    rules: {
      minConfidence: minConfidence!,
      minAgreeing: minAgreeing!,
      maxOrderNotional: maxOrderNotional!,
      maxPositionNotional: maxPositionNotional ?? null,
      sizing: sizing!,
      allowedSymbols: allowedSymbols!,
      directions: directions!,
      entryOrder: entryOrder!,
    },
  };
}

type Fail = (field: string, code: string, message: string) => undefined;

/** A positive decimal string no larger than `max`. */
function amount(field: string, v: unknown, max: Decimal, fail: Fail): Decimal | undefined {
  if (typeof v !== 'string') return fail(field, 'not_a_decimal', 'must be a decimal string');
  const d = Decimal.tryParse(v);
  if (!d) return fail(field, 'not_a_decimal', `"${v.slice(0, 40)}" is not a decimal number`);
  if (!d.isPositive()) return fail(field, 'not_positive', `must be above zero (was ${v})`);
  if (d.gt(max)) return fail(field, 'above_maximum', `must be at most ${max} (was ${v})`);
  return d;
}

function parseSizing(v: unknown, fail: Fail): Sizing | undefined {
  if (v === undefined || v === null) {
    return fail('sizing', 'required', `is required: { mode: ${SIZING_MODES.join(' | ')}, … }`);
  }
  if (typeof v !== 'object' || Array.isArray(v)) {
    return fail('sizing', 'invalid', 'must be an object with a mode');
  }
  const s = v as Record<string, unknown>;
  const expect = (mode: string, field: string): boolean => {
    const extra = Object.keys(s).filter((k) => k !== 'mode' && k !== field);
    for (const k of extra) fail(`sizing/${k}`, 'not_allowed', `is not a field of ${mode} sizing`);
    return extra.length === 0;
  };
  switch (s.mode) {
    case 'fixed_notional': {
      const ok = expect('fixed_notional', 'notional');
      const notional =
        s.notional === undefined
          ? fail('sizing/notional', 'required', 'is required (a decimal string)')
          : amount('sizing/notional', s.notional, MAX_NOTIONAL, fail);
      return ok && notional ? { mode: 'fixed_notional', notional } : undefined;
    }
    case 'equity_pct': {
      const ok = expect('equity_pct', 'pct');
      const pct =
        s.pct === undefined
          ? fail('sizing/pct', 'required', 'is required (percent of equity, 0–100)')
          : amount('sizing/pct', s.pct, HUNDRED, fail);
      return ok && pct ? { mode: 'equity_pct', pct } : undefined;
    }
    case 'model_suggested': {
      const ok = expect('model_suggested', 'capPct');
      const capPct =
        s.capPct === undefined
          ? fail('sizing/capPct', 'required', 'is required (percent of equity, 0–100)')
          : amount('sizing/capPct', s.capPct, HUNDRED, fail);
      return ok && capPct ? { mode: 'model_suggested', capPct } : undefined;
    }
    default:
      return fail('sizing/mode', 'invalid_choice', `must be one of ${SIZING_MODES.join(', ')}`);
  }
}

export function rulesToWire(r: BindingRules): RulesWire {
  const s = r.sizing;
  return {
    minConfidence: r.minConfidence,
    minAgreeing: r.minAgreeing,
    maxOrderNotional: r.maxOrderNotional.toString(),
    maxPositionNotional: r.maxPositionNotional?.toString() ?? null,
    sizing:
      s.mode === 'fixed_notional'
        ? { mode: s.mode, notional: s.notional.toString() }
        : s.mode === 'equity_pct'
          ? { mode: s.mode, pct: s.pct.toString() }
          : { mode: s.mode, capPct: s.capPct.toString() },
    allowedSymbols: [...r.allowedSymbols],
    directions: [...r.directions],
    entryOrder: r.entryOrder,
  };
}

/**
 * Rules read back from storage, or undefined when the stored document is not valid rules (it
 * was written around the API). They were checked when written, so any symbol passes here: an
 * instrument delisted since must not make the binding unreadable.
 */
export function rulesFromWire(w: RulesWire): BindingRules | undefined {
  const parsed = parseRules(w, () => true);
  return parsed.ok ? parsed.rules : undefined;
}

/** Stored rules with a change applied: fields sent replace, null clears, missing keep. */
export function mergeRules(stored: RulesWire, change: RulesInput): RulesInput {
  const out: RulesInput = { ...stored };
  for (const [k, v] of Object.entries(change) as Array<[keyof RulesWire, unknown]>) {
    if (v !== undefined) out[k] = v;
  }
  return out;
}
