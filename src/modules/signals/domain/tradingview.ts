/**
 * TradingView alerts as signals. TradingView posts the alert message the user templated, as
 * is, and cannot add headers: the source's secret travels in the body, and the fields use
 * TradingView's own words ({{ticker}} gives `BINANCE:BTCUSDT` or `BTCUSDT.P`, {{interval}} gives
 * `15` or `1D`, {{strategy.order.action}} gives `buy` or `sell`). This maps such a body onto the
 * gateway's fields; `validateSignal` then checks it like any other submission.
 */

/** Fields of the alert body that become signal fields; anything else goes to `payload`. */
const MAPPED = new Set([
  'secret',
  'symbol',
  'ticker',
  'direction',
  'action',
  'timeframe',
  'interval',
  'entry',
  'price',
  'stop',
  'takeProfit',
  'strategy',
  'sentAt',
  'time',
  'timenow',
  'venue',
  'profile',
  'payload',
  'source',
]);

const DIRECTIONS: Record<string, string> = {
  long: 'long',
  buy: 'long',
  short: 'short',
  sell: 'short',
  close: 'close',
  exit: 'close',
  flat: 'close',
};

const INTERVALS: Record<string, string> = {
  '1': '1m',
  '5': '5m',
  '15': '15m',
  '60': '1h',
  '240': '4h',
  D: '1d',
  '1D': '1d',
};

export interface TradingViewAlert {
  /** The secret as sent; undefined when the body has none. */
  secret: string | undefined;
  /** The body in the gateway's terms, to validate (`source` and `sentAt` filled by the caller). */
  fields: Record<string, unknown>;
}

/**
 * `BINANCE:BTCUSDT` → `BTCUSDT`, `BTCUSDT.P` (a perpetual) → `BTCUSDT`; the catalogue then
 * turns `BTCUSDT` into `BTC/USDT`. Other text is passed on for the catalogue to judge.
 */
export function tradingViewTicker(ticker: string): string {
  const bare = ticker.includes(':') ? ticker.slice(ticker.lastIndexOf(':') + 1) : ticker;
  return bare.replace(/\.P$/i, '').replace(/PERP$/i, '');
}

/**
 * Maps an alert body. Values TradingView renders as bare numbers (`"entry": {{close}}`) are
 * turned back into decimal text here, since a webhook template cannot always quote them;
 * the numbers it renders have at most 15 significant digits, which a double carries exactly.
 */
export function mapTradingViewAlert(body: unknown): TradingViewAlert | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  const pick = (...names: string[]) => names.map((n) => b[n]).find((v) => v !== undefined);
  const fields: Record<string, unknown> = {};
  const set = (name: string, v: unknown) => {
    if (v !== undefined) fields[name] = v;
  };

  const symbol = pick('symbol', 'ticker');
  set('symbol', typeof symbol === 'string' ? tradingViewTicker(symbol.trim()) : symbol);
  const direction = pick('direction', 'action');
  set(
    'direction',
    typeof direction === 'string'
      ? (DIRECTIONS[direction.trim().toLowerCase()] ?? direction)
      : direction,
  );
  const timeframe = pick('timeframe', 'interval');
  set(
    'timeframe',
    typeof timeframe === 'number'
      ? (INTERVALS[String(timeframe)] ?? String(timeframe))
      : typeof timeframe === 'string'
        ? (INTERVALS[timeframe.trim().toUpperCase()] ?? timeframe.trim())
        : timeframe,
  );
  set('entry', decimalText(pick('entry', 'price')));
  set('stop', decimalText(b.stop));
  set('takeProfit', decimalText(b.takeProfit));
  set('strategy', b.strategy);
  set('sentAt', pick('sentAt', 'time', 'timenow'));
  set('venue', b.venue);
  set('profile', b.profile);

  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(b)) if (!MAPPED.has(k)) extra[k] = v;
  const given = b.payload;
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given)))
    fields.payload = given; // refused by validation, naming /payload
  else if (given !== undefined || Object.keys(extra).length)
    fields.payload = { ...extra, ...((given as Record<string, unknown> | undefined) ?? {}) };

  return { secret: typeof b.secret === 'string' ? b.secret : undefined, fields };
}

/** A finite JSON number as plain decimal text (no exponent); anything else unchanged. */
export function decimalText(v: unknown): unknown {
  if (typeof v === 'string') return v.trim();
  if (typeof v !== 'number' || !Number.isFinite(v)) return v;
  const s = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, frac = '', exp] = m;
  const digits = lead! + frac;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
