import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { availableProducts, productsPath, useBackend, useProducts } from "../mod.ts";
import { assembleGemm, fusedSource, gemmModuleText, MULTIPLY_ADDS } from "./gemm_build.ts";

Deno.test("the shipped gemm bytes are those of gemm.wat (run `deno task build-wasm` after editing it)", async () => {
  const shipped = await Deno.readTextFile(new URL("./gemm_wasm.ts", import.meta.url));
  assert.ok(shipped === gemmModuleText(await assembleGemm(false), await assembleGemm(true)), "gemm_wasm.ts is stale");
  const source = await Deno.readTextFile(new URL("./gemm.wat", import.meta.url));
  assert.equal(fusedSource(source).split("f32x4.relaxed_madd").length - 1, MULTIPLY_ADDS);
  assert.throws(() => fusedSource(source.replace("(f32x4.add (local.get $c00)", "(f32x4.sub (local.get $c00)")));
});

/** Stored operands for op(A) (M×K) and op(B) (K×N), `batch` matrices each (B shared when `shareB`). */
function operands(M: number, N: number, K: number, tA: boolean, tB: boolean, batch: number, shareB: boolean) {
  let seed = M * 1000003 + N * 1009 + K * 17 + (tA ? 3 : 0) + (tB ? 5 : 0) + batch;
  const next = () => { // a small LCG: values in [-2, 2) with few bits, so that products are exact-ish and varied
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.fround(((seed >> 8) % 4096) / 1024 - 2);
  };
  const a = Float32Array.from({ length: batch * M * K }, next);
  const b = Float32Array.from({ length: (shareB ? 1 : batch) * K * N }, next);
  const shapeA = tA ? [K, M] : [M, K], shapeB = tB ? [N, K] : [K, N];
  return {
    a,
    b,
    shapeA: batch > 1 ? [batch, ...shapeA] : shapeA,
    shapeB: batch > 1 && !shareB ? [batch, ...shapeB] : shapeB,
  };
}

/**
 * The product as copra's exact SIMD kernel defines it, in plain JavaScript: each entry Σₖ A(i,k)·B(k,j) in order of
 * k, every multiply and add rounded to float32.
 */
function reference(
  a: Float32Array,
  b: Float32Array,
  M: number,
  N: number,
  K: number,
  tA: boolean,
  tB: boolean,
  batch: number,
  shareB: boolean,
): Float32Array {
  const c = new Float32Array(batch * M * N);
  for (let s = 0; s < batch; s++) {
    const ao = s * M * K, bo = shareB ? 0 : s * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let acc = 0;
        for (let k = 0; k < K; k++) {
          const x = a[ao + (tA ? k * M + i : i * K + k)], y = b[bo + (tB ? j * K + k : k * N + j)];
          acc = Math.fround(acc + Math.fround(x * y));
        }
        c[s * M * N + i * N + j] = acc;
      }
    }
  }
  return c;
}

// Tails of every kind: rows past a multiple of 4, columns past a multiple of 8, odd K, single rows and columns
// (one row: four panels at a time, then one at a time).
// K mod 4 of 0–3 past the first four steps (the kernel takes four steps of k per turn), whole 4×8 tiles among them.
const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [3, 7, 2],
  [4, 8, 3],
  [5, 9, 8],
  [9, 17, 5],
  [13, 24, 33],
  [1, 50, 48],
  [1, 77, 7],
  [8, 16, 7],
  [4, 8, 10],
  [12, 19, 6],
];

Deno.test("the exact SIMD kernel gives, bit for bit, the float32 products summed in order of k", async () => {
  await useBackend("wasm", { products: "simd" });
  assert.equal(productsPath(), "simd");
  try {
    for (const [M, N, K] of SIZES) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          for (const [batch, shareB] of [[1, false], [3, false], [2, true]] as const) {
            const { a, b, shapeA, shapeB } = operands(M, N, K, tA, tB, batch, shareB);
            const got = tf.tidy(() => tf.matMul(tf.tensor(a, shapeA), tf.tensor(b, shapeB), tA, tB));
            const values = await got.data();
            got.dispose();
            const want = reference(a, b, M, N, K, tA, tB, batch, shareB);
            const at = values.findIndex((v, i) => !Object.is(v, want[i]));
            assert.equal(at, -1, `M${M} N${N} K${K} tA ${tA} tB ${tB} batch ${batch}: entry ${at} differs`);
          }
        }
      }
    }
  } finally {
    await useBackend("wasm");
  }
});

Deno.test("the fused SIMD kernel agrees with the exact one to float32 rounding", async () => {
  await useBackend("wasm");
  if (!availableProducts().includes("simd-fma")) return; // an engine without relaxed SIMD
  const before = productsPath();
  try {
    for (const [M, N, K] of SIZES) {
      for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const { a, b, shapeA, shapeB } = operands(M, N, K, tA, tB, 1, false);
        useProducts("simd-fma");
        const fused = await tf.tidy(() => tf.matMul(tf.tensor(a, shapeA), tf.tensor(b, shapeB), tA, tB)).data();
        const want = reference(a, b, M, N, K, tA, tB, 1, false);
        const scale = Math.max(1, ...Array.from(want, Math.abs));
        for (let i = 0; i < want.length; i++) {
          assert.ok(Math.abs(fused[i] - want[i]) <= 1e-5 * scale * K, `M${M} N${N} K${K}: ${fused[i]} vs ${want[i]}`);
        }
      }
    }
  } finally {
    useProducts(before);
  }
});

Deno.test("the SIMD kernel leaves no scratch behind, follows a growing memory, and leaves bad shapes to tfjs", async () => {
  await useBackend("wasm", { products: "simd" });
  try {
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const a = tf.tensor2d([[1, 2], [3, 4]]), b = tf.tensor2d([[5, 6], [7, 8]]);
    const ids = backend.numDataIds();
    const c = tf.matMul(a, b);
    assert.equal(backend.numDataIds(), ids + 1, "the product's output only");
    assert.deepEqual(await c.array(), [[19, 22], [43, 50]]);
    // 64 MB more: the backend's memory grows after the kernel was bound to it
    const big = tf.fill([4096, 4096], 1);
    const x = tf.ones([3, 4096]), y = tf.matMul(x, big);
    assert.deepEqual(Array.from(await y.data()).slice(0, 3), [4096, 4096, 4096]);
    tf.dispose([a, b, c, big, x, y]);
    assert.throws(() => tf.matMul(tf.ones([2, 3]), tf.ones([2, 3])), /inner shapes \(3\) and \(2\)/);
  } finally {
    await useBackend("wasm");
  }
});
