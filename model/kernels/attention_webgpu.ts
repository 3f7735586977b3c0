/**
 * Attention's softmax as WGSL passes on the WebGPU backend (internal to the model package), one workgroup per row
 * of the (B,H,T,K) scores:
 * - `CopraMaskedSoftmax`: s = softmax(x·scale + bias) from the raw products x = q·kᵀ and the additive mask bias
 *   (B or 1, 1, T, K) — the composite's scale, mask and softmax passes in one;
 * - `CopraSoftmaxGrad`: ds·scale = s ⊙ (dp − Σₖ dp ⊙ s)·scale — the composite's product, sum, difference, product and
 *   the two scalings of dq and dk in one.
 * Registered for `webgpu` only; `attention.ts` keeps the composites elsewhere and with dropout.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import { forEachColumn, registerWebGpuKernel, runRows } from "./webgpu_program.ts";

/** The forward kernel's name (inputs x (B,H,T,K), bias (B|1,1,T,K); attr scale). */
export const MASKED_SOFTMAX_KERNEL = "CopraMaskedSoftmax";
/** The backward kernel's name (inputs dp and s (B,H,T,K); attr scale; output ds·scale). */
export const SOFTMAX_GRAD_KERNEL = "CopraSoftmaxGrad";

/** Registers both kernels for the webgpu backend (once). */
export function registerAttentionWebGpu(): void {
  registerWebGpuKernel(MASKED_SOFTMAX_KERNEL, ({ inputs, attrs, backend }) => {
    const { x, bias } = inputs as Record<string, tf.TensorInfo>;
    const [, H, T] = x.shape;
    return runRows(backend, {
      key: "masked_softmax",
      inputs: { x, bias },
      shape: x.shape,
      uniforms: [
        { name: "heads", type: "i32", value: H },
        { name: "queries", type: "i32", value: T },
        { name: "biasBatch", type: "i32", value: bias.shape[0] },
        { name: "scale", type: "f32", value: (attrs as { scale: number }).scale },
      ],
      body: `// the mask row: batch b (or 0 when the mask is shared), query t
          let t = row % uniforms.queries;
          let b = row / (uniforms.heads * uniforms.queries);
          let maskBase = ((b % uniforms.biasBatch) * uniforms.queries + t) * uniforms.width;
          var part = -3.402823e+38;
          ${forEachColumn("part = max(part, x[base + j] * uniforms.scale + bias[maskBase + j]);")}
          let m = rowMax(part);
          var sum = 0.0;
          ${
        forEachColumn(`let e = exp(x[base + j] * uniforms.scale + bias[maskBase + j] - m);
              result[base + j] = e;
              sum = sum + e;`)
      }
          let total = rowSum(sum);
          ${forEachColumn("result[base + j] = result[base + j] / total;")}`,
    });
  });
  registerWebGpuKernel(SOFTMAX_GRAD_KERNEL, ({ inputs, attrs, backend }) => {
    const { dp, s } = inputs as Record<string, tf.TensorInfo>;
    return runRows(backend, {
      key: "softmax_grad",
      inputs: { dp, s },
      shape: dp.shape,
      uniforms: [{ name: "scale", type: "f32", value: (attrs as { scale: number }).scale }],
      body: `var part = 0.0;
          ${forEachColumn("part = part + dp[base + j] * s[base + j];")}
          let dot = rowSum(part);
          ${forEachColumn("result[base + j] = s[base + j] * (dp[base + j] - dot) * uniforms.scale;")}`,
    });
  });
}
