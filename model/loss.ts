/**
 * Cross-entropy over token ids with an ignore index, without a B×T×V one-hot.
 *
 * @module
 */

import { customOp, hasKernel } from "./kernels/custom_op.ts";
import { matMulT } from "./ops.ts";
import { XENT_GRAD_KERNEL } from "./kernels/xent_webgpu.ts";
import { ROW_LSE_KERNEL } from "./kernels/xent_wasm.ts";
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
 * {@link causalLmLoss}). Returns a scalar; 0 when no position counts. With `weights` (B,T) it is the weighted
 * mean Σ wₜ·CEₜ / Σ wₜ over the counted positions instead.
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
 * const both = tf.tensor2d([[0, 1]], undefined, "int32"); // CE ln 2 and ln(4/3)
 * const weighted = await crossEntropy(logits, both, tf.tensor2d([[1, 3]])).data();
 * assert.ok(Math.abs(weighted[0] - (Math.log(2) + 3 * Math.log(4 / 3)) / 4) < 1e-6);
 * ```
 */
export function crossEntropy(logits: Tensor3D, labels: Tensor2D, weights?: Tensor2D): Scalar {
  return tf.tidy(() => {
    const [B, T, V] = logits.shape;
    const N = B * T;
    const flat = tf.reshape(logits, [N, V]); // (N,V)
    const y = tf.reshape(labels, [N]); // (N)
    const counted = tf.notEqual(y, IGNORE_INDEX); // (N)
    const safe = tf.where(counted, y, tf.zerosLike(y)); // ignored → class 0, weighted 0 below
    if (weights === undefined) {
      const mask = tf.cast(counted, "float32");
      const weight = tf.div(mask, tf.maximum(tf.sum(mask), 1)); // (N): 1/count where counted, else 0
      return sparseSoftmaxCrossEntropy(flat, safe, weight, V) as Scalar;
    }
    const w = tf.mul(tf.cast(counted, "float32"), tf.reshape(weights, [N])); // (N)
    const total = tf.sum(w);
    const weight = tf.div(w, tf.where(tf.greater(total, 0), total, tf.onesLike(total))); // (N): wᵢ / Σw
    return sparseSoftmaxCrossEntropy(flat, safe, weight, V) as Scalar;
  });
}

/**
 * Σ weightᵢ·(logsumexp(xᵢ) − xᵢ[labelᵢ]) over rows of x (N,V), with its gradient written out:
 * dx = weight·softmax(x) − scatter(weight at (i, labelᵢ)). The label terms are gathered and scattered by index:
 * no (N,V) one-hot in the forward pass, and no gather gradient (tfjs's UnsortedSegmentSum, which WebGPU runs over
 * every output element: 20 s for GPT-2's 2048×50,257 logits on an H200). On WebGPU the gradient is one WGSL pass
 * (`kernels/xent_webgpu.ts`); on wasm the log-sum-exp and the gradient are one SIMD pass each (`kernels/xent_wasm.ts`).
 */
function sparseSoftmaxCrossEntropy(x: Tensor, labels: Tensor, weight: Tensor, V: number): Tensor {
  const op = customOp<[Tensor]>(([sx], save) => {
    const N = sx.shape[0] as number;
    // log-sum-exp per row (N,1); on wasm one SIMD pass that skips rows of weight 0 (kernels/xent_wasm.ts)
    const lse = hasKernel(ROW_LSE_KERNEL)
      ? tf.engine().runKernel(ROW_LSE_KERNEL, { x: sx, w: weight }) as Tensor
      : tf.tidy(() => {
        const m = tf.max(sx, 1, true);
        return tf.add(m, tf.log(tf.sum(tf.exp(tf.sub(sx, m)), 1, true)));
      });
    const index = tf.add(tf.mul(tf.range(0, N, 1, "int32"), tf.scalar(V, "int32")), labels); // flat index of each label
    const picked = tf.gather(tf.reshape(sx, [N * V]), index); // (N)
    // Saved tensors outlive the caller's tidy scope; labels and weights are needed backwards too.
    save([sx, lse, labels, weight]);
    return {
      value: tf.sum(tf.mul(tf.sub(tf.reshape(lse, [N]), picked), weight)),
      gradFunc: (dy, [x0, lse0, labels0, weight0]) => {
        const n = x0.shape[0] as number;
        const w = tf.mul(weight0, dy); // (N)
        if (hasKernel(XENT_GRAD_KERNEL)) {
          // one pass over the logits (WebGPU, wasm); the same arithmetic per entry as the composite below
          return tf.engine().runKernel(XENT_GRAD_KERNEL, { x: x0, lse: lse0, labels: labels0, w }) as Tensor;
        }
        const probs = tf.exp(tf.sub(x0, lse0)); // softmax (N,V)
        const at = tf.stack([tf.range(0, n, 1, "int32"), labels0], 1) as tf.Tensor2D; // (N,2)
        return tf.sub(tf.mul(probs, tf.reshape(w, [n, 1])), tf.scatterND(at, w, [n, V]));
      },
    };
  });
  return op(x);
}

/** A position whose target is a set of ids (see {@link setCrossEntropy}). */
export interface SetTarget {
  /** Row of the batch. */
  row: number;
  /** Position of the target in `labels` coordinates: the logits at `position − 1` predict it. */
  position: number;
  /** The ids that are all right there. */
  ids: readonly number[];
}

/**
 * Σ over `targets` of −log Σ_{v ∈ ids} softmax(logits[row, position − 1])ᵥ — the frontier-set loss of the
 * superposition papers: any node of the next frontier is right, so the model is asked to put its mass on the
 * set, not on one of its members. Returns the sum (a scalar; 0 without targets).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { setCrossEntropy } from "@copra/model";
 * const logits = tf.zeros([1, 2, 4]) as tf.Tensor3D; // uniform over 4 ids
 * const loss = await setCrossEntropy(logits, [{ row: 0, position: 1, ids: [0, 2] }]).data();
 * assert.ok(Math.abs(loss[0] - Math.log(2)) < 1e-6); // −log(2/4)
 * ```
 */
export function setCrossEntropy(logits: Tensor3D, targets: readonly SetTarget[]): Scalar {
  return tf.tidy(() => {
    const [B, T, V] = logits.shape;
    if (targets.length === 0) return tf.mul(tf.sum(logits), 0) as Scalar;
    const N = targets.length;
    const outside = new Float32Array(N * V).fill(-1e9); // 0 on each target's ids, −1e9 elsewhere
    for (const [i, t] of targets.entries()) {
      if (t.row < 0 || t.row >= B || t.position < 1 || t.position >= T || t.ids.length === 0) {
        throw new RangeError(`set target ${i} (row ${t.row}, position ${t.position}) is outside the (${B},${T}) batch`);
      }
      for (const id of t.ids) outside[i * V + id] = 0;
    }
    const rows = tf.tensor1d(targets.map((t) => t.row * T + t.position - 1), "int32");
    const x = tf.gather(tf.reshape(logits, [B * T, V]), rows); // (N,V)
    const all = tf.logSumExp(x, 1); // (N)
    const inSet = tf.logSumExp(tf.add(x, tf.tensor2d(outside, [N, V])), 1); // (N)
    return tf.sum(tf.sub(all, inSet)) as Scalar;
  });
}

/**
 * The causal language-model loss as Hugging Face computes it from `labels`: logits at t predict the label at
 * t+1 (the last position predicts nothing), ignore index -100, mean over counted tokens — or, with `weights`
 * (B,T, aligned with `labels`), their weighted mean. With set `targets` (labels -100 there) each set counts as
 * one more position of weight 1: (Σ wₜ·CEₜ + Σ set losses) / (Σ wₜ + #sets).
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
export function causalLmLoss(
  logits: Tensor3D,
  labels: Tensor2D,
  weights?: Tensor2D,
  targets: readonly SetTarget[] = [],
): Scalar {
  return tf.tidy(() => {
    const [B, T] = logits.shape;
    // The labels move one position left (the last position gets IGNORE_INDEX), not the logits: slicing the (B,T,V)
    // logits and padding their gradient back would be two more passes over the largest tensor of the step.
    const shiftedLabels = tf.concat([
      tf.slice(labels, [0, 1], [B, T - 1]),
      tf.fill([B, 1], IGNORE_INDEX, "int32"),
    ], 1) as Tensor2D;
    const shiftedWeights = weights === undefined
      ? undefined
      : tf.concat([tf.slice(weights, [0, 1], [B, T - 1]), tf.zeros([B, 1])], 1) as Tensor2D;
    const ce = crossEntropy(logits, shiftedLabels, shiftedWeights);
    if (targets.length === 0) return ce;
    const counted = tf.cast(tf.notEqual(shiftedLabels, IGNORE_INDEX), "float32");
    const w = tf.sum(shiftedWeights === undefined ? counted : tf.mul(counted, shiftedWeights)); // Σ wₜ
    const total = tf.add(tf.mul(ce, w), setCrossEntropy(logits, targets));
    return tf.div(total, tf.add(w, targets.length)) as Scalar;
  });
}

/**
 * {@link causalLmLoss} from the final hidden states (B,T,C) and the tied head `wte` (V,C), with the head run only on
 * the rows whose next label is counted: a Coconut example's question and thoughts have no labels, and with GPT-2's
 * vocabulary the head over every row was most of a training step. `labels` and `weights` are the batch's own arrays
 * (B,T), read here to pick the rows. The same loss and gradients as the head over every row (the rows left out
 * contribute exact zeros); no set targets (use {@link causalLmLoss} for those).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { causalLmLoss, causalLmLossAtLabels, matMulT } from "@copra/model";
 * const hidden = tf.randomNormal([2, 4, 3], 0, 1, "float32", 1) as tf.Tensor3D, wte = tf.randomNormal([5, 3], 0, 1, "float32", 2) as tf.Tensor2D;
 * const labels = [[-100, -100, 2, 4], [-100, 1, -100, -100]];
 * const full = causalLmLoss(tf.reshape(matMulT(tf.reshape(hidden, [8, 3]), wte), [2, 4, 5]) as tf.Tensor3D, tf.tensor2d(labels, undefined, "int32"));
 * const rows = causalLmLossAtLabels(hidden, wte, labels);
 * assert.ok(Math.abs((await full.data())[0] - (await rows.data())[0]) < 1e-6);
 * ```
 */
export function causalLmLossAtLabels(
  hidden: Tensor3D,
  wte: Tensor2D,
  labels: readonly (readonly number[])[],
  weights?: readonly (readonly number[])[],
): Scalar {
  return tf.tidy(() => {
    const [B, T, C] = hidden.shape;
    // Row b·T + t predicts labels[b][t + 1]: counted rows only, in order.
    const rows: number[] = [], next: number[] = [], w: number[] = [];
    for (let b = 0; b < B; b++) {
      for (let t = 0; t + 1 < T; t++) {
        if (labels[b][t + 1] === IGNORE_INDEX) continue;
        rows.push(b * T + t);
        next.push(labels[b][t + 1]);
        if (weights) w.push(weights[b][t + 1]);
      }
    }
    // No counted label: the full head's loss is 0 (its gradient zeros), kept connected to the inputs.
    if (rows.length === 0) return tf.add(tf.mul(tf.sum(hidden), 0), tf.mul(tf.sum(wte), 0)) as Scalar;
    const picked = tf.gather(tf.reshape(hidden, [B * T, C]), tf.tensor1d(rows, "int32")); // (N,C)
    const N = rows.length, V = wte.shape[0];
    const logits = tf.reshape(matMulT(picked, wte), [1, N, V]) as Tensor3D; // (1,N,V)
    return crossEntropy(
      logits,
      tf.tensor2d(next, [1, N], "int32"),
      weights ? tf.tensor2d(w, [1, N]) : undefined,
    );
  });
}
