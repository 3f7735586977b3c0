/**
 * LayerNorm over the last axis with its gradient written out.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { columnSums } from "../ops.ts";
import type { Tensor, Tensor3D } from "../tensors.ts";
import { customOp, hasKernel } from "./custom_op.ts";
import { LAYER_NORM_GRADS_SUMMED_KERNEL } from "./fused_wasm.ts";
import { LAYER_NORM_GRADS_KERNEL, LAYER_NORM_KERNEL } from "./layer_norm_webgpu.ts";

/**
 * LayerNorm over the last axis (biased variance, as PyTorch), with its gradient written out: fewer kernels and
 * fewer saved tensors than differentiating the forward computation.
 *   x̂ = (x − mean)·rstd, y = x̂·w + b;  dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·w.
 * x (B,T,C), weight and bias (C) → (B,T,C).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { layerNorm } from "@copra/model";
 * const y = await layerNorm(tf.tensor3d([[[1, 3]]]), tf.ones([2]), tf.zeros([2]), 0).data();
 * assert.ok(Math.abs(y[0] + 1) < 1e-6 && Math.abs(y[1] - 1) < 1e-6); // mean 2, std 1
 * ```
 */
export function layerNorm(x: Tensor, weight: Tensor, bias: Tensor, eps: number): Tensor3D {
  return layerNormOp(eps)(x, weight, bias) as Tensor3D;
}

const layerNormOps = new Map<number, (x: Tensor, w: Tensor, b: Tensor) => Tensor>();
function layerNormOp(eps: number): (x: Tensor, w: Tensor, b: Tensor) => Tensor {
  let op = layerNormOps.get(eps);
  if (op) return op;
  op = customOp<[Tensor, Tensor, Tensor]>(([x, w, b], save) => {
    if (hasKernel(LAYER_NORM_KERNEL)) {
      // WebGPU: one row pass forward, two backward (kernels/layer_norm_webgpu.ts); wasm SIMD: one each way
      // (kernels/fused_wasm.ts). Both register the forward and the gradients. x is saved, not x̂ and rstd.
      save([x, w]);
      return {
        value: tf.engine().runKernel(LAYER_NORM_KERNEL, { x, w, b }, { eps }) as Tensor,
        gradFunc: (dy, [sx, sw]) => {
          if (hasKernel(LAYER_NORM_GRADS_SUMMED_KERNEL)) {
            // wasm: the parameters' gradients summed in the same pass (two kernel calls fewer)
            return tf.engine().runKernel(LAYER_NORM_GRADS_SUMMED_KERNEL, { dy, x: sx, w: sw }, { eps }) as Tensor[];
          }
          const [dx, dyXhat] = tf.engine().runKernel(LAYER_NORM_GRADS_KERNEL, { dy, x: sx, w: sw }, {
            eps,
          }) as Tensor[];
          return [dx, columnSums(dyXhat), columnSums(dy)];
        },
      };
    }
    const centered = tf.sub(x, tf.mean(x, -1, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), eps));
    const xhat = tf.mul(centered, rstd);
    save([xhat, rstd, w]);
    return {
      value: tf.add(tf.mul(xhat, w), b),
      gradFunc: (dy, [sxhat, srstd, sw]) => {
        const g = tf.mul(dy, sw);
        const dx = tf.mul(
          srstd,
          tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(sxhat, tf.mean(tf.mul(g, sxhat), -1, true))),
        );
        return [dx, columnSums(tf.mul(dy, sxhat)), columnSums(dy)];
      },
    };
  });
  layerNormOps.set(eps, op);
  return op;
}
