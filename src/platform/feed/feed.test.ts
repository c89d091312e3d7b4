import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { backends, uniqueRedisPrefix } from '../../../test/helpers/backends.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { Decimal } from '../../core/decimal.js';
import { createFeed } from './create-feed.js';
import type { Feed } from './types.js';

const logger = pino({ level: 'silent' });

describe.each(backends)('feed on $name', (backend) => {
  const open: Feed[] = [];
  const make = async (prefix = uniqueRedisPrefix()) => {
    const feed = await createFeed({ redisUrl: backend.redisUrl, redisPrefix: prefix, logger });
    open.push(feed);
    return feed;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((f) => f.close()));
  });

  it('delivers by channel prefix, as plain JSON values, never synchronously', async () => {
    const feed = await make();
    const md: Array<[string, unknown]> = [];
    const all: string[] = [];
    feed.subscribe('md.ticker.', (channel, data) => md.push([channel, data]));
    feed.subscribe('', (channel) => all.push(channel));
    const ticker = { last: Decimal.parse('64000.50'), bid: null };
    feed.publish('md.ticker.paper.BTC/USDT', ticker);
    feed.publish('user.u1.fills', { id: 1 });
    // Nothing runs inside publish: a publisher never pays for its subscribers.
    expect(md).toEqual([]);
    ticker.bid = 'changed later' as never;
    await waitFor(() => all.length === 2);
    expect(md).toEqual([['md.ticker.paper.BTC/USDT', { last: '64000.5', bid: null }]]);
    expect(all).toEqual(['md.ticker.paper.BTC/USDT', 'user.u1.fills']);
  });

  it('keeps delivering to the others when one handler throws, and stops on unsubscribe', async () => {
    const feed = await make();
    const got: unknown[] = [];
    feed.subscribe('x', () => {
      throw new Error('boom');
    });
    const stop = feed.subscribe('x', (_c, d) => got.push(d));
    feed.publish('x.1', 1);
    await waitFor(() => got.length === 1);
    stop();
    feed.publish('x.2', 2);
    feed.publish('x.3', 3);
    const marker: unknown[] = [];
    feed.subscribe('y', (_c, d) => marker.push(d));
    feed.publish('y', 'done');
    await waitFor(() => marker.length === 1);
    expect(got).toEqual([1]);
    await expect(feed.ping()).resolves.toBeUndefined();
  });

  it('delivers to a filtered subscriber only what its filter wants', async () => {
    const feed = await make();
    const watched = new Set(['user.u1.fills']);
    const got: Array<[string, unknown]> = [];
    feed.subscribe('', (channel, data) => got.push([channel, data]), {
      wants: (c) => watched.has(c),
    });
    feed.publish('user.u2.fills', { id: 1 });
    feed.publish('user.u1.fills', { id: 2 });
    await waitFor(() => got.length === 1);
    watched.add('user.u2.fills');
    feed.publish('user.u2.fills', { id: 3 });
    await waitFor(() => got.length === 2);
    expect(got).toEqual([
      ['user.u1.fills', { id: 2 }],
      ['user.u2.fills', { id: 3 }],
    ]);
  });

  it('says whether anyone may receive a channel, so a publisher can skip building it', async () => {
    const feed = await make();
    const watched = new Set<string>();
    feed.subscribe('', () => {}, { wants: (c) => watched.has(c) });
    feed.subscribe('md.', () => {});
    expect(feed.listening?.('md.ticker.paper.BTC/USDT')).toBe(true);
    watched.add('user.u1.orders');
    expect(feed.listening?.('user.u1.orders')).toBe(true);
    // Only the embedded feed sees every subscriber; through Redis another process may listen.
    expect(feed.listening?.('user.u9.orders')).toBe(backend.redisUrl === undefined ? false : true);
    await feed.close();
    expect(feed.listening?.('md.ticker.paper.BTC/USDT')).toBe(false);
  });

  it('refuses data that is not JSON in the publisher', async () => {
    const feed = await make();
    feed.subscribe('', () => {});
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => feed.publish('c', cyclic)).toThrow(TypeError);
  });

  if (backend.redisUrl) {
    it('fans out to every process sharing the prefix, and only to those', async () => {
      const prefix = uniqueRedisPrefix();
      const [a, b, other] = [await make(prefix), await make(prefix), await make()];
      const seen = { a: [] as unknown[], b: [] as unknown[], other: [] as unknown[] };
      a.subscribe('user.', (_c, d) => seen.a.push(d));
      b.subscribe('user.', (_c, d) => seen.b.push(d));
      other.subscribe('', (_c, d) => seen.other.push(d));
      a.publish('user.u1.fills', { fill: 1 });
      await waitFor(() => seen.a.length === 1 && seen.b.length === 1);
      expect(seen).toEqual({ a: [{ fill: 1 }], b: [{ fill: 1 }], other: [] });
      expect(a.kind).toBe('redis');
    });

    it('stops start-up when Redis is unreachable', async () => {
      await expect(
        createFeed({ redisUrl: 'redis://127.0.0.1:1', redisPrefix: 'x', logger }),
      ).rejects.toThrow(/Redis is not reachable/);
    });
  }

  it('ignores publishes after close', async () => {
    const feed = await make();
    await feed.close();
    expect(() => feed.publish('a', 1)).not.toThrow();
    expect(() => feed.subscribe('', () => {})).toThrow(/closed/);
  });
});
