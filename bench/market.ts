/**
 * Market-data domain throughput, single thread, no I/O:
 *
 *   npx tsx bench/market.ts              (1,000,000 synthetic events)
 *   BENCH_EVENTS=5000000 npx tsx bench/market.ts
 *
 * - synthetic: events from the default five-instrument market (trades and book tops);
 * - candles: those trades through a CandleAggregator building all six timeframes;
 * - ticker: the same trades through rolling 24 h tickers;
 * - binance csv: spot trade lines parsed into Trades;
 * - fingerprint: SHA-256 of the first 100,000 events as JSON, to compare machines and runs
 *   (it must not change unless the model does).
 */
import { createHash } from 'node:crypto';
import {
  CandleAggregator,
  parseBinanceTrades,
  SyntheticMarket,
  TickerBoard,
  type TradeEvent,
} from '../src/modules/market/domain/index.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const START = Date.UTC(2026, 0, 1);

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const out = fn();
  return [out, (performance.now() - t0) / 1000];
}

const rows: [string, number, number][] = [];

// Warm-up so that the first measurement does not pay for compilation.
new SyntheticMarket({ seed: 'warm-up', startTime: START }).take(50_000);

const market = new SyntheticMarket({ seed: 'bench', startTime: START });
const [events, genSeconds] = time(() => market.take(EVENTS));
rows.push(['synthetic events', EVENTS, genSeconds]);

const trades = events.filter((e): e is TradeEvent => e.kind === 'trade');
const span = (events.at(-1)!.ts - START) / 3_600_000;

const agg = new CandleAggregator();
const [closed, candleSeconds] = time(() => {
  let n = 0;
  for (const t of trades) n += agg.onTrade(t).length;
  return n + agg.flush(events.at(-1)!.ts).length;
});
rows.push(['candles (6 timeframes), trades', trades.length, candleSeconds]);

const board = new TickerBoard();
const [, tickerSeconds] = time(() => {
  for (const t of trades) board.onTrade(t);
});
rows.push(['24 h ticker, trades', trades.length, tickerSeconds]);

const csv = trades
  .slice(0, 200_000)
  .filter((t) => t.symbol === 'BTC/USDT')
  .map(
    (t) =>
      `${t.id},${t.price.toFixed(8)},${t.quantity.toFixed(8)},${t.price.mul(t.quantity).toFixed(8)},${t.ts},${t.side === 'sell' ? 'True' : 'False'},True`,
  )
  .join('\n');
const [parsed, csvSeconds] = time(() =>
  parseBinanceTrades(csv, { venue: 'binance', symbol: 'BTC/USDT' }),
);
rows.push(['binance csv trade lines', parsed.length, csvSeconds]);

const fingerprint = createHash('sha256')
  .update(JSON.stringify(new SyntheticMarket({ seed: 'bench', startTime: START }).take(100_000)))
  .digest('hex');

console.log(
  `node ${process.version}, ${EVENTS.toLocaleString('en')} events covering ${span.toFixed(1)} h of market time`,
);
for (const [name, n, s] of rows) {
  console.log(
    `${name.padEnd(34)} ${n.toLocaleString('en').padStart(11)} in ${s.toFixed(2).padStart(6)} s  ${Math.round(
      n / s,
    )
      .toLocaleString('en')
      .padStart(11)} /s`,
  );
}
console.log(`closed candles: ${closed.toLocaleString('en')}`);
console.log(`fingerprint (seed "bench", first 100,000 events): ${fingerprint}`);
