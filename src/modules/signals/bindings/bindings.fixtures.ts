/** Shared inputs of the binding planner's tests. */
import { Decimal } from '../../../core/decimal.js';
import { makeInstrument } from '../../market/index.js';
import type { AccountView, BindingRules, DecidedSignal, PlanContext } from './domain.js';

export const d = (s: string) => Decimal.parse(s);

/** BTC/USDT as the paper venue lists it: tick 0.01, lot 0.00001, minimum notional 5, fee 0.1 %. */
export const BTC = makeInstrument({
  venue: 'paper',
  symbol: 'BTC/USDT',
  tickSize: '0.01',
  lotSize: '0.00001',
  maxQuantity: '9000',
  minNotional: '5',
  makerFee: '0.001',
  takerFee: '0.001',
});

export const rules = (over: Partial<BindingRules> = {}): BindingRules => ({
  minConfidence: 0.6,
  minAgreeing: null,
  maxOrderNotional: d('1000'),
  maxPositionNotional: null,
  sizing: { mode: 'fixed_notional', notional: d('500') },
  allowedSymbols: [],
  directions: ['long', 'short', 'close'],
  entryOrder: 'limit',
  ...over,
});

export const signal = (over: Partial<DecidedSignal> = {}): DecidedSignal => ({
  symbol: 'BTC/USDT',
  direction: 'long',
  entry: null,
  consensus: { action: 'long', confidence: 0.8, agreeing: 2 },
  suggestedSizePct: null,
  ...over,
});

export const account = (over: Partial<AccountView> = {}): AccountView => ({
  equity: d('10000'),
  quoteAvailable: d('10000'),
  baseAvailable: Decimal.ZERO,
  ...over,
});

export const context = (over: Partial<PlanContext> = {}): PlanContext => ({
  instrument: BTC,
  account: account(),
  prices: { last: d('50000'), bid: d('49999.99'), ask: d('50000') },
  marketSlippagePct: d('1'),
  ...over,
});
