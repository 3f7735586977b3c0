/**
 * Scaled dot-product attention with its gradient written out.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { timesTransposed, transposedTimes } from "../ops.ts";
import type { Tensor } from "../tensors.ts";
import { MASKED_SOFTMAX_KERNEL, SOFTMAX_GRAD_KERNEL } from "./attention_webgpu.ts";
import { causalBlocks, causalProduct, causalProductsAvailable } from "./causal.ts";
import { customOp, hasKernel } from "./custom_op.ts";

/**
 * Scaled dot-product attention with its gradient written out (the probabilities are saved once, nothing else
 * of the softmax): p = softmax(q·kᵀ·scale + bias) ⊙ keep, o = p·v;
 * dv = pᵀ·do, dp = do·vᵀ ⊙ keep, ds = s ⊙ (dp − Σ dp ⊙ s), dq = ds·k·scale, dk = dsᵀ·q·scale.
 * `bias` (the mask) and `keep` (the dropout multiplier) are constants. q (B,H,T,D), k and v (B,H,K,D), bias
 * (B|1,1,T,K) → (B,H,T,D). `causal`: the caller's word that `bias` masks every key after P+t for query t (P = K − T
 * cached positions, as GPT-2's mask does); the wasm backend then skips the masked blocks of the products
 * (`causal.ts`), with the same numbers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { attention } from "@copra/model";
 * // One query, two keys, no mask: the output is the softmax-weighted mean of the values.
 * const q = tf.tensor4d([[[[1, 0]]]]), k = tf.tensor4d([[[[1, 0], [0, 1]]]]), v = tf.tensor4d([[[[2, 0], [0, 2]]]]);
 * const out = await attention(q, k, v, tf.zeros([1, 1, 1, 2]), 1).data();
 * const w = Math.exp(1) / (Math.exp(1) + 1);
 * assert.ok(Math.abs(out[0] - 2 * w) < 1e-6 && Math.abs(out[1] - 2 * (1 - w)) < 1e-6);
 * ```
 */
export function attention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  bias: Tensor,
  scale: number,
  keep?: Tensor,
  causal = false,
): Tensor {
  // WebGPU without dropout: the softmax and its gradient as one pass each (kernels/attention_webgpu.ts).
  const fused = !keep && hasKernel(MASKED_SOFTMAX_KERNEL);
  // The products: a·bᵀ (scores), a·b (weights), aᵀ·b (keys), block by block where the mask is causal on wasm.
  const T = q.shape[q.rank - 2], past = k.shape[k.rank - 2] - T;
  const blocks = causal && causalProductsAvailable() ? causalBlocks(T, past) : null;
  const scores = (a: Tensor, b: Tensor) => blocks ? causalProduct(a, b, "scores", blocks) : timesTransposed(a, b);
  const weights = (a: Tensor, b: Tensor) => blocks ? causalProduct(a, b, "weights", blocks) : tf.matMul(a, b);
  const keys = (a: Tensor, b: Tensor) => blocks ? causalProduct(a, b, "keys", blocks) : transposedTimes(a, b);
  const op = customOp<[Tensor, Tensor, Tensor]>(([sq, sk, sv], save) => {
    const s = fused
      ? tf.engine().runKernel(MASKED_SOFTMAX_KERNEL, { x: scores(sq, sk), bias }, { scale }) as Tensor
      : tf.softmax(tf.add(tf.mul(scores(sq, sk), scale), bias), -1); // (B,H,T,K)
    const p = keep ? tf.mul(s, keep) : s;
    // Saved tensors outlive the forward pass's tidy scope; the dropout multiplier is needed backwards too.
    save(keep ? [sq, sk, sv, s, keep] : [sq, sk, sv, s]);
    return {
      value: weights(p, sv),
      gradFunc: (dout, [q0, k0, v0, s0, keep0]) => {
        const p0 = keep0 ? tf.mul(s0, keep0) : s0;
        const dv = keys(p0, dout);
        if (fused) {
          const dsScaled = tf.engine().runKernel(SOFTMAX_GRAD_KERNEL, { dp: scores(dout, v0), s: s0 }, {
            scale,
          }) as Tensor;
          return [weights(dsScaled, k0), keys(dsScaled, q0), dv];
        }
        let dp = scores(dout, v0);
        if (keep0) dp = tf.mul(dp, keep0);
        const ds = tf.mul(s0, tf.sub(dp, tf.sum(tf.mul(dp, s0), -1, true)));
        return [tf.mul(weights(ds, k0), scale), tf.mul(keys(ds, q0), scale), dv];
      },
    };
  });
  return op(q, k, v);
}
