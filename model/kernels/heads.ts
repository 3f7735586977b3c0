/**
 * Attention's head split and merge: (B,T,parts·H·D) tokens ↔ `parts` tensors of heads (B,H,T,D).
 *
 * The composite is a split along the channels, then a reshape and a transpose per part (and their gradients a
 * transpose per part and a concat): on wasm that is 4–7 kernel calls and two copies of the activations per layer
 * and direction. With wasm SIMD each direction is one kernel (`CopraSplitHeads`, `CopraMergeHeads`: `kernels/fused.wat`,
 * a row copy per head), each the other's gradient; other backends keep the composite.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Tensor, Tensor3D, Tensor4D } from "../tensors.ts";
import { hasKernel } from "./custom_op.ts";

/** (B,T,parts·H·D) → `parts` outputs (B,H,T,D); attrs `parts`, `heads`. */
export const SPLIT_HEADS_KERNEL = "CopraSplitHeads";
/** Inputs `x0`…`x{parts−1}`, each (B,H,T,D) → (B,T,parts·H·D). */
export const MERGE_HEADS_KERNEL = "CopraMergeHeads";

let gradientsRegistered = false;

/** Registers each kernel as the other's gradient (once; `fused_wasm.ts` calls it where it registers the kernels). */
export function registerHeadsGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient({
    kernelName: SPLIT_HEADS_KERNEL,
    gradFunc: (dy: Tensor | Tensor[]) => {
      const dys = Array.isArray(dy) ? dy : [dy];
      return { x: () => mergeHeads(dys as Tensor4D[]) };
    },
  });
  tf.registerGradient({
    kernelName: MERGE_HEADS_KERNEL,
    gradFunc: (dy: Tensor | Tensor[], _saved, attrs) => {
      const { parts, heads } = attrs as unknown as { parts: number; heads: number };
      const dxs = splitHeads(dy as Tensor3D, parts, heads);
      return Object.fromEntries(dxs.map((d, j) => [`x${j}`, () => d]));
    },
  });
}

/**
 * Splits (B,T,parts·H·D) into `parts` tensors of H heads each, (B,H,T,D): attention's q, k and v out of the
 * fused qkv product.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { splitHeads } from "@copra/model";
 * // One token, q = [1, 2, 3, 4] and k = [5, 6, 7, 8], two heads of two channels each.
 * const [q, k] = splitHeads(tf.tensor3d([[[1, 2, 3, 4, 5, 6, 7, 8]]]), 2, 2);
 * assert.deepEqual(await q.array(), [[[[1, 2]], [[3, 4]]]]);
 * assert.deepEqual(k.shape, [1, 2, 1, 2]);
 * ```
 */
export function splitHeads(x: Tensor3D, parts: number, heads: number): Tensor4D[] {
  const [B, T, W] = x.shape;
  const D = W / parts / heads;
  if (!Number.isInteger(D)) {
    throw new RangeError(`splitHeads: ${W} channels do not split into ${parts} parts of ${heads} heads`);
  }
  if (hasKernel(SPLIT_HEADS_KERNEL)) {
    return tf.engine().runKernel(SPLIT_HEADS_KERNEL, { x }, { parts, heads }) as unknown as Tensor4D[];
  }
  // (tfjs's gradient of a split into one part fails: no split then)
  const pieces = parts === 1 ? [x] : tf.split(x, parts, 2);
  return pieces.map((t) => tf.transpose(tf.reshape(t, [B, T, heads, D]), [0, 2, 1, 3]));
}

/**
 * Merges tensors of heads, each (B,H,T,D), into one (B,T,parts·H·D), part after part: attention's output back
 * into tokens (one part), or the gradients of q, k and v into the qkv product's (three).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { mergeHeads } from "@copra/model";
 * const y = mergeHeads([tf.tensor4d([[[[1, 2]], [[3, 4]]]])]);
 * assert.deepEqual(await y.array(), [[[1, 2, 3, 4]]]);
 * ```
 */
export function mergeHeads(xs: Tensor4D[]): Tensor3D {
  const [B, H, T, D] = xs[0].shape;
  if (hasKernel(MERGE_HEADS_KERNEL)) {
    const inputs = Object.fromEntries(xs.map((x, j) => [`x${j}`, x]));
    return tf.engine().runKernel(MERGE_HEADS_KERNEL, inputs, { parts: xs.length, heads: H }) as Tensor3D;
  }
  const tokens = xs.map((x) => tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [B, T, H * D]) as Tensor3D);
  return tokens.length === 1 ? tokens[0] : tf.concat(tokens, 2);
}
