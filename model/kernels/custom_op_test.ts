import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../backend.ts";
import { customOp } from "./custom_op.ts";

await useBackend("cpu");

// x² + x through two kernels, so that the forward leaves an intermediate behind unless something frees it.
const squarePlus = customOp<[tf.Tensor]>(([x], save) => {
  save([x]);
  return {
    value: tf.add(tf.mul(x, x), x),
    gradFunc: (dy, [sx]) => tf.mul(dy, tf.add(tf.mul(sx, 2), 1)),
  };
});

Deno.test("customOp: without a gradient tape the forward runs as it is, with no scope of its own and nothing left", async () => {
  const x = tf.tensor1d([1, 2, 3]);
  const before = tf.memory().numTensors;
  const profile = await tf.profile(() => squarePlus(x));
  // tfjs records a custom gradient's scope as one more entry around its kernels; here only the two kernels run
  assert.deepEqual(profile.kernels.map((k) => k.name), ["Multiply", "Add"]);
  assert.equal(tf.memory().numTensors, before + 1); // the result only
  const y = squarePlus(x);
  assert.deepEqual(Array.from(await y.data()), [2, 6, 12]);
  tf.dispose([x, y, profile.result as tf.Tensor]);
});

Deno.test("customOp: under a gradient tape the written-out gradient is used", async () => {
  const x = tf.tensor1d([1, 2, 3]);
  const before = tf.memory().numTensors;
  const { value, grads } = tf.valueAndGrads((v: tf.Tensor) => tf.sum(squarePlus(v)))([x]);
  assert.equal(await value.array(), 20);
  assert.deepEqual(Array.from(await grads[0].data()), [3, 5, 7]);
  tf.dispose([value, ...grads]);
  assert.equal(tf.memory().numTensors, before);
  // inside tf.grad's function the tape is on: the custom gradient's scope is recorded around the kernels
  const profile = await tf.profile(() => tf.grad((v: tf.Tensor) => squarePlus(v))(x));
  assert.ok(profile.kernels.length > 2);
  tf.dispose([x, profile.result as tf.Tensor]);
});
