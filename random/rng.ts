/**
 * Seeded randomness: a small, fast generator whose whole state can be saved and restored, so that the same
 * seed gives the same run and a resumed run continues the same sequence.
 *
 * @module
 */

/**
 * SplitMix32-seeded xoshiro128** generator with a Box–Muller normal sampler.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "@copra/random";
 * const a = new Rng(7), b = new Rng(7);
 * assert.equal(a.next(), b.next());
 * const saved = a.state();
 * const x = a.normal();
 * assert.equal(Rng.fromState(saved).normal(), x);
 * ```
 */
export class Rng {
  #s: Uint32Array;
  #spare: number | null = null;

  /** A generator determined by `seed` (any integer; only its low 32 bits count). */
  constructor(seed: number) {
    let x = seed >>> 0;
    const s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      // SplitMix32 spreads the seed over the four state words.
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
    this.#s = s;
  }

  /**
   * A generator continuing from a saved {@link Rng.state}.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Rng } from "@copra/random";
   * const r = new Rng(1);
   * const copy = Rng.fromState(r.state());
   * assert.equal(copy.next(), r.next());
   * ```
   */
  static fromState(state: readonly number[]): Rng {
    const rng = new Rng(0);
    rng.#s = Uint32Array.from(state.slice(0, 4));
    rng.#spare = state.length > 4 && Number.isFinite(state[4]) ? state[4] : null;
    return rng;
  }

  /**
   * The whole state as plain numbers (JSON-safe).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Rng } from "@copra/random";
   * assert.equal(new Rng(3).state().length, 4);
   * ```
   */
  state(): number[] {
    const state = [...this.#s];
    if (this.#spare !== null) state.push(this.#spare);
    return state;
  }

  /**
   * The next 32-bit unsigned integer.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Rng } from "@copra/random";
   * const u = new Rng(5).nextUint32();
   * assert.ok(Number.isInteger(u) && u >= 0 && u < 2 ** 32);
   * ```
   */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /**
   * A float in [0, 1) with 32 random bits.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Rng } from "@copra/random";
   * const x = new Rng(5).next();
   * assert.ok(x >= 0 && x < 1);
   * ```
   */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /**
   * An integer in [0, n).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Rng } from "@copra/random";
   * const k = new Rng(5).int(6);
   * assert.ok(k >= 0 && k < 6);
   * ```
   */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /**
   * A standard normal sample (Box–Muller; the second value of each pair is kept for the next call).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Rng } from "@copra/random";
   * const r = new Rng(9);
   * const xs = Array.from({ length: 10000 }, () => r.normal());
   * const mean = xs.reduce((a, b) => a + b) / xs.length;
   * assert.ok(Math.abs(mean) < 0.05);
   * ```
   */
  normal(): number {
    if (this.#spare !== null) {
      const z = this.#spare;
      this.#spare = null;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * Shuffles an array in place (Fisher–Yates) and returns it.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Rng } from "@copra/random";
   * const xs = new Rng(1).shuffle([1, 2, 3, 4, 5]);
   * assert.deepEqual([...xs].sort(), [1, 2, 3, 4, 5]);
   * ```
   */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
