/**
 * The `decisions` channel of /ws with a real WebSocket client: private to the signal's owner,
 * filtered per subscription by symbol, source and model, and each decided signal sent once to
 * a connection however many of its filters match.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { backends } from './helpers/backends.js';
import { signUp, startTestApp, type Session, type TestApp } from './helpers/app.js';
import { waitFor } from './helpers/wait.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Frame = Record<string, any>;

class Client {
  readonly frames: Frame[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;

  constructor(url: string, headers: Record<string, string>) {
    this.ws = new WebSocket(url, { headers });
    this.ws.on('message', (d) => this.frames.push(JSON.parse(d.toString()) as Frame));
    this.ws.on('error', () => {});
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: ${res.statusCode}`)),
      );
    });
  }

  async request(frame: Frame): Promise<Frame> {
    this.ws.send(JSON.stringify(frame));
    return waitFor(() => this.frames.find((f) => f.id === frame.id));
  }

  /** Event ids of the decided signals received. */
  get decided(): string[] {
    return this.frames.filter((f) => f.type === 'decisions').map((f) => f.data.signal.eventId);
  }
}

describe.each(backends)('decisions over /ws on $name', (backend) => {
  let t: TestApp;
  let base: string;
  let alice: Session;
  let bob: Session;
  const clients: Client[] = [];

  const key = async (s: Session, scopes: string[]) =>
    (
      await t.app.http.inject({
        method: 'POST',
        url: '/api/v1/keys',
        headers: s.auth,
        payload: { name: 'ws', scopes },
      })
    ).json().key as string;
  const connect = async (headers: Record<string, string>) => {
    const c = new Client(`${base}/ws`, headers);
    clients.push(c);
    await c.opened;
    await waitFor(() => c.frames.find((f) => f.type === 'authenticated'));
    return c;
  };
  const send = async (apiKey: string, symbol: string, source: string) => {
    const res = await t.app.http.inject({
      method: 'POST',
      url: '/api/v1/signals',
      headers: { 'x-api-key': apiKey },
      payload: { symbol, source, direction: 'long', sentAt: Date.now() },
    });
    expect(res.statusCode, res.body).toBe(202);
    return res.json().eventId as string;
  };
  const published = (eventId: string) =>
    waitFor(async () => {
      const res = await t.app.http.inject({
        method: 'GET',
        url: `/api/v1/signals/${eventId}`,
        headers: alice.auth,
      });
      return res.json().status === 'published';
    }, 15_000);

  beforeAll(async () => {
    t = await startTestApp(backend, { env: { MARKET_SOURCE: 'none' } });
    base = (await t.app.http.listen({ port: 0, host: '127.0.0.1' })).replace('http', 'ws');
    alice = await signUp(t.app);
    bob = await signUp(t.app);
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.ws.terminate();
    await t?.close();
  });

  it('sends each decided signal once per connection, through any matching filter, to its owner only', async () => {
    // A key that may only send signals may still follow their decisions.
    const senderKey = await key(alice, ['signals']);
    const mine = await connect({ 'x-api-key': senderKey });
    expect(
      await mine.request({ op: 'subscribe', id: 1, channel: 'decisions', symbol: 'ETH/USDT' }),
    ).toEqual({
      type: 'subscribed',
      id: 1,
      channel: `user.${alice.userId}.decisions`,
      filter: { symbol: 'ETH/USDT' },
    });
    expect(
      await mine.request({ op: 'subscribe', id: 2, channel: 'decisions', source: 'ws-bot' }),
    ).toMatchObject({ type: 'subscribed', filter: { source: 'ws-bot' } });
    const byModel = await connect(alice.auth);
    await byModel.request({
      op: 'subscribe',
      id: 1,
      channel: 'decisions',
      model: 'quant.trend_alignment',
    });
    await byModel.request({ op: 'subscribe', id: 2, channel: 'decisions', model: 'llm.absent' });
    const nobody = await connect(alice.auth);
    await nobody.request({ op: 'subscribe', id: 1, channel: 'decisions', model: 'llm.absent' });
    const other = await connect(bob.auth);
    await other.request({ op: 'subscribe', id: 1, channel: 'decisions' });

    const btcOther = await send(senderKey, 'BTC/USDT', 'other');
    const ethOther = await send(senderKey, 'ETH/USDT', 'other');
    const btcBot = await send(senderKey, 'BTC/USDT', 'ws-bot');
    const ethBot = await send(senderKey, 'ETH/USDT', 'ws-bot');
    for (const id of [btcOther, ethOther, btcBot, ethBot]) await published(id);
    await waitFor(() => byModel.decided.length >= 4);
    await waitFor(() => mine.decided.length >= 3);

    // ETH from "other" by symbol, BTC from "ws-bot" by source, ETH from "ws-bot" by both: once.
    expect(mine.decided.sort()).toEqual([ethOther, btcBot, ethBot].sort());
    expect(byModel.decided.sort()).toEqual([btcOther, ethOther, btcBot, ethBot].sort());
    expect(nobody.decided).toEqual([]);
    expect(other.decided).toEqual([]);

    const frame = mine.frames.find(
      (f) => f.type === 'decisions' && f.data.signal.eventId === ethBot,
    )!;
    expect(frame.channel).toBe(`user.${alice.userId}.decisions`);
    expect(frame.data.signal).toMatchObject({
      symbol: 'ETH/USDT',
      source: 'ws-bot',
      userId: alice.userId,
    });
    expect(frame.data.decisions.map((d: Frame) => d.modelId).sort()).toEqual([
      'quant.momentum_regime',
      'quant.risk_reward',
      'quant.trend_alignment',
    ]);
    expect(frame.data.consensus.answered + frame.data.consensus.failed).toBe(3);

    // Dropping one filter keeps the other.
    await mine.request({ op: 'unsubscribe', id: 3, channel: 'decisions', symbol: 'ETH/USDT' });
    const ethLater = await send(senderKey, 'ETH/USDT', 'other');
    const botLater = await send(senderKey, 'BTC/USDT', 'ws-bot');
    await published(ethLater);
    await published(botLater);
    await waitFor(() => byModel.decided.length >= 6);
    await waitFor(() => mine.decided.includes(botLater));
    expect(mine.decided).not.toContain(ethLater);
  });

  it('refuses the channel to a key with neither read nor signals', async () => {
    const c = await connect({ 'x-api-key': await key(alice, ['trade']) });
    expect(await c.request({ op: 'subscribe', id: 1, channel: 'decisions' })).toMatchObject({
      type: 'error',
      code: 'insufficient_scope',
    });
  });
});
