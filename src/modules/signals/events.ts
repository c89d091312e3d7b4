/**
 * The events the pipeline's stages emit after the gateway's `SignalReceived` (see writer.ts):
 * topics, types and keys in one place.
 */
import { topics } from '../../core/topics.js';
import type { NewEvent } from '../../platform/bus/index.js';
import type { EnrichedSignal, SignalDecidedPayload } from './domain/types.js';

/** Keyed by signal: observers follow each signal on its own. */
export const enrichedEvent = (e: EnrichedSignal): NewEvent => ({
  topic: topics.signalsEnriched,
  type: 'SignalEnriched',
  key: e.signal.eventId,
  payload: e,
  tsEvent: e.enrichedAt,
});

/** Keyed by user, so that whoever acts on decisions sees one user's in order. */
export const decidedEvent = (payload: SignalDecidedPayload, publishedAt: number): NewEvent => ({
  topic: topics.signalsDecisions,
  type: 'SignalDecided',
  key: payload.signal.userId,
  payload,
  tsEvent: publishedAt,
});
