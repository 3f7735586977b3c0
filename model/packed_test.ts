import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { gpt2Config, gpt2Forward, initParams, matMulT, productsPath, useBackend, useProducts } from "./mod.ts";
import { packTransposed, packTransposedThreads, timesPacked } from "./packed.ts";

/** Values in [-2, 2) with few bits, from a small LCG (products exact-ish and varied). */
function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.fround(((seed >> 8) % 4096) / 1024 - 2);
  });
}

// One row (the one-row panel loop), a few and many rows (the tiles), columns past a multiple of 8, K mod 4 of 0–3.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 50, 48],
  [1, 13, 7],
  [2, 9, 6],
  [3, 17, 5],
  [5, 8, 4],
  [
    9,
    33,
    10,
  ],
  [1, 126, 48],
  [1, 70, 9],
];

Deno.test("a·Bᵀ from B packed once equals matMulT bit for bit, on both SIMD builds, and leaks nothing", async () => {
  await useBackend("wasm");
  const before = productsPath();
  try {
    for (const path of ["simd", "simd-fma"] as const) {
      useProducts(path);
      const start = tf.memory().numTensors;
      for (const [M, N, K] of SHAPES) {
        const a = tf.tensor2d(values(M * K, M * 7 + K), [M, K]), b = tf.tensor2d(values(N * K, N * 13 + K), [N, K]);
        const packed = packTransposed(b);
        assert.ok(packed, `${path}: packs`);
        const got = timesPacked(a, packed), want = matMulT(a, b);
        assert.deepEqual(got.shape, [M, N]);
        assert.deepEqual(await got.data(), await want.data(), `${path} M${M} N${N} K${K}`);
        tf.dispose([a, b, got, want]);
        packed.dispose();
      }
      assert.equal(tf.memory().numTensors, start);
    }
  } finally {
    useProducts(before);
  }
});

Deno.test("packTransposed gives null where the products are not copra's SIMD kernel; timesPacked checks K", async () => {
  await useBackend("wasm");
  const before = productsPath();
  const b = tf.tensor2d([[1, 2], [3, 4]]);
  try {
    useProducts("tfjs");
    assert.equal(packTransposed(b), null);
    useProducts("simd");
    const packed = packTransposed(b)!;
    assert.throws(() => timesPacked(tf.tensor2d([[1, 2, 3]]), packed), /does not end in K = 2/);
    // a path changed after packing: the product falls back to matMulT, same numbers as that path's
    useProducts("tfjs");
    assert.deepEqual(await timesPacked(tf.tensor2d([[1, 1]]), packed).data(), new Float32Array([3, 7]));
    packed.dispose();
  } finally {
    useProducts(before);
    b.dispose();
  }
});

Deno.test("the forward pass with a packed head gives the same logits; under a gradient tape it is not used", async () => {
  await useBackend("wasm");
  const config = gpt2Config("nano", { vocab_size: 37 });
  const params = initParams(config, { seed: 1 });
  const ids = tf.tensor2d([[1, 5, 9], [2, 3, 4]], undefined, "int32");
  const before = productsPath();
  useProducts("simd");
  const head = packTransposed(params["wte.weight"] as tf.Tensor2D)!;
  const plain = gpt2Forward(params, config, { ids, logits: "last" });
  const packed = gpt2Forward(params, config, { ids, logits: "last", head });
  assert.deepEqual(await packed.logits!.data(), await plain.logits!.data());
  // under a gradient tape the head is matMulT's (the panels have no gradient): wte's gradient keeps the head's share
  const grad = (withHead: boolean) =>
    tf.grad((w: tf.Tensor) =>
      tf.sum(
        gpt2Forward({ ...params, "wte.weight": w as tf.Variable }, config, {
          ids,
          logits: "last",
          ...(withHead ? { head } : {}),
        })
          .logits!,
      )
    )(params["wte.weight"]);
  const g = grad(true), g0 = grad(false);
  assert.deepEqual(await g.data(), await g0.data());
  g0.dispose();
  head.dispose();
  tf.dispose([ids, plain.logits!, plain.hidden, packed.logits!, packed.hidden, g]);
  tf.dispose([...plain.cache, ...packed.cache].flatMap((c) => [c.k, c.v]));
  tf.dispose(Object.values(params));
  useProducts(before);
});

Deno.test("packTransposedThreads: the columns split over helper threads give the same bits, on both builds", async () => {
  await useBackend("wasm");
  const before = productsPath();
  try {
    // B of 64 columns (two groups of four panels), 300 and 1001 (a partial last panel); rows up to `rows` split, one
    // more runs here alone; three threads where B is wide enough
    for (const [N, K, threads] of [[64, 7, 2], [300, 48, 2], [1001, 9, 3], [300, 5, 8]] as const) {
      // full-mantissa values: the two builds' bits differ, so a helper on the other build shows
      const b = tf.randomNormal([N, K], 0, 1, "float32", N + K) as tf.Tensor2D;
      useProducts("simd");
      const packed = (await packTransposedThreads(b, threads, { rows: 4 }))!;
      assert.equal(packed.threads, Math.min(threads, Math.floor(N / 32)), `N ${N}: threads`);
      for (const path of ["simd", "simd-fma"] as const) {
        useProducts(path);
        const start = tf.memory().numTensors;
        for (const M of [1, 3, 4, 5]) {
          const a = tf.randomNormal([M, K], 0, 1, "float32", M * 31 + K) as tf.Tensor2D;
          const got = timesPacked(a, packed), want = matMulT(a, b);
          assert.deepEqual(await got.data(), await want.data(), `${path} M${M} N${N} K${K} threads ${threads}`);
          tf.dispose([a, got, want]);
        }
        assert.equal(tf.memory().numTensors, start);
      }
      packed.dispose();
      b.dispose();
    }
  } finally {
    useProducts(before);
  }
});

Deno.test("packTransposedThreads: one thread where B is narrow or threads is 1; bad arguments are refused", async () => {
  await useBackend("wasm");
  const before = productsPath();
  useProducts("simd");
  const narrow = tf.tensor2d(values(40 * 3, 1), [40, 3]), wide = tf.tensor2d(values(96 * 3, 2), [96, 3]);
  try {
    const start = tf.memory().numTensors;
    for (const [b, threads] of [[narrow, 4], [wide, 1]] as const) {
      const packed = (await packTransposedThreads(b, threads))!;
      assert.equal(packed.threads, 1);
      packed.dispose();
    }
    await assert.rejects(packTransposedThreads(wide, 0), /threads must be a whole number ≥ 1, got 0/);
    await assert.rejects(packTransposedThreads(wide, 2, { rows: 1.5 }), /options.rows must be .* got 1.5/);
    useProducts("tfjs");
    assert.equal(await packTransposedThreads(wide, 2), null);
    assert.equal(tf.memory().numTensors, start);
  } finally {
    useProducts(before);
    tf.dispose([narrow, wide]);
  }
});
