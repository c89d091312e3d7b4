import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../../core/clock.js';
import { CircuitBreaker, CircuitOpenError, type BreakerState } from './circuit-breaker.js';

class Outage extends Error {}
class UserMistake extends Error {}

const ok = () => Promise.resolve('ok');
const down = () => Promise.reject(new Outage('503'));
const mistake = () => Promise.reject(new UserMistake('insufficient funds'));

function setup(extra: Partial<ConstructorParameters<typeof CircuitBreaker>[0]> = {}) {
  const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
  const changes: Array<[BreakerState, BreakerState]> = [];
  const breaker = new CircuitBreaker({
    name: 'binance:test',
    clock,
    isFailure: (e) => e instanceof Outage,
    failureThreshold: 3,
    cooldownMs: 1_000,
    backoffFactor: 2,
    maxCooldownMs: 5_000,
    onStateChange: (from, to) => changes.push([from, to]),
    ...extra,
  });
  return { clock, breaker, changes };
}

async function failTimes(b: CircuitBreaker, n: number) {
  for (let i = 0; i < n; i++) await expect(b.run(down)).rejects.toBeInstanceOf(Outage);
}

describe('CircuitBreaker', () => {
  it('opens after N consecutive retryable failures and then refuses without calling', async () => {
    const { breaker, clock } = setup();
    await failTimes(breaker, 2);
    expect(breaker.state().state).toBe('closed');
    await failTimes(breaker, 1);
    const s = breaker.state();
    expect(s.state).toBe('open');
    expect(s.retryAt).toBe(clock.now() + 1_000);

    let called = false;
    const err = await breaker
      .run(async () => {
        called = true;
      })
      .catch((e: unknown) => e);
    expect(called).toBe(false);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect((err as CircuitOpenError).retryAt).toBe(clock.now() + 1_000);
    expect((err as CircuitOpenError).code).toBe('venue_circuit_open');
    expect((err as CircuitOpenError).retryAfter).toBe(1);
    expect(breaker.state().rejected).toBe(1);
  });

  it("does not count the caller's own errors, and a success resets the count", async () => {
    const { breaker } = setup();
    await failTimes(breaker, 2);
    await expect(breaker.run(mistake)).rejects.toBeInstanceOf(UserMistake);
    await failTimes(breaker, 2);
    expect(breaker.state().state).toBe('closed');
    await breaker.run(ok);
    await failTimes(breaker, 2);
    expect(breaker.state()).toMatchObject({ state: 'closed', consecutiveFailures: 2 });
  });

  it('lets exactly one probe through after the cooldown; success closes it', async () => {
    const { breaker, clock, changes } = setup();
    await failTimes(breaker, 3);
    clock.advance(999);
    await expect(breaker.run(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    clock.advance(1);

    let release!: () => void;
    const probe = breaker.run(() => new Promise<string>((r) => (release = () => r('probe'))));
    expect(breaker.state().state).toBe('half_open');
    // While the probe is out, everything else is still refused.
    await expect(breaker.run(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    release();
    await expect(probe).resolves.toBe('probe');
    expect(breaker.state()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    await expect(breaker.run(ok)).resolves.toBe('ok');
    expect(changes).toEqual([
      ['closed', 'open'],
      ['open', 'half_open'],
      ['half_open', 'closed'],
    ]);
  });

  it('a failed probe reopens it with the cooldown doubled, up to the cap', async () => {
    const { breaker, clock } = setup();
    await failTimes(breaker, 3);
    const cooldowns: number[] = [];
    for (let i = 0; i < 4; i++) {
      clock.advance(breaker.state().cooldownMs);
      await expect(breaker.run(down)).rejects.toBeInstanceOf(Outage);
      const s = breaker.state();
      expect(s.state).toBe('open');
      cooldowns.push(s.cooldownMs);
      expect(s.retryAt).toBe(clock.now() + s.cooldownMs);
    }
    // 1 s → 2 s → 4 s → 5 s (cap) → 5 s
    expect(cooldowns).toEqual([2_000, 4_000, 5_000, 5_000]);
    clock.advance(5_000);
    await breaker.run(ok);
    // Recovery resets the cooldown to its first value.
    await failTimes(breaker, 3);
    expect(breaker.state().cooldownMs).toBe(1_000);
  });

  it('a user error on the probe closes it too: the exchange answered', async () => {
    const { breaker, clock } = setup();
    await failTimes(breaker, 3);
    clock.advance(1_000);
    await expect(breaker.run(mistake)).rejects.toBeInstanceOf(UserMistake);
    expect(breaker.state().state).toBe('closed');
  });

  it('opens on a failure rate within the window even without N in a row', async () => {
    const { breaker, clock } = setup({
      failureThreshold: 100,
      window: { windowMs: 10_000, minCalls: 6, rate: 0.5 },
    });
    for (let i = 0; i < 2; i++) {
      await breaker.run(ok);
      await failTimes(breaker, 1);
      clock.advance(100);
    }
    await breaker.run(ok);
    expect(breaker.state()).toMatchObject({ state: 'closed', windowCalls: 5, windowFailures: 2 });
    await failTimes(breaker, 1); // 3 of 6 failed
    expect(breaker.state().state).toBe('open');
  });

  it('forgets outcomes older than the window', async () => {
    const { breaker, clock } = setup({
      failureThreshold: 100,
      window: { windowMs: 1_000, minCalls: 4, rate: 0.5 },
    });
    await failTimes(breaker, 3);
    clock.advance(1_001);
    await breaker.run(ok);
    await failTimes(breaker, 1);
    expect(breaker.state()).toMatchObject({ state: 'closed', windowCalls: 2, windowFailures: 1 });
  });

  it('a call sent before the breaker opened does not reopen it when it fails late', async () => {
    const { breaker, clock } = setup();
    let failLate!: () => void;
    const late = breaker.run(
      () => new Promise<string>((_, reject) => (failLate = () => reject(new Outage('late')))),
    );
    await failTimes(breaker, 3);
    const openedUntil = breaker.state().retryAt;
    clock.advance(500);
    failLate();
    await expect(late).rejects.toBeInstanceOf(Outage);
    expect(breaker.state().retryAt).toBe(openedUntil);
    expect(breaker.state().opened).toBe(1);
  });

  it('check() and available report without taking the probe slot', async () => {
    const { breaker, clock } = setup();
    await failTimes(breaker, 3);
    expect(breaker.available).toBe(false);
    expect(() => breaker.check()).toThrow(CircuitOpenError);
    clock.advance(1_000);
    expect(breaker.available).toBe(true);
    expect(breaker.available).toBe(true);
    await expect(breaker.run(ok)).resolves.toBe('ok');
  });
});
