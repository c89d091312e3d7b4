/**
 * Polls `cond` until it returns a truthy value or the deadline passes, so tests wait for a
 * state instead of sleeping for a guessed time. Returns the truthy value.
 */
export async function waitFor<T>(
  cond: () => T | Promise<T>,
  timeoutMs = 5000,
  opts: { intervalMs?: number; message?: string } = {},
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await cond();
      if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`${opts.message ?? 'condition not met'} within ${timeoutMs} ms${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 10));
  }
}
