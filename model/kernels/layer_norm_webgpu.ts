/**
 * LayerNorm as WGSL row passes on the WebGPU backend (internal to the model package), one workgroup per row of C
 * entries, the row's mean and 1/std recomputed where needed instead of saved:
 * - `CopraLayerNorm`: y = (x − mean)·rstd·w + b;
 * - `CopraLayerNormGrads`: dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·w, and dy·x̂ (whose column sums are the
 *   weight's gradient) — two row passes here, one on wasm (`fused_wasm.ts`, under the same names).
 * They replace the composites' ~9 forward and ~9 backward elementwise and reduction passes (`layer_norm.ts`).
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import { forEachColumn, registerWebGpuKernel, runRows } from "./webgpu_program.ts";

/** The forward kernel (inputs x (…,C), w (C), b (C); attr eps). */
export const LAYER_NORM_KERNEL = "CopraLayerNorm";
/** Both gradients (inputs dy, x (…,C), w (C); attr eps; outputs dx and dy·x̂). */
export const LAYER_NORM_GRADS_KERNEL = "CopraLayerNormGrads";

/** The WGSL that sets `mean` and `rstd` of the row of `x` starting at `base` (in every thread of the row). */
const ROW_STATS = `var part = 0.0;
          ${forEachColumn("part = part + x[base + j];")}
          let mean = rowSum(part) / f32(uniforms.width);
          var squares = 0.0;
          ${forEachColumn("let c = x[base + j] - mean; squares = squares + c * c;")}
          let rstd = inverseSqrt(rowSum(squares) / f32(uniforms.width) + uniforms.eps);`;

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

/** Registers the two kernels for the webgpu backend (once). */
export function registerLayerNormWebGpu(): void {
  registerWebGpuKernel(
    LAYER_NORM_KERNEL,
    rowKernel(
      "layer_norm",
      forEachColumn("result[base + j] = (x[base + j] - mean) * rstd * w[j] + b[j];"),
    ),
  );
  const dx = rowKernel(
    "layer_norm_grad",
    `var partG = 0.0;
          var partGX = 0.0;
          ${
      forEachColumn(`let g = dy[base + j] * w[j];
              partG = partG + g;
              partGX = partGX + g * (x[base + j] - mean) * rstd;`)
    }
          let meanG = rowSum(partG) / f32(uniforms.width);
          let meanGX = rowSum(partGX) / f32(uniforms.width);
          ${
      forEachColumn(`let xhat = (x[base + j] - mean) * rstd;
              result[base + j] = rstd * (dy[base + j] * w[j] - meanG - xhat * meanGX);`)
    }`,
  );
  const dyXhat = rowKernel(
    "layer_norm_dy_xhat",
    forEachColumn("result[base + j] = dy[base + j] * (x[base + j] - mean) * rstd;"),
  );
  registerWebGpuKernel(LAYER_NORM_GRADS_KERNEL, (args) => {
    const { dy, x } = args.inputs as Record<string, tf.TensorInfo>;
    return [dx(args) as tf.TensorInfo, dyXhat({ ...args, inputs: { dy, x } }) as tf.TensorInfo];
  });
}
