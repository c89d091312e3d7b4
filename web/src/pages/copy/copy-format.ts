/**
 * Return, drawdown percent and Sharpe arrive as numbers: they are ratios for ranking, never
 * money, so rounding them through floating point changes nothing anyone is owed.
 */
export function fmtRatio(n: number | null, suffix = '', plus = false): string {
  if (n === null || !Number.isFinite(n)) return '—';
  const text = n.toFixed(2);
  const sign = plus && n > 0 && text !== '0.00' ? '+' : '';
  return `${sign}${text === '-0.00' ? '0.00' : text}${suffix}`;
}

/** `drawdown_stopped` → `drawdown stopped`. */
export const words = (code: string) => code.replace(/_/g, ' ');

/** A short, stable label for an id the page has no name for. */
export const shortId = (id: string) => id.slice(0, 8);
