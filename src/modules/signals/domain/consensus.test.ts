import { describe, expect, it } from 'vitest';
import { consensusOf } from './consensus.js';
import type { Decision, DecisionAction } from './types.js';

let n = 0;
const ok = (action: DecisionAction, confidence: number): Decision => ({
  signalId: 's',
  modelId: `m${++n}`,
  kind: 'quant',
  status: 'ok',
  verdict: { action, confidence, sizePct: null, stop: null, takeProfit: null, reasoning: '' },
  failure: null,
  latencyMs: 1,
  decidedAt: 0,
});
const failed = (): Decision => ({
  ...ok('hold', 0),
  status: 'failed',
  verdict: null,
  failure: { code: 'timeout', message: 'late' },
});

describe('consensusOf', () => {
  it('takes the action with the most confidence behind it, over the models that answered', () => {
    // long: 0.8 + 0.6 = 1.4; hold: 0.9 → long, 1.4 / 3 answered
    const c = consensusOf([ok('long', 0.8), ok('hold', 0.9), ok('long', 0.6), failed()]);
    expect(c).toEqual({
      action: 'long',
      confidence: 0.467,
      agreeing: 2,
      answered: 3,
      failed: 1,
    });
  });

  it('lets one confident model outweigh two hesitant ones', () => {
    // short: 0.95; long: 0.3 + 0.4 = 0.7
    const c = consensusOf([ok('long', 0.3), ok('short', 0.95), ok('long', 0.4)]);
    expect(c).toMatchObject({ action: 'short', agreeing: 1, answered: 3 });
    expect(c.confidence).toBe(0.317);
  });

  it('gives its confidence to three decimals, with no float residue', () => {
    const c = consensusOf([ok('hold', 0.2), ok('hold', 0.2), ok('hold', 0.2)]);
    expect(c.confidence).toBe(0.2);
    expect(JSON.stringify(c.confidence)).toBe('0.2');
  });

  it('holds when nobody answered', () => {
    expect(consensusOf([failed(), failed()])).toEqual({
      action: 'hold',
      confidence: 0,
      agreeing: 0,
      answered: 0,
      failed: 2,
    });
    expect(consensusOf([])).toMatchObject({ action: 'hold', answered: 0, failed: 0 });
  });

  it('settles a tie on the more cautious action, and a long/short tie on hold', () => {
    expect(consensusOf([ok('long', 0.5), ok('hold', 0.5)])).toMatchObject({
      action: 'hold',
      confidence: 0.25,
      agreeing: 1,
    });
    expect(consensusOf([ok('close', 0.3), ok('short', 0.1), ok('short', 0.2)])).toMatchObject({
      action: 'close',
      agreeing: 1,
    });
    expect(consensusOf([ok('long', 0.7), ok('short', 0.7)])).toEqual({
      action: 'hold',
      confidence: 0,
      agreeing: 0,
      answered: 2,
      failed: 0,
    });
  });
});
