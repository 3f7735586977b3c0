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
import { matMulT } from "./ops.ts";
import { simdProductsActive } from "./products.ts";
import type { Tensor1D, Tensor2D } from "./tensors.ts";

/** A matrix B (N,K) and its panels for products a·Bᵀ ({@link packTransposed}); dispose `panels` when done. */
export interface PackedWeight {
  /** B itself (not owned: the caller's tensor), for paths without panels. */
  readonly b: Tensor2D;
  /** B's panels in copra's SIMD product's layout (owned: dispose it). */
  readonly panels: Tensor1D;
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
 * packed.panels.dispose();
 * ```
 */
export function packTransposed(b: Tensor2D): PackedWeight | null {
  if (!simdProducts() || b.dtype !== "float32") return null;
  return { b, panels: tf.engine().runKernel(PACK_TRANSPOSED_KERNEL, { b }) as Tensor1D };
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
 *   packed.panels.dispose();
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
