/**
 * Test helper: a written-out gradient against TensorFlow.js's own autodiff of the plain formula.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { maxAbsDiff } from "./fixtures.ts";

/** Values and input gradients of `f` (summed against a fixed random weight, so every output counts). */
async function valueAndInputGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[]) {
  const out = f(...inputs);
  const weight = tf.randomNormal(out.shape, 0, 1, "float32", 7);
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), weight)))(inputs);
  const result = { value: await out.data(), grads: await Promise.all(grads.map((g) => g.data())) };
  tf.dispose([out, weight, ...grads]);
  return result;
}

/** Asserts equal values and input gradients (within `tol`) of `ours` and `plain` on `inputs`. */
export async function same(
  ours: (...xs: tf.Tensor[]) => tf.Tensor,
  plain: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  tol: number,
): Promise<void> {
  const a = await valueAndInputGrads(ours, inputs), b = await valueAndInputGrads(plain, inputs);
  assert.ok(maxAbsDiff(a.value, b.value) <= tol, `value |Δ| ${maxAbsDiff(a.value, b.value)}`);
  a.grads.forEach((g, i) => assert.ok(maxAbsDiff(g, b.grads[i]) <= tol, `grad ${i} |Δ| ${maxAbsDiff(g, b.grads[i])}`));
}
