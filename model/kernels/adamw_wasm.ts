/**
 * AdamW's update as one wasm kernel (internal to the model package; `AdamW` uses it on the wasm backend): the SIMD
 * loop of `adamw.wat` where the engine has wasm SIMD, else the same arithmetic in JavaScript — float64, in the same
 * order, so both give the same float32 results bit for bit.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { directKernels, firstShared, heapOffset as at, wasmHeap, wasmModule } from "../wasm_heap.ts";
import { GLOBAL_NORM_KERNEL } from "./fused_wasm.ts";
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

/** The constants of an update that every parameter shares. */
interface Moments {
  beta1: number;
  beta2: number;
  eps: number;
  step: number;
  bc2sqrt: number;
}

/** One parameter's update by the module: byte offsets of p, m, v, g and of where p′, m′, v′ go (may be p, m, v). */
function update(module: AdamWModule, offsets: number[], n: number, scale: number, decay: number, k: Moments): void {
  const [p, m, v, g, p1, m1, v1] = offsets;
  module.adamw(
    p,
    m,
    v,
    g,
    n,
    scale,
    decay,
    k.beta1,
    1 - k.beta1,
    k.beta2,
    1 - k.beta2,
    k.eps,
    k.step,
    k.bc2sqrt,
    p1,
    m1,
    v1,
  );
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
        const offsets = [p, m, v, g, p1, m1, v1].map((t) => at(be, t));
        update(simd(be), offsets, tf.util.sizeFromShape(p.shape), S, decay, a as unknown as Moments);
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

/**
 * AdamW over every parameter in one call, in place: inputs `p0…`, `m0…`, `v0…`, `g0…` (n of each, float32, parameter
 * i's tensors at index i; each p, m and v a buffer no other tensor shares — the optimizer's variables); attrs `decays`
 * (n factors), beta1, beta2, eps, step, bc2sqrt and `clip` (the global norm to clip to, or −1 for none) → the
 * gradients' global norm (a float32 scalar), with p, m and v overwritten by their updates. The same numbers as
 * `AdamW.apply`'s per-parameter path: the norm by `CopraGlobalNorm`, the clip factor in float32 as its three scalar
 * kernels round it (min(clip / (norm + 1e-6), 1)), each parameter by `adamw.wat`'s loop, which reads an element's
 * p, m, v and g before it writes them. No output buffers to allocate and free: the update's time is its arithmetic.
 */
export const ADAMW_ALL_KERNEL = "CopraAdamWAll";

let adamWAllRegistered = false;

/**
 * Registers {@link ADAMW_ALL_KERNEL} on the wasm backend (once), after `CopraGlobalNorm`; nothing where the engine
 * lacks wasm SIMD (`AdamW` then takes one call per parameter).
 */
export function registerAdamWAllKernel(): void {
  if (adamWAllRegistered) return;
  adamWAllRegistered = true;
  const simd = wasmModule<AdamWModule>(ADAMW_WASM);
  const norm = directKernels([GLOBAL_NORM_KERNEL]);
  if (!simd || !norm) return;
  const [globalNorm] = norm;
  tf.registerKernel({
    kernelName: ADAMW_ALL_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const all = inputs as Record<string, tf.TensorInfo>;
      const a = attrs as unknown as Moments & { decays: number[]; clip: number };
      const n = a.decays.length;
      const input = (kind: string, i: number) => all[`${kind}${i}`];
      const heap = wasmHeap(backend);
      const shared = firstShared(
        heap,
        ["p", "m", "v"].flatMap((kind) => Array.from({ length: n }, (_, i) => input(kind, i))),
      );
      if (shared >= 0) {
        const name = `${"pmv"[Math.floor(shared / n)]}${shared % n}`;
        throw new Error(`${ADAMW_ALL_KERNEL}: ${name} shares its buffer; it cannot be updated in place`);
      }
      const [normOut] = globalNorm(
        backend,
        Object.fromEntries(Array.from({ length: n }, (_, i) => [`g${i}`, input("g", i)])),
      );
      // PyTorch's clip_grad_norm_ factor, in float32 as tf.minimum(tf.div(clip, tf.add(norm, 1e-6)), 1) rounds it
      const f = Math.fround;
      const scale = a.clip < 0 ? 1 : Math.min(f(f(a.clip) / f(heap.typedArrayFromHeap(normOut)[0] + f(1e-6))), 1);
      for (let i = 0; i < n; i++) {
        const [p, m, v, g] = ["p", "m", "v", "g"].map((kind) => at(heap, input(kind, i)));
        update(simd(heap), [p, m, v, g, p, m, v], tf.util.sizeFromShape(input("p", i).shape), scale, a.decays[i], a);
      }
      return [normOut];
    },
  });
}
