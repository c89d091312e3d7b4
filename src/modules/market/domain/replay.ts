import type { Clock } from '../../../core/clock.js';
import { validationError } from '../../../core/errors.js';
import { OutOfOrderError } from './errors.js';

/** Multiple of real time (10 = ten times faster); 0 or 'max' = as fast as the consumer reads. */
export type ReplaySpeed = number | 'max';

export interface Timed {
  readonly ts: number;
}

export function parseReplaySpeed(v: ReplaySpeed | string, field = 'speed'): ReplaySpeed {
  if (v === 'max' || v === 0 || v === '0') return 'max';
  const n = typeof v === 'number' ? v : Number(String(v).replace(/x$/i, ''));
  if (!Number.isFinite(n) || n <= 0)
    throw validationError(field, 'must be a positive multiple of real time, or max');
  return n;
}

/**
 * When each event of a time-ordered stream is due, in wall-clock time, at a given speed. Pure:
 * it holds no timer and reads no clock; callers pass wall times in. The first event is due at
 * `startWall` and later ones after their distance in event time divided by the speed.
 *
 * @example
 * const s = new ReplaySchedule({ speed: 10, startWall: 1_000 });
 * s.dueAt(1_700_000_000_000); // 1_000  (the first event anchors the schedule)
 * s.dueAt(1_700_000_060_000); // 7_000  (one minute of market time at 10× is 6 s)
 */
export class ReplaySchedule {
  private speedValue: ReplaySpeed;
  private anchorWall: number;
  private anchorEvent: number | undefined;
  private lastEvent: number | undefined;

  constructor(opts: { speed: ReplaySpeed; startWall: number }) {
    this.speedValue = parseReplaySpeed(opts.speed);
    this.anchorWall = opts.startWall;
  }

  get speed(): ReplaySpeed {
    return this.speedValue;
  }

  /** Wall time at which the event stamped `eventTs` is due; events must not go back in time. */
  dueAt(eventTs: number): number {
    if (this.lastEvent !== undefined && eventTs < this.lastEvent) {
      throw new OutOfOrderError(this.lastEvent, eventTs);
    }
    this.lastEvent = eventTs;
    this.anchorEvent ??= eventTs;
    if (this.speedValue === 'max') return this.anchorWall;
    return this.anchorWall + (eventTs - this.anchorEvent) / this.speedValue;
  }

  /**
   * Changes speed from `nowWall` on: the last scheduled event is treated as delivered now, so
   * the next one follows at the new pace instead of jumping ahead or lagging behind.
   */
  setSpeed(speed: ReplaySpeed, nowWall: number): void {
    this.speedValue = parseReplaySpeed(speed);
    this.rebase(nowWall);
  }

  /** Re-anchors at `nowWall` (after a pause, say) without changing speed. */
  rebase(nowWall: number): void {
    this.anchorWall = nowWall;
    this.anchorEvent = this.lastEvent;
  }
}

export interface ReplayOptions {
  /** Either a speed, or a schedule the caller keeps to change speed during the run. */
  readonly speed?: ReplaySpeed;
  readonly schedule?: ReplaySchedule;
  readonly clock: Clock;
  /** Waits `ms` of wall time; a simulated clock's test double can just advance it. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Stops the replay before the next event. */
  readonly signal?: AbortSignal;
}

/**
 * Yields each event when it is due. The only impure part of a replay, and all of its impurity
 * is injected, so tests drive it with a simulated clock and no real waiting.
 */
export async function* replay<E extends Timed>(
  source: Iterable<E> | AsyncIterable<E>,
  opts: ReplayOptions,
): AsyncGenerator<E> {
  const schedule =
    opts.schedule ??
    new ReplaySchedule({ speed: opts.speed ?? 'max', startWall: opts.clock.now() });
  for await (const event of source) {
    if (opts.signal?.aborted) return;
    const wait = schedule.dueAt(event.ts) - opts.clock.now();
    // Whole milliseconds, rounded up: timers cannot do better, and early delivery would let
    // a consumer act on an event before its time.
    if (wait > 0) await opts.sleep(Math.ceil(wait));
    if (opts.signal?.aborted) return;
    yield event;
  }
}

/**
 * Merges time-ordered sources (one file per symbol, say) into one time-ordered stream. At equal
 * times the earlier source goes first, so the result is deterministic.
 */
export async function* mergeByTime<E extends Timed>(
  sources: readonly (Iterable<E> | AsyncIterable<E>)[],
): AsyncGenerator<E> {
  const iterators = sources.map((s) =>
    Symbol.asyncIterator in s ? s[Symbol.asyncIterator]() : toAsync(s[Symbol.iterator]()),
  );
  const heads: (E | undefined)[] = await Promise.all(
    iterators.map(async (it) => headOf(await it.next())),
  );
  try {
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h !== undefined && (best < 0 || h.ts < heads[best]!.ts)) best = i;
      }
      if (best < 0) return;
      const event = heads[best]!;
      heads[best] = headOf(await iterators[best]!.next());
      yield event;
    }
  } finally {
    // Early exit by the consumer: let the unfinished sources close their files.
    await Promise.all(
      iterators.map((it, i) => (heads[i] !== undefined ? it.return?.() : undefined)),
    );
  }
}

const headOf = <E>(r: IteratorResult<E>): E | undefined => (r.done ? undefined : r.value);

function toAsync<E>(it: Iterator<E>): AsyncIterator<E> {
  return {
    next: () => Promise.resolve(it.next()),
    return: () => Promise.resolve(it.return?.() ?? { done: true, value: undefined }),
  };
}
