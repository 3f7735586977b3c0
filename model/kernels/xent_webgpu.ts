/**
 * The cross-entropy gradient as one WGSL pass on the WebGPU backend (internal to the model package):
 * dx[i, j] = exp(x[i, j] − lse[i])·w[i] − (j = label[i] ? w[i] : 0) for logits x (N,V). The composite it replaces
 * (`loss.ts`: softmax, a product, a scatter into zeros, a difference) makes six passes over the N×V logits, where
 * N×V is the largest tensor of a GPT-2 step (2048 × 50,257 for B8 T256). Registered as the kernel
 * `CopraSoftmaxXentGrad` for `webgpu` only; other backends keep the composite.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import { registerWebGpuKernel, runEntries } from "./webgpu_program.ts";

/** The kernel's name (its inputs: x (N,V) float32, lse (N,1) float32, labels (N) int32, w (N) float32). */
export const XENT_GRAD_KERNEL = "CopraSoftmaxXentGrad";

/** Registers the kernel for the webgpu backend (once). */
export function registerXentGradWebGpu(): void {
  registerWebGpuKernel(XENT_GRAD_KERNEL, ({ inputs, backend }) => {
    const { x, lse, labels, w } = inputs as Record<string, tf.TensorInfo>;
    // One thread per entry: its row's log-sum-exp, weight and label, read from small arrays.
    return runEntries(backend, {
      key: "softmax_xent_grad",
      inputs: { x, lse, labels, w },
      shape: x.shape,
      uniforms: [{ name: "vocab", type: "i32", value: x.shape[1] }],
      body: `let row = index / uniforms.vocab;
          let col = index - row * uniforms.vocab;
          let weight = w[row];
          var g = exp(x[index] - lse[row]) * weight;
          if (labels[row] == col) {
            g = g - weight;
          }
          result[index] = g;`,
    });
  });
}
