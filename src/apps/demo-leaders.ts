import { randomBytes } from 'node:crypto';
import { Decimal } from '../core/decimal.js';
import type { CopyService } from '../modules/copy/index.js';
import type { IdentityService } from '../modules/identity/index.js';
import type { MarketView } from '../modules/market/index.js';
import type { TradingService } from '../modules/trading/index.js';
import type { Logger } from '../platform/logging/logger.js';

/** How a demo leader reads the tape: `momentum` holds after a rise, `reversion` after a fall. */
type Rule = 'momentum' | 'reversion';

interface DemoLeader {
  email: string;
  displayName: string;
  description: string;
  performanceFeePct: string;
  symbol: string;
  rule: Rule;
}

export const DEMO_LEADERS: readonly DemoLeader[] = [
  {
    email: 'momentum@demo.obscura.local',
    displayName: 'Momentum (demo)',
    description:
      'A demonstration on the simulated market, not a strategy: holds BTC while the last 200 trades went up, sells when they went down, a quarter of its equity at a time.',
    performanceFeePct: '10',
    symbol: 'BTC/USDT',
    rule: 'momentum',
  },
  {
    email: 'reversion@demo.obscura.local',
    displayName: 'Mean reversion (demo)',
    description:
      'A demonstration on the simulated market, not a strategy: buys ETH after the last 200 trades went down, sells after they went up, a quarter of its equity at a time.',
    performanceFeePct: '5',
    symbol: 'ETH/USDT',
    rule: 'reversion',
  },
];

/** Share of equity a demo leader puts into a position. */
const SHARE = Decimal.parse('0.25');
/** Trades a rule looks back over. */
const LOOKBACK = 200;

interface Seeded {
  leader: DemoLeader;
  userId: string;
  accountId: string;
}

/**
 * Leaders for a newcomer's embedded build to follow, so the Copy trading page has someone on
 * its leaderboard and a follow shows copies within minutes. Each is a user of its own (with an
 * unguessable password nobody is told: they are never signed in to), a published leader
 * profile, and a rule that trades its paper account on the synthetic market every
 * DEMO_LEADERS_MS, through the same order path as anyone, so its fills are fanned out to its
 * followers like any leader's. A turn that cannot trade (no prices yet, an unfunded account) is
 * logged and the next one tries again.
 */
export class DemoLeaders {
  private timer: NodeJS.Timeout | undefined;
  private first: NodeJS.Timeout | undefined;
  private seeded: Promise<Seeded[]> | undefined;
  private stopped = false;
  private turning: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      identity: IdentityService;
      copy: CopyService;
      trading: TradingService;
      market: MarketView;
      logger: Logger;
      intervalMs: number;
    },
  ) {}

  /**
   * Seeds the leaders, then starts the turns. The platform awaits it before it listens, so no
   * sign-up can take a demo leader's email first and be handed its profile.
   */
  async start(): Promise<void> {
    if (this.deps.intervalMs <= 0 || this.seeded) return;
    this.seeded = this.seed();
    await this.seeded;
    if (this.stopped) return;
    // The first turn once the market has its first prices.
    this.first = setTimeout(() => void this.turn(), Math.min(10_000, this.deps.intervalMs));
    this.first.unref();
    this.timer = setInterval(() => void this.turn(), this.deps.intervalMs);
    this.timer.unref();
  }

  /** Stops the turns and waits for the seeding or turn under way, so nothing outlives it. */
  async stop(): Promise<void> {
    clearTimeout(this.first);
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopped = true;
    await this.seeded?.catch(() => undefined);
    await this.turning;
  }

  /** Each demo leader's user, account and profile, made on first start and found afterwards. */
  private async seed(): Promise<Seeded[]> {
    const { identity, copy, trading, logger } = this.deps;
    const out: Seeded[] = [];
    for (const leader of DEMO_LEADERS) {
      try {
        let userId = (await identity.listUsers({ limit: 1, email: leader.email }))[0]?.id;
        if (!userId) {
          const created = await identity.register(
            {
              email: leader.email,
              password: randomBytes(24).toString('base64url'),
              displayName: leader.displayName,
              role: 'trader',
            },
            { ip: '127.0.0.1' },
          );
          userId = created.user.id;
        }
        const account = await trading.account(userId);
        const published = await copy.leaders.mine(userId).then(
          () => true,
          () => false,
        );
        if (!published) {
          await copy.leaders.create(userId, {
            displayName: leader.displayName,
            description: leader.description,
            performanceFeePct: leader.performanceFeePct,
          });
          logger.info(
            { at: 'demo#leaders', leader: leader.displayName },
            'demo leader published; it trades the simulated market',
          );
        }
        out.push({ leader, userId, accountId: account.id });
      } catch (err) {
        logger.warn(
          { at: 'demo#leaders', err, leader: leader.displayName },
          'demo leader not made',
        );
      }
    }
    return out;
  }

  /** One decision per demo leader; resolves when each has placed its order or passed. */
  turn(): Promise<void> {
    if (this.turning || !this.seeded || this.stopped) return this.turning ?? Promise.resolve();
    const seeded = this.seeded;
    this.turning = (async () => {
      for (const s of await seeded) {
        if (this.stopped) return;
        await this.trade(s).catch((err: unknown) =>
          this.deps.logger.warn(
            { at: 'demo#leaders', err, leader: s.leader.displayName },
            'demo leader did not trade this turn',
          ),
        );
      }
    })().finally(() => {
      this.turning = undefined;
    });
    return this.turning;
  }

  private async trade(s: Seeded): Promise<void> {
    const { market, trading } = this.deps;
    const inst = market.instrument('paper', s.leader.symbol);
    const last = market.lastPrice('paper', s.leader.symbol);
    const earlier = market.recentTrades('paper', s.leader.symbol, LOOKBACK)[0];
    if (!inst || !last || !earlier) return;
    const rose = last.cmp(earlier.price) >= 0;
    const hold = s.leader.rule === 'momentum' ? rose : !rose;
    const state = (await trading.accountStates([s.accountId])).get(s.accountId);
    if (!state) return;
    const held = (state.available.get(inst.base) ?? Decimal.ZERO).roundToStep(inst.lotSize);
    if (hold && held.isZero()) {
      const quantity = state.equity.mul(SHARE).div(last, 'down').roundToStep(inst.lotSize);
      if (quantity.mul(last).lt(inst.minNotional)) return;
      await trading.place(s.userId, {
        symbol: s.leader.symbol,
        side: 'buy',
        type: 'market',
        quantity: quantity.toString(),
      });
    } else if (!hold && held.isPositive() && held.mul(last).gte(inst.minNotional)) {
      await trading.place(s.userId, {
        symbol: s.leader.symbol,
        side: 'sell',
        type: 'market',
        quantity: held.toString(),
      });
    }
  }
}
