import type { Executor } from '../../platform/db/index.js';
import type { StreamState, VenueConnectorStatus } from './live/index.js';
import { connectionsOf } from './live-store.js';

/** How a live account's exchange connection is doing, as the accounts routes show it. */
export interface ConnectionView {
  /**
   * `connected`: the user data stream is up; `connecting` / `reconnecting`: on its way;
   * `stopped`: not streaming (the exchange could not be reached; retried); `error`: the
   * connection could not be made (`lastError` says why); `idle`: none opened yet, which
   * happens on first use or at the next balance sync.
   */
  state: StreamState | 'error' | 'idle';
  stream: StreamState | null;
  breaker: { state: string; retryAt: string | null; consecutiveFailures: number } | null;
  reconnects: number;
  /** Orders the connector is following on the exchange. */
  openOrders: number;
  lastReconcile: { reason: string; checked: number; at: string } | null;
  lastBalanceSync: string | null;
  lastError: string | null;
  /** When this was observed: stored views from another process may be a few seconds old. */
  updatedAt: string;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function connectionStatus(
  s: VenueConnectorStatus | undefined,
  lastBalanceSync: number | undefined,
  error: string | undefined,
  now: number,
): ConnectionView {
  return {
    state: !s ? (error ? 'error' : 'idle') : s.stream === 'stopped' && error ? 'error' : s.stream,
    stream: s?.stream ?? null,
    breaker: s
      ? {
          state: s.breaker.state,
          retryAt: iso(s.breaker.retryAt),
          consecutiveFailures: s.breaker.consecutiveFailures,
        }
      : null,
    reconnects: s?.reconnects ?? 0,
    openOrders: s?.openOrders ?? 0,
    lastReconcile: s?.lastReconcile
      ? {
          reason: s.lastReconcile.reason,
          checked: s.lastReconcile.checked,
          at: iso(s.lastReconcile.at)!,
        }
      : null,
    lastBalanceSync: iso(lastBalanceSync),
    lastError: error ?? s?.lastStreamError ?? null,
    updatedAt: new Date(now).toISOString(),
  };
}

/**
 * The connection of each live account: where this process runs the venues (`local` given),
 * what it holds now; elsewhere, what that process last stored.
 */
export async function connectionViews(
  db: Executor,
  accountIds: readonly string[],
  local: ((accountId: string) => ConnectionView | undefined) | undefined,
  now: number,
): Promise<Map<string, ConnectionView | null>> {
  const out = new Map<string, ConnectionView | null>();
  if (!accountIds.length) return out;
  if (local) {
    for (const id of accountIds)
      out.set(id, local(id) ?? connectionStatus(undefined, undefined, undefined, now));
    return out;
  }
  const stored = await connectionsOf(db, accountIds);
  for (const id of accountIds) out.set(id, (stored.get(id)?.status as ConnectionView) ?? null);
  return out;
}
