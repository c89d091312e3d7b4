import { int, type ConfigOf } from '../../../platform/config/index.js';

export const BINDINGS_DEFAULTS = {
  signalBindingsMax: 50,
  signalBindingsRecoveryMs: 5000,
  signalBindingsRefreshMs: 2000,
} as const;

/** Signal bindings' fragment of the configuration. */
export const signalBindingsConfig = {
  signalBindingsMax: int('SIGNAL_BINDINGS_MAX', {
    doc: 'Signal bindings (a source allowed to trade an account) one user may have at once',
    default: BINDINGS_DEFAULTS.signalBindingsMax,
    min: 1,
    max: 10_000,
  }),
  signalBindingsRecoveryMs: int('SIGNAL_BINDINGS_RECOVERY_MS', {
    doc: 'A decided signal whose binding order has not been placed after this long (its process died, or the venue was unreachable) is placed by the process that runs the paper venue',
    default: BINDINGS_DEFAULTS.signalBindingsRecoveryMs,
    min: 100,
    max: 3_600_000,
  }),
  signalBindingsRefreshMs: int('SIGNAL_BINDINGS_REFRESH_MS', {
    doc: 'How often each process rereads which (user, source) pairs have an active binding, besides when it changes one itself',
    default: BINDINGS_DEFAULTS.signalBindingsRefreshMs,
    min: 100,
    max: 3_600_000,
  }),
};

export type SignalBindingsConfig = ConfigOf<typeof signalBindingsConfig>;

/** The settings with their defaults filled in, from whatever part of them the caller has. */
export const bindingsSettings = (c: Partial<SignalBindingsConfig>): SignalBindingsConfig => ({
  signalBindingsMax: c.signalBindingsMax ?? BINDINGS_DEFAULTS.signalBindingsMax,
  signalBindingsRecoveryMs:
    c.signalBindingsRecoveryMs ?? BINDINGS_DEFAULTS.signalBindingsRecoveryMs,
  signalBindingsRefreshMs: c.signalBindingsRefreshMs ?? BINDINGS_DEFAULTS.signalBindingsRefreshMs,
});
