import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { dropoutMultiplier, uniformFloats, useBackend } from "./mod.ts";

// The reference is tfjs itself: its seeded randomUniform and its dropout, on the backends copra trains on.
const SEEDS = [0, 1, 7, 123456789, 0xffffffff, 3.5];

Deno.test("uniformFloats draws tf.randomUniform's numbers for the same seed, bit for bit", async () => {
  await useBackend("cpu");
  for (const seed of [...SEEDS, "abc"]) {
    for (const n of [1, 5, 1000]) {
      const tfjs = tf.randomUniform([n], 0, 1, "float32", seed);
      assert.deepEqual(uniformFloats(n, seed), await tfjs.data(), `seed ${seed}, ${n} numbers`);
      tfjs.dispose();
    }
  }
});

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`${backend}: x · dropoutMultiplier equals tf.dropout for the same seed and rate, bit for bit`, async () => {
    await useBackend(backend);
    for (const rate of [0.1, 0.25, 0.5, 0.9, 1 / 3]) {
      for (const seed of SEEDS) {
        for (const shape of [[7], [3, 5, 4], [2, 3, 40, 41]]) {
          const x = tf.randomNormal(shape, 0, 1, "float32", 11);
          const [mine, theirs] = [
            tf.mul(x, dropoutMultiplier(shape, rate, seed)),
            tf.dropout(x, rate, undefined, seed),
          ];
          assert.deepEqual(await mine.data(), await theirs.data(), `rate ${rate}, seed ${seed}, shape ${shape}`);
          tf.dispose([x, mine, theirs]);
        }
      }
    }
  });
}

Deno.test("dropoutMultiplier: values 0 or 1/(1 − rate), about 1 − rate of them kept; a rate outside (0, 1) throws", async () => {
  await useBackend("cpu");
  const m = dropoutMultiplier([10000], 0.1, 5);
  const values = await m.data();
  const kept = values.filter((v) => v !== 0);
  assert.ok(kept.every((v) => v === Math.fround(1 / Math.fround(0.9))));
  assert.ok(Math.abs(kept.length / values.length - 0.9) < 0.02, `${kept.length} kept`);
  m.dispose();
  for (const rate of [0, 1, -0.1, NaN]) assert.throws(() => dropoutMultiplier([2], rate, 1), /rate/);
  for (const shape of [[-1], [2, 1.5], [NaN]]) assert.throws(() => dropoutMultiplier(shape, 0.1, 1), /shape/);
});
