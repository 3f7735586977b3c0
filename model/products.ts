/**
 * The wasm backend's matrix product, replaced (internal to `@copra/model`). tfjs's own `BatchMatMul` runs batched
 * and transposed products at 1–2 GFLOP/s on these machines, so copra registers one kernel that hands each product
 * to a routine chosen at run time: OpenBLAS through FFI where the host allows it (`blas.ts`), else copra's own
 * wasm SIMD kernel (`kernels/gemm.ts`), else tfjs's. The routines read and write the backend's memory in place;
 * what they do not cover (int32 products, broadcast batch shapes, mismatched shapes) stays with tfjs.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { ModelError } from "./errors.ts";
import { type WasmHeap, wasmHeap } from "./wasm_heap.ts";

/**
 * Where the wasm backend's matrix products run: `"blas"` (the system's OpenBLAS through FFI), `"simd-fma"`
 * (copra's wasm SIMD kernel with relaxed fused multiply-add), `"simd"` (the same kernel with separate multiply
 * and add: the same bits on every machine and engine), `"tfjs"` (tfjs's own kernel).
 */
export type ProductsPath = "blas" | "simd-fma" | "simd" | "tfjs";

/**
 * One product, as a routine gets it: C = op(A)·op(B), row-major, with op(A) M×K and op(B) K×N; offsets into the
 * three tensors and leading dimensions (row strides as stored) in elements.
 */
export interface ProductCall {
  /** A is stored transposed (K×M). */
  transA: boolean;
  /** B is stored transposed (N×K). */
  transB: boolean;
  /** Rows of op(A) and C. */
  M: number;
  /** Columns of op(B) and C. */
  N: number;
  /** Columns of op(A), rows of op(B). */
  K: number;
  /** Row stride of A as stored. */
  lda: number;
  /** Row stride of B as stored. */
  ldb: number;
  /** Row stride of C. */
  ldc: number;
  /** Where A starts in its tensor. */
  a: number;
  /** Where B starts in its tensor. */
  b: number;
  /** Where C starts in its tensor. */
  c: number;
}

/**
 * A routine for a list of products over the same three tensors (a batched product: one call per matrix; a
 * blocked one: one call per block): it writes each C through the heap, taking its views after any allocation.
 */
export type ProductRoutine = (
  calls: readonly ProductCall[],
  tensors: { a: tf.TensorInfo; b: tf.TensorInfo; c: tf.TensorInfo },
  heap: WasmHeap,
) => void;

const routines = new Map<Exclude<ProductsPath, "tfjs">, ProductRoutine>();
let active: ProductsPath = "tfjs";
let installed = false;

/**
 * Where the wasm backend's products run now (other backends use their own kernels).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { productsPath } from "@copra/model";
 * assert.ok(["blas", "simd-fma", "simd", "tfjs"].includes(productsPath()));
 * ```
 */
export function productsPath(): ProductsPath {
  return active;
}

/**
 * Whether the wasm backend is current and its products run on copra's own SIMD kernel (internal: what works on that
 * kernel's layouts — causal attention's blocks, packed weights — asks this).
 */
export function simdProductsActive(): boolean {
  return tf.getBackend() === "wasm" && (active === "simd" || active === "simd-fma");
}

/**
 * The paths this process can use: `"tfjs"` always, `"simd"` where the engine has wasm SIMD, `"simd-fma"` where
 * it also has relaxed SIMD, `"blas"` once OpenBLAS is loaded (`useBackend("wasm")` loads it when permitted).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { availableProducts, useBackend } from "@copra/model";
 * await useBackend("wasm");
 * assert.ok(availableProducts().includes("tfjs"));
 * ```
 */
export function availableProducts(): ProductsPath[] {
  return [...routines.keys(), "tfjs"];
}

/**
 * Sends the wasm backend's products to `path` from now on (for comparing paths in one process; `useBackend`
 * picks the fastest available). Throws a ModelError naming the available paths when `path` is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { productsPath, useBackend, useProducts } from "@copra/model";
 * await useBackend("wasm");
 * const before = productsPath();
 * useProducts("tfjs");
 * assert.deepEqual(await tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).array(), [[11]]);
 * useProducts(before);
 * ```
 */
export function useProducts(path: ProductsPath): void {
  if (path !== "tfjs" && !routines.has(path)) {
    throw new ModelError({
      source: "argument",
      field: "products",
      value: path,
      problem: "this matrix-product path is not available in this process",
      hint: `use one of ${availableProducts().join(", ")} (blas needs OpenBLAS and --allow-ffi; simd-fma an engine ` +
        "with relaxed SIMD)",
    });
  }
  active = path;
}

/**
 * Runs `calls` on the active routine (internal: blocked products such as causal attention's). False, running
 * nothing, where the products are tfjs's own (no routine takes offsets there).
 */
export function runProducts(
  calls: readonly ProductCall[],
  tensors: { a: tf.TensorInfo; b: tf.TensorInfo; c: tf.TensorInfo },
  heap: WasmHeap,
): boolean {
  const routine = activeRoutine();
  if (!routine) return false;
  routine(calls, tensors, heap);
  return true;
}

/** The routine the active path runs; undefined on tfjs's own kernel. */
function activeRoutine(): ProductRoutine | undefined {
  return active === "tfjs" ? undefined : routines.get(active);
}

/** Makes `routine` available as `name` (internal: `enableBlas` and `enableWasmGemm` call it). */
export function addProducts(name: Exclude<ProductsPath, "tfjs">, routine: ProductRoutine): void {
  install();
  routines.set(name, routine);
}

/** Registers the dispatching BatchMatMul once, keeping tfjs's kernel for what the routines do not cover. */
function install(): void {
  if (installed) return;
  const original = tf.getKernel("BatchMatMul", "wasm");
  if (!original) {
    throw new ModelError({
      source: "argument",
      field: "BatchMatMul",
      value: "wasm",
      problem: "the wasm backend's kernel is not registered",
      hint: "import @tensorflow/tfjs-backend-wasm (useBackend does) before adding a product routine",
    });
  }
  installed = true;
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel({
    kernelName: "BatchMatMul",
    backendName: "wasm",
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: (args) => {
      const routine = activeRoutine();
      const { inputs, attrs } = args;
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      const ra = a.shape.length, rb = b.shape.length;
      const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
      const sizeA = batchA.reduce((x, y) => x * y, 1), sizeB = batchB.reduce((x, y) => x * y, 1);
      // Equal batch shapes, or one side without batch (size 1): anything else goes to tfjs's kernel.
      const sameBatch = batchA.length === batchB.length && batchA.every((d, i) => d === batchB[i]);
      const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
      const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
      const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
      const kB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
      if (
        !routine || a.dtype !== "float32" || b.dtype !== "float32" || !(sameBatch || sizeA === 1 || sizeB === 1) ||
        K !== kB // tfjs's kernel throws its error for mismatched shapes
      ) {
        return original.kernelFunc(args);
      }
      const batchShape = sizeA >= sizeB ? batchA : batchB;
      const count = Math.max(sizeA, sizeB);
      const heap = wasmHeap(args.backend);
      const c = heap.makeOutput([...batchShape, M, N], "float32");
      if (M * N === 0) return c;
      if (K === 0) {
        heap.typedArrayFromHeap(c).fill(0);
        return c;
      }
      const lda = transposeA ? M : K, ldb = transposeB ? K : N;
      const calls: ProductCall[] = [];
      for (let i = 0; i < count; i++) {
        calls.push({
          transA: transposeA,
          transB: transposeB,
          M,
          N,
          K,
          lda,
          ldb,
          ldc: N,
          a: (sizeA === 1 ? 0 : i) * M * K,
          b: (sizeB === 1 ? 0 : i) * K * N,
          c: i * M * N,
        });
      }
      routine(calls, { a, b, c }, heap);
      return c;
    },
  });
}
