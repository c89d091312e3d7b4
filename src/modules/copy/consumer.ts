import { topics } from '../../core/topics.js';
import { Decimal } from '../../core/decimal.js';
import type { BusEvent, ConsumerSpec } from '../../platform/bus/index.js';
import { isCopyClientOrderId, type Side } from './domain/index.js';
import type { LeaderDirectory } from './directory.js';
import type { FanoutExecutor } from './fanout.js';
import {
  recordFanouts,
  recordFanoutsWithClaim,
  type CopiedFill,
  type Fanout,
} from './store-fanout.js';

/** The parts of an `OrderFilled` / `OrderPartiallyFilled` payload a fan-out needs (decimals as text). */
interface FilledPayload {
  accountId: string;
  clientOrderId: string;
  /** The account's position in the symbol just before the fill, as the venue's books held it. */
  positionBefore?: string;
  fill: {
    id: string;
    accountId: string;
    venue: string;
    symbol: string;
    side: Side;
    price: string;
    quantity: string;
    ts: number;
  };
}

const FILLS = new Set(['OrderFilled', 'OrderPartiallyFilled']);

function copiedFill(event: BusEvent): CopiedFill {
  const { fill, positionBefore } = event.payload as FilledPayload;
  return {
    ...fill,
    price: Decimal.parse(fill.price),
    quantity: Decimal.parse(fill.quantity),
    ...(positionBefore !== undefined ? { positionBefore: Decimal.parse(positionBefore) } : {}),
  };
}

/**
 * Fans out the fills of copied accounts. Every other order event is turned away in memory
 * (`accepts`), so the consumer costs nothing per order of the rest of the platform. For a fill
 * it records, in the one statement that also claims the event in the inbox, one fan-out per
 * leader copying the account, with the leader's position just before the fill; once that has
 * committed the fan-out runs. A fill of a copy order is never fanned out, so follows cannot
 * loop.
 */
export function fanoutConsumer(deps: {
  directory: LeaderDirectory;
  executor: FanoutExecutor;
}): ConsumerSpec {
  const run = (fresh: Fanout[]) => {
    for (const f of fresh) void deps.executor.submit(f);
  };
  return {
    name: 'copy.fanout',
    topics: [topics.tradingOrders],
    accepts(event) {
      if (!FILLS.has(event.type)) return false;
      // The venue keys order events by account: most fills are turned away before their
      // payload is decoded.
      if (typeof event.key === 'string' && !deps.directory.has(event.key)) return false;
      const p = event.payload as Partial<FilledPayload>;
      return (
        typeof p.accountId === 'string' &&
        deps.directory.has(p.accountId) &&
        !isCopyClientOrderId(p.clientOrderId ?? '')
      );
    },
    handleAsStatement(event, claim) {
      const fill = copiedFill(event);
      // The fan-out's first reads go alongside this statement rather than after it.
      deps.executor.prefetch(fill.accountId);
      const delivery = recordFanoutsWithClaim(fill, claim);
      return {
        statement: delivery.statement,
        outcome(rows) {
          const { claimed, fresh } = delivery.outcome(rows);
          return { claimed, after: () => run(fresh) };
        },
      };
    },
    async handle(event, tx) {
      const fill = copiedFill(event);
      deps.executor.prefetch(fill.accountId);
      const fresh = await recordFanouts(tx, fill);
      return () => run(fresh);
    },
  };
}
