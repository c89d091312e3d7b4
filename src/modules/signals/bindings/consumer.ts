import type { Clock } from '../../../core/clock.js';
import { Decimal } from '../../../core/decimal.js';
import { isUuid } from '../../../core/ids.js';
import { topics } from '../../../core/topics.js';
import type { BusEvent, ConsumerSpec } from '../../../platform/bus/index.js';
import type { Logger } from '../../../platform/logging/logger.js';
import type { SignalDecidedPayload } from '../domain/types.js';
import type { BindingDirectory } from './directory.js';
import { gate, suggestedSize, type DecidedSignal } from './domain.js';
import type { ActionExecutor } from './executor.js';
import { rulesFromWire } from './rules.js';
import { activeBindingsFor, insertActions, type ActionRow } from './store.js';

const DECIDED = 'SignalDecided';

function payloadOf(event: BusEvent): SignalDecidedPayload | undefined {
  const p = event.payload as Partial<SignalDecidedPayload> | null;
  const s = p?.signal;
  const c = p?.consensus;
  if (!s || !c || !Array.isArray(p.decisions)) return undefined;
  if (typeof s.userId !== 'string' || typeof s.source !== 'string') return undefined;
  if (typeof s.eventId !== 'string' || !isUuid(s.eventId)) return undefined;
  return p as SignalDecidedPayload;
}

/** What a binding acts on, from the published decision. */
export function decidedSignal(p: SignalDecidedPayload): DecidedSignal {
  const c = p.consensus;
  return {
    symbol: p.signal.symbol,
    direction: p.signal.direction,
    entry: p.signal.entry === null ? null : (Decimal.tryParse(p.signal.entry) ?? null),
    consensus: { action: c.action, confidence: c.confidence, agreeing: c.agreeing },
    suggestedSizePct: suggestedSize(p.decisions, c.action),
  };
}

/**
 * Acts on decided signals through their owner's active bindings. Signals of a (user, source)
 * without one are turned away in memory (`accepts`). For the rest, in the transaction that
 * consumes the event, each binding's action is recorded once: skipped at once when the
 * decision fails the binding's rules (nothing about the account is needed for that), pending
 * otherwise. Once that commits, the pending actions go to the executor, which sizes, places
 * and records their orders; the database is not held while it does, which on the embedded
 * database is what lets the venue commit.
 */
export function bindingsConsumer(deps: {
  directory: BindingDirectory;
  executor: ActionExecutor;
  clock: Clock;
  logger: Logger;
}): ConsumerSpec {
  return {
    name: 'signals.bindings',
    topics: [topics.signalsDecisions],
    accepts(event) {
      if (event.type !== DECIDED) return false;
      const s = (event.payload as Partial<SignalDecidedPayload> | null)?.signal;
      return (
        typeof s?.userId === 'string' &&
        typeof s.source === 'string' &&
        deps.directory.has(s.userId, s.source)
      );
    },
    async handle(event, tx) {
      if (event.type !== DECIDED) return;
      const p = payloadOf(event);
      if (!p) {
        deps.logger.warn(
          { at: 'signals#bindings', eventId: event.eventId },
          'malformed SignalDecided ignored',
        );
        return;
      }
      const bindings = await activeBindingsFor(tx, p.signal.userId, p.signal.source);
      if (!bindings.length) return;
      const decided = decidedSignal(p);
      const at = deps.clock.date();
      const rows = bindings.map((b): ActionRow => {
        // A row naming someone else's account is never acted on, however it got there.
        const rules = rulesFromWire(b.rules);
        const stop =
          b.account_user_id !== p.signal.userId
            ? {
                reason: 'account_not_owned',
                message: "the bound account is not the signal owner's",
              }
            : !rules
              ? {
                  reason: 'binding_invalid',
                  message: 'the stored rules of the binding are invalid',
                }
              : gate(rules, 'active', decided);
        return {
          signal_event_id: p.signal.eventId,
          binding_id: b.id,
          user_id: p.signal.userId,
          account_id: b.account_id,
          symbol: decided.symbol,
          direction: decided.direction,
          entry: decided.entry?.toString() ?? null,
          consensus_action: decided.consensus.action,
          confidence: decided.consensus.confidence,
          agreeing: decided.consensus.agreeing,
          suggested_size_pct: decided.suggestedSizePct,
          status: stop ? 'skipped' : 'pending',
          reason: stop?.reason ?? null,
          message: stop?.message ?? null,
          client_order_id: null,
          order_id: null,
          side: null,
          order_type: null,
          quantity: null,
          limit_price: null,
          reference_price: null,
          notional: null,
          capped_by: null,
          order_status: null,
          decided_at: new Date(event.tsEvent),
          created_at: at,
          updated_at: at,
        };
      });
      const fresh = (await insertActions(tx, rows)).filter((r) => r.status === 'pending');
      if (!fresh.length) return;
      return () => void deps.executor.submit(fresh);
    },
  };
}
