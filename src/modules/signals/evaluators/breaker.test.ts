import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../../core/clock.js';
import { ModelBreaker } from './breaker.js';

const make = () => {
  const clock = new SimulatedClock();
  const breaker = new ModelBreaker({ clock, failureThreshold: 2, cooldownMs: 1000 });
  return { clock, breaker };
};

const call = (b: ModelBreaker, ok: boolean) => {
  const a = b.admit();
  if (!a.admitted) return 'refused';
  if (ok) b.success(a.probe);
  else b.failure(a.probe);
  return a.probe ? 'probe' : 'sent';
};

describe('model breaker', () => {
  it('opens after the threshold of consecutive failures; a success in between resets it', () => {
    const { breaker } = make();
    expect([call(breaker, false), call(breaker, true), call(breaker, false)]).toEqual([
      'sent',
      'sent',
      'sent',
    ]);
    expect(breaker.status().state).toBe('closed');
    call(breaker, false);
    expect(breaker.status()).toMatchObject({ state: 'open', consecutiveFailures: 2, opened: 1 });
    expect(call(breaker, true)).toBe('refused');
  });

  it('admits one probe after the cool-down; success closes, failure doubles the wait', () => {
    const { clock, breaker } = make();
    call(breaker, false);
    call(breaker, false);
    clock.advance(1000);
    expect(breaker.status().state).toBe('half_open');
    expect(call(breaker, false)).toBe('probe');
    clock.advance(1999);
    expect(call(breaker, true)).toBe('refused');
    clock.advance(1);
    const probe = breaker.admit();
    expect(probe).toEqual({ admitted: true, probe: true });
    expect(breaker.admit()).toEqual({ admitted: false, retryAt: clock.now() });
    breaker.success(true);
    expect(breaker.status()).toEqual({
      state: 'closed',
      consecutiveFailures: 0,
      retryAt: null,
      opened: 2,
    });
  });

  it('caps the doubled cool-down at 16 times the first', () => {
    const { clock, breaker } = make();
    call(breaker, false);
    call(breaker, false);
    for (let i = 0; i < 8; i++) {
      clock.advance(breaker.status().retryAt! - clock.now());
      expect(call(breaker, false)).toBe('probe');
    }
    expect(breaker.status().retryAt! - clock.now()).toBe(16_000);
  });

  it('does not reopen for a call that was admitted before it opened', () => {
    const { clock, breaker } = make();
    const late = breaker.admit();
    call(breaker, false);
    call(breaker, false);
    const retryAt = breaker.status().retryAt;
    clock.advance(10);
    if (late.admitted) breaker.failure(late.probe);
    expect(breaker.status()).toMatchObject({ state: 'open', retryAt, opened: 1 });
  });
});
