import { describe, expect, it } from 'vitest';
import { dec, type Decimal } from '../../../core/decimal.js';
import { AppError } from '../../../core/errors.js';
import { defaultSyntheticInstruments } from './catalogue.js';
import { instrumentKey, type Instrument } from './instrument.js';
import type { RegimeSpec } from './price-process.js';
import { SyntheticMarket, type SyntheticMarketConfig } from './synthetic.js';
import type { MarketEvent } from './types.js';

const START = Date.UTC(2026, 0, 1);
const market = (over: Partial<SyntheticMarketConfig> = {}) =>
  new SyntheticMarket({ seed: 'test', startTime: START, ...over });
const text = (events: MarketEvent[]) => JSON.stringify(events);

describe('SyntheticMarket determinism', () => {
  it('produces byte-identical first 10,000 events for the same seed', () => {
    expect(text(market({ seed: 7 }).take(10_000))).toBe(text(market({ seed: 7 }).take(10_000)));
  });

  it('produces a different market for a different seed', () => {
    const a = market({ seed: 7 }).take(1000);
    const b = market({ seed: 8 }).take(1000);
    expect(text(a)).not.toBe(text(b));
    // The opening book tops differ too: not just a shifted copy.
    expect(text(a.slice(0, 5))).not.toBe(text(b.slice(0, 5)));
  });

  it('gives the same events whether read one by one, in batches, or by time', () => {
    const one = market().take(3000);
    const m = market();
    const batched = [...m.take(1000), ...m.take(2000)];
    const timed = market().advanceTo(one[2999]!.ts);
    expect(text(batched)).toBe(text(one));
    expect(text(timed.slice(0, 3000))).toBe(text(one));
  });

  it("keeps an instrument's path when other instruments are added or removed", () => {
    const all = defaultSyntheticInstruments();
    const btcAlone = market({ instruments: all.slice(0, 1) }).take(2000);
    const btcInCrowd = market({ instruments: all })
      .take(12_000)
      .filter((e) => e.symbol === 'BTC/USDT')
      .slice(0, 2000);
    expect(text(btcInCrowd)).toBe(text(btcAlone));
  });

  it('pins the opening events of seed 42, so a model change cannot go unnoticed', () => {
    const first = market({ seed: 42 }).take(8);
    expect(first.map((e) => `${e.kind} ${e.symbol} ${e.ts - START}`)).toMatchInlineSnapshot(`
      [
        "book BTC/USDT 0",
        "book ETH/USDT 0",
        "book SOL/USDT 0",
        "book BNB/USDT 0",
        "book XRP/USDT 0",
        "book BNB/USDT 9",
        "trade SOL/USDT 61",
        "book XRP/USDT 63",
      ]
    `);
    expect(JSON.stringify(first[0])).toMatchInlineSnapshot(
      `"{"kind":"book","venue":"paper","symbol":"BTC/USDT","bidPrice":"96999.99","bidSize":"0.00481","askPrice":"97000","askSize":"0.01118","ts":1767225600000}"`,
    );
  });
});

describe('SyntheticMarket invariants', () => {
  const events = market({ seed: 'invariants', tradesPerSecond: 3 }).take(60_000);
  const instruments = new Map(
    defaultSyntheticInstruments().map((s) => [instrumentKey(s.instrument), s.instrument]),
  );
  const of = (e: MarketEvent) => instruments.get(instrumentKey(e))!;

  it('emits a book top for every instrument at the start time first', () => {
    expect(events.slice(0, 5).map((e) => [e.kind, e.symbol, e.ts])).toEqual(
      [...instruments.values()].map((i) => ['book', i.symbol, START]),
    );
  });

  it('never lets time go backwards', () => {
    const back = events.filter((e, i) => i > 0 && e.ts < events[i - 1]!.ts);
    expect(back).toEqual([]);
  });

  it('quotes positive prices on the tick and sizes on the lot, at least the minimum quantity', () => {
    const onTick = (p: Decimal, i: Instrument) => p.isPositive() && p.isMultipleOf(i.tickSize);
    const onLot = (q: Decimal, i: Instrument) =>
      q.isMultipleOf(i.lotSize) && q.gte(i.minQuantity) && q.lte(i.maxQuantity);
    const bad = events.filter((e) => {
      const i = of(e);
      if (e.kind === 'trade') return !onTick(e.price, i) || !onLot(e.quantity, i);
      if (e.kind === 'book') {
        return (
          !onTick(e.bidPrice, i) ||
          !onTick(e.askPrice, i) ||
          !e.askPrice.gt(e.bidPrice) ||
          !onLot(e.bidSize, i) ||
          !onLot(e.askSize, i)
        );
      }
      return true;
    });
    expect(bad).toEqual([]);
  });

  it('numbers trades per instrument from 1 without gaps', () => {
    const seen = new Map<string, number>();
    for (const e of events) {
      if (e.kind !== 'trade') continue;
      const n = (seen.get(e.symbol) ?? 0) + 1;
      expect(e.id).toBe(String(n));
      seen.set(e.symbol, n);
    }
  });

  it('has both aggressor sides, and a trade-to-book ratio near the configured rates', () => {
    const trades = events.filter((e) => e.kind === 'trade');
    const buys = trades.filter((e) => e.kind === 'trade' && e.side === 'buy').length;
    expect(buys / trades.length).toBeGreaterThan(0.4);
    expect(buys / trades.length).toBeLessThan(0.6);
    // 3 trades and 2 book tops per second: 60 % trades.
    expect(trades.length / events.length).toBeCloseTo(0.6, 1);
  });

  it('draws heavy-tailed trade sizes: the largest dwarfs the median', () => {
    const notionals = events
      .filter((e) => e.kind === 'trade' && e.symbol === 'ETH/USDT')
      .map((e) => (e.kind === 'trade' ? e.price.mul(e.quantity).toNumber() : 0))
      .sort((a, b) => a - b);
    const median = notionals[Math.floor(notionals.length / 2)]!;
    expect(notionals.at(-1)! / median).toBeGreaterThan(50);
  });
});

describe('SyntheticMarket over a simulated day', () => {
  it('switches regimes, moves prices, and runs at about the configured rate', () => {
    const m = market({ seed: 'day', tradesPerSecond: 0.2, bookTopsPerSecond: 0.05 });
    const regimes = new Set<string>();
    const day = START + 86_400_000;
    let events = 0;
    for (let t = START; t < day; t += 600_000) {
      events += m.advanceTo(t + 599_999).length;
      for (const s of m.state()) regimes.add(s.regime);
    }
    expect([...regimes].sort()).toEqual(['calm', 'trend-down', 'trend-up', 'volatile']);
    // 5 instruments × 0.25 events/s × 86,400 s ≈ 108,000, scaled by regime activity.
    expect(events).toBeGreaterThan(60_000);
    expect(events).toBeLessThan(250_000);
    for (const s of m.state()) expect(s.mid).toBeGreaterThan(0);
  });

  it('follows a custom regime table, including a single regime that never switches', () => {
    const still: RegimeSpec[] = [
      {
        name: 'flat',
        trend: 0,
        volatility: 0,
        jumpsPerDay: 0,
        jumpSize: 0,
        meanMinutes: 60,
        activity: 1,
        spread: 1,
        next: {},
      },
    ];
    const [btc] = defaultSyntheticInstruments();
    const m = market({ regimes: still, instruments: [{ ...btc!, spreadBps: 0 }] });
    const events = m.take(500);
    expect(m.state()[0]!.regime).toBe('flat');
    // Zero volatility and the minimum spread: 97000.00 mid, bid 96999.99 … ask 97000.00.
    for (const e of events) {
      if (e.kind === 'trade') expect(['96999.99', '97000']).toContain(e.price.toString());
      if (e.kind === 'book')
        expect([e.bidPrice.toString(), e.askPrice.toString()]).toEqual(['96999.99', '97000']);
    }
  });
});

describe('SyntheticMarket configuration', () => {
  const [btc] = defaultSyntheticInstruments();
  it.each<[string, Partial<SyntheticMarketConfig>]>([
    ['startTime', { startTime: 1.5 }],
    ['instruments', { instruments: [] }],
    ['instruments/1', { instruments: [btc!, btc!] }],
    ['instruments/0/tradesPerSecond', { tradesPerSecond: -1 }],
    ['instruments/0', { tradesPerSecond: 0, bookTopsPerSecond: 0 }],
    ['instruments/0/startPrice', { instruments: [{ ...btc!, startPrice: dec('0') }] }],
    ['instruments/0/dailyVolatility', { instruments: [{ ...btc!, dailyVolatility: Number.NaN }] }],
    ['regimes', { regimes: [] }],
  ])('rejects a bad %s', (field, over) => {
    const err = (() => {
      try {
        market(over);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).fields[0]!.field).toBe(field);
  });

  it('rejects a regime that leads to an unknown regime', () => {
    const spec: RegimeSpec = {
      name: 'a',
      trend: 0,
      volatility: 1,
      jumpsPerDay: 0,
      jumpSize: 0,
      meanMinutes: 1,
      activity: 1,
      spread: 1,
      next: { b: 1 },
    };
    expect(() => market({ regimes: [spec] })).toThrow(/regimes\/0\/next\/b: is not a regime/);
  });
});
