import { decodeEvent, type RawEntry } from './redis-codec.js';
import type { BusEvent } from './types.js';

/**
 * How a consumer splits what one read returned so that work runs side by side without
 * reordering any key: entries with the same event key share a lane, kept in stream order, and
 * lanes are what run concurrently. Pure functions over stream entries.
 */

/** An entry of a read batch, with its event when it is a plain event for this consumer. */
export interface Work {
  stream: string;
  entry: RawEntry;
  event?: BusEvent | undefined;
}

/** The lanes of `work`, each in stream order, in the order their first entries came. */
export function lanesOf<W extends Work>(work: readonly W[]): W[][] {
  const lanes = new Map<string, W[]>();
  for (const w of work) {
    const lane = laneOf(w.entry) ?? `${w.stream}/${w.entry[0]}`;
    const list = lanes.get(lane);
    if (list) list.push(w);
    else lanes.set(lane, [w]);
  }
  return [...lanes.values()];
}

/**
 * `work` dealt into at most `width` groups a whole lane at a time, round robin by lane, each
 * group in stream order: groups can run side by side, and every key stays in one of them.
 */
export function groupsOf<W extends Work>(work: readonly W[], width: number): W[][] {
  const groups: W[][] = [];
  const groupOf = new Map<string, W[]>();
  const n = Math.max(1, Math.min(width, work.length));
  for (const w of work) {
    const lane = laneOf(w.entry) ?? `${w.stream}/${w.entry[0]}`;
    let group = groupOf.get(lane);
    if (!group) {
      if (groups.length < n) groups.push([]);
      group = groups[groupOf.size % n]!;
      groupOf.set(lane, group);
    }
    group.push(w);
  }
  return groups;
}

/** The event of an entry meant for `consumer`; undefined for anything the single path settles. */
export function plainEvent([, fields]: RawEntry, consumer: string): BusEvent | undefined {
  if (!fields) return undefined;
  try {
    const { event, target } = decodeEvent(fields);
    return target && target !== consumer ? undefined : event;
  } catch {
    return undefined;
  }
}

/** The event key of a raw entry, without decoding the rest; undefined when it has none. */
function laneOf([, fields]: RawEntry): string | undefined {
  if (!fields) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2)
    if (fields[i] === 'key') return `key:${fields[i + 1]}`;
  return undefined;
}
