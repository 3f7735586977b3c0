/**
 * Rotary position embeddings (RoPE): the tables of a forward pass and the rotation of queries and keys, with its
 * gradient written out.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Tensor, Tensor2D, Tensor4D } from "../tensors.ts";
import { tidyRecord } from "../tidy.ts";
import { customOp, hasKernel } from "./custom_op.ts";
import { ROPE_KERNEL } from "./fused_wasm.ts";

/** What {@link applyRope} needs, built once per forward pass by {@link rotaryTables}. */
export interface RopeTables {
  /** cos(position·θ^(−2i/D)) for pair i, laid out as both halves of the head: (B|1, 1, T, D). */
  cos: Tensor4D;
  /** sin of the same angles. */
  sin: Tensor4D;
  /** (D,D) ±1 matrix R with x·R = rotate_half(x) = [−x₂, x₁] for x = [x₁, x₂]. */
  rotate: Tensor2D;
}

/**
 * RoPE tables for position ids (B,T): angle of pair i at position p is p·θ^(−2i/D), i < D/2, repeated over
 * the two halves of a head (the GPT-NeoX / Llama layout, where pair i is coordinates i and i + D/2).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { rotaryTables } from "@copra/model";
 * const { cos, sin } = rotaryTables(tf.tensor2d([[0, 1]], undefined, "int32"), 4, 10000);
 * assert.deepEqual(cos.shape, [1, 1, 2, 4]);
 * const s = await sin.data(); // position 1: sin(1), sin(0.01), sin(1), sin(0.01)
 * assert.ok(Math.abs(s[4] - Math.sin(1)) < 1e-6 && Math.abs(s[5] - Math.sin(0.01)) < 1e-6);
 * ```
 */
export function rotaryTables(positionIds: Tensor2D, D: number, theta: number): RopeTables {
  return tidyRecord((): RopeTables => {
    const [B, T] = positionIds.shape;
    const half = D / 2;
    // the two halves of a head hold the same angles: cos and sin of one half, each written twice
    const invFreq = Float32Array.from({ length: half }, (_, j) => Math.pow(theta, -(2 * j) / D));
    const angles = tf.mul(
      tf.reshape(tf.cast(positionIds, "float32"), [B, 1, T, 1]),
      tf.tensor4d(invFreq, [1, 1, 1, half]),
    );
    const twice = (t: Tensor) => tf.concat([t, t], 3) as Tensor4D;
    const r = new Float32Array(D * D);
    for (let j = 0; j < half; j++) {
      r[(j + half) * D + j] = -1; // out[j] = −x[j + D/2]
      r[j * D + j + half] = 1; // out[j + D/2] = x[j]
    }
    return { cos: twice(tf.cos(angles)), sin: twice(tf.sin(angles)), rotate: tf.tensor2d(r, [D, D]) };
  });
}

/**
 * Rotates queries or keys x (B,H,T,D) by their positions: x·cos + rotate_half(x)·sin, with its gradient written
 * out (dx = dy·cos + (dy·sin)·Rᵀ, where rotate_half is a product with a fixed ±1 matrix R).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { applyRope, rotaryTables } from "@copra/model";
 * // D = 2, position 1, θ irrelevant for pair 0 (angle = 1 rad): (1, 0) turns to (cos 1, sin 1).
 * const x = tf.tensor4d([[[[1, 0]]]]);
 * const y = await applyRope(x, rotaryTables(tf.tensor2d([[1]], undefined, "int32"), 2, 10000)).data();
 * assert.ok(Math.abs(y[0] - Math.cos(1)) < 1e-6 && Math.abs(y[1] - Math.sin(1)) < 1e-6);
 * ```
 */
export function applyRope(x: Tensor4D, tables: RopeTables): Tensor4D {
  const [B, H, T, D] = x.shape;
  const { cos, sin, rotate } = tables;
  if (hasKernel(ROPE_KERNEL) && D % 2 === 0 && [x, cos, sin].every((t) => t.dtype === "float32")) {
    // wasm: one pass each way (kernels/fused.wat), the same numbers as the composite below
    const rope = (t: Tensor, c: Tensor, s: Tensor, sign: number) =>
      tf.engine().runKernel(ROPE_KERNEL, { x: t, cos: c, sin: s }, { sign }) as Tensor;
    const fused = customOp<[Tensor]>(([sx], save) => {
      save([cos, sin]); // constants of the caller's scope: keep them for the backward pass
      return { value: rope(sx, cos, sin, 1), gradFunc: (dy, [c, s]) => rope(dy, c, s, -1) };
    });
    return fused(x) as Tensor4D;
  }
  const op = customOp<[Tensor]>(([sx], save) => {
    const rotated = tf.reshape(tf.matMul(tf.reshape(sx, [B * H * T, D]), rotate), [B, H, T, D]);
    save([cos, sin, rotate]); // the tables are constants of the caller's scope: keep them for the backward pass
    return {
      value: tf.add(tf.mul(sx, cos), tf.mul(rotated, sin)),
      gradFunc: (dy, [c, s, r]) => {
        const back = tf.matMul(tf.reshape(tf.mul(dy, s), [B * H * T, D]), r, false, true);
        return tf.add(tf.mul(dy, c), tf.reshape(back, [B, H, T, D]));
      },
    };
  });
  return op(x) as Tensor4D;
}
