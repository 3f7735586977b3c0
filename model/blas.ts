/**
 * An optional BLAS path for the wasm backend: matrix products run in the system's OpenBLAS through Deno's FFI,
 * reading and writing the wasm backend's own memory (no copies). Used when the library is present and the
 * process may use FFI (`--allow-ffi`); otherwise nothing changes and tfjs's own wasm kernel runs.
 *
 * On these machines OpenBLAS multiplies at ~250 GFLOP/s on one core against ~30 for the wasm kernel, and
 * wasm's batched product (attention) runs at ~2 GFLOP/s.
 *
 * @module
 */

import { addProducts, useProducts } from "./products.ts";

/** What {@link enableBlas} found. */
export interface BlasInfo {
  /** The shared library that was loaded. */
  library: string;
  /** Threads OpenBLAS was told to use (null when the library has no such setting). */
  threads: number | null;
}

/** Options of {@link enableBlas}. */
export interface BlasOptions {
  /** Library paths to try, in order. Default: Debian/Ubuntu OpenBLAS and the system's libblas. */
  paths?: string[];
  /** Threads for OpenBLAS. Default 1 (what the PyTorch reference uses). */
  threads?: number;
}

const DEFAULT_PATHS = [
  "libopenblas.so.0",
  "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
  "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
  "libblas.so.3",
  "/usr/lib/x86_64-linux-gnu/libblas.so.3",
  "libopenblas.dylib",
];

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f32",
      "buffer",
      "i32",
    ],
    result: "void",
  },
  cblas_sgemv: {
    parameters: ["i32", "i32", "i32", "i32", "f32", "buffer", "i32", "buffer", "i32", "f32", "buffer", "i32"],
    result: "void",
  },
} as const;

type Sgemm = (
  order: number,
  transA: number,
  transB: number,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
) => void;

type Sgemv = (
  order: number,
  trans: number,
  m: number,
  n: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  x: Float32Array,
  incX: number,
  beta: number,
  y: Float32Array,
  incY: number,
) => void;

let active: BlasInfo | null = null;

/**
 * Routes the wasm backend's `BatchMatMul` through OpenBLAS when it can be loaded; returns what was loaded, or
 * null (FFI not permitted or not available, as in browsers, or no library found). Call before or after
 * `useBackend("wasm")`; calling again returns the first result.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { enableBlas } from "@copra/model";
 * const blas = enableBlas(); // null without --allow-ffi or without OpenBLAS
 * assert.ok(blas === null || typeof blas.library === "string");
 * ```
 */
export function enableBlas(options: BlasOptions = {}): BlasInfo | null {
  if (active) return active;
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (!deno?.dlopen || !deno.permissions?.querySync) return null;
  // FFI may be granted for named libraries only (`--allow-ffi=/usr/lib/…/libopenblas.so.0`): try those.
  const allowed = (path: string) => deno.permissions.querySync({ name: "ffi", path }).state === "granted";
  const paths = (options.paths ?? DEFAULT_PATHS).filter(allowed);
  if (paths.length === 0) return null;
  const threads = options.threads ?? 1;
  // OpenBLAS sizes its thread pool from this variable when it is loaded; unset, it starts a worker per core that
  // copra never uses (it sets `threads` right after loading) and that is still alive when the process exits.
  try {
    if (deno.env.get("OPENBLAS_NUM_THREADS") === undefined) deno.env.set("OPENBLAS_NUM_THREADS", String(threads));
  } catch {
    // no --allow-env: the library starts its default pool
  }
  for (const path of paths) {
    let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
    try {
      lib = deno.dlopen(path, SYMBOLS);
    } catch {
      continue;
    }
    let threadsSet: number | null = null;
    try {
      const control = deno.dlopen(path, { openblas_set_num_threads: { parameters: ["i32"], result: "void" } });
      control.symbols.openblas_set_num_threads(threads);
      threadsSet = threads;
    } catch {
      // not OpenBLAS, or no thread control: leave it to the library
    }
    install(lib.symbols.cblas_sgemm as unknown as Sgemm, lib.symbols.cblas_sgemv as unknown as Sgemv);
    active = { library: path, threads: threadsSet };
    return active;
  }
  return null;
}

/**
 * The BLAS path in use, or null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blasInfo } from "@copra/model";
 * const info = blasInfo();
 * assert.ok(info === null || info.library.length > 0);
 * ```
 */
export function blasInfo(): BlasInfo | null {
  return active;
}

/**
 * Routes the wasm backend's products to `sgemm`, reading and writing the backend's memory through views. A product
 * with one row or one column goes to `sgemv` instead: OpenBLAS's `sgemm` packs the whole other operand first, which
 * for one decoded position's logits (1×C times C×50,257) cost three times the product itself.
 */
function install(sgemm: Sgemm, sgemv: Sgemv): void {
  addProducts("blas", (calls, tensors, heap) => {
    // float32 only (installProducts checks), so the views are Float32Arrays.
    const [A, B, C] = [tensors.a, tensors.b, tensors.c].map((t) => heap.typedArrayFromHeap(t) as Float32Array);
    for (const { transA, transB, M, N, K, lda, ldb, ldc, a: ao, b: bo, c: co } of calls) {
      const a = A.subarray(ao), b = B.subarray(bo), c = C.subarray(co);
      // One row of A (or one column of B) is K contiguous floats however it is stored.
      if (M === 1) {
        // cᵀ = op(B)ᵀ·a: B (N×K) as stored when transposed, else (K×N) read transposed
        sgemv(101, transB ? 111 : 112, transB ? N : K, transB ? K : N, 1, b, ldb, a, transA ? lda : 1, 0, c, 1);
        continue;
      }
      if (N === 1) {
        sgemv(101, transA ? 112 : 111, transA ? K : M, transA ? M : K, 1, a, lda, b, transB ? 1 : ldb, 0, c, ldc);
        continue;
      }
      sgemm(101, transA ? 112 : 111, transB ? 112 : 111, M, N, K, 1, a, lda, b, ldb, 0, c, ldc); // 101: row-major
    }
  });
  useProducts("blas");
}
