import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EnrichedSignal, Features } from '../domain/types.js';

/**
 * Versioned prompts live as Markdown beside the code (`../prompts/<name>.v<N>.md`) and are read
 * relative to this module, so they ship with the sources that tsx runs directly. A version is
 * immutable once released; decisions record the version that produced them.
 */
export const PROMPTS_DIR = fileURLToPath(new URL('../prompts/', import.meta.url));

export const PROMPT_VERSION = /^[a-z0-9_]+\.v[0-9]+$/;

/** Every placeholder a template may use; anything else in `{{…}}` is refused at load. */
export const PLACEHOLDERS = [
  'prompt_version',
  'symbol',
  'venue',
  'direction',
  'timeframe',
  'entry',
  'stop',
  'take_profit',
  'source',
  'strategy',
  'sent_at',
  'signal_age',
  'last_price',
  'bid',
  'ask',
  'spread_bps',
  'indicator_timeframe',
  'candles',
  'last_candle_at',
  'features',
  'quality',
] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

export interface PromptTemplate {
  version: string;
  system: string;
  user: string;
}

export interface RenderedPrompt {
  version: string;
  system: string;
  user: string;
}

/** Reads and checks `<dir>/<version>.md`; throws with a message naming the file. */
export function loadPrompt(version: string, dir = PROMPTS_DIR): PromptTemplate {
  if (!PROMPT_VERSION.test(version)) throw new Error(`"${version}" is not a prompt version`);
  const file = `${dir.replace(/\/?$/, '/')}${version}.md`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`prompt ${version} not found (${file})`);
  }
  return parsePrompt(version, text);
}

export function parsePrompt(version: string, text: string): PromptTemplate {
  const body = text.replace(/<!--[\s\S]*?-->/g, '');
  const m = /^# system[ \t]*\r?\n([\s\S]*?)^# user[ \t]*\r?\n([\s\S]*)$/m.exec(body);
  if (!m) throw new Error(`prompt ${version} needs a "# system" and then a "# user" section`);
  const system = m[1]!.trim();
  const user = m[2]!.trim();
  if (!system || !user) throw new Error(`prompt ${version} has an empty section`);
  for (const [, name] of `${system}\n${user}`.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(name!)) {
      throw new Error(`prompt ${version} uses an unknown placeholder {{${name}}}`);
    }
  }
  return { version, system, user };
}

/** Keeps prompts short and stable: eight significant digits, no exponent for usual sizes. */
function compact(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(8)) : x;
}

function compactFeatures(f: Features): Record<string, unknown> {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'number') return Number.isFinite(v) ? compact(v) : null;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(f) as Record<string, unknown>;
}

/** Caller-chosen text goes into the prompt quoted and bounded, so it reads as data. */
const quoted = (s: string | null, max = 64): string =>
  s === null ? 'none' : JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);

/** Prices the gateway validated print as they are; anything else is quoted like free text. */
const price = (s: string | null, missing: string): string =>
  s === null ? missing : /^[0-9]{1,40}(\.[0-9]{1,18})?$/.test(s) ? s : quoted(s, 40);

const iso = (ms: number | null): string => (ms === null ? 'unknown' : new Date(ms).toISOString());

function age(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'unknown';
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

/** Fills a template from an enriched signal. */
export function renderPrompt(t: PromptTemplate, input: EnrichedSignal): RenderedPrompt {
  const s = input.signal;
  const m = input.market;
  const values: Record<Placeholder, string> = {
    prompt_version: t.version,
    symbol: quoted(s.symbol, 32),
    venue: quoted(s.venue, 32),
    direction: s.direction,
    timeframe: s.timeframe === null ? 'not given' : quoted(s.timeframe, 16),
    entry: price(s.entry, 'not given'),
    stop: price(s.stop, 'not given'),
    take_profit: price(s.takeProfit, 'not given'),
    source: quoted(s.source),
    strategy: quoted(s.strategy),
    sent_at: iso(s.sentAt),
    signal_age: age(input.enrichedAt - s.sentAt),
    last_price: price(m.lastPrice, 'unknown'),
    bid: price(m.bid, 'unknown'),
    ask: price(m.ask, 'unknown'),
    spread_bps: m.spreadBps === null ? 'unknown' : String(compact(m.spreadBps)),
    indicator_timeframe: quoted(m.timeframe, 16),
    candles: String(m.candles),
    last_candle_at: iso(m.lastCandleAt),
    features: JSON.stringify(compactFeatures(input.features), null, 2),
    quality: input.quality.length ? input.quality.join(', ') : 'none',
  };
  const fill = (text: string) =>
    text.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (_, name: Placeholder) => values[name]);
  return { version: t.version, system: fill(t.system), user: fill(t.user) };
}
