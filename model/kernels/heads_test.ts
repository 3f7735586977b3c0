import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { mergeHeads, splitHeads, useBackend } from "../mod.ts";
import { same } from "../testdata/autodiff.ts";
import { MERGE_HEADS_KERNEL, SPLIT_HEADS_KERNEL } from "./heads.ts";

// The plain composites the kernels replace: split, reshape, transpose (and back).
const plainSplit = (x: tf.Tensor, parts: number, H: number) => {
  const [B, T, W] = x.shape;
  return (parts === 1 ? [x] : tf.split(x, parts, 2)).map((t) =>
    tf.transpose(tf.reshape(t, [B, T, H, W / parts / H]), [0, 2, 1, 3])
  );
};
const plainMerge = (xs: tf.Tensor[]) => {
  const [B, H, T, D] = xs[0].shape;
  return tf.concat(xs.map((x) => tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [B, T, H * D])), 2);
};
const flat = (ts: tf.Tensor[]) => tf.concat(ts.map((t) => tf.reshape(t, [-1])));

// wasm runs fused.wat's row copies, four floats at a time and then the rest (D = 3: the rest alone; 7: both; 8: no
// rest); cpu and webgpu the composite.
for (const backend of ["cpu", "wasm", "webgpu"] as const) {
  Deno.test(`${backend}: splitHeads and mergeHeads equal split/reshape/transpose, values and gradients`, async () => {
    await useBackend(backend);
    const [B, T, H] = [2, 5, 3];
    for (const [D, parts] of [[3, 1], [3, 3], [7, 3], [8, 1]]) {
      const x = tf.randomNormal([B, T, parts * H * D], 0, 1, "float32", parts + D);
      // every part, and the first only (the others' gradients are then zeros)
      await same((a) => flat(splitHeads(a as tf.Tensor3D, parts, H)), (a) => flat(plainSplit(a, parts, H)), [x], 0);
      await same((a) => splitHeads(a as tf.Tensor3D, parts, H)[0], (a) => plainSplit(a, parts, H)[0], [x], 0);
      const heads = Array.from({ length: parts }, (_, j) => tf.randomNormal([B, H, T, D], 0, 1, "float32", 10 + j));
      await same((...xs) => mergeHeads(xs as tf.Tensor4D[]), (...xs) => plainMerge(xs), heads, 0);
      tf.dispose([x, ...heads]);
    }
    assert.equal(tf.getKernel(SPLIT_HEADS_KERNEL, backend) !== undefined, backend === "wasm");
  });
}

Deno.test("wasm: one kernel each way, no transposes, splits or concats, forward and backward", async () => {
  await useBackend("wasm");
  const x = tf.randomNormal([2, 4, 3 * 8], 0, 1, "float32", 1);
  const f = (a: tf.Tensor) => {
    const [q, k, v] = splitHeads(a as tf.Tensor3D, 3, 2);
    return tf.sum(mergeHeads([tf.add(tf.add(q, tf.mul(k, 2)), tf.mul(v, 3)) as tf.Tensor4D]));
  };
  const info = await tf.profile(() => tf.grad(f)(x));
  const names = info.kernels.map((k) => k.name);
  const count = (name: string) => names.filter((n) => n === name).length;
  assert.equal(count(SPLIT_HEADS_KERNEL), 2, names.join(" ")); // the split, and the merge's gradient
  assert.equal(count(MERGE_HEADS_KERNEL), 2, names.join(" ")); // the merge, and the split's gradient
  for (const name of ["Transpose", "SplitV", "Concat"]) assert.equal(count(name), 0, names.join(" "));
  // dq + 2·dk + 3·dv back in qkv's layout: 1s, 2s and 3s in the three column blocks of every row
  const g = await tf.grad(f)(x).array() as number[][][];
  assert.deepEqual(g[1][3], [...Array(8).fill(1), ...Array(8).fill(2), ...Array(8).fill(3)]);
  x.dispose();
});
