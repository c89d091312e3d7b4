import type { Clock } from '../core/clock.js';
import { Decimal } from '../core/decimal.js';
import type { IdentityService } from '../modules/identity/index.js';
import type { MarketView } from '../modules/market/index.js';
import type { SignalsService } from '../modules/signals/index.js';
import type { Logger } from '../platform/logging/logger.js';
import { DEMO_ACCOUNT } from './demo.js';

const STOP = Decimal.parse('0.01');
const TARGET = Decimal.parse('0.02');
const ONE = Decimal.fromInt(1);

/**
 * A newcomer's embedded build sends the demo trader a signal now and then, so the Signals page
 * shows the pipeline at work before anyone has wired a real sender. It goes through the same
 * gateway as any API client (source `demo-bot`), and trades nothing unless the trader binds
 * that source to an account. The rule is deliberately naive: follow the direction of the last
 * 200 trades, stop 1 % away, target 2 %; the models are free to disagree.
 */
export class DemoSignals {
  private timer: NodeJS.Timeout | undefined;
  private turn = 0;
  private userId: string | undefined;
  private first: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      identity: IdentityService;
      signals: SignalsService;
      market: MarketView;
      clock: Clock;
      logger: Logger;
      intervalMs: number;
    },
  ) {}

  start(): void {
    if (this.deps.intervalMs <= 0 || this.timer) return;
    // The first one shortly after start, when the market has its first prices.
    const first = setTimeout(() => void this.send(), Math.min(10_000, this.deps.intervalMs));
    first.unref();
    this.timer = setInterval(() => void this.send(), this.deps.intervalMs);
    this.timer.unref();
    this.first = first;
  }

  stop(): void {
    clearTimeout(this.first);
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One signal on the next instrument; a refusal is logged and the next turn tries again. */
  async send(): Promise<void> {
    const { market, clock, logger } = this.deps;
    try {
      this.userId ??= (
        await this.deps.identity.listUsers({ limit: 1, email: DEMO_ACCOUNT.email })
      )[0]?.id;
      if (!this.userId) return;
      const instruments = market.instruments('paper');
      if (!instruments.length) return;
      const inst = instruments[this.turn++ % instruments.length]!;
      const last = market.lastPrice('paper', inst.symbol);
      const earlier = market.recentTrades('paper', inst.symbol, 200)[0];
      if (!last || !earlier) return;
      const long = last.cmp(earlier.price) >= 0;
      const tick = inst.tickSize;
      const stop = last.mul(long ? ONE.sub(STOP) : ONE.add(STOP)).roundToStep(tick);
      const target = last.mul(long ? ONE.add(TARGET) : ONE.sub(TARGET)).roundToStep(tick);
      await this.deps.signals.gateway.submit(
        { userId: this.userId, keyId: null, bucket: `demo:${this.userId}` },
        {
          symbol: inst.symbol,
          direction: long ? 'long' : 'short',
          entry: last.toString(),
          stop: stop.toString(),
          takeProfit: target.toString(),
          timeframe: '15m',
          source: 'demo-bot',
          strategy: 'candle-direction',
          profile: 'full_v1',
          sentAt: clock.now(),
        },
      );
    } catch (err) {
      logger.warn({ at: 'demo#signal', err }, 'demo signal not sent');
    }
  }
}
