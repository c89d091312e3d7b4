import { describe, expect, it } from 'vitest';
import { parseAnswer } from './verdict-schema.js';

const good = {
  action: 'short',
  confidence: 0.4,
  sizePct: null,
  stop: '51000.50',
  takeProfit: null,
  reasoning: ' RSI 74 with price above the upper band. ',
};

describe('reading a model answer', () => {
  it('accepts the schema, normalising prices and trimming the reasoning', () => {
    expect(parseAnswer(JSON.stringify(good))).toEqual({
      ok: true,
      verdict: { ...good, stop: '51000.5', reasoning: 'RSI 74 with price above the upper band.' },
    });
  });

  it('tolerates one Markdown fence around the JSON', () => {
    const text = '```json\n' + JSON.stringify(good) + '\n```';
    expect(parseAnswer(text).ok).toBe(true);
  });

  it.each([
    ['', 'the answer is empty'],
    ['Buy!', 'the answer is not JSON: "Buy!"'],
    ['[1,2]', 'the answer breaks the verdict schema'],
    [JSON.stringify({ ...good, confidence: -0.1 }), 'confidence must be >= 0'],
    [JSON.stringify({ ...good, sizePct: 150 }), 'sizePct must be <= 100'],
    [JSON.stringify({ ...good, stop: 51000 }), 'stop must be string,null'],
    [JSON.stringify({ ...good, stop: '5.1e4' }), 'stop must match pattern'],
    [JSON.stringify({ ...good, extra: 1 }), 'unknown field "extra"'],
    [JSON.stringify({ ...good, reasoning: '   ' }), 'reasoning must match pattern'],
    [JSON.stringify({ ...good, takeProfit: '0.0' }), 'takeProfit "0.0" is not a positive decimal'],
    [
      JSON.stringify({ ...good, reasoning: 'x'.repeat(2001) }),
      'reasoning must NOT have more than 2000',
    ],
  ])('refuses %j', (text, reason) => {
    const r = parseAnswer(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });
});
