/**
 * GPT-2's GELU as two WGSL passes on the WebGPU backend (internal to the model package): the forward gives
 * σ(z) with z = k·x·(1 + a·x²) (from which `geluNew` takes x·σ(z) and keeps σ(z) for the gradient), the backward
 * dy·(σ + σ·(1 − σ)·x·k·(1 + 3a·x²)). The composites they replace (`gelu.ts`) take 6 and 10 elementwise passes.
 * Registered as `CopraGeluSigmoid` and `CopraGeluGrad` for `webgpu` only; other backends keep the composites.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import { registerWebGpuKernel, runEntries, type Uniform } from "./webgpu_program.ts";

/** GELU's constants: z = GELU_K·x·(1 + GELU_A·x²) (GELU_K = 2·√(2/π), the tanh form's √(2/π) doubled for σ). */
export const GELU_K: number = 2 * Math.sqrt(2 / Math.PI);
/** See {@link GELU_K}. */
export const GELU_A = 0.044715;

/** The forward kernel's name (input x; output σ(k·x·(1 + a·x²))). */
export const GELU_SIGMOID_KERNEL = "CopraGeluSigmoid";
/**
 * The whole forward in one kernel, where a backend has it (wasm, `fused.wat`): input x; outputs y = x·s and the gate
 * s = σ(k·x·(1 + a·x²)) that the gradient takes.
 */
export const GELU_KERNEL = "CopraGelu";
/** The backward kernel's name (inputs dy, x, s = the forward's σ; output dx). */
export const GELU_GRAD_KERNEL = "CopraGeluGrad";

const CONSTANTS: Uniform[] = [{ name: "k", type: "f32", value: GELU_K }, { name: "a", type: "f32", value: GELU_A }];

/** Registers both kernels for the webgpu backend (once). */
export function registerGeluWebGpu(): void {
  registerWebGpuKernel(GELU_SIGMOID_KERNEL, ({ inputs, backend }) => {
    const { x } = inputs as Record<string, tf.TensorInfo>;
    return runEntries(backend, {
      key: "gelu_sigmoid",
      inputs: { x },
      shape: x.shape,
      uniforms: CONSTANTS,
      body: `let v = x[index];
          let z = v * (v * v * uniforms.a + 1.0) * uniforms.k;
          result[index] = 1.0 / (1.0 + exp(-z));`,
    });
  });
  registerWebGpuKernel(GELU_GRAD_KERNEL, ({ inputs, backend }) => {
    const { dy, x, s } = inputs as Record<string, tf.TensorInfo>;
    return runEntries(backend, {
      key: "gelu_grad",
      inputs: { dy, x, s },
      shape: x.shape,
      uniforms: CONSTANTS,
      body: `let v = x[index];
          let sv = s[index];
          let dz = (v * v * (3.0 * uniforms.a) + 1.0) * uniforms.k;
          result[index] = dy[index] * (sv + sv * (1.0 - sv) * (v * dz));`,
    });
  });
}
