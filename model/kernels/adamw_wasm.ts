/**
 * AdamW's update as one wasm kernel (internal to the model package; `AdamW` uses it on the wasm backend).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { wasmHeap } from "../wasm_heap.ts";

let adamWRegistered = false;

/**
 * The wasm kernel of one AdamW update (the same arithmetic as the composite path, per element):
 * g' = g·scale; m' = β1·m + (1−β1)·g'; v' = β2·v + (1−β2)·g'²; p' = p·decay − step·m'/(√v'/√bc2 + ε).
 */
export function registerAdamWKernel(): void {
  if (adamWRegistered) return;
  adamWRegistered = true;
  tf.registerKernel({
    kernelName: "CopraAdamW",
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { p, m, v, g, scale } = inputs as Record<string, tf.TensorInfo>;
      const a = attrs as Record<string, number>;
      const be = wasmHeap(backend);
      const p1 = be.makeOutput(p.shape, "float32"), m1 = be.makeOutput(p.shape, "float32");
      const v1 = be.makeOutput(p.shape, "float32");
      const P = be.typedArrayFromHeap(p), M = be.typedArrayFromHeap(m), V = be.typedArrayFromHeap(v);
      const G = be.typedArrayFromHeap(g), S = be.typedArrayFromHeap(scale)[0];
      const P1 = be.typedArrayFromHeap(p1), M1 = be.typedArrayFromHeap(m1), V1 = be.typedArrayFromHeap(v1);
      const { decay, beta1, beta2, eps, step, bc2sqrt } = a;
      for (let i = 0; i < P.length; i++) {
        const gi = G[i] * S;
        const mi = beta1 * M[i] + (1 - beta1) * gi;
        const vi = beta2 * V[i] + (1 - beta2) * gi * gi;
        M1[i] = mi;
        V1[i] = vi;
        P1[i] = P[i] * decay - step * mi / (Math.sqrt(vi) / bc2sqrt + eps);
      }
      return [p1, m1, v1];
    },
  });
}
