import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../../core/clock.js';
import { Decimal } from '../../../core/decimal.js';
import { CandleAggregator } from './candles.js';
import { replay } from './replay.js';
import { SyntheticMarket } from './synthetic.js';
import { TickerBoard } from './ticker.js';
import type { Candle, Trade } from './types.js';

describe('synthetic market through candles and tickers', () => {
  it('closes 60 one-minute candles per instrument in a simulated hour, holding exactly its trades', () => {
    const start = Date.UTC(2026, 0, 1);
    const end = start + 3_600_000;
    const market = new SyntheticMarket({ seed: 'pipeline', startTime: start });
    const candles = new CandleAggregator({ timeframes: ['1m', '1h'] });
    const tickers = new TickerBoard();
    const trades: Trade[] = [];
    const closed: Candle[] = [];
    for (const e of market.advanceTo(end - 1)) {
      if (e.kind === 'trade') {
        trades.push(e);
        closed.push(...candles.onTrade(e));
        tickers.onTrade(e);
      } else if (e.kind === 'book') tickers.onBookTop(e);
    }
    closed.push(...candles.flush(end));

    for (const symbol of ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'BNB/USDT', 'XRP/USDT']) {
      const mine = trades.filter((t) => t.symbol === symbol);
      const minutes = closed.filter((c) => c.symbol === symbol && c.timeframe === '1m');
      const [hour] = closed.filter((c) => c.symbol === symbol && c.timeframe === '1h');
      // Trades start within the first second, so every minute of the hour has a candle.
      expect(minutes).toHaveLength(60);
      const volume = mine.reduce((a, t) => a.add(t.quantity), Decimal.ZERO);
      expect(hour!.volume.eq(volume)).toBe(true);
      expect(hour!.trades).toBe(mine.length);
      const ticker = tickers.ticker('paper', symbol, end)!;
      expect(ticker.volume24h.eq(volume)).toBe(true);
      expect(ticker.last.eq(mine.at(-1)!.price)).toBe(true);
      expect(
        ticker.open24h.eq(hour!.open) &&
          ticker.high24h.eq(hour!.high) &&
          ticker.low24h.eq(hour!.low),
      ).toBe(true);
      expect(ticker.bid!.lt(ticker.ask!)).toBe(true);
    }
  });

  it('paces the endless synthetic stream against a clock at 60× through replay', async () => {
    const start = Date.UTC(2026, 0, 1);
    const market = new SyntheticMarket({ seed: 'paced', startTime: start });
    const clock = new SimulatedClock(Date.UTC(2030, 0, 1));
    const wallStart = clock.now();
    const sleep = async (ms: number) => clock.advance(ms);
    let last = start;
    for await (const e of replay(market, { speed: 60, clock, sleep })) {
      // One minute of market time per second of wall time, never early, at most 1 ms late.
      const due = (e.ts - start) / 60;
      expect(clock.now() - wallStart).toBeGreaterThanOrEqual(due);
      expect(clock.now() - wallStart).toBeLessThan(due + 1);
      last = e.ts;
      if (e.ts >= start + 600_000) break;
    }
    expect(Math.round(clock.now() - wallStart)).toBe(Math.ceil((last - start) / 60));
  });
});
