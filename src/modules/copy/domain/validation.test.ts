import { afterAll, describe, expect, it } from 'vitest';
import { d, s } from './copy.fixtures.js';
import type { Follow } from './types.js';
import {
  DEFAULT_MAX_LEADERS,
  FOLLOW_VALIDATION_CODES,
  validateFollowSettings,
  type FollowFieldError,
  type FollowValidationCode,
  type FollowValidationContext,
  type RawFollowInput,
} from './validation.js';

const raw = (over: RawFollowInput = {}): RawFollowInput => ({
  leaderId: 'leader-1',
  accountId: 'acct-f',
  mode: 'fixed_ratio',
  ratio: '0.5',
  allocatedAmount: '1000',
  ...over,
});

type FollowRow = Pick<Follow, 'id' | 'leaderId' | 'accountId' | 'status'>;
const ctx = (over: Partial<FollowValidationContext> = {}): FollowValidationContext => ({
  userId: 'user-f',
  ownedAccountIds: ['acct-f', 'acct-f2'],
  leader: { id: 'leader-1', userId: 'user-l', status: 'active', accountIds: ['acct-l'] },
  follows: [],
  ...over,
});

function errorsOf(r: RawFollowInput, c: FollowValidationContext = ctx()): FollowFieldError[] {
  const res = validateFollowSettings(r, c);
  return res.ok ? [] : res.errors;
}
const codes = (r: RawFollowInput, c?: FollowValidationContext) =>
  errorsOf(r, c).map((e) => `${e.field}:${e.code}`);

const seen = new Set<FollowValidationCode>();
function expectError(
  r: RawFollowInput,
  field: string,
  code: FollowValidationCode,
  c?: FollowValidationContext,
): void {
  expect(codes(r, c)).toContain(`${field}:${code}`);
  seen.add(code);
}

describe('validateFollowSettings: accepted input', () => {
  it('parses every field into settings, with symbols normalized', () => {
    const res = validateFollowSettings(
      raw({
        mode: 'equity_cap',
        ratio: undefined,
        equityCapPct: '25',
        maxOrderNotional: '500',
        maxOpenPositions: 5,
        drawdownStopPct: '20',
        closeOnDrawdownStop: true,
        allow: ['btc-usdt', 'ETH_USDT', 'BTC/USDT'],
        deny: [],
        maxSlippagePct: '0.5',
        copyMode: 'opens_only',
      }),
      ctx(),
    );
    if (!res.ok) throw new Error(JSON.stringify(res.errors));
    const st = res.settings;
    expect([res.leaderId, res.accountId]).toEqual(['leader-1', 'acct-f']);
    expect(st.allocation.mode === 'equity_cap' && s(st.allocation.capPct)).toBe('25');
    expect([s(st.allocatedAmount), s(st.maxOrderNotional!), st.maxOpenPositions]).toEqual([
      '1000',
      '500',
      5,
    ]);
    expect([s(st.drawdownStop!.pct), st.drawdownStop!.closePositions]).toEqual(['20', true]);
    expect([st.allow, st.deny, s(st.maxSlippagePct!), st.copyMode]).toEqual([
      ['BTC/USDT', 'ETH/USDT'],
      [],
      '0.5',
      'opens_only',
    ]);
  });

  it('fills in defaults: copy both ways, no limits, no lists', () => {
    const res = validateFollowSettings(raw({ mode: 'proportional', ratio: undefined }), ctx());
    expect(res.ok && res.settings).toEqual({
      allocation: { mode: 'proportional' },
      allocatedAmount: d('1000'),
      allow: [],
      deny: [],
      copyMode: 'both',
    });
  });

  it('accepts the edges of each range', () => {
    const edges = raw({
      ratio: '100',
      maxSlippagePct: '0.01',
      drawdownStopPct: '99',
      maxOpenPositions: 100,
    });
    expect(errorsOf(edges)).toEqual([]);
    expect(errorsOf(raw({ maxSlippagePct: '10', drawdownStopPct: '1' }))).toEqual([]);
    const amount = raw({ mode: 'fixed_amount', ratio: undefined, amountPerTrade: '1000' });
    expect(errorsOf(amount)).toEqual([]); // equal to the allocation is fine
  });

  it('reports every problem at once', () => {
    expect(codes({ mode: 'fixed_ratio', ratio: '-1', maxSlippagePct: '50' })).toEqual([
      'leaderId:required',
      'accountId:required',
      'allocatedAmount:required',
      'ratio:not_positive',
      'maxSlippagePct:percent_out_of_range',
    ]);
  });
});

describe('validateFollowSettings: each error', () => {
  it('required', () => {
    expectError(raw({ leaderId: undefined }), 'leaderId', 'required');
    expectError(raw({ accountId: '  ' }), 'accountId', 'required');
    expectError(raw({ allocatedAmount: '' }), 'allocatedAmount', 'required');
    expectError(raw({ mode: undefined }), 'mode', 'required');
    expectError(raw({ ratio: undefined }), 'ratio', 'required');
    expectError(raw({ mode: 'fixed_amount', ratio: undefined }), 'amountPerTrade', 'required');
    expectError(raw({ mode: 'equity_cap', ratio: undefined }), 'equityCapPct', 'required');
  });

  it('amounts as decimal strings: not_a_string, not_a_number', () => {
    expectError(raw({ ratio: 0.5 }), 'ratio', 'not_a_string');
    expectError(raw({ allocatedAmount: { v: 1 } }), 'allocatedAmount', 'not_a_string');
    expectError(raw({ ratio: 'half' }), 'ratio', 'not_a_number');
    expectError(raw({ ratio: '1e2' }), 'ratio', 'not_a_number');
    expectError(raw({ allocatedAmount: Number.NaN }), 'allocatedAmount', 'not_a_number');
  });

  it('not_positive: zero and negative amounts and ratios', () => {
    expectError(raw({ ratio: '0' }), 'ratio', 'not_positive');
    expectError(raw({ ratio: '-0.5' }), 'ratio', 'not_positive');
    expectError(raw({ allocatedAmount: '0' }), 'allocatedAmount', 'not_positive');
    expectError(raw({ maxOrderNotional: '-10' }), 'maxOrderNotional', 'not_positive');
    const amount = raw({ mode: 'fixed_amount', ratio: undefined, amountPerTrade: '-5' });
    expectError(amount, 'amountPerTrade', 'not_positive');
  });

  it('too_large: absurd ratios and amounts', () => {
    expectError(raw({ ratio: '100.01' }), 'ratio', 'too_large');
    expectError(raw({ allocatedAmount: '1000000000000.01' }), 'allocatedAmount', 'too_large');
  });

  it('percent_out_of_range: values in the wrong unit are refused, naming the unit', () => {
    // 50 meant as 50 %, or 0.005 meant as the fraction 0.5 %
    expectError(raw({ maxSlippagePct: '50' }), 'maxSlippagePct', 'percent_out_of_range');
    expectError(raw({ maxSlippagePct: '0.005' }), 'maxSlippagePct', 'percent_out_of_range');
    expectError(raw({ drawdownStopPct: '0.2' }), 'drawdownStopPct', 'percent_out_of_range');
    expectError(raw({ drawdownStopPct: '100' }), 'drawdownStopPct', 'percent_out_of_range');
    const cap = (v: string) => raw({ mode: 'equity_cap', ratio: undefined, equityCapPct: v });
    expectError(cap('0.25'), 'equityCapPct', 'percent_out_of_range');
    expectError(cap('150'), 'equityCapPct', 'percent_out_of_range');
    const msg = errorsOf(raw({ maxSlippagePct: '50' }))[0]!.message;
    expect(msg).toBe('must be between 0.01 and 10, in percent ("0.5" means 0.5 %); got 50');
  });

  it('maxOpenPositions: not_an_integer, out_of_range', () => {
    expectError(raw({ maxOpenPositions: '5' }), 'maxOpenPositions', 'not_an_integer');
    expectError(raw({ maxOpenPositions: 2.5 }), 'maxOpenPositions', 'not_an_integer');
    expectError(raw({ maxOpenPositions: 0 }), 'maxOpenPositions', 'out_of_range');
    expectError(raw({ maxOpenPositions: 101 }), 'maxOpenPositions', 'out_of_range');
  });

  it('modes: invalid_allocation_mode, not_allowed_for_mode, invalid_copy_mode', () => {
    expectError(raw({ mode: 'mirror' }), 'mode', 'invalid_allocation_mode');
    expectError(raw({ mode: 'proportional' }), 'ratio', 'not_allowed_for_mode');
    expectError(raw({ amountPerTrade: '10' }), 'amountPerTrade', 'not_allowed_for_mode');
    expectError(raw({ copyMode: 'all' }), 'copyMode', 'invalid_copy_mode');
  });

  it('flags: invalid_flag, requires_drawdown_stop', () => {
    expectError(raw({ closeOnDrawdownStop: 'yes' }), 'closeOnDrawdownStop', 'invalid_flag');
    expectError(
      raw({ closeOnDrawdownStop: true }),
      'closeOnDrawdownStop',
      'requires_drawdown_stop',
    );
  });

  it('amounts against each other and the account', () => {
    const amount = raw({ mode: 'fixed_amount', ratio: undefined, amountPerTrade: '1000.01' });
    expectError(amount, 'amountPerTrade', 'fixed_amount_exceeds_allocation');
    const poor = ctx({ accountEquity: d('999.99') });
    expectError(raw(), 'allocatedAmount', 'allocation_exceeds_equity', poor);
    expect(errorsOf(raw(), ctx({ accountEquity: d('1000') }))).toEqual([]);
  });

  it('instrument lists: not_a_list, invalid_symbol, instrument_in_both_lists, too_many_instruments', () => {
    expectError(raw({ allow: 'BTC/USDT' }), 'allow', 'not_a_list');
    expectError(raw({ allow: ['BTC'] }), 'allow/0', 'invalid_symbol');
    expectError(raw({ deny: ['ETH/USDT', 42] }), 'deny/1', 'invalid_symbol');
    expectError(
      raw({ allow: ['BTC/USDT', 'ETH/USDT'], deny: ['btc-usdt'] }),
      'deny',
      'instrument_in_both_lists',
    );
    const many = Array.from({ length: 201 }, (_, i) => `C${i}/USDT`);
    expectError(raw({ deny: many }), 'deny', 'too_many_instruments');
  });

  it('unknown_leader', () => {
    expectError(raw(), 'leaderId', 'unknown_leader', ctx({ leader: undefined }));
    expectError(raw({ leaderId: 'leader-2' }), 'leaderId', 'unknown_leader');
  });

  it('cannot_follow_self: your own profile, or copying into one of its copied accounts', () => {
    const mine = ctx({
      leader: { id: 'leader-1', userId: 'user-f', status: 'active', accountIds: ['acct-f2'] },
    });
    expectError(raw(), 'leaderId', 'cannot_follow_self', mine);
    const shared = ctx({
      ownedAccountIds: ['acct-f', 'acct-l'],
      leader: { id: 'leader-1', userId: 'user-l', status: 'active', accountIds: ['acct-l'] },
    });
    expectError(raw({ accountId: 'acct-l' }), 'accountId', 'cannot_follow_self', shared);
  });

  it('account_not_owned', () => {
    expectError(raw({ accountId: 'acct-someone' }), 'accountId', 'account_not_owned');
  });

  it('leader_paused, leader_stopped: no new follows, but settings of a follow may change', () => {
    const leader = (status: 'paused' | 'stopped') =>
      ctx({ leader: { id: 'leader-1', userId: 'user-l', status, accountIds: [] } });
    expectError(raw(), 'leaderId', 'leader_paused', leader('paused'));
    expectError(raw(), 'leaderId', 'leader_stopped', leader('stopped'));
    const editing = { ...leader('paused'), editingFollowId: 'f-1' };
    expect(errorsOf(raw(), editing)).toEqual([]);
  });

  it('already_following: the same leader from the same account, unless that follow ended', () => {
    const row = (status: FollowRow['status'], accountId = 'acct-f'): FollowRow => ({
      id: 'f-1',
      leaderId: 'leader-1',
      accountId,
      status,
    });
    expectError(raw(), 'leaderId', 'already_following', ctx({ follows: [row('paused')] }));
    expect(errorsOf(raw(), ctx({ follows: [row('ended')] }))).toEqual([]);
    expect(errorsOf(raw(), ctx({ follows: [row('active', 'acct-f2')] }))).toEqual([]);
    // Editing that very follow is not following twice.
    expect(errorsOf(raw(), ctx({ follows: [row('active')], editingFollowId: 'f-1' }))).toEqual([]);
  });

  it(`too_many_leaders: at most ${DEFAULT_MAX_LEADERS} by default, or as configured`, () => {
    const others = (n: number, status: FollowRow['status'] = 'active'): FollowRow[] =>
      Array.from({ length: n }, (_, i) => ({
        id: `f-${i}`,
        leaderId: `other-${i}`,
        accountId: 'acct-f',
        status,
      }));
    expectError(raw(), 'leaderId', 'too_many_leaders', ctx({ follows: others(10) }));
    expect(errorsOf(raw(), ctx({ follows: others(9) }))).toEqual([]);
    expect(errorsOf(raw(), ctx({ follows: others(10, 'ended') }))).toEqual([]);
    expectError(raw(), 'leaderId', 'too_many_leaders', ctx({ follows: others(2), maxLeaders: 2 }));
    // The same leader from a second account is not one more leader.
    const sameLeader = [
      ...others(9),
      { id: 'f-x', leaderId: 'leader-1', accountId: 'acct-f2', status: 'active' as const },
    ];
    expect(errorsOf(raw(), ctx({ follows: sameLeader }))).toEqual([]);
  });
});

afterAll(() => {
  // Every validation code has an example above.
  expect(FOLLOW_VALIDATION_CODES.filter((c) => !seen.has(c))).toEqual([]);
});
