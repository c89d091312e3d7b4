import { validationError } from '../../../core/errors.js';
import type { Rng } from './rng.js';

/**
 * The random model behind the synthetic market: a regime-switching jump diffusion on the log
 * of the mid price. Regimes form a continuous-time Markov chain (exponential holding times,
 * weighted jumps to other regimes); inside a regime the log price follows a Brownian motion
 * with drift plus Poisson jumps of random sign and exponential size. Everything here is float
 * on purpose: it is a model, and its output only becomes a price once rounded to a tick.
 *
 * Drift, volatility and jump sizes are in units of the instrument's daily volatility, so one
 * regime table fits a sleepy large cap and a jumpy small cap alike.
 */
export interface RegimeSpec {
  readonly name: string;
  /** Drift per day, in daily volatilities (+4 on a 3 %/day asset is +12 %/day). */
  readonly trend: number;
  /** Multiplier of the instrument's daily volatility. */
  readonly volatility: number;
  /** Mean number of jumps per day. */
  readonly jumpsPerDay: number;
  /** Mean absolute log-size of a jump, in daily volatilities. */
  readonly jumpSize: number;
  /** Mean time spent in the regime before switching. */
  readonly meanMinutes: number;
  /** Multiplier of the event rate: busy markets trade more. */
  readonly activity: number;
  /** Multiplier of the quoted spread: makers widen when the price moves fast. */
  readonly spread: number;
  /** Relative weights of the regimes entered on leaving this one (self excluded). */
  readonly next: Readonly<Record<string, number>>;
}

export const DEFAULT_REGIMES: readonly RegimeSpec[] = [
  {
    name: 'calm',
    trend: 0,
    volatility: 0.6,
    jumpsPerDay: 0.5,
    jumpSize: 0.15,
    meanMinutes: 180,
    activity: 0.7,
    spread: 1,
    next: { 'trend-up': 0.35, 'trend-down': 0.35, volatile: 0.3 },
  },
  {
    name: 'trend-up',
    trend: 4,
    volatility: 1,
    jumpsPerDay: 1,
    jumpSize: 0.2,
    meanMinutes: 90,
    activity: 1.2,
    spread: 1.2,
    next: { calm: 0.6, volatile: 0.3, 'trend-down': 0.1 },
  },
  {
    name: 'trend-down',
    trend: -4,
    volatility: 1.1,
    jumpsPerDay: 1.5,
    jumpSize: 0.25,
    meanMinutes: 75,
    activity: 1.3,
    spread: 1.3,
    next: { calm: 0.55, volatile: 0.35, 'trend-up': 0.1 },
  },
  {
    name: 'volatile',
    trend: 0,
    volatility: 2.5,
    jumpsPerDay: 8,
    jumpSize: 0.35,
    meanMinutes: 40,
    activity: 2.5,
    spread: 3,
    next: { calm: 0.5, 'trend-up': 0.25, 'trend-down': 0.25 },
  },
];

/** A regime table resolved to indices once, so the hot loop does no string lookups. */
export interface RegimeTable {
  readonly specs: readonly RegimeSpec[];
  /** `targets[i]` and `weights[i]`: where regime i can go and how likely. */
  readonly targets: readonly (readonly number[])[];
  readonly weights: readonly (readonly number[])[];
}

export function compileRegimes(specs: readonly RegimeSpec[], field = 'regimes'): RegimeTable {
  if (specs.length === 0) throw validationError(field, 'must list at least one regime');
  const index = new Map<string, number>();
  specs.forEach((r, i) => {
    if (!r.name || index.has(r.name)) throw validationError(`${field}/${i}/name`, 'must be unique');
    index.set(r.name, i);
  });
  const targets: number[][] = [];
  const weights: number[][] = [];
  specs.forEach((r, i) => {
    const at = `${field}/${i}`;
    const finite = (v: number, name: string, min: number, strict: boolean) => {
      if (!Number.isFinite(v) || v < min || (strict && v === min)) {
        throw validationError(
          `${at}/${name}`,
          `must be a finite number ${strict ? '>' : '≥'} ${min}`,
        );
      }
    };
    if (!Number.isFinite(r.trend)) throw validationError(`${at}/trend`, 'must be finite');
    finite(r.volatility, 'volatility', 0, false);
    finite(r.jumpsPerDay, 'jumpsPerDay', 0, false);
    finite(r.jumpSize, 'jumpSize', 0, false);
    finite(r.meanMinutes, 'meanMinutes', 0, true);
    finite(r.activity, 'activity', 0, true);
    finite(r.spread, 'spread', 0, true);
    const t: number[] = [];
    const w: number[] = [];
    for (const [name, weight] of Object.entries(r.next)) {
      const j = index.get(name);
      if (j === undefined) throw validationError(`${at}/next/${name}`, 'is not a regime');
      if (!Number.isFinite(weight) || weight < 0) {
        throw validationError(`${at}/next/${name}`, 'must be a finite weight ≥ 0');
      }
      if (j !== i && weight > 0) {
        t.push(j);
        w.push(weight);
      }
    }
    targets.push(t);
    weights.push(w);
  });
  return { specs, targets, weights };
}

const MS_PER_DAY = 86_400_000;

/** One instrument's log-mid path; time is elapsed milliseconds since the market's start. */
export class PriceProcess {
  /** ln(mid). */
  logMid: number;
  regime = 0;
  private t = 0;
  private switchAt: number;

  constructor(
    private readonly rng: Rng,
    private readonly table: RegimeTable,
    private readonly dailyVolatility: number,
    startMid: number,
  ) {
    this.logMid = Math.log(startMid);
    this.switchAt = this.holdingTime();
  }

  get regimeName(): string {
    return this.table.specs[this.regime]!.name;
  }

  get spec(): RegimeSpec {
    return this.table.specs[this.regime]!;
  }

  /** Moves the path forward to elapsed time `to`, switching regimes on the way if due. */
  advanceTo(to: number): void {
    while (this.switchAt <= to) {
      this.diffuse(this.switchAt - this.t);
      this.t = this.switchAt;
      this.switchRegime();
    }
    this.diffuse(to - this.t);
    this.t = to;
  }

  private diffuse(dtMs: number): void {
    if (dtMs <= 0) return;
    const r = this.table.specs[this.regime]!;
    const dt = dtMs / MS_PER_DAY;
    const sigma = this.dailyVolatility * r.volatility;
    const mu = r.trend * this.dailyVolatility;
    // Itô correction keeps `trend` the drift of the price itself, not of its logarithm.
    let dx = (mu - 0.5 * sigma * sigma) * dt + sigma * Math.sqrt(dt) * this.rng.normal();
    const jumps = this.rng.poisson(r.jumpsPerDay * dt);
    for (let k = 0; k < jumps; k++) {
      const size = r.jumpSize * this.dailyVolatility * this.rng.exponential();
      dx += this.rng.uniform() < 0.5 ? -size : size;
    }
    this.logMid += dx;
  }

  private switchRegime(): void {
    const targets = this.table.targets[this.regime]!;
    this.regime = targets[this.rng.weighted(this.table.weights[this.regime]!)]!;
    this.switchAt = this.t + this.holdingTime();
  }

  private holdingTime(): number {
    if (this.table.targets[this.regime]!.length === 0) return Infinity;
    return this.rng.exponential() * this.table.specs[this.regime]!.meanMinutes * 60_000;
  }
}
