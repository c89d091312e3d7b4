import { validationError } from '../errors.js';

/** What every streaming indicator offers besides its own `update`. */
export interface Indicator {
  /**
   * Inputs consumed before the first value appears: TA-Lib's lookback, so the value after
   * input `i` lines up with TA-Lib's output `i - lookback`.
   */
  readonly lookback: number;
  /** True while a value is available: for windowed indicators, from the end of warm-up on. */
  readonly isReady: boolean;
  /** Forgets every input, as if newly constructed. */
  reset(): void;
}

/**
 * An indicator of one number per input (a close, a price).
 *
 * `value` is `undefined` until the indicator is ready; `update` returns the same value as a
 * plain number, NaN until ready, like the batch helpers' arrays. The two differ because a
 * `number | undefined` result makes V8 allocate a heap number for every value read, which
 * costs about as much as the update; per-update loops should use what `update` returns.
 */
export interface ScalarIndicator extends Indicator {
  readonly value: number | undefined;
  /** Consumes one input and returns the new value, NaN while warming up. */
  update(x: number): number;
}

/** An indicator of one number per candle, read from its high, low and close. */
export interface CandleIndicator extends Indicator {
  readonly value: number | undefined;
  /** Consumes one candle and returns the new value, NaN while warming up. */
  update(high: number, low: number, close: number): number;
}

/**
 * Checks a window length or smoothing period. Bad parameters come from configuration (a
 * bot's settings, a backtest request), so they surface as validation errors, not crashes.
 */
export function checkPeriod(field: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min)
    throw validationError(
      field,
      `must be an integer ≥ ${min}, got ${value}`,
      'invalid_indicator_parameter',
    );
  return value;
}

export function checkFinite(field: string, value: number, min = -Infinity): number {
  if (!Number.isFinite(value) || value < min)
    throw validationError(
      field,
      min === -Infinity
        ? `must be a finite number, got ${value}`
        : `must be a finite number ≥ ${min}, got ${value}`,
      'invalid_indicator_parameter',
    );
  return value;
}
