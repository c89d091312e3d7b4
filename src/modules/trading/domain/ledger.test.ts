import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.js';
import { Ledger } from './ledger.js';
import { parseLedgerAccount, userAccount } from './ledger-accounts.js';
import { chargeFee, deposit, transfer, withdraw } from './ledger-transactions.js';
import { Portfolio } from './portfolio.js';
import { INSTRUMENTS, T0, fill, s } from './portfolio.fixtures.js';

const funded = (accountId = 'alice', usdt = '1000'): Portfolio => {
  const p = new Portfolio(INSTRUMENTS);
  deposit(p.ledger, {
    id: `dep-${accountId}`,
    ts: T0,
    accountId,
    currency: 'USDT',
    amount: dec(usdt),
  });
  return p;
};
const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? 'ok' : r.error!.code);
const totals = (l: Ledger) => l.ledgerAccounts().map((a) => `${a.name}=${a.balance}`);

describe('ledger accounts', () => {
  it('names and parses the account kinds in one place', () => {
    expect(userAccount('alice', 'USDT')).toBe('acct:alice:USDT');
    expect(parseLedgerAccount('venue:paper:BTC')).toEqual({
      type: 'venue',
      owner: 'paper',
      currency: 'BTC',
    });
    expect(parseLedgerAccount('equity:profit:USDT')).toBeUndefined();
    expect(parseLedgerAccount('acct:a:b:c')).toBeUndefined();
    expect(() => userAccount('a:b', 'USDT')).toThrow(RangeError);
  });
});

describe('Ledger.post', () => {
  const tx = (postings: Array<[string, string, string]>, id = 'tx-1') => ({
    id,
    ts: T0,
    kind: 'transfer' as const,
    postings: postings.map(([ledgerAccount, currency, amount]) => ({
      ledgerAccount,
      currency,
      amount: dec(amount),
    })),
  });

  it('refuses a transaction that does not sum to zero in each currency', () => {
    const l = new Ledger();
    const r = l.post(
      tx([
        ['acct:a:USDT', 'USDT', '5'],
        ['equity:deposits:USDT', 'USDT', '-4'],
      ]),
    );
    expect(code(r)).toBe('unbalanced');
    // Balanced in total but not per currency:
    const r2 = l.post(
      tx([
        ['acct:a:USDT', 'USDT', '5'],
        ['equity:deposits:BTC', 'BTC', '-5'],
      ]),
    );
    expect(code(r2)).toBe('unbalanced');
    expect(l.journal()).toHaveLength(0);
  });

  it('refuses malformed postings', () => {
    const l = new Ledger();
    expect(
      code(
        l.post(
          tx([
            ['acct:a:USDT', 'BTC', '1'],
            ['equity:deposits:BTC', 'BTC', '-1'],
          ]),
        ),
      ),
    ).toBe('currency_mismatch');
    expect(
      code(
        l.post(
          tx([
            ['cash:a:USDT', 'USDT', '1'],
            ['equity:deposits:USDT', 'USDT', '-1'],
          ]),
        ),
      ),
    ).toBe('invalid_account');
    expect(
      code(
        l.post(
          tx([
            ['acct:a:USDT', 'USDT', '0'],
            ['equity:deposits:USDT', 'USDT', '0'],
          ]),
        ),
      ),
    ).toBe('invalid_amount');
    expect(code(l.post({ id: 'e', ts: T0, kind: 'transfer', postings: [] }))).toBe(
      'invalid_transaction',
    );
  });

  it('never takes a user account below zero; system accounts absorb the other side', () => {
    const p = funded('alice', '100');
    const before = totals(p.ledger);
    expect(
      code(
        withdraw(p.ledger, {
          id: 'w1',
          ts: T0,
          accountId: 'alice',
          currency: 'USDT',
          amount: dec('100.01'),
        }),
      ),
    ).toBe('insufficient_funds');
    expect(totals(p.ledger)).toEqual(before);
    expect(
      code(
        withdraw(p.ledger, {
          id: 'w2',
          ts: T0,
          accountId: 'alice',
          currency: 'USDT',
          amount: dec('40'),
        }),
      ),
    ).toBe('ok');
    expect(s(p.ledger.balance('alice', 'USDT').total)).toBe('60'); // 100 − 40
    expect(s(p.ledger.netContributions('alice', 'USDT'))).toBe('60');
    expect(s(p.ledger.ledgerBalance('equity:deposits:USDT'))).toBe('-100');
    expect(s(p.ledger.ledgerBalance('equity:withdrawals:USDT'))).toBe('40');
  });

  it('applies the same transaction id once (at-least-once delivery is safe)', () => {
    const p = funded('alice', '100');
    const again = deposit(p.ledger, {
      id: 'dep-alice',
      ts: T0,
      accountId: 'alice',
      currency: 'USDT',
      amount: dec('100'),
    });
    expect(again).toEqual({ ok: true, applied: false });
    expect(s(p.ledger.balance('alice', 'USDT').total)).toBe('100');
    expect(p.ledger.journal()).toHaveLength(1);
    expect(p.ledger.has('dep-alice')).toBe(true);
  });

  it('refuses non-positive amounts rather than reversing their direction', () => {
    const l = new Ledger();
    expect(
      code(deposit(l, { id: 'd', ts: T0, accountId: 'a', currency: 'USDT', amount: dec('-5') })),
    ).toBe('invalid_amount');
  });
});

describe('transfers between accounts', () => {
  it('moves a performance fee from a follower to a leader as a fee entry', () => {
    const p = funded('follower', '1000');
    const r = transfer(p.ledger, {
      id: 'perf-2024-01',
      ts: T0,
      from: 'follower',
      to: 'leader',
      currency: 'USDT',
      amount: dec('12.5'),
      kind: 'fee',
      reference: 'follow-7',
    });
    expect(code(r)).toBe('ok');
    expect(s(p.ledger.balance('follower', 'USDT').total)).toBe('987.5'); // 1000 − 12.5
    expect(s(p.ledger.balance('leader', 'USDT').total)).toBe('12.5');
    expect(s(p.ledger.netContributions('leader', 'USDT'))).toBe('0'); // earned, not paid in
    const last = p.ledger.journal().at(-1)!;
    expect([last.kind, last.reference]).toEqual(['fee', 'follow-7']);
    expect(last.postings().map((x) => `${x.ledgerAccount} ${x.amount}`)).toEqual([
      'acct:leader:USDT 12.5',
      'acct:follower:USDT -12.5',
    ]);
  });

  it('charges a platform fee into fee income', () => {
    const p = funded('alice', '10');
    expect(
      code(
        chargeFee(p.ledger, {
          id: 'f1',
          ts: T0,
          accountId: 'alice',
          collector: 'platform',
          currency: 'USDT',
          amount: dec('2'),
        }),
      ),
    ).toBe('ok');
    expect(s(p.ledger.ledgerBalance('fees:platform:USDT'))).toBe('2');
    expect(s(p.ledger.balance('alice', 'USDT').available)).toBe('8');
  });
});

describe('fills in the ledger', () => {
  it('posts a buy as four legs plus the fee, balanced per currency', () => {
    const p = funded('alice', '1000');
    p.applyFill(fill('buy', '0.01', '30000', { id: 'f-1', fee: '0.3' }));
    const entry = p.ledger.journal().at(-1)!;
    expect([entry.id, entry.kind, entry.reference]).toEqual(['f-1', 'fill', 'f-1']);
    expect(entry.postings().map((x) => `${x.ledgerAccount} ${x.amount}`)).toEqual([
      'acct:alice:BTC 0.01',
      'venue:paper:BTC -0.01',
      'acct:alice:USDT -300', // 0.01 × 30000
      'venue:paper:USDT 300',
      'acct:alice:USDT -0.3',
      'fees:paper:USDT 0.3',
    ]);
    expect([...p.ledger.trialBalance().values()].map(s)).toEqual(['0', '0']);
  });

  it('ignores a redelivered fill, whether it arrives next, at the same instant, or late', () => {
    const p = funded('alice', '100000');
    const fills = Array.from({ length: 40 }, (_, i) =>
      fill('buy', '0.001', '30000', { ts: T0 + 10 + (i % 20) }),
    );
    for (const f of fills.slice(0, 20)) expect(code(p.applyFill(f))).toBe('ok');
    const after20 = totals(p.ledger);
    // 20 fills share ts T0+10..T0+29; redeliver each (older, and at the newest instant)
    for (const f of fills.slice(0, 20))
      expect(p.applyFill(f)).toEqual({ ok: true, applied: false });
    expect(totals(p.ledger)).toEqual(after20);
    // 20 more at the same instants as the first: new ids, so they apply
    for (const f of fills.slice(20)) expect(code(p.applyFill(f))).toBe('ok');
    for (const f of fills) expect(p.applyFill(f)).toEqual({ ok: true, applied: false });
    expect(p.ledger.journal()).toHaveLength(41);
    expect(s(p.position('alice', 'paper', 'BTC/USDT')!.quantity)).toBe('0.04'); // 40 × 0.001
  });

  it('deduplicates many fills at one instant (past the small-list threshold)', () => {
    const p = funded('alice', '100000');
    const same = Array.from({ length: 50 }, () => fill('buy', '0.001', '30000', { ts: T0 + 5 }));
    for (const f of same) p.applyFill(f);
    for (const f of same) expect(p.applyFill(f)).toEqual({ ok: true, applied: false });
    expect(s(p.ledger.balance('alice', 'BTC').total)).toBe('0.05');
  });

  it('takes a fee in a third currency (a venue token) from that balance', () => {
    const p = funded('alice', '1000');
    const bnbFill = () => fill('buy', '0.01', '30000', { fee: '0.01', feeCurrency: 'BNB' });
    expect(code(p.applyFill(bnbFill()))).toBe('insufficient_funds'); // no BNB yet
    expect(s(p.ledger.balance('alice', 'USDT').total)).toBe('1000');
    deposit(p.ledger, { id: 'bnb', ts: T0, accountId: 'alice', currency: 'BNB', amount: dec('1') });
    expect(code(p.applyFill(bnbFill()))).toBe('ok');
    expect(s(p.ledger.balance('alice', 'BNB').total)).toBe('0.99');
    expect(s(p.ledger.balance('alice', 'USDT').total)).toBe('700'); // 1000 − 0.01 × 30000
    expect(s(p.ledger.ledgerBalance('fees:paper:BNB'))).toBe('0.01');
    expect(s(p.position('alice', 'paper', 'BTC/USDT')!.costBasis)).toBe('300'); // fee not in quote
    expect([...p.ledger.trialBalance().values()].map(s)).toEqual(['0', '0', '0']);
  });

  it('refuses a fill on an unknown instrument or with a non-positive quantity', () => {
    const p = funded();
    expect(code(p.applyFill(fill('buy', '1', '1', { symbol: 'DOGE/USDT' })))).toBe(
      'unknown_instrument',
    );
    expect(code(p.applyFill(fill('buy', '0', '1')))).toBe('invalid_amount');
  });
});

describe('holds', () => {
  it('reserves funds that only the holding order may spend', () => {
    const p = funded('alice', '1000');
    const l = p.ledger;
    expect(code(l.hold('order-A', 'alice', 'USDT', dec('600')))).toBe('ok');
    expect(l.hold('order-A', 'alice', 'USDT', dec('600'))).toEqual({ ok: true, applied: false });
    expect(code(l.hold('order-A', 'alice', 'BTC', dec('1')))).toBe('hold_conflict');
    expect(code(l.hold('order-B', 'alice', 'USDT', dec('500')))).toBe('insufficient_funds'); // 400 free
    const b = l.balance('alice', 'USDT');
    expect([s(b.total), s(b.held), s(b.available)]).toEqual(['1000', '600', '400']);
    // Another order cannot spend the held 600…
    expect(code(p.applyFill(fill('buy', '0.02', '30000', { orderId: 'order-B' })))).toBe(
      'insufficient_funds',
    ); // 600 > 400
    // …nor can a withdrawal.
    expect(
      code(
        withdraw(l, { id: 'w', ts: T0, accountId: 'alice', currency: 'USDT', amount: dec('401') }),
      ),
    ).toBe('insufficient_funds');
    // The holding order's fill draws on its hold first: 450 from the 600 held.
    expect(code(p.applyFill(fill('buy', '0.015', '30000', { orderId: 'order-A' })))).toBe('ok');
    const after = l.balance('alice', 'USDT');
    expect([s(after.total), s(after.held), s(after.available)]).toEqual(['550', '150', '400']); // 1000 − 450; 600 − 450
    expect(s(l.heldFor('order-A'))).toBe('150');
    expect(code(l.release('order-A', dec('200')))).toBe('invalid_amount');
    expect(code(l.release('order-A'))).toBe('ok');
    expect(l.release('order-A')).toEqual({ ok: true, applied: false }); // already gone
    expect(s(l.balance('alice', 'USDT').available)).toBe('550');
    // A late redelivery of the original hold must not reserve again.
    expect(l.hold('order-A', 'alice', 'USDT', dec('600'))).toEqual({ ok: true, applied: false });
    expect(s(l.balance('alice', 'USDT').held)).toBe('0');
  });

  it('lets a fill use its own hold plus free funds', () => {
    const p = funded('alice', '1000');
    p.ledger.hold('order-A', 'alice', 'USDT', dec('300'));
    p.ledger.hold('order-B', 'alice', 'USDT', dec('300'));
    // 0.03 × 30000 = 900 > 300 held + 400 free: refused
    expect(code(p.applyFill(fill('buy', '0.03', '30000', { orderId: 'order-A' })))).toBe(
      'insufficient_funds',
    );
    // 0.02 × 30000 = 600 ≤ 300 held + 400 free: the hold is used up, then free funds
    expect(code(p.applyFill(fill('buy', '0.02', '30000', { orderId: 'order-A' })))).toBe('ok');
    const b = p.ledger.balance('alice', 'USDT');
    expect([s(b.total), s(b.held), s(b.available)]).toEqual(['400', '300', '100']);
  });
});
