/**
 * copra's own matrix product for the wasm backend (internal to the model package): `gemm.wat`, a 4×8-tiled
 * 128-bit SIMD kernel that works in tfjs's memory — the fast path of a fresh machine and of browsers, where
 * OpenBLAS is not there. Two builds of it: with separate multiply and add (`"simd"`: the same bits on every engine
 * and machine) and with relaxed SIMD's fused multiply-add (`"simd-fma"`: ~20% faster; the bits then depend on
 * whether the CPU has FMA). See `gemm.wat` for the blocking.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { addProducts, type ProductRoutine, productsPath } from "../products.ts";
import { heapOffset, type WasmHeap, wasmModule } from "../wasm_heap.ts";
import { GEMM_FMA_WASM, GEMM_WASM } from "./gemm_wasm.ts";
import { packedSplits } from "./packed_split.ts";

/** The kernel's export: byte offsets into the backend's memory, leading dimensions in elements. */
type Gemm = (
  transA: number,
  transB: number,
  M: number,
  N: number,
  K: number,
  a: number,
  lda: number,
  b: number,
  ldb: number,
  c: number,
  ldc: number,
  scratch: number,
) => void;

/** `pack`: B's K×8 panels at `dst` (byte offsets; `gemm.wat`'s `$packB`). */
type Pack = (b: number, ldb: number, transB: number, K: number, N: number, dst: number) => void;
/** `gemm_packed`: C = A·op(B) from the panels `pack` wrote (byte offsets, leading dimensions in elements). */
type GemmPacked = (
  M: number,
  N: number,
  K: number,
  a: number,
  lda: number,
  panels: number,
  c: number,
  ldc: number,
) => void;

/** The module's exports. */
interface GemmModule {
  gemm: Gemm;
  pack: Pack;
  gemm_packed: GemmPacked;
}

/**
 * Packs B (N,K), used transposed, into `gemm.wat`'s K×8 panels: output (K·8·⌈N/8⌉) float32. Wasm, with copra's SIMD
 * products; see `model/packed.ts`.
 */
export const PACK_TRANSPOSED_KERNEL = "CopraPackTransposed";
/** a (M,K) times the B that `CopraPackTransposed` packed (inputs a, panels; attr n: B's rows) → (M,n). */
export const TIMES_PACKED_KERNEL = "CopraTimesPacked";

/** A routine running a module's kernel. */
function routine(module: (heap: WasmHeap) => GemmModule): ProductRoutine {
  return (calls, tensors, heap: WasmHeap) => {
    const { gemm } = module(heap);
    // scratch: B's K×8 panels and one K×4 panel of A, for the largest call; freed below
    const room = calls.reduce((n, { N, K }) => Math.max(n, K * (8 * Math.ceil(N / 8) + 4)), 0);
    const scratch = heap.makeOutput([room], "float32");
    try {
      // views taken after the scratch's allocation, which may grow the memory
      const [A, B, C, S] = [tensors.a, tensors.b, tensors.c, scratch].map((t) => heapOffset(heap, t));
      for (const { transA, transB, M, N, K, lda, ldb, ldc, a, b, c } of calls) {
        gemm(+transA, +transB, M, N, K, A + a * 4, lda, B + b * 4, ldb, C + c * 4, ldc, S);
      }
    } finally {
      heap.disposeData(scratch.dataId, true);
    }
  };
}

let enabled = false;

/**
 * Makes the kernel's builds available as products paths (`"simd"`, and `"simd-fma"` where the engine has relaxed
 * SIMD); the backend's memory must not be shared (tfjs's threaded build, which copra does not load). Internal:
 * `useBackend("wasm")` calls it.
 */
export function enableWasmGemm(): void {
  if (enabled) return;
  enabled = true;
  const builds = { simd: wasmModule<GemmModule>(GEMM_WASM), "simd-fma": wasmModule<GemmModule>(GEMM_FMA_WASM) };
  for (const [path, build] of Object.entries(builds)) {
    if (build) addProducts(path as keyof typeof builds, routine(build));
  }
  const any = builds["simd-fma"] ?? builds.simd;
  if (!any) return;
  tf.registerKernel({
    kernelName: PACK_TRANSPOSED_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend }) => {
      const { b } = inputs as { b: tf.TensorInfo };
      const [N, K] = b.shape;
      const heap = backend as unknown as WasmHeap;
      const panels = heap.makeOutput([K * 8 * Math.ceil(N / 8)], "float32");
      any(heap).pack(heapOffset(heap, b), K, 1, K, N, heapOffset(heap, panels)); // copies: either build's bits
      return panels;
    },
  });
  tf.registerKernel({
    kernelName: TIMES_PACKED_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { a, panels } = inputs as { a: tf.TensorInfo; panels: tf.TensorInfo };
      const { n } = attrs as unknown as { n: number };
      const [M, K] = a.shape;
      const heap = backend as unknown as WasmHeap;
      const c = heap.makeOutput([M, n], "float32");
      const path = productsPath() as keyof typeof builds; // a SIMD path: `timesPacked` checks
      const gemm = builds[path]!(heap).gemm_packed;
      const split = packedSplits.get(panels.dataId);
      if (M * n === 0) return c;
      if (!split || M > split.capacity) {
        gemm(M, n, K, heapOffset(heap, a), K, heapOffset(heap, panels), heapOffset(heap, c), n);
        return c;
      }
      // the helpers' columns on their threads while this one computes the first range (views after makeOutput)
      try {
        split.start(heap.typedArrayFromHeap(a) as Float32Array, M, path === "simd-fma" ? 1 : 0);
        gemm(M, split.n0, K, heapOffset(heap, a), K, heapOffset(heap, panels), heapOffset(heap, c), n);
        split.finish(heap.typedArrayFromHeap(c) as Float32Array, M, n);
      } catch (error) {
        heap.disposeData(c.dataId, true); // a helper that failed or did not answer: no output, nothing left behind
        throw error;
      }
      return c;
    },
  });
}
