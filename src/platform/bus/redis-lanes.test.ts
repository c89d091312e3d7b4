import { describe, expect, it } from 'vitest';
import { encodeEvent } from './redis-codec.js';
import { groupsOf, lanesOf, plainEvent, type Work } from './redis-lanes.js';

const work = (n: number, key: string | null, stream = 's'): Work => ({
  stream,
  entry: [
    `${n}-0`,
    encodeEvent({
      eventId: `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`,
      topic: 't',
      type: 'ThingHappened',
      key,
      payload: { n },
      tsEvent: n,
      tsInit: n,
    }),
  ],
});
const ns = (ws: Work[]) => ws.map((w) => Number(w.entry[0].split('-')[0]));

describe('lanes of a read batch', () => {
  it('keeps each key in one lane, in stream order; keyless entries each alone', () => {
    const batch = [work(1, 'a'), work(2, 'b'), work(3, 'a'), work(4, null), work(5, null)];
    expect(lanesOf(batch).map(ns)).toEqual([[1, 3], [2], [4], [5]]);
  });

  it('deals whole lanes into groups, round robin, never splitting a key', () => {
    const batch = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => work(n, `k${n % 3}`));
    const groups = groupsOf(batch, 2).map(ns);
    // Keys in order of appearance: k1 → group 0, k2 → group 1, k0 → group 0.
    expect(groups).toEqual([
      [1, 3, 4, 6, 7],
      [2, 5, 8],
    ]);
    expect(groupsOf(batch, 10)).toHaveLength(3);
    expect(groupsOf([work(1, 'a'), work(2, 'a')], 4).map(ns)).toEqual([[1, 2]]);
  });

  it('recognises plain events for a consumer, and leaves the rest to the single path', () => {
    const plain = work(1, 'a');
    expect(plainEvent(plain.entry, 'c1')?.payload).toEqual({ n: 1 });
    expect(plainEvent(['2-0', null], 'c1')).toBeUndefined();
    expect(plainEvent(['3-0', ['garbage', 'x']], 'c1')).toBeUndefined();
    const replay: Work['entry'] = [
      '4-0',
      encodeEvent(
        { eventId: 'e', topic: 't', type: 'T', payload: null, tsEvent: 1, tsInit: 1 },
        'c2',
      ),
    ];
    expect(plainEvent(replay, 'c1')).toBeUndefined();
    expect(plainEvent(replay, 'c2')).toBeDefined();
  });
});
