/**
 * LayerNorm as WGSL row passes on the WebGPU backend (internal to the model package), one thread per row of C
 * entries, the row's mean and 1/std recomputed where needed instead of saved:
 * - `CopraLayerNorm`: y = (x − mean)·rstd·w + b;
 * - `CopraLayerNormGrad`: dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·w;
 * - `CopraLayerNormDyXhat`: dy·x̂ (whose column sums are the weight's gradient).
 * They replace the composites' ~9 forward and ~9 backward elementwise and reduction passes (`layer_norm.ts`).
 * Registered for `webgpu` only.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import { registerWebGpuKernel, runRows } from "./webgpu_program.ts";

/** The forward kernel (inputs x (…,C), w (C), b (C); attr eps). */
export const LAYER_NORM_KERNEL = "CopraLayerNorm";
/** The input-gradient kernel (inputs dy, x (…,C), w (C); attr eps). */
export const LAYER_NORM_GRAD_KERNEL = "CopraLayerNormGrad";
/** dy·x̂ (inputs dy, x (…,C); attr eps). */
export const LAYER_NORM_DY_XHAT_KERNEL = "CopraLayerNormDyXhat";

/** The WGSL that sets `mean` and `rstd` of the row of `x` starting at `base`. */
const ROW_STATS = `var total = 0.0;
          for (var j = 0; j < uniforms.width; j++) {
            total = total + x[base + j];
          }
          let mean = total / f32(uniforms.width);
          var squares = 0.0;
          for (var j = 0; j < uniforms.width; j++) {
            let c = x[base + j] - mean;
            squares = squares + c * c;
          }
          let rstd = inverseSqrt(squares / f32(uniforms.width) + uniforms.eps);`;

/** A kernel running `body` per row of x after {@link ROW_STATS}. */
function rowKernel(key: string, body: string): tf.KernelFunc {
  return ({ inputs, attrs, backend }) => {
    const named = inputs as Record<string, tf.TensorInfo>;
    return runRows(backend, {
      key,
      inputs: named,
      shape: named.x.shape,
      uniforms: [{ name: "eps", type: "f32", value: (attrs as { eps: number }).eps }],
      body: `${ROW_STATS}
          ${body}`,
    });
  };
}

/** Registers the three kernels for the webgpu backend (once). */
export function registerLayerNormWebGpu(): void {
  registerWebGpuKernel(
    LAYER_NORM_KERNEL,
    rowKernel(
      "layer_norm",
      `for (var j = 0; j < uniforms.width; j++) {
            result[base + j] = (x[base + j] - mean) * rstd * w[j] + b[j];
          }`,
    ),
  );
  registerWebGpuKernel(
    LAYER_NORM_GRAD_KERNEL,
    rowKernel(
      "layer_norm_grad",
      `var meanG = 0.0;
          var meanGX = 0.0;
          for (var j = 0; j < uniforms.width; j++) {
            let g = dy[base + j] * w[j];
            meanG = meanG + g;
            meanGX = meanGX + g * (x[base + j] - mean) * rstd;
          }
          meanG = meanG / f32(uniforms.width);
          meanGX = meanGX / f32(uniforms.width);
          for (var j = 0; j < uniforms.width; j++) {
            let xhat = (x[base + j] - mean) * rstd;
            result[base + j] = rstd * (dy[base + j] * w[j] - meanG - xhat * meanGX);
          }`,
    ),
  );
  registerWebGpuKernel(
    LAYER_NORM_DY_XHAT_KERNEL,
    rowKernel(
      "layer_norm_dy_xhat",
      `for (var j = 0; j < uniforms.width; j++) {
            result[base + j] = dy[base + j] * (x[base + j] - mean) * rstd;
          }`,
    ),
  );
}
