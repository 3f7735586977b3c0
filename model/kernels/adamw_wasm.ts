/**
 * AdamW's update as one wasm kernel (internal to the model package; `AdamW` uses it on the wasm backend): the SIMD
 * loop of `adamw.wat` where the engine has wasm SIMD, else the same arithmetic in JavaScript — float64, in the same
 * order, so both give the same float32 results bit for bit.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { heapOffset as at, wasmHeap, wasmModule } from "../wasm_heap.ts";
import { ADAMW_WASM } from "./adamw_wasm_bytes.ts";

/** The module's export: byte offsets into the backend's memory, then the element count and the constants. */
interface AdamWModule {
  adamw(
    p: number,
    m: number,
    v: number,
    g: number,
    n: number,
    scale: number,
    decay: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    eps: number,
    step: number,
    bc2sqrt: number,
    p1: number,
    m1: number,
    v1: number,
  ): void;
}

let adamWRegistered = false;

/**
 * The wasm kernel of one AdamW update (the same arithmetic as the composite path, per element):
 * g' = g·scale; m' = β1·m + (1−β1)·g'; v' = β2·v + (1−β2)·g'²; p' = p·decay − step·m'/(√v'/√bc2 + ε).
 * `simd: false` keeps the JavaScript loop (the tests compare the two).
 */
export function registerAdamWKernel(options: { simd?: boolean } = {}): void {
  if (adamWRegistered) return;
  adamWRegistered = true;
  const simd = options.simd === false ? null : wasmModule<AdamWModule>(ADAMW_WASM);
  tf.registerKernel({
    kernelName: "CopraAdamW",
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { p, m, v, g, scale } = inputs as Record<string, tf.TensorInfo>;
      const a = attrs as Record<string, number>;
      const be = wasmHeap(backend);
      const p1 = be.makeOutput(p.shape, "float32"), m1 = be.makeOutput(p.shape, "float32");
      const v1 = be.makeOutput(p.shape, "float32");
      const { decay, beta1, beta2, eps, step, bc2sqrt } = a;
      const S = be.typedArrayFromHeap(scale)[0];
      if (simd) {
        // Offsets taken after the allocations (which may grow the memory).
        simd(be).adamw(
          at(be, p),
          at(be, m),
          at(be, v),
          at(be, g),
          tf.util.sizeFromShape(p.shape),
          S,
          decay,
          beta1,
          1 - beta1,
          beta2,
          1 - beta2,
          eps,
          step,
          bc2sqrt,
          at(be, p1),
          at(be, m1),
          at(be, v1),
        );
        return [p1, m1, v1];
      }
      const P = be.typedArrayFromHeap(p), M = be.typedArrayFromHeap(m), V = be.typedArrayFromHeap(v);
      const G = be.typedArrayFromHeap(g);
      const P1 = be.typedArrayFromHeap(p1), M1 = be.typedArrayFromHeap(m1), V1 = be.typedArrayFromHeap(v1);
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

/** Swaps the registered kernel between the SIMD loop and the JavaScript one (tests and benchmarks). */
export function reregisterAdamWKernel(options: { simd: boolean }): void {
  if (tf.getKernel("CopraAdamW", "wasm")) tf.unregisterKernel("CopraAdamW", "wasm");
  adamWRegistered = false;
  registerAdamWKernel(options);
}
