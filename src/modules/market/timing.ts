import { setImmediate as nextTurn, setTimeout as wait } from 'node:timers/promises';

/**
 * Waits `ms` of wall time: resolves true, or false as soon as `signal` aborts. Pacing a
 * source is the one place where real waiting is the point; what the wait means in market time
 * is decided by the injected clock.
 */
export async function pauseFor(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await wait(ms, undefined, { signal, ref: false });
    return true;
  } catch {
    return false;
  }
}

/** Lets timers and I/O run between bursts of synchronous work. */
export const yieldToLoop = (): Promise<void> => nextTurn();
