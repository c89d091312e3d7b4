/**
 * Seeded pseudo-random numbers for simulations: xoshiro128** (Blackman & Vigna) on 32-bit
 * integer arithmetic, seeded from a 128-bit hash of the seed text. The same seed gives the same
 * sequence on every run and platform, which is what makes synthetic markets and Monte Carlo
 * runs reproducible. `Math.random()` cannot be seeded, so it is never used for simulations.
 *
 * Not for secrets: use node:crypto for anything an attacker must not predict.
 */
export type Seed = number | string;

const TWO_POW_53 = 9007199254740992;
const TWO_POW_26 = 67108864;

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | undefined;

  /** `key` names the stream; `fork` derives child streams from it. */
  private constructor(
    readonly key: string,
    state: readonly [number, number, number, number],
  ) {
    [this.a, this.b, this.c, this.d] = state;
    // The all-zero state is the one fixed point of xoshiro; a hash landing there is
    // astronomically unlikely, but a stuck generator would be silent.
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /**
   * A stream for `seed`, optionally narrowed by labels (e.g. an instrument symbol). Streams with
   * different labels are statistically independent, so adding an instrument to a simulation
   * does not change the paths of the others. Numbers seed like their decimal text.
   */
  static from(seed: Seed, ...labels: string[]): Rng {
    const key = [String(seed), ...labels].join('\u0000');
    return new Rng(key, hash128(key));
  }

  /** A stream from a raw 128-bit state (reference test vectors, saved simulations). */
  static fromState(state: readonly [number, number, number, number], key = 'state'): Rng {
    return new Rng(key, [state[0] >>> 0, state[1] >>> 0, state[2] >>> 0, state[3] >>> 0]);
  }

  /** A child stream, independent of this one and of siblings with other labels. */
  fork(label: string): Rng {
    return Rng.from(this.key, label);
  }

  /** Next raw 32-bit output. */
  nextU32(): number {
    const s1 = this.b;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.c ^= this.a;
    this.d ^= s1;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1) with the full 53 bits of a double. */
  uniform(): number {
    return ((this.nextU32() >>> 5) * TWO_POW_26 + (this.nextU32() >>> 6)) / TWO_POW_53;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  chance(p: number): boolean {
    return this.uniform() < p;
  }

  /** Standard normal (Marsaglia's polar method; the second variate is kept for the next call). */
  normal(): number {
    const spare = this.spare;
    if (spare !== undefined) {
      this.spare = undefined;
      return spare;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    return u * f;
  }

  /** Exponential with the given rate (mean 1 / rate). */
  exponential(rate = 1): number {
    return -Math.log(1 - this.uniform()) / rate;
  }

  /** Poisson count with mean `lambda`: Knuth's product method when small, PTRS otherwise. */
  poisson(lambda: number): number {
    if (!(lambda > 0)) return 0;
    if (lambda < 30) {
      const limit = Math.exp(-lambda);
      let k = 0;
      let p = this.uniform();
      while (p > limit) {
        k++;
        p *= this.uniform();
      }
      return k;
    }
    return this.poissonPtrs(lambda);
  }

  /** exp(N(mu, sigma²)): right-skewed, for sizes that are "usually small, sometimes large". */
  logNormal(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.normal());
  }

  /** Pareto with scale `xm` and tail index `alpha`: a power-law tail, P(X > x) = (xm / x)^alpha. */
  pareto(xm: number, alpha: number): number {
    return xm * Math.pow(1 - this.uniform(), -1 / alpha);
  }

  /** Index drawn with probability proportional to its weight (weights ≥ 0, not all zero). */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let x = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return i;
    }
    return weights.length - 1;
  }

  /** Hörmann (1993), "The transformed rejection method for generating Poisson random variables". */
  private poissonPtrs(lambda: number): number {
    const slam = Math.sqrt(lambda);
    const loglam = Math.log(lambda);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.uniform() - 0.5;
      const v = this.uniform();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      const lhs = Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b);
      if (lhs <= -lambda + k * loglam - logGamma(k + 1)) return k;
    }
  }
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** cyrb128: a fast 128-bit string hash, good enough to spread similar seeds far apart. */
function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [fmix32(h1), fmix32(h2), fmix32(h3), fmix32(h4)];
}

/** MurmurHash3 finalizer: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7): ample precision for an acceptance test. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) s += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}
