import { describe, expect, it } from 'vitest';
import {
  decodeDeadLetter,
  decodeEvent,
  encodeDeadLetter,
  encodeEvent,
  parseReadReply,
  toRecord,
} from './redis-codec.js';
import type { BusEvent } from './types.js';

const event: BusEvent = {
  eventId: '01890a5d-ac96-774b-bcce-b302099a8057',
  topic: 'orders.filled.acc-1',
  type: 'OrderFilled',
  key: 'acc-1',
  payload: { orderId: 'o-1', quantity: '0.015', price: '64250.10' },
  tsEvent: 1767225600000,
  tsInit: 1767225600123,
};

describe('redis stream codec', () => {
  it('round-trips an event, keeping decimal strings as strings', () => {
    const decoded = decodeEvent(encodeEvent(event));
    expect(decoded).toEqual({ event, target: undefined });
  });

  it('carries the replay target only when there is one', () => {
    expect(encodeEvent(event)).not.toContain('target');
    expect(decodeEvent(encodeEvent(event, 'ledger')).target).toBe('ledger');
  });

  it('keeps a missing key as null', () => {
    const { event: decoded } = decodeEvent(encodeEvent({ ...event, key: null }));
    expect(decoded.key).toBeNull();
  });

  it('refuses entries that are not events', () => {
    expect(() => decodeEvent(['foo', 'bar'])).toThrow(/eventId/);
    expect(() =>
      decodeEvent(encodeEvent(event).map((v) => (v === '1767225600000' ? 'soon' : v))),
    ).toThrow(/timestamp/);
  });

  it('round-trips a dead letter with its event', () => {
    const failedAt = new Date('2026-01-01T00:00:05.000Z');
    const fields = encodeDeadLetter({
      consumer: 'ledger',
      streamId: '1-0',
      event,
      error: 'Error: boom',
      attempts: 5,
      failedAt,
    });
    expect(decodeDeadLetter('9-0', fields)).toEqual({
      id: '9-0',
      consumer: 'ledger',
      topic: event.topic,
      eventId: event.eventId,
      type: event.type,
      payload: event.payload,
      error: 'Error: boom',
      attempts: 5,
      failedAt: '2026-01-01T00:00:05.000Z',
      event,
    });
  });

  it('reads XREADGROUP replies in the RESP2 shape and the flattened RESP3 shape', () => {
    const entries = [['1-0', ['a', '1']]];
    const expected = [
      { stream: 's1', entries },
      { stream: 's2', entries: [] },
    ];
    expect(
      parseReadReply([
        ['s1', entries],
        ['s2', null],
      ]),
    ).toEqual(expected);
    expect(parseReadReply(['s1', entries, 's2', []])).toEqual(expected);
    expect(parseReadReply(null)).toEqual([]);
  });

  it('reads flat and map-shaped field lists', () => {
    expect(toRecord(['name', 'g', 'lag', null])).toEqual({ name: 'g', lag: '' });
    expect(toRecord({ name: 'g', pending: 2 })).toEqual({ name: 'g', pending: '2' });
  });
});
