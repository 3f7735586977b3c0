/**
 * AdamW's update as three WGSL passes per parameter on the WebGPU backend (internal to the model package),
 * registered as `CopraAdamW` for `webgpu` — the same kernel name, inputs and attributes as the wasm kernel
 * (`adamw_wasm.ts`), with the same arithmetic per element:
 * g' = g·scale; m' = β1·m + (1−β1)·g'; v' = β2·v + (1−β2)·g'²; p' = p·decay − step·m'/(√v'/√bc2 + ε).
 * The composite update it replaces takes about thirteen elementwise passes per parameter tensor — most of a small
 * model's WebGPU dispatches.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import { registerWebGpuKernel, runEntries } from "./webgpu_program.ts";

/** Registers the kernel for the webgpu backend (once). */
export function registerAdamWWebGpu(): void {
  registerWebGpuKernel("CopraAdamW", ({ inputs, attrs, backend }) => {
    const { p, m, v, g, scale } = inputs as Record<string, tf.TensorInfo>;
    const uniforms = (["beta1", "beta2", "decay", "step", "bc2sqrt", "eps"] as const).map((name) => ({
      name,
      type: "f32" as const,
      value: (attrs as Record<string, number>)[name],
    }));
    const pass = (key: string, inputs: Record<string, tf.TensorInfo>, body: string) =>
      runEntries(backend, { key: `adamw_${key}`, inputs, shape: p.shape, uniforms, body });
    const m1 = pass(
      "m",
      { m, g, scale },
      "result[index] = uniforms.beta1 * m[index] + (1.0 - uniforms.beta1) * (g[index] * scale[0]);",
    );
    const v1 = pass(
      "v",
      { v, g, scale },
      `let gs = g[index] * scale[0];
          result[index] = uniforms.beta2 * v[index] + (1.0 - uniforms.beta2) * gs * gs;`,
    );
    const p1 = pass(
      "p",
      { p, m1, v1 },
      `result[index] = p[index] * uniforms.decay -
            uniforms.step * m1[index] / (sqrt(v1[index]) / uniforms.bc2sqrt + uniforms.eps);`,
    );
    return [p1, m1, v1];
  });
}
