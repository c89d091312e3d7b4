import { describe, expect, it } from 'vitest';
import { Decimal } from '../../core/decimal.js';
import { Portfolio } from './domain/portfolio.js';
import type { Fill } from './domain/types.js';
import {
  balanceChanges,
  fillInstruments,
  fillShortfall,
  spotInstrumentOf,
  syncPostings,
} from './live-ledger.js';

const d = (s: string) => Decimal.parse(s);
const A = 'acc-1';
const BTC_USDT = { venue: 'binance', symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT' };

const fill = (o: Partial<Fill> = {}): Fill => ({
  id: 'binance:BTCUSDT:1',
  orderId: 'o-1',
  accountId: A,
  venue: 'binance',
  symbol: 'BTC/USDT',
  side: 'buy',
  price: d('50000'),
  quantity: d('0.01'),
  fee: d('0.00001'),
  feeCurrency: 'BTC',
  liquidity: 'taker',
  ts: 0,
  ...o,
});

function opened(balances: Record<string, string>): Portfolio {
  const p = new Portfolio([BTC_USDT]);
  const r = p.ledger.post({
    id: 'opening',
    ts: 0,
    kind: 'exchange_sync',
    postings: syncPostings(
      A,
      Object.entries(balances).map(([currency, v]) => ({ currency, delta: d(v) })),
    ),
  });
  expect(r.ok).toBe(true);
  return p;
}

describe('a live account ledger follows its exchange', () => {
  it('opens with the exchange balances, counted as money paid in', () => {
    const p = opened({ USDT: '1000', BTC: '0.5' });
    expect(p.ledger.balance(A, 'USDT').total.toString()).toBe('1000');
    expect(p.ledger.balance(A, 'BTC').total.toString()).toBe('0.5');
    expect(p.ledger.netContributions(A, 'USDT').toString()).toBe('1000');
    expect([...p.ledger.trialBalance().values()].every((v) => v.isZero())).toBe(true);
  });

  it('a sync records each difference: up from deposits, down to withdrawals', () => {
    const p = opened({ USDT: '1000', BTC: '0.5' });
    const changes = balanceChanges(
      new Map([
        ['USDT', d('1250.5')],
        ['ETH', d('2')],
      ]),
      new Map([
        ['USDT', d('1000')],
        ['BTC', d('0.5')],
      ]),
    );
    expect(changes.map((c) => `${c.currency} ${c.from} → ${c.to}`)).toEqual([
      'BTC 0.5 → 0',
      'ETH 0 → 2',
      'USDT 1000 → 1250.5',
    ]);
    const postings = syncPostings(
      A,
      changes.map((c) => ({ currency: c.currency, delta: c.to.sub(c.from) })),
    );
    expect(postings.map((x) => `${x.ledgerAccount} ${x.amount}`)).toEqual([
      'acct:acc-1:BTC -0.5',
      'equity:withdrawals:BTC 0.5',
      'acct:acc-1:ETH 2',
      'equity:deposits:ETH -2',
      'acct:acc-1:USDT 250.5',
      'equity:deposits:USDT -250.5',
    ]);
    expect(p.ledger.post({ id: 's1', ts: 1, kind: 'exchange_sync', postings }).ok).toBe(true);
    // 1000 + 250.5 in, nothing of it profit.
    expect(p.ledger.netContributions(A, 'USDT').toString()).toBe('1250.5');
    expect(p.ledger.balances(A).map((b) => `${b.currency} ${b.total}`)).toEqual([
      'ETH 2',
      'USDT 1250.5',
    ]);
  });

  it('a fill the ledger cannot cover needs only the difference, counting the order’s own hold', () => {
    const p = opened({ USDT: '400' });
    expect(p.ledger.hold('o-1', A, 'USDT', d('300')).ok).toBe(true);
    // 0.01 × 50000 = 500 USDT to pay; 100 free + 300 held for this order.
    expect(
      fillShortfall(p, fill(), BTC_USDT, { currency: 'USDT', amount: d('300') }).map(
        (s) => `${s.currency} ${s.delta}`,
      ),
    ).toEqual(['USDT 100']);
    // A fee in a third currency the ledger has none of.
    expect(
      fillShortfall(
        p,
        fill({ quantity: d('0.001'), fee: d('0.0001'), feeCurrency: 'BNB' }),
        BTC_USDT,
        { currency: 'USDT', amount: d('300') },
      ).map((s) => `${s.currency} ${s.delta}`),
    ).toEqual(['BNB 0.0001']);
    expect(fillShortfall(opened({ USDT: '600' }), fill(), BTC_USDT, undefined)).toEqual([]);
  });

  it('learns the instruments of fills on venues outside the catalogue', () => {
    expect(spotInstrumentOf('binance', 'ETH/USDT')).toEqual({
      venue: 'binance',
      symbol: 'ETH/USDT',
      base: 'ETH',
      quote: 'USDT',
    });
    expect(spotInstrumentOf('binance', 'BTC/USDT:USDT')).toBeUndefined();
    const journal = [
      { fill: fill() },
      { fill: fill({ id: 'x', symbol: 'ETH/USDT' }) },
      { fill: undefined },
      { fill: fill({ id: 'y' }) },
    ];
    expect(fillInstruments(journal, [BTC_USDT]).map((i) => i.symbol)).toEqual(['ETH/USDT']);
  });
});
