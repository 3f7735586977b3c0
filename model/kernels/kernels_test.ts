/**
 * Each written-out gradient against TensorFlow.js's own autodiff of the plain formula, on cpu and wasm: values and
 * the gradient of every input, on random inputs.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { attention, geluNew, layerNorm, useBackend } from "../mod.ts";
import { maxAbsDiff } from "../testdata/fixtures.ts";

/** Values and input gradients of `f` (summed against a fixed random weight, so every output counts). */
async function valueAndInputGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]) {
  const out = f(...inputs);
  const weight = tf.randomNormal(out.shape, 0, 1, "float32", 7);
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), weight)))(inputs);
  const result = { value: await out.data(), grads: await Promise.all(grads.map((g) => g.data())) };
  tf.dispose([out, weight, ...grads]);
  return result;
}

async function same(
  ours: (...xs: tf.Tensor[]) => tf.Tensor,
  plain: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  tol: number,
) {
  const a = await valueAndInputGrads(ours, inputs), b = await valueAndInputGrads(plain, inputs);
  assert.ok(maxAbsDiff(a.value, b.value) <= tol, `value |Δ| ${maxAbsDiff(a.value, b.value)}`);
  a.grads.forEach((g, i) => assert.ok(maxAbsDiff(g, b.grads[i]) <= tol, `grad ${i} |Δ| ${maxAbsDiff(g, b.grads[i])}`));
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`${backend}: attention (with mask and dropout multiplier) equals autodiff of softmax(q·kᵀ·s + bias)·v`, async () => {
    await useBackend(backend);
    const [B, H, T, K, D] = [2, 2, 3, 5, 4];
    const q = tf.randomNormal([B, H, T, D], 0, 1, "float32", 1);
    const k = tf.randomNormal([B, H, K, D], 0, 1, "float32", 2);
    const v = tf.randomNormal([B, H, K, D], 0, 1, "float32", 3);
    const bias = tf.mul(
      tf.sub(tf.cast(tf.greater(tf.randomUniform([B, 1, T, K], 0, 1, "float32", 4), 0.3), "float32"), 1),
      1e9,
    );
    const keep = tf.mul(tf.cast(tf.greater(tf.randomUniform([B, H, T, K], 0, 1, "float32", 5), 0.2), "float32"), 1.25);
    const plain = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.matMul(tf.mul(tf.softmax(tf.add(tf.mul(tf.matMul(a, b, false, true), 0.5), bias), -1), keep), c);
    await same((a, b, c) => attention(a, b, c, bias, 0.5, keep), plain, [q, k, v], 1e-5);
    tf.dispose([q, k, v, bias, keep]);
  });

  Deno.test(`${backend}: layerNorm equals autodiff of (x − mean)/√(var + ε)·w + b`, async () => {
    await useBackend(backend);
    const x = tf.randomNormal([2, 3, 8], 1, 2, "float32", 1);
    const w = tf.randomNormal([8], 1, 0.3, "float32", 2), b = tf.randomNormal([8], 0, 0.3, "float32", 3);
    const plain = (a: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
      const { mean, variance } = tf.moments(a, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, 1e-5))), ww), bb);
    };
    await same((a, ww, bb) => layerNorm(a, ww, bb, 1e-5), plain, [x, w, b], 1e-4);
    tf.dispose([x, w, b]);
  });

  Deno.test(`${backend}: geluNew equals autodiff of 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`, async () => {
    await useBackend(backend);
    const x = tf.randomNormal([4, 16], 0, 2, "float32", 1);
    const plain = (a: tf.Tensor) =>
      tf.mul(
        tf.mul(a, 0.5),
        tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(a, tf.mul(0.044715, tf.pow(a, 3)))))),
      );
    await same(geluNew, plain, [x], 1e-5);
    x.dispose();
  });
}
