import type { BusEvent, DeadLetter } from './types.js';

/**
 * How events and dead letters are laid out as Redis stream entries. Pure functions, so the
 * format is tested without a server and both ends of a stream agree on it.
 */

/** A stream entry as Redis returns it; fields are null for an entry deleted while pending. */
export type RawEntry = [id: string, fields: string[] | null];

export interface DecodedMessage {
  event: BusEvent;
  /** Set on replays: only this consumer group handles the entry, the others skip it. */
  target: string | undefined;
}

export function encodeEvent(event: BusEvent, target?: string): string[] {
  return flatten({
    eventId: event.eventId,
    topic: event.topic,
    type: event.type,
    payload: event.payloadJson ?? JSON.stringify(event.payload ?? null),
    tsEvent: String(event.tsEvent),
    tsInit: String(event.tsInit),
    key: event.key ?? undefined,
    target,
  });
}

/** Throws on an entry that is not an event (written by something else, or corrupted). */
export function decodeEvent(fields: string[]): DecodedMessage {
  const f = toRecord(fields);
  const eventId = need(f, 'eventId');
  const event: BusEvent = {
    eventId,
    topic: need(f, 'topic'),
    type: need(f, 'type'),
    key: f.key ?? null,
    payload: JSON.parse(need(f, 'payload')) as unknown,
    tsEvent: toMillis(need(f, 'tsEvent')),
    tsInit: toMillis(need(f, 'tsInit')),
  };
  return { event, target: f.target };
}

export interface DeadLetterFields {
  consumer: string;
  streamId: string;
  event: BusEvent;
  error: string;
  attempts: number;
  failedAt: Date;
}

export function encodeDeadLetter(d: DeadLetterFields): string[] {
  const meta = flatten({
    consumer: d.consumer,
    streamId: d.streamId,
    error: d.error,
    attempts: String(d.attempts),
    failedAt: d.failedAt.toISOString(),
  });
  return [...meta, ...encodeEvent(d.event)];
}

export function decodeDeadLetter(id: string, fields: string[]): DeadLetter & { event: BusEvent } {
  const f = toRecord(fields);
  const { event } = decodeEvent(fields);
  return {
    id,
    consumer: need(f, 'consumer'),
    topic: event.topic,
    eventId: event.eventId,
    type: event.type,
    payload: event.payload,
    error: f.error ?? '',
    attempts: Number(f.attempts ?? 0),
    failedAt: f.failedAt ?? new Date(Number(id.split('-')[0])).toISOString(),
    event,
  };
}

/**
 * Normalises an XREADGROUP reply. Over RESP2 it is `[[stream, entries], …]`; over RESP3 with
 * ioredis's legacy mapping the map arrives flattened as `[stream, entries, …]`. Accepting both
 * keeps the bus independent of the connection's protocol.
 */
export function parseReadReply(reply: unknown): Array<{ stream: string; entries: RawEntry[] }> {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const out: Array<{ stream: string; entries: RawEntry[] }> = [];
  if (typeof reply[0] === 'string') {
    for (let i = 0; i + 1 < reply.length; i += 2) {
      out.push({ stream: String(reply[i]), entries: (reply[i + 1] ?? []) as RawEntry[] });
    }
  } else {
    for (const pair of reply as Array<[string, RawEntry[] | null]>)
      out.push({ stream: pair[0], entries: pair[1] ?? [] });
  }
  return out;
}

/** Reads a flat `[k, v, k, v, …]` list (or an object, for RESP3 maps) into a record. */
export function toRecord(fields: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(fields)) {
    for (let i = 0; i + 1 < fields.length; i += 2)
      out[String(fields[i])] = fields[i + 1] == null ? '' : String(fields[i + 1]);
  } else if (fields && typeof fields === 'object') {
    for (const [k, v] of Object.entries(fields)) out[k] = v == null ? '' : String(v);
  }
  return out;
}

function flatten(record: Record<string, string | undefined>): string[] {
  return Object.entries(record).flatMap(([k, v]) => (v === undefined ? [] : [k, v]));
}

function need(f: Record<string, string>, name: string): string {
  const v = f[name];
  if (v === undefined) throw new Error(`stream entry has no ${name} field`);
  return v;
}

function toMillis(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`stream entry has a bad timestamp: ${text}`);
  return n;
}
