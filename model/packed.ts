/**
 * A weight packed once for many products by its transpose: decoding multiplies every new token's hidden state by
 * the tied LM head's `wte`ᵀ, and copra's SIMD product (`kernels/gemm.wat`) would otherwise copy `wte` into its K×8
 * panels — or transpose it in registers — again for every token. Packed once per generation, each token's head
 * reads the panels as they are. The numbers are those of `matMulT(a, b)` on the same products path, bit for bit.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { PACK_TRANSPOSED_KERNEL, TIMES_PACKED_KERNEL } from "./kernels/gemm.ts";
import { PackedSplit, packedSplits, splitColumns } from "./kernels/packed_split.ts";
import { matMulT } from "./ops.ts";
import { simdProductsActive } from "./products.ts";
import type { Tensor1D, Tensor2D } from "./tensors.ts";

/**
 * A matrix B (N,K) and its panels for products a·Bᵀ ({@link packTransposed}, {@link packTransposedThreads}); call
 * `dispose` when done.
 */
export interface PackedWeight {
  /** B itself (not owned: the caller's tensor), for paths without panels. */
  readonly b: Tensor2D;
  /** B's panels in copra's SIMD product's layout (owned: `dispose` frees them). */
  readonly panels: Tensor1D;
  /** Threads a product runs on (1, or more from {@link packTransposedThreads}). */
  readonly threads: number;
  /** Frees the panels and stops the helper threads, if any. */
  dispose(): void;
}

/** Whether products go through copra's SIMD kernel now (the only path with panels). */
function simdProducts(): boolean {
  return simdProductsActive() && tf.getKernel(PACK_TRANSPOSED_KERNEL, "wasm") !== undefined;
}

/**
 * B (N,K) packed for products a·Bᵀ by {@link timesPacked}, or null where the products are not copra's SIMD kernel
 * (OpenBLAS, tfjs's kernel, other backends: there `matMulT` needs no packing of its own). B must stay alive and
 * unchanged while the packing is used. Inference only (the product has no gradient).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { matMulT, packTransposed, timesPacked, useBackend, useProducts } from "@copra/model";
 * await useBackend("wasm");
 * useProducts("simd");
 * const b = tf.tensor2d([[1, 2], [3, 4], [5, 6]]); // N 3, K 2
 * const a = tf.tensor2d([[1, -1]]);
 * const packed = packTransposed(b)!;
 * assert.deepEqual(await timesPacked(a, packed).data(), await matMulT(a, b).data()); // [-1, -1, -1]
 * packed.dispose();
 * ```
 */
export function packTransposed(b: Tensor2D): PackedWeight | null {
  if (!simdProducts() || b.dtype !== "float32") return null;
  const panels = tf.engine().runKernel(PACK_TRANSPOSED_KERNEL, { b }) as Tensor1D;
  return { b, panels, threads: 1, dispose: () => panels.dispose() };
}

/**
 * copra's default thread count for {@link packTransposedThreads} (decoding's LM head in `copra chat` and the decode
 * benchmark): every core, at most 4 — each helper adds a wake-up per token while the head's memory reads stop
 * scaling after a few cores (measured at 2 threads on a 2-core machine; the cap is a guess, not a measurement).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultPackThreads } from "@copra/model";
 * const n = defaultPackThreads();
 * assert.ok(n >= 1 && n <= 4);
 * ```
 */
export function defaultPackThreads(): number {
  return Math.max(1, Math.min(navigator.hardwareConcurrency ?? 1, 4));
}

/** Options of {@link packTransposedThreads}. */
export interface PackThreadsOptions {
  /** Most rows of `a` a product splits (more run on the calling thread alone). Default 64. */
  rows?: number;
}

/**
 * {@link packTransposed}, with each product's columns split over `threads` threads: this one and `threads` − 1
 * helper workers, each holding its share of the panels. The numbers are the same bit for bit; what changes is the
 * time of a product that one core's memory bandwidth bounds — decoding's LM head at small batches reads all of B for
 * every token. Deno only: where workers cannot start (a browser page, no permission to read copra's module files),
 * and for `threads` ≤ 1 or B narrower than 64 columns, it is {@link packTransposed} on one thread. `dispose` stops
 * the helpers — call it: Deno does not end a process while a worker runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { matMulT, packTransposedThreads, timesPacked, useBackend, useProducts } from "@copra/model";
 * await useBackend("wasm");
 * useProducts("simd");
 * const b = tf.randomNormal([300, 16], 0, 1, "float32", 1) as tf.Tensor2D;
 * const a = tf.randomNormal([2, 16], 0, 1, "float32", 2) as tf.Tensor2D;
 * const packed = (await packTransposedThreads(b, 2))!;
 * assert.deepEqual(await timesPacked(a, packed).data(), await matMulT(a, b).data());
 * packed.dispose();
 * ```
 */
export async function packTransposedThreads(
  b: Tensor2D,
  threads: number,
  options: PackThreadsOptions = {},
): Promise<PackedWeight | null> {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`packTransposedThreads: threads must be a whole number ≥ 1, got ${threads}`);
  }
  const rows = options.rows ?? 64;
  if (!Number.isInteger(rows) || rows < 1) {
    throw new RangeError(`packTransposedThreads: options.rows must be a whole number ≥ 1, got ${rows}`);
  }
  const packed = packTransposed(b);
  const [N, K] = b.shape;
  const parts = Math.min(threads, Math.floor(N / 32));
  if (!packed || parts < 2) return packed;
  const split = await PackedSplit.start(await packed.panels.data() as Float32Array, K, splitColumns(N, parts), rows)
    .catch((error) => {
      packed.dispose();
      throw error;
    });
  if (!split) return packed;
  packedSplits.set(packed.panels.dataId, split);
  return {
    b,
    panels: packed.panels,
    threads: parts,
    dispose: () => {
      packedSplits.delete(packed.panels.dataId);
      split.close();
      packed.panels.dispose();
    },
  };
}

/**
 * a (M,K) · Bᵀ (K,N) for a B packed by {@link packTransposed}: the numbers of `matMulT(a, packed.b)`. Falls back to
 * `matMulT` where the products path has changed since the packing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { packTransposed, timesPacked, useBackend } from "@copra/model";
 * await useBackend("wasm");
 * const b = tf.tensor2d([[1, 0], [0, 1]]);
 * const packed = packTransposed(b);
 * if (packed) {
 *   assert.deepEqual(await timesPacked(tf.tensor2d([[2, 3]]), packed).data(), new Float32Array([2, 3]));
 *   packed.dispose();
 * }
 * ```
 */
export function timesPacked(a: Tensor2D, packed: PackedWeight): Tensor2D {
  const [N, K] = packed.b.shape;
  if (a.rank !== 2 || a.shape[1] !== K) {
    throw new RangeError(`timesPacked: a's shape [${a.shape}] does not end in K = ${K} (B is [${N}, ${K}])`);
  }
  if (!simdProducts() || a.dtype !== "float32") return matMulT(a, packed.b) as Tensor2D;
  return tf.engine().runKernel(TIMES_PACKED_KERNEL, { a, panels: packed.panels }, { n: N }) as Tensor2D;
}
