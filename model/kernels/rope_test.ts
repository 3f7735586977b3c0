import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { applyRope, rotaryTables, useBackend } from "../mod.ts";
import { maxAbsDiff } from "../testdata/fixtures.ts";

const int2d = (rows: number[][]) => tf.tensor2d(rows, undefined, "int32");

Deno.test("applyRope equals the rotate-half formula computed by slicing, values and gradients, cpu and wasm", async () => {
  // Reference: y = x·cos + [−x₂, x₁]·sin with the angles written out here, differentiated by tfjs; positions per row
  // (tables (B,1,T,D)) and shared by the batch (tables (1,1,T,D)).
  const case_ = (pos: number[][]) => () => {
    const [B, H, T, D] = [2, 3, 4, 6];
    const x = tf.randomNormal([B, H, T, D], 0, 1, "float32", 3) as tf.Tensor4D;
    const w = tf.randomNormal([B, H, T, D], 0, 1, "float32", 4);
    const angle = pos.map((row) =>
      row.map((p) => Array.from({ length: D }, (_, j) => p * Math.pow(500, -(2 * (j % 3)) / D)))
    );
    const cos = tf.tensor4d(angle.map((r) => [r.map((a) => a.map(Math.cos))]));
    const sin = tf.tensor4d(angle.map((r) => [r.map((a) => a.map(Math.sin))]));
    const reference = (t: tf.Tensor) => {
      const [x1, x2] = tf.split(t, 2, 3);
      return tf.add(tf.mul(t, cos), tf.mul(tf.concat([tf.neg(x2), x1], 3), sin));
    };
    const tables = rotaryTables(int2d(pos), D, 500);
    const ours = (t: tf.Tensor) => applyRope(t as tf.Tensor4D, tables);
    const loss = (f: (t: tf.Tensor) => tf.Tensor) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), w)))(x);
    return [ours(x), reference(x), loss(ours), loss(reference)];
  };
  for (
    const [backend, pos] of [["cpu", [[0, 1, 2, 3], [5, 5, 6, 9]]], ["wasm", [[0, 1, 2, 3], [5, 5, 6, 9]]], [
      "wasm",
      [[2, 3, 4, 5]],
    ]] as const
  ) {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const [y, yRef, g, gRef] = await Promise.all(
      tf.tidy(case_(pos.map((r) => [...r]))).map(async (t) => {
        const v = await t.data();
        t.dispose();
        return v;
      }),
    );
    assert.ok(maxAbsDiff(y, yRef) <= 1e-5, backend);
    assert.ok(maxAbsDiff(g, gRef) <= 1e-5, backend);
    assert.equal(tf.memory().numTensors, before);
  }
});

Deno.test("rotaryTables: cos and sin of the D angles of each position to the bit (one half computed, written twice)", async () => {
  for (const backend of ["cpu", "wasm"] as const) {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const pos = [[0, 1, 2, 7], [5, 5, 300, 9]], D = 8, theta = 10_000;
    const ids = int2d(pos);
    const tables = rotaryTables(ids, D, theta);
    // the whole head's angles, as the tables were first made: pair j's frequency at columns j and j + D/2
    const freq = Float32Array.from({ length: D }, (_, j) => Math.pow(theta, -(2 * (j % (D / 2))) / D));
    const [cos, sin] = tf.tidy(() => {
      const angles = tf.mul(tf.reshape(tf.cast(ids, "float32"), [2, 1, 4, 1]), tf.tensor4d(freq, [1, 1, 1, D]));
      return [tf.cos(angles), tf.sin(angles)];
    });
    const bits = async (t: tf.Tensor) => [...new Uint32Array((await t.data()).buffer)];
    assert.deepEqual(tables.cos.shape, [2, 1, 4, D]);
    assert.deepEqual(await bits(tables.cos), await bits(cos), backend);
    assert.deepEqual(await bits(tables.sin), await bits(sin), backend);
    tf.dispose([ids, tables.cos, tables.sin, tables.rotate, cos, sin]);
    assert.equal(tf.memory().numTensors, before);
  }
});

Deno.test("wasm: applyRope is one kernel each way (no product by the ±1 matrix), tables made inside a tidy", async () => {
  await useBackend("wasm");
  const x = tf.randomNormal([1, 2, 3, 8], 0, 1, "float32", 1) as tf.Tensor4D;
  const f = (t: tf.Tensor) =>
    tf.tidy(() => tf.sum(applyRope(t as tf.Tensor4D, rotaryTables(int2d([[0, 1, 2]]), 8, 10_000))));
  const info = await tf.profile(() => tf.grad(f)(x));
  const names = info.kernels.map((k) => k.name);
  assert.equal(names.filter((n) => n === "CopraRope").length, 2, names.join(" "));
  assert.ok(!names.includes("BatchMatMul"), names.join(" "));
  x.dispose();
});
