/**
 * Accounting scenarios, one per `describe`, named for what they prove. Every expected value
 * is exact and its arithmetic is written beside it. Time is frozen at T0.
 */
import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.js';
import { deposit } from './ledger-transactions.js';
import { Portfolio } from './portfolio.js';
import { BTC_USDT, ETH_USDT, INSTRUMENTS, T0, fill, marks, s } from './portfolio.fixtures.js';

function funded(usdt = '10000'): Portfolio {
  const p = new Portfolio(INSTRUMENTS);
  const r = deposit(p.ledger, {
    id: 'signup-alice',
    ts: T0,
    accountId: 'alice',
    currency: 'USDT',
    amount: dec(usdt),
  });
  expect(r).toEqual({ ok: true, applied: true });
  return p;
}

const btc = (p: Portfolio) => p.position('alice', 'paper', BTC_USDT.symbol)!;
const bal = (p: Portfolio, c: string) => s(p.ledger.balance('alice', c).total);

describe('portfolio-deposit-funds-a-paper-account', () => {
  it('credits the account from equity:deposits and counts it as a contribution', () => {
    const p = funded('10000');
    expect(bal(p, 'USDT')).toBe('10000');
    expect(s(p.ledger.ledgerBalance('equity:deposits:USDT'))).toBe('-10000');
    const v = p.valuation('alice', marks({}));
    expect([s(v.equity), s(v.netContributions), s(v.realizedPnl)]).toEqual(['10000', '10000', '0']);
    expect([...p.ledger.trialBalance().values()].map(s)).toEqual(['0']);
  });
});

describe('portfolio-buy-capitalises-the-fee-into-average-cost', () => {
  it('pays notional + fee and carries both in the cost basis', () => {
    const p = funded();
    expect(p.applyFill(fill('buy', '0.1', '30000', { fee: '3' })).ok).toBe(true);
    // notional = 0.1 × 30000 = 3000; paid = 3000 + 3 fee = 3003
    expect(bal(p, 'USDT')).toBe('6997'); // 10000 − 3003
    expect(bal(p, 'BTC')).toBe('0.1');
    expect(s(btc(p).costBasis)).toBe('3003');
    expect(s(btc(p).averageCost)).toBe('30030'); // 3003 / 0.1
    expect(s(btc(p).feesPaid)).toBe('3');
    // The venue delivered 0.1 BTC and received 3000 USDT; the fee went to fee income.
    expect(s(p.ledger.ledgerBalance('venue:paper:BTC'))).toBe('-0.1');
    expect(s(p.ledger.ledgerBalance('venue:paper:USDT'))).toBe('3000');
    expect(s(p.ledger.ledgerBalance('fees:paper:USDT'))).toBe('3');
  });
});

describe('portfolio-buy-buy-sell-realizes-against-average-cost', () => {
  it('realizes (sell price − average cost) × quantity − sell fee', () => {
    const p = funded();
    p.applyFill(fill('buy', '0.1', '30000', { fee: '3' })); // cost 3000 + 3 = 3003
    p.applyFill(fill('buy', '0.2', '33000', { fee: '6.6' })); // cost 6600 + 6.6 = 6606.6
    // cost basis 3003 + 6606.6 = 9609.6 for 0.3 BTC; average 9609.6 / 0.3 = 32032
    expect(s(btc(p).averageCost)).toBe('32032');
    p.applyFill(fill('sell', '0.15', '35000', { fee: '5.25' }));
    // proceeds 0.15 × 35000 = 5250; removed cost 9609.6 × 0.15 / 0.3 = 4804.8
    // realized = 5250 − 5.25 − 4804.8 = 439.95  (= (35000 − 32032) × 0.15 − 5.25 = 445.2 − 5.25)
    const pos = btc(p);
    expect(s(pos.realizedPnl)).toBe('439.95');
    expect([s(pos.quantity), s(pos.costBasis), s(pos.averageCost)]).toEqual([
      '0.15',
      '4804.8',
      '32032',
    ]);
    expect(s(pos.feesPaid)).toBe('14.85'); // 3 + 6.6 + 5.25
    expect(bal(p, 'USDT')).toBe('5635.15'); // 10000 − 3003 − 6606.6 + 5250 − 5.25
  });
});

describe('portfolio-full-sell-closes-flat-and-realized-equals-net-cash-flow', () => {
  it('removes all remaining cost and leaves equity = deposits + realized', () => {
    const p = funded();
    p.applyFill(fill('buy', '0.1', '30000', { fee: '3' }));
    p.applyFill(fill('buy', '0.2', '33000', { fee: '6.6' }));
    p.applyFill(fill('sell', '0.15', '35000', { fee: '5.25' })); // realized 439.95, cost left 4804.8
    p.applyFill(fill('sell', '0.15', '31000', { fee: '4.65' }));
    // proceeds 0.15 × 31000 = 4650; removed = all 4804.8; realized += 4650 − 4.65 − 4804.8 = −159.45
    // total realized 439.95 − 159.45 = 280.5
    const pos = btc(p);
    expect([s(pos.quantity), s(pos.costBasis), s(pos.averageCost)]).toEqual(['0', '0', '0']);
    expect(s(pos.realizedPnl)).toBe('280.5');
    // USDT 5635.15 + 4650 − 4.65 = 10280.5 = 10000 deposited + 280.5 realized
    expect(bal(p, 'USDT')).toBe('10280.5');
    expect(s(p.valuation('alice', marks({})).equity)).toBe('10280.5');
  });
});

describe('portfolio-partial-sell-rounds-half-even-and-full-close-leaves-no-residue', () => {
  it('keeps realized PnL equal to proceeds − cost across a third that does not divide', () => {
    const p = funded('100');
    const eth = () => p.position('alice', 'paper', ETH_USDT.symbol)!;
    p.applyFill(fill('buy', '1', '3', { symbol: 'ETH/USDT' })); // cost 3
    p.applyFill(fill('buy', '2', '3.5', { symbol: 'ETH/USDT' })); // cost 7 → 10 for 3 ETH
    expect(s(eth().averageCost)).toBe('3.333333333333333333'); // 10 / 3, half-even at 18 places
    p.applyFill(fill('sell', '1', '4', { symbol: 'ETH/USDT' }));
    // removed 10 × 1/3 = 3.333333333333333333|33… → 3.333333333333333333
    // realized 4 − 3.333333333333333333 = 0.666666666666666667; cost left 6.666666666666666667
    expect(s(eth().realizedPnl)).toBe('0.666666666666666667');
    expect(s(eth().costBasis)).toBe('6.666666666666666667');
    p.applyFill(fill('sell', '2', '4', { symbol: 'ETH/USDT' }));
    // full close removes 6.666666666666666667; realized += 8 − 6.666666666666666667 = 1.333333333333333333
    // total 0.666666666666666667 + 1.333333333333333333 = 2 = 12 received − 10 paid
    expect(s(eth().realizedPnl)).toBe('2');
    expect(s(eth().costBasis)).toBe('0');
  });
});

describe('portfolio-mark-to-market-values-equity-as-cash-plus-positions', () => {
  it('marks the open quantity and splits the gain into realized and unrealized', () => {
    const p = funded();
    p.applyFill(fill('buy', '0.1', '30000', { fee: '3' }));
    p.applyFill(fill('buy', '0.2', '33000', { fee: '6.6' }));
    p.applyFill(fill('sell', '0.15', '35000', { fee: '5.25' }));
    const v = p.valuation('alice', marks({ BTC: '40000' }));
    expect(s(v.cash)).toBe('5635.15');
    expect(s(v.positionsValue)).toBe('6000'); // 0.15 × 40000
    expect(s(v.equity)).toBe('11635.15'); // 5635.15 + 6000
    expect(s(v.unrealizedPnl)).toBe('1195.2'); // 6000 − 4804.8 = (40000 − 32032) × 0.15
    expect(s(v.realizedPnl)).toBe('439.95');
    // equity − deposits = 1635.15 = 439.95 realized + 1195.2 unrealized: fees are inside both
    expect(s(v.equity.sub(v.netContributions))).toBe('1635.15');
    expect(v.missingMarks).toEqual([]);
  });
});

describe('portfolio-missing-mark-is-flagged-not-guessed', () => {
  it('leaves the unmarked holding out and says so', () => {
    const p = funded();
    p.applyFill(fill('buy', '0.1', '30000'));
    const v = p.valuation('alice', marks({}));
    expect([s(v.equity), s(v.positionsValue)]).toEqual(['7000', '0']); // cash only
    expect(v.missingMarks).toEqual(['BTC']);
    expect(p.snapshot('alice', T0 + 1, marks({})).complete).toBe(false);
  });
});

describe('portfolio-fee-in-base-asset-reduces-quantity-not-cash', () => {
  it('buys quantity − fee for the full notional, then realizes against that cost', () => {
    const p = funded();
    p.applyFill(fill('buy', '0.1', '30000', { fee: '0.0001', feeCurrency: 'BTC' }));
    // receives 0.1 − 0.0001 = 0.0999 BTC for 3000 USDT; average 3000 / 0.0999
    expect([bal(p, 'BTC'), bal(p, 'USDT')]).toEqual(['0.0999', '7000']);
    expect(s(btc(p).averageCost)).toBe('30030.03003003003003003');
    expect(s(btc(p).feesPaid)).toBe('3'); // 0.0001 BTC at the fill price 30000
    expect(s(p.ledger.ledgerBalance('fees:paper:BTC'))).toBe('0.0001');
    p.applyFill(fill('sell', '0.0999', '31000', { fee: '3.0969' }));
    // proceeds 0.0999 × 31000 = 3096.9; realized = 3096.9 − 3.0969 − 3000 = 93.8031
    expect(s(btc(p).realizedPnl)).toBe('93.8031');
    expect(bal(p, 'USDT')).toBe('10093.8031'); // 10000 + 93.8031
  });
});

describe('portfolio-cross-pair-position-is-valued-through-both-marks', () => {
  it('values ETH bought with BTC in USDT', () => {
    const p = new Portfolio(INSTRUMENTS);
    deposit(p.ledger, { id: 'd1', ts: T0, accountId: 'alice', currency: 'BTC', amount: dec('1') });
    p.applyFill(fill('buy', '10', '0.05', { symbol: 'ETH/BTC', fee: '0.0005' })); // pays 0.5005 BTC
    const v = p.valuation('alice', marks({ BTC: '60000', ETH: '3100' }));
    expect(s(v.positionsValue)).toBe('60970'); // 0.4995 × 60000 + 10 × 3100 = 29970 + 31000
    expect(s(v.unrealizedPnl)).toBe('970'); // 10 × 3100 − 0.5005 × 60000 = 31000 − 30030
    expect(s(v.netContributions)).toBe('0'); // contributions count in USDT only
  });
});

describe('portfolio-unaffordable-fill-is-refused-with-nothing-changed', () => {
  it('returns insufficient_funds and leaves balances, positions and journal as they were', () => {
    const p = funded('100');
    const r = p.applyFill(fill('buy', '0.01', '30000')); // needs 300 USDT
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('insufficient_funds');
    expect(p.ledger.balances('alice').map((b) => [b.currency, s(b.total)])).toEqual([
      ['USDT', '100'],
    ]);
    expect(p.positionsOf('alice')).toEqual([]);
    expect(p.ledger.journal()).toHaveLength(1);
  });
});

describe('portfolio-snapshots-keep-one-point-per-interval', () => {
  it('keeps the latest snapshot of each minute', () => {
    const p = funded();
    p.applyFill(fill('buy', '0.1', '30000'));
    p.snapshot('alice', T0, marks({ BTC: '30000' })); // 7000 + 3000 = 10000
    p.snapshot('alice', T0 + 10_000, marks({ BTC: '31000' })); // same minute: replaces → 10100
    p.snapshot('alice', T0 + 60_000, marks({ BTC: '29000' })); // next minute → 9900
    p.snapshot('alice', T0 + 61_000, marks({ BTC: '32000' })); // replaces → 10200
    const pts = p.snapshots('alice');
    expect(pts.map((x) => [x.ts - T0, s(x.equity), s(x.unrealizedPnl)])).toEqual([
      [10_000, '10100', '100'], // 0.1 × 31000 − 3000
      [61_000, '10200', '200'], // 0.1 × 32000 − 3000
    ]);
    expect(pts[1]).toMatchObject({ complete: true });
    expect(s(pts[1]!.netContributions)).toBe('10000');
    expect(() => p.snapshot('alice', T0, marks({ BTC: '1' }))).toThrow(RangeError);
    // A bar of a backtest snapshots every account at once.
    deposit(p.ledger, {
      id: 'signup-bob',
      ts: T0,
      accountId: 'bob',
      currency: 'USDT',
      amount: dec('500'),
    });
    const all = p.snapshotAll(T0 + 120_000, marks({ BTC: '30000' }));
    expect([...all].map(([a, x]) => [a, s(x.equity)])).toEqual([
      ['alice', '10000'], // 7000 + 0.1 × 30000
      ['bob', '500'],
    ]);
  });
});
