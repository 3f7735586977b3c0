import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { availableProducts, productsPath, useBackend, useProducts } from "../mod.ts";
import { Rng } from "@copra/random";
import { attention } from "./attention.ts";
import { causalBlocks } from "./causal.ts";

/** GPT-2's additive mask for T queries after P cached keys, with row b's first `pad[b]` keys padding. */
function causalBias(B: number, T: number, P: number, pad: number[]): tf.Tensor4D {
  const K = P + T, data = new Float32Array(B * T * K);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let k = 0; k < K; k++) data[(b * T + t) * K + k] = k <= P + t && k >= pad[b] ? 0 : -1e9;
    }
  }
  return tf.tensor4d(data, [B, 1, T, K]);
}

const random = (rng: Rng, shape: number[]) =>
  tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.next() * 2 - 1), shape);

/** Output and the three gradients (against a fixed random upstream gradient) of attention, flattened. */
async function run(causal: boolean, shape: { B: number; H: number; T: number; P: number; D: number }, keepRate = 0) {
  const { B, H, T, P, D } = shape, rng = new Rng(7);
  const q = random(rng, [B, H, T, D]), k = random(rng, [B, H, P + T, D]), v = random(rng, [B, H, P + T, D]);
  // No gradient comes into the queries that see only padding (as in a model: nothing reads them).
  const dead = (b: number, t: number) => b === 1 && P + t < 3;
  const up = tf.mul(
    random(rng, [B, H, T, D]),
    tf.tensor4d(Array.from({ length: B * T }, (_, i) => (dead(Math.floor(i / T), i % T) ? 0 : 1)), [B, 1, T, 1]),
  );
  const bias = causalBias(B, T, P, Array.from({ length: B }, (_, b) => (b === 1 ? 3 : 0)));
  const keep = keepRate > 0
    ? tf.div(tf.floor(tf.add(tf.randomUniform([B, H, T, P + T], 0, 1, "float32", 3), 1 - keepRate)), 1 - keepRate)
    : undefined;
  const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
    tf.sum(tf.mul(attention(a, b, c, bias, 0.3, keep, causal), up));
  // NaN in freed memory of the scores' size, which the next scores tensor may reuse: skipped entries must not keep it.
  tf.fill([B, H, T, P + T], NaN).dispose();
  const profile = await tf.profile(() => tf.dispose(attention(q, k, v, bias, 0.3, keep, causal)));
  assert.equal(profile.kernels.some((kernel) => kernel.name === "CopraCausalProduct"), causal); // the path under test
  const grads = tf.grads(f)([q, k, v]);
  const y = attention(q, k, v, bias, 0.3, keep, causal);
  const out = [await y.data(), ...(await Promise.all(grads.map((g) => g.data())))];
  tf.dispose([q, k, v, up, bias, y, ...grads, ...(keep ? [keep] : [])]);
  return out;
}

Deno.test("causal blocks: cuts in order, inner cuts with P + r a multiple of 4, none for short runs", () => {
  assert.equal(causalBlocks(31, 0), null);
  assert.equal(causalBlocks(1, 300), null);
  assert.deepEqual(causalBlocks(64, 0), [0, 32, 64]);
  assert.deepEqual(causalBlocks(100, 9), [0, 31, 67, 100]);
  const cuts = causalBlocks(262, 5)!;
  assert.equal(cuts.length, 9);
  assert.equal(cuts[0], 0);
  assert.equal(cuts.at(-1), 262);
  for (let i = 1; i < cuts.length - 1; i++) {
    assert.ok(cuts[i] > cuts[i - 1]);
    assert.equal((5 + cuts[i]) % 4, 0);
  }
});

Deno.test("causal attention skips the masked blocks with the full products' numbers, on copra's SIMD products", async () => {
  await useBackend("wasm");
  const before = productsPath();
  try {
    const paths = availableProducts().filter((p) => p === "simd" || p === "simd-fma");
    assert.ok(paths.includes("simd"), "Deno's engine has wasm SIMD");
    for (const path of paths) {
      useProducts(path);
      for (const shape of [{ B: 2, H: 2, T: 70, P: 0, D: 8 }, { B: 2, H: 3, T: 100, P: 9, D: 4 }]) {
        for (const keepRate of [0, 0.2]) {
          const dense = await run(false, shape, keepRate), blocked = await run(true, shape, keepRate);
          // Everything but the queries that see only padding (no live key: their output differs, and nothing reads
          // it) is the same to the bit: copra's kernel adds a product's terms in order, and the skipped ones are 0.
          for (const [i, name] of ["y", "dq", "dk", "dv"].entries()) {
            let diff = 0, worst = 0;
            for (let j = 0; j < dense[i].length; j++) {
              const t = Math.floor(j / shape.D) % shape.T, b = Math.floor(j / (shape.D * shape.T * shape.H));
              if ((name === "y" || name === "dq") && b === 1 && shape.P + t < 3) continue;
              const gap = Math.abs(dense[i][j] - blocked[i][j]);
              if (!(gap === 0)) diff++;
              worst = Math.max(worst, gap);
            }
            assert.equal(
              diff,
              0,
              `${path} ${JSON.stringify(shape)} keep ${keepRate}: ${name} differs in ${diff} places (worst ${worst})`,
            );
          }
        }
      }
    }
  } finally {
    useProducts(before);
  }
});
