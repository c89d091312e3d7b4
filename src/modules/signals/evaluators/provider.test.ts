import { describe, expect, it } from 'vitest';
import { httpFailure } from './provider.js';

const KEY = 'sk-test-TOPSECRET-0123456789';

describe('httpFailure', () => {
  it('never repeats a key the provider echoes in its error code', () => {
    for (const [status, code] of [
      [401, `invalid_api_key:${KEY}`],
      [401, 'invalid_api_key'],
      [400, `bad:${KEY}`],
      [400, KEY],
      [429, `x${'y'.repeat(100)}`],
    ] as const) {
      const e = httpFailure(status, code, `refused ${KEY}`, [KEY]);
      expect(e.message).not.toContain(KEY);
      expect(e.message).not.toContain('TOPSECRET');
      expect(e.message.length).toBeLessThan(300);
    }
  });

  it('keeps a plain provider code where it helps', () => {
    const e = httpFailure(429, 'insufficient_quota', 'You exceeded your quota', [KEY]);
    expect(e.message).toBe(
      'HTTP 429 (insufficient_quota) — rate limited or out of quota: You exceeded your quota',
    );
  });
});
