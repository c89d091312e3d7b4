import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../../core/clock.js';
import { OutOfOrderError } from './errors.js';
import { mergeByTime, parseReplaySpeed, replay, ReplaySchedule } from './replay.js';

const E0 = Date.UTC(2024, 2, 1);
const WALL = Date.UTC(2026, 0, 1);
const ev = (offsetMs: number, name = '') => ({ ts: E0 + offsetMs, name });

async function collect<T>(gen: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of gen) out.push(v);
  return out;
}

describe('ReplaySchedule', () => {
  it('spaces events by their market-time distance divided by the speed', () => {
    const s = new ReplaySchedule({ speed: 10, startWall: WALL });
    // 0 s, 60 s and 61.5 s of market time at 10× → 0 s, 6 s, 6.15 s of wall time
    expect([ev(0), ev(60_000), ev(61_500)].map((e) => s.dueAt(e.ts) - WALL)).toEqual([
      0, 6000, 6150,
    ]);
  });

  it("makes every event due at once at speed 'max' or 0", () => {
    for (const speed of ['max', 0] as const) {
      const s = new ReplaySchedule({ speed, startWall: WALL });
      expect([s.dueAt(E0), s.dueAt(E0 + 86_400_000)]).toEqual([WALL, WALL]);
      expect(s.speed).toBe('max');
    }
  });

  it('continues from the last event at the new pace when the speed changes', () => {
    const s = new ReplaySchedule({ speed: 1, startWall: WALL });
    s.dueAt(E0);
    s.dueAt(E0 + 10_000); // due at WALL + 10 s
    s.setSpeed(100, WALL + 12_000); // delivered a little late; speed up from here
    // 100 s of market time after the last event at 100× is 1 s after the change
    expect(s.dueAt(E0 + 110_000)).toBe(WALL + 13_000);
  });

  it('refuses events that go back in time', () => {
    const s = new ReplaySchedule({ speed: 2, startWall: WALL });
    s.dueAt(E0 + 5);
    expect(() => s.dueAt(E0 + 4)).toThrow(OutOfOrderError);
  });

  it.each([
    ['10', 10],
    ['2.5x', 2.5],
    ['max', 'max'],
    ['0', 'max'],
  ] as const)('parses the speed %j', (text, speed) => {
    expect(parseReplaySpeed(text)).toBe(speed);
  });

  it.each(['-1', 'fast', 'Infinity'])('rejects the speed %j', (text) => {
    expect(() => parseReplaySpeed(text)).toThrow(/speed/);
  });
});

describe('replay driver', () => {
  it('waits on the injected clock and yields each event when due', async () => {
    const clock = new SimulatedClock(WALL);
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
      clock.advance(ms);
    };
    const seen: [string, number][] = [];
    for await (const e of replay([ev(0, 'a'), ev(1000, 'b'), ev(1000, 'c'), ev(5000, 'd')], {
      speed: 4,
      clock,
      sleep,
    })) {
      seen.push([e.name, clock.now() - WALL]);
    }
    expect(seen).toEqual([
      ['a', 0],
      ['b', 250],
      ['c', 250],
      ['d', 1250],
    ]);
    expect(waits).toEqual([250, 1000]);
  });

  it('does not wait for events already late because the consumer was slow', async () => {
    const clock = new SimulatedClock(WALL);
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    const out: string[] = [];
    for await (const e of replay([ev(0, 'a'), ev(1000, 'b'), ev(2000, 'c')], {
      speed: 1,
      clock,
      sleep,
    })) {
      out.push(e.name);
      clock.advance(1500); // processing takes longer than the gaps
    }
    expect(out).toEqual(['a', 'b', 'c']);
    expect(waits).toEqual([]);
  });

  it('never sleeps at max speed, and stops when aborted', async () => {
    const clock = new SimulatedClock(WALL);
    const ctl = new AbortController();
    const sleep = async () => {
      throw new Error('no sleeping at max speed');
    };
    const out: string[] = [];
    for await (const e of replay([ev(0, 'a'), ev(9e9, 'b'), ev(9e9, 'c')], {
      speed: 'max',
      clock,
      sleep,
      signal: ctl.signal,
    })) {
      out.push(e.name);
      if (e.name === 'b') ctl.abort();
    }
    expect(out).toEqual(['a', 'b']);
  });

  it('lets the caller change speed mid-run through a shared schedule', async () => {
    const clock = new SimulatedClock(WALL);
    const schedule = new ReplaySchedule({ speed: 1, startWall: WALL });
    const sleep = async (ms: number) => clock.advance(ms);
    const times: number[] = [];
    for await (const e of replay([ev(0), ev(1000), ev(2000), ev(3000)], {
      schedule,
      clock,
      sleep,
    })) {
      times.push(clock.now() - WALL);
      if (e.ts === E0 + 1000) schedule.setSpeed(10, clock.now());
    }
    expect(times).toEqual([0, 1000, 1100, 1200]);
  });
});

describe('mergeByTime', () => {
  it('interleaves sorted sources by time, earlier source first on ties', async () => {
    async function* later() {
      yield ev(5, 'b5');
      yield ev(10, 'b10');
    }
    const merged = await collect(
      mergeByTime([[ev(0, 'a0'), ev(5, 'a5'), ev(20, 'a20')], later(), []]),
    );
    expect(merged.map((e) => e.name)).toEqual(['a0', 'a5', 'b5', 'b10', 'a20']);
  });

  it('closes unfinished sources when the consumer stops early', async () => {
    let closed = false;
    async function* endless() {
      try {
        for (let i = 0; ; i++) yield ev(i, String(i));
      } finally {
        closed = true;
      }
    }
    for await (const e of mergeByTime([endless()])) if (e.name === '3') break;
    expect(closed).toBe(true);
  });
});
