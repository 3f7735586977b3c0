/**
 * Matrix products whose gradients use explicit transposes.
 *
 * tfjs's own `matMul` gradient multiplies with `transposeA`/`transposeB` flags, which the wasm backend runs
 * 13–28× slower than an explicit `transpose` followed by a plain product (measured on these machines). These
 * wrappers compute the same values and gradients with explicit transposes there — unless the products run in
 * BLAS (`enableBlas`) or copra's SIMD kernel, which read transposed operands natively, so the flags are kept and
 * the copies saved.
 *
 * @module
 */

import { customOp, hasKernel } from "./kernels/custom_op.ts";
import { AFFINE_GRAD_KERNEL, AFFINE_KERNEL, COLUMN_SUMS_KERNEL } from "./kernels/fused_wasm.ts";
import * as tf from "@tensorflow/tfjs";
import { productsPath } from "./products.ts";
import type { Tensor } from "./tensors.ts";

/**
 * Whether products with transpose flags are fast on the active backend: on wasm only when they run in BLAS or
 * copra's SIMD kernel (which read transposed operands natively); elsewhere tfjs's kernels handle the flags well.
 */
function flagsAreFast(): boolean {
  return tf.getBackend() !== "wasm" || productsPath() !== "tfjs";
}

/**
 * a @ bᵀ, by a transpose flag or an explicit transpose, whichever is faster on the backend (no gradient of its
 * own: for use inside custom gradients).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { timesTransposed } from "@copra/model";
 * assert.deepEqual(await timesTransposed(tf.tensor2d([[1, 2]]), tf.tensor2d([[3, 4]])).array(), [[11]]);
 * ```
 */
export function timesTransposed(a: Tensor, b: Tensor): Tensor {
  return flagsAreFast() ? tf.matMul(a, b, false, true) : tf.matMul(a, swapLast(b));
}

/**
 * aᵀ @ b, likewise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { transposedTimes } from "@copra/model";
 * assert.deepEqual(await transposedTimes(tf.tensor2d([[1], [2]]), tf.tensor2d([[3], [4]])).array(), [[11]]);
 * ```
 */
export function transposedTimes(a: Tensor, b: Tensor): Tensor {
  return flagsAreFast() ? tf.matMul(a, b, true, false) : tf.matMul(swapLast(a), b);
}

/** Swaps the last two axes of a rank-2, -3 or -4 tensor. */
function swapLast(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  const n = perm.length;
  [perm[n - 2], perm[n - 1]] = [perm[n - 1], perm[n - 2]];
  return tf.transpose(x, perm);
}

/**
 * `a @ b` for tensors of equal rank (2 to 4; leading axes are batch axes of equal size).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { matMul } from "@copra/model";
 * const y = matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
 * assert.deepEqual(await y.array(), [[11]]);
 * ```
 */
export const matMul: (a: Tensor, b: Tensor) => Tensor = customOp<[Tensor, Tensor]>(
  ([a, b], save) => {
    save([a, b]);
    return {
      value: tf.matMul(a, b),
      // d(a@b)/da = dy @ bᵀ, d(a@b)/db = aᵀ @ dy
      gradFunc: (dy, [sa, sb]) => [timesTransposed(dy, sb), transposedTimes(sa, dy)],
    };
  },
);

/**
 * `a @ bᵀ` (transposing b's last two axes) for tensors of equal rank.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { matMulT } from "@copra/model";
 * const y = matMulT(tf.tensor2d([[1, 2]]), tf.tensor2d([[3, 4]]));
 * assert.deepEqual(await y.array(), [[11]]);
 * ```
 */
export const matMulT: (a: Tensor, b: Tensor) => Tensor = customOp<[Tensor, Tensor]>(
  ([a, b], save) => {
    save([a, b]);
    return {
      value: timesTransposed(a, b),
      // d(a@bᵀ)/da = dy @ b, d(a@bᵀ)/db = dyᵀ @ a
      gradFunc: (dy, [sa, sb]) => [tf.matMul(dy, sb), transposedTimes(dy, sa)],
    };
  },
);

/**
 * Sums of the columns of a tensor viewed as (rows, C): Σ over every axis but the last. On wasm one SIMD pass
 * (`kernels/fused.wat`; without wasm SIMD, one product ones(1, rows)·t) — wasm's Sum over leading axes transposes
 * first and is several times slower.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { columnSums } from "@copra/model";
 * assert.deepEqual(await columnSums(tf.tensor3d([[[1, 2], [3, 4]]])).array(), [4, 6]);
 * ```
 */
export function columnSums(t: Tensor): Tensor {
  const C = t.shape[t.shape.length - 1] as number;
  const rows = t.size / C;
  if (hasKernel(COLUMN_SUMS_KERNEL)) return tf.engine().runKernel(COLUMN_SUMS_KERNEL, { t }) as Tensor;
  if (tf.getBackend() === "wasm" && productsPath() !== "tfjs") {
    return tf.tidy(() => tf.reshape(tf.matMul(tf.ones([1, rows]), tf.reshape(t, [rows, C])), [C]));
  }
  return tf.sum(tf.reshape(t, [rows, C]), 0);
}

/** Whether `affine` can take the one-kernel path: the wasm kernel, float32 and the shapes it expects (else the
 * composite, which reports a mismatch as tfjs does). */
function fusesBias(x: Tensor, w: Tensor, b: Tensor): boolean {
  return hasKernel(AFFINE_KERNEL) && x.rank >= 2 && w.rank === 2 && b.rank === 1 &&
    x.shape[x.rank - 1] === w.shape[0] && b.shape[0] === w.shape[1] && [x, w, b].every((t) => t.dtype === "float32");
}

/** `t` as a matrix: its leading axes as rows (a reshape only when it has more than two). */
function rows2d(t: Tensor): Tensor {
  return t.rank === 2 ? t : tf.reshape(t, [-1, t.shape[t.rank - 1]]);
}

/** A matrix of rows back in `shape` (a reshape only when that has more than two axes). */
function likeRows(t: Tensor, shape: number[]): Tensor {
  return shape.length === 2 ? t : tf.reshape(t, shape);
}

/**
 * x·w + b for x (…,C) — rows along every leading axis — w (C,M), b (M), with its gradient written out: dx = dy·wᵀ,
 * dw = xᵀ·dy, db = column sums of dy (one product with BLAS or the SIMD kernel instead of tfjs's broadcast-add
 * gradient). On wasm the forward is one kernel call whatever x's rank (its rows read in place, no reshape).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { affine } from "@copra/model";
 * assert.deepEqual(await affine(tf.tensor2d([[1, 2]]), tf.tensor2d([[1], [1]]), tf.tensor1d([0.5])).array(), [[3.5]]);
 * assert.deepEqual(affine(tf.ones([2, 3, 2]), tf.ones([2, 4]), tf.zeros([4])).shape, [2, 3, 4]);
 * ```
 */
export const affine: (x: Tensor, w: Tensor, b: Tensor) => Tensor = customOp<[Tensor, Tensor, Tensor]>(
  ([x, w, b], save) => {
    save([x, w]);
    // wasm: one kernel each way, x and dy read as matrices in place, the bias added in place to the product's output
    // (the same numbers as the composite's product, add and column sums)
    const fused = fusesBias(x, w, b);
    return {
      value: fused
        ? tf.engine().runKernel(AFFINE_KERNEL, { x, w, b }) as Tensor
        : likeRows(tf.add(tf.matMul(rows2d(x), w), b), [...x.shape.slice(0, -1), w.shape[1] as number]),
      gradFunc: (dy, [sx, sw]) => {
        if (fused && dy.dtype === "float32" && flagsAreFast() && hasKernel(AFFINE_GRAD_KERNEL)) {
          return tf.engine().runKernel(AFFINE_GRAD_KERNEL, { dy, x: sx, w: sw }) as Tensor[];
        }
        const dRows = rows2d(dy);
        return [likeRows(timesTransposed(dRows, sw), sx.shape), transposedTimes(rows2d(sx), dRows), columnSums(dy)];
      },
    };
  },
);
