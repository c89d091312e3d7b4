/**
 * The only source of time for domain code. Live processes use wall time; tests, replays and
 * backtests use a simulated clock, so the same code path serves all of them.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  date(): Date;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  date: () => new Date(),
};

export class SimulatedClock implements Clock {
  constructor(private ms: number = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.ms;
  }
  date(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    if (ms < 0) throw new Error('a simulated clock never goes back');
    this.ms += ms;
  }
  set(ms: number): void {
    if (ms < this.ms) throw new Error('a simulated clock never goes back');
    this.ms = ms;
  }
}
