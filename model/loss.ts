/**
 * Cross-entropy over token ids with an ignore index, without a B×T×V one-hot.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Scalar, Tensor, Tensor2D, Tensor3D } from "./tensors.ts";

/**
 * Label value of positions that do not count (Hugging Face's and PyTorch's convention).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IGNORE_INDEX } from "@copra/model";
 * assert.equal(IGNORE_INDEX, -100);
 * ```
 */
export const IGNORE_INDEX: -100 = -100;

/**
 * Mean cross-entropy of `logits` (B,T,V) against `labels` (B,T) int32, over the positions whose label is not
 * {@link IGNORE_INDEX}; the label at position t is the target of the logits at t (no shift here — see
 * {@link causalLmLoss}). Returns a scalar; 0 when no position counts.
 *
 * Computed as logsumexp(logits) − logits[label] per position: the label's logit is gathered from the flat
 * logits, so no one-hot tensor is built.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { crossEntropy } from "@copra/model";
 * const logits = tf.tensor3d([[[0, 0], [0, Math.log(3)]]]); // (1,2,2)
 * const labels = tf.tensor2d([[-100, 1]], undefined, "int32");
 * const loss = await crossEntropy(logits, labels).data();
 * assert.ok(Math.abs(loss[0] - Math.log(4 / 3)) < 1e-6);
 * ```
 */
export function crossEntropy(logits: Tensor3D, labels: Tensor2D): Scalar {
  return tf.tidy(() => {
    const [B, T, V] = logits.shape;
    const N = B * T;
    const flat = tf.reshape(logits, [N, V]); // (N,V)
    const y = tf.reshape(labels, [N]); // (N)
    const counted = tf.notEqual(y, IGNORE_INDEX); // (N)
    const safe = tf.where(counted, y, tf.zerosLike(y)); // ignored → class 0, masked out below
    const index = tf.add(tf.mul(tf.range(0, N, 1, "int32"), tf.scalar(V, "int32")), safe); // flat index of each label's logit
    const picked = tf.gather(tf.reshape(flat, [N * V]), index); // (N)
    const nll = tf.sub(logSumExp(flat), picked); // (N)
    const mask = tf.cast(counted, "float32");
    return tf.div(tf.sum(tf.mul(nll, mask)), tf.maximum(tf.sum(mask), 1)) as Scalar;
  });
}

/**
 * log Σ exp(x) over the last axis of (N,V), shifted by the row maximum for stability. The shift is held
 * constant for differentiation: the gradient is softmax(x) either way, and tf.logSumExp's route through max()
 * costs an extra (N,V) comparison in the backward pass.
 */
function logSumExp(x: Tensor): Tensor {
  const m = rowMaxConstant(x); // (N,1)
  return tf.add(tf.reshape(m, [-1]), tf.log(tf.sum(tf.exp(tf.sub(x, m)), 1)));
}

/** The maximum of each row (N,1), differentiated as a constant (gradient zero). */
const rowMaxConstant: (x: Tensor) => Tensor = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as Tensor;
  return { value: tf.max(x, 1, true), gradFunc: () => tf.zerosLike(x) };
}) as unknown as (x: Tensor) => Tensor;

/**
 * The causal language-model loss as Hugging Face computes it from `labels`: logits at t predict the label at
 * t+1 (the last position predicts nothing), ignore index -100, mean over counted tokens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { causalLmLoss } from "@copra/model";
 * const logits = tf.zeros([1, 3, 5]) as tf.Tensor3D; // uniform over 5 tokens
 * const labels = tf.tensor2d([[-100, 2, 4]], undefined, "int32");
 * const loss = await causalLmLoss(logits, labels).data();
 * assert.ok(Math.abs(loss[0] - Math.log(5)) < 1e-6);
 * ```
 */
export function causalLmLoss(logits: Tensor3D, labels: Tensor2D): Scalar {
  return tf.tidy(() => {
    const [B, T, V] = logits.shape;
    const shiftedLogits = tf.slice(logits, [0, 0, 0], [B, T - 1, V]);
    const shiftedLabels = tf.slice(labels, [0, 1], [B, T - 1]);
    return crossEntropy(shiftedLogits, shiftedLabels);
  });
}
