import { describe, expect, it } from 'vitest';
import { mergeRules, parseRules, rulesFromWire, rulesToWire, type RulesInput } from './rules.js';

const known = (s: string) => s === 'BTC/USDT' || s === 'ETH/USDT';
const valid: RulesInput = {
  minConfidence: 0.6,
  maxOrderNotional: '1000',
  sizing: { mode: 'fixed_notional', notional: '250' },
};
const problems = (input: RulesInput) => {
  const r = parseRules(input, known);
  if (r.ok) throw new Error('expected problems');
  return r.errors.map((e) => `${e.field} ${e.code}`);
};

describe('parseRules', () => {
  it('fills the defaults and round-trips through the wire form', () => {
    const r = parseRules(valid, known);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const wire = rulesToWire(r.rules);
    expect(wire).toEqual({
      minConfidence: 0.6,
      minAgreeing: null,
      maxOrderNotional: '1000',
      maxPositionNotional: null,
      sizing: { mode: 'fixed_notional', notional: '250' },
      allowedSymbols: [],
      directions: ['long', 'short', 'close'],
      entryOrder: 'limit',
    });
    expect(rulesToWire(rulesFromWire(wire)!)).toEqual(wire);
    expect(rulesFromWire({ ...wire, maxOrderNotional: 'lots' })).toBeUndefined();
  });

  it('names every absurd field at once', () => {
    expect(
      problems({
        minConfidence: 1.5,
        minAgreeing: 0,
        maxOrderNotional: '-5',
        maxPositionNotional: '2000000000000',
        sizing: { mode: 'equity_pct', pct: '150' },
        allowedSymbols: ['BTC/USDT', 'DOGE/XYZ', 'BTC/USDT'],
        directions: ['long', 'sideways'],
        entryOrder: 'stop',
      }),
    ).toEqual([
      'rules/minConfidence out_of_range',
      'rules/minAgreeing out_of_range',
      'rules/maxOrderNotional not_positive',
      'rules/maxPositionNotional above_maximum',
      'rules/sizing/pct above_maximum',
      'rules/allowedSymbols/1 unknown_symbol',
      'rules/allowedSymbols/2 duplicate',
      'rules/directions/1 unknown_direction',
      'rules/entryOrder invalid_choice',
    ]);
  });

  it('requires confidence, the order limit and the sizing', () => {
    expect(problems({})).toEqual([
      'rules/minConfidence required',
      'rules/maxOrderNotional required',
      'rules/sizing required',
    ]);
  });

  it('checks each sizing mode for its own field', () => {
    expect(problems({ ...valid, sizing: { mode: 'fixed_notional', notional: '0' } })).toEqual([
      'rules/sizing/notional not_positive',
    ]);
    expect(problems({ ...valid, sizing: { mode: 'model_suggested', pct: '5' } })).toEqual([
      'rules/sizing/pct not_allowed',
      'rules/sizing/capPct required',
    ]);
    expect(problems({ ...valid, sizing: { mode: 'martingale' } })).toEqual([
      'rules/sizing/mode invalid_choice',
    ]);
    expect(problems({ ...valid, maxOrderNotional: '1e5' })).toEqual([
      'rules/maxOrderNotional not_a_decimal',
    ]);
    expect(problems({ ...valid, directions: [] })).toEqual(['rules/directions empty']);
  });

  it('merges a change: sent fields replace, null clears, missing keep', () => {
    const r = parseRules({ ...valid, maxPositionNotional: '5000', minAgreeing: 2 }, known);
    if (!r.ok) throw new Error('invalid');
    const merged = mergeRules(rulesToWire(r.rules), {
      maxPositionNotional: null,
      minConfidence: 0.75,
    });
    const again = parseRules(merged, known);
    if (!again.ok) throw new Error('invalid');
    expect(rulesToWire(again.rules)).toMatchObject({
      minConfidence: 0.75,
      minAgreeing: 2,
      maxPositionNotional: null,
      maxOrderNotional: '1000',
    });
  });
});
