/**
 * Symbols are `BASE/QUOTE` everywhere inside the platform. People and URLs also write
 * `BTC-USDT`, `btc_usdt` or Binance's `BTCUSDT`; this turns those into the canonical form.
 * A slash cannot sit in a path segment unescaped, so paths use the dash form (or `%2F`).
 */
export function normalizeSymbol(text: string, known: readonly string[]): string | undefined {
  const t = text.trim().toUpperCase().replace(/[-_]/g, '/');
  if (t.includes('/')) return /^[A-Z0-9]+\/[A-Z0-9]+$/.test(t) ? t : undefined;
  // Without a separator the split is ambiguous in general, so only the catalogue can say.
  return known.find((s) => s.replace('/', '') === t);
}

/** `BTCUSDT-1m-2024-03-01.csv` → `BTCUSDT`: Binance names its public files after the pair. */
export function symbolOfBinanceFile(path: string): string | undefined {
  const name = path.split(/[\\/]/).pop() ?? '';
  const m = /^([A-Za-z0-9]+)-/.exec(name);
  return m?.[1];
}
