/**
 * Dropout's multiplier, drawn as `tf.dropout` draws it — the same numbers for the same seed — without tfjs's cost per
 * number. tfjs draws `tf.randomUniform(shape, 0, 1, "float32", seed)` from Baagøe's Alea generator, seeded with the
 * seed's decimal string, through a closure call and property reads per number (≈ 20 ns each here), then runs three kernels over the result (add 1 − rate, floor, divide
 * by 1 − rate). Here one loop draws the same sequence and forms the multiplier in float32 as those kernels do (a training step
 * with dropout 0.1 of a 3 × 48 model 5–17% faster; bench/RESULTS.md).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Tensor } from "./tensors.ts";

const TWO_TO_MINUS_32 = 2.3283064365386963e-10;

/**
 * `n` numbers in [0, 1): the float32 values `tf.randomUniform([n], 0, 1, "float32", seed)` returns. Alea: three
 * fractions and a carry, seeded by Baagøe's string hash ("Mash") of a space three times, then of `String(seed)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { uniformFloats } from "@copra/model";
 * const tfjs = await tf.randomUniform([5], 0, 1, "float32", 42).data();
 * assert.deepEqual(uniformFloats(5, 42), tfjs);
 * ```
 */
export function uniformFloats(n: number, seed: number | string): Float32Array {
  return draw(new Float32Array(n), seed, null);
}

/**
 * Fills `out` with Alea's numbers for `seed` rounded to float32 — or, given `keep` (float32), with dropout's
 * multiplier for each: floor(u + keep) / keep in float32, i.e. 1/keep where u + keep reaches 1, else 0.
 */
function draw(out: Float32Array, seed: number | string, keep: number | null): Float32Array {
  // Mash: a running hash whose state carries from one string to the next; each call returns a fraction in [0, 1).
  let h32 = 0xefc8249d;
  const mash = (text: string): number => {
    for (let i = 0; i < text.length; i++) {
      h32 += text.charCodeAt(i);
      let h = 0.02519603282416938 * h32;
      h32 = h >>> 0;
      h -= h32;
      h *= h32;
      h32 = h >>> 0;
      h -= h32;
      h32 += h * 0x100000000;
    }
    return (h32 >>> 0) * TWO_TO_MINUS_32;
  };
  const text = String(seed);
  let s0 = mash(" "), s1 = mash(" "), s2 = mash(" ");
  s0 -= mash(text);
  if (s0 < 0) s0 += 1;
  s1 -= mash(text);
  if (s1 < 0) s1 += 1;
  s2 -= mash(text);
  if (s2 < 0) s2 += 1;
  let carry = 1;
  // float32 division: in double, then rounded once, is exact for float32 operands (as is the sum below)
  const kept = keep === null ? 0 : Math.fround(1 / keep);
  // One number: t = 2091639·s0 + carry·2⁻³², then the fractions shift and the carry is t's integer part (t | 0, as
  // t is in [0, 2091640); Math.trunc keeps it in a float register), the new fraction the rest.
  // The multiplier is kept · (u + keep ≥ 1) without a branch: a branch per number, mispredicted at random, costs
  // more than the draw's own chain (dropoutMultiplier with its tensor 8.3–9.2 → 5.6–6.2 ns per number here).
  if (keep === null) {
    for (let i = 0; i < out.length; i++) {
      const t = 2091639 * s0 + carry * TWO_TO_MINUS_32;
      s0 = s1;
      s1 = s2;
      carry = Math.trunc(t);
      s2 = t - carry;
      out[i] = s2;
    }
    return out;
  }
  for (let i = 0; i < out.length; i++) {
    const t = 2091639 * s0 + carry * TWO_TO_MINUS_32;
    s0 = s1;
    s1 = s2;
    carry = Math.trunc(t);
    s2 = t - carry;
    out[i] = kept * Number(Math.fround(Math.fround(s2) + keep) >= 1);
  }
  return out;
}

/**
 * The multiplier `tf.dropout(x, rate, undefined, seed)` multiplies x by, for x of `shape`: 1/(1 − rate) where a
 * number is kept, 0 where it is dropped — each value what tfjs's float32 kernels give (floor(u + keep) / keep with
 * keep = 1 − rate in float32). `tf.mul(x, dropoutMultiplier(x.shape, rate, seed))` is `tf.dropout`'s result and
 * gradient. `rate` in (0, 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { dropoutMultiplier } from "@copra/model";
 * const x = tf.ones([2, 8]);
 * const mine = await tf.mul(x, dropoutMultiplier([2, 8], 0.25, 7)).data();
 * assert.deepEqual(mine, await tf.dropout(x, 0.25, undefined, 7).data());
 * ```
 */
export function dropoutMultiplier(shape: number[], rate: number, seed: number): Tensor {
  if (!(rate > 0 && rate < 1)) throw new RangeError(`dropoutMultiplier: rate ${rate} is not in (0, 1)`);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new RangeError(`dropoutMultiplier: shape [${shape}] must be whole non-negative sizes`);
  }
  const values = draw(new Float32Array(shape.reduce((a, b) => a * b, 1)), seed, Math.fround(1 - rate));
  return tf.tensor(values, shape, "float32");
}
