/**
 * GPT-2's GELU (tanh approximation) with its gradient written out.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Tensor } from "../tensors.ts";
import { customOp, hasKernel } from "./custom_op.ts";
import { GELU_A, GELU_GRAD_KERNEL, GELU_K, GELU_KERNEL, GELU_SIGMOID_KERNEL } from "./gelu_webgpu.ts";

const K = GELU_K, A = GELU_A;

/**
 * GPT-2's GELU: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), computed as x·σ(z) with z = 2·√(2/π)·(x + 0.044715·x³)
 * — the same function (0.5·(1 + tanh(u)) = σ(2u)), equal to within 2e-7, and much faster on wasm, whose tanh
 * kernel is scalar. Its gradient is written out: σ(z) + x·σ(z)·(1 − σ(z))·dz/dx. Any shape.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { geluNew } from "@copra/model";
 * const [y] = await geluNew(tf.tensor1d([1])).data();
 * assert.ok(Math.abs(y - 0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (1 + 0.044715)))) < 1e-6);
 * ```
 */
export const geluNew: (x: Tensor) => Tensor = customOp<[Tensor]>(([x], save) => {
  // wasm: value and gate in one pass (kernels/fused.wat); WebGPU: the gate in one pass (kernels/gelu_webgpu.ts), then
  // x·s; elsewhere the composites below.
  let value: Tensor, s: Tensor;
  if (hasKernel(GELU_KERNEL)) {
    [value, s] = tf.engine().runKernel(GELU_KERNEL, { x }) as Tensor[];
  } else {
    s = hasKernel(GELU_SIGMOID_KERNEL)
      ? tf.engine().runKernel(GELU_SIGMOID_KERNEL, { x }) as Tensor
      : tf.sigmoid(tf.mul(tf.mul(x, tf.add(tf.mul(tf.square(x), A), 1)), K)); // σ(k·x·(1 + a·x²))
    value = tf.mul(x, s);
  }
  save([x, s]);
  return {
    value,
    gradFunc: (dy, [sx, ss]) => {
      if (hasKernel(GELU_GRAD_KERNEL)) return tf.engine().runKernel(GELU_GRAD_KERNEL, { dy, x: sx, s: ss }) as Tensor;
      const dz = tf.mul(tf.add(tf.mul(tf.square(sx), 3 * A), 1), K); // dz/dx = k·(1 + 3a·x²)
      const ds = tf.mul(tf.mul(ss, tf.sub(1, ss)), tf.mul(sx, dz));
      return tf.mul(dy, tf.add(ss, ds));
    },
  };
});
