import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { availableProducts, productsPath, useBackend, useProducts } from "./mod.ts";

/** Operand values with no two rows or columns alike. */
function values(n: number, salt: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.61 + salt) + ((i * 3 + salt) % 7) * 0.05);
}

/** C = op(A)·op(B) in float64, batched like tf.matMul (a batch of 1 broadcasts). */
function reference(
  a: Float32Array,
  b: Float32Array,
  [batchA, batchB, M, N, K]: number[],
  tA: boolean,
  tB: boolean,
): Float64Array {
  const count = Math.max(batchA, batchB), out = new Float64Array(count * M * N);
  for (let i = 0; i < count; i++) {
    const ao = (batchA === 1 ? 0 : i) * M * K, bo = (batchB === 1 ? 0 : i) * K * N;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[ao + (tA ? k * M + m : m * K + k)] * b[bo + (tB ? n * K + k : k * N + n)];
        out[i * M * N + m * N + n] = s;
      }
    }
  }
  return out;
}

// One row times a matrix (a decoded position's logits, a column sum) and a matrix times one column take their own
// route on the BLAS path (sgemv); every path must give the same products for every pair of flags and batches.
Deno.test("every products path multiplies one row or one column correctly, with each flag pair and batch", async () => {
  await useBackend("wasm");
  const before = productsPath();
  const shapes = [[1, 1, 1, 300, 37], [1, 1, 300, 1, 37], [3, 3, 1, 70, 19], [1, 3, 1, 70, 19], [3, 1, 70, 1, 19]];
  try {
    for (const path of availableProducts()) {
      useProducts(path);
      for (const [batchA, batchB, M, N, K] of shapes) {
        for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const a = values(batchA * M * K, 1), b = values(batchB * K * N, 2);
          const shapeA = [...(batchA > 1 ? [batchA] : []), ...(tA ? [K, M] : [M, K])];
          const shapeB = [...(batchB > 1 ? [batchB] : []), ...(tB ? [N, K] : [K, N])];
          const got = await tf.tidy(() => tf.matMul(tf.tensor(a, shapeA), tf.tensor(b, shapeB), tA, tB)).data();
          const want = reference(a, b, [batchA, batchB, M, N, K], tA, tB);
          assert.equal(got.length, want.length);
          for (let i = 0; i < want.length; i++) {
            assert.ok(
              Math.abs(got[i] - want[i]) <= 1e-5 * (1 + Math.abs(want[i])),
              `${path} ${[batchA, batchB, M, N, K]} tA=${tA} tB=${tB} [${i}]: ${got[i]} vs ${want[i]}`,
            );
          }
        }
      }
    }
  } finally {
    useProducts(before);
  }
});
