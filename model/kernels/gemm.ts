/**
 * copra's own matrix product for the wasm backend (internal to the model package): `gemm.wat`, a 4×8-tiled
 * 128-bit SIMD kernel that works in tfjs's memory — the fast path of a fresh machine and of browsers, where
 * OpenBLAS is not there. Two builds of it: with separate multiply and add (`"simd"`: the same bits on every engine
 * and machine) and with relaxed SIMD's fused multiply-add (`"simd-fma"`: ~20% faster; the bits then depend on
 * whether the CPU has FMA). See `gemm.wat` for the blocking.
 *
 * @module
 */

import { addProducts, type ProductRoutine } from "../products.ts";
import { heapOffset, type WasmHeap, wasmModule } from "../wasm_heap.ts";
import { GEMM_FMA_WASM, GEMM_WASM } from "./gemm_wasm.ts";

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

/** A routine running a module's kernel. */
function routine(module: (heap: WasmHeap) => { gemm: Gemm }): ProductRoutine {
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
  const exact = wasmModule<{ gemm: Gemm }>(GEMM_WASM), fused = wasmModule<{ gemm: Gemm }>(GEMM_FMA_WASM);
  if (exact) addProducts("simd", routine(exact));
  if (fused) addProducts("simd-fma", routine(fused));
}
