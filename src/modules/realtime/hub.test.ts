import { describe, expect, it } from 'vitest';
import { Hub, type Subscriber } from './hub.js';

class Sink implements Subscriber {
  frames: Buffer[] = [];
  constructor(private readonly accept = true) {}
  deliver(frame: Buffer) {
    if (this.accept) this.frames.push(frame);
    return this.accept;
  }
}

describe('hub', () => {
  it('serialises a message once and hands the same bytes to every subscriber', () => {
    const hub = new Hub();
    const [a, b, c] = [new Sink(), new Sink(), new Sink()];
    hub.add('md.ticker.paper.BTC/USDT', 'ticker', a);
    hub.add('md.ticker.paper.BTC/USDT', 'ticker', b);
    hub.add('md.ticker.paper.ETH/USDT', 'ticker', c);
    expect(hub.publish('md.ticker.paper.BTC/USDT', { last: '1' })).toBe(2);
    expect(a.frames[0]).toBe(b.frames[0]);
    expect(c.frames).toEqual([]);
    expect(hub.publish('md.ticker.paper.SOL/USDT', {})).toBe(0);
  });

  it('counts only accepted deliveries and forgets empty channels', () => {
    const hub = new Hub();
    const slow = new Sink(false);
    const fast = new Sink();
    expect(hub.add('ch', 'fills', slow)).toBe(true);
    expect(hub.add('ch', 'fills', slow)).toBe(false);
    hub.add('ch', 'fills', fast);
    expect(hub.publish('ch', 1)).toBe(1);
    hub.remove('ch', slow);
    hub.remove('ch', fast);
    expect(hub.channelCount).toBe(0);
  });

  it('tolerates a subscriber leaving during its own delivery', () => {
    const hub = new Hub();
    const got: string[] = [];
    const leaver: Subscriber = {
      deliver() {
        hub.remove('ch', leaver);
        return false;
      },
    };
    const stayer: Subscriber = {
      deliver: (f) => (got.push(f.toString()), true),
    };
    hub.add('ch', 'orders', leaver);
    hub.add('ch', 'orders', stayer);
    expect(hub.publish('ch', 'x')).toBe(1);
    expect(got).toHaveLength(1);
    expect(hub.subscriberCount('ch')).toBe(1);
  });
});

describe('hub with filtering subscribers', () => {
  it('asks each subscriber that filters, and encodes only when someone takes the message', () => {
    const hub = new Hub();
    const picky = Object.assign(new Sink(), { wants: (_c: string, d: unknown) => d === 'yes' });
    const all = new Sink();
    hub.add('user.u.decisions', 'decisions', picky);
    expect(hub.publish('user.u.decisions', 'no')).toBe(0);
    expect(picky.frames).toEqual([]);
    hub.add('user.u.decisions', 'decisions', all);
    expect(hub.publish('user.u.decisions', 'no')).toBe(1);
    expect(hub.publish('user.u.decisions', 'yes')).toBe(2);
    expect(picky.frames[0]).toBe(all.frames[1]);
  });
});
