/**
 * Autodiff over a parameter record: the loss and its gradient for every parameter, by name.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { GPT2Params } from "./params.ts";
import type { Scalar, Tensor } from "./tensors.ts";

/**
 * The value of `loss()` and its gradient for every parameter, keyed by parameter name. Dispose both when done.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { valueAndGrads } from "@copra/model";
 * const params = { w: tf.variable(tf.tensor1d([2])) };
 * const { value, grads } = valueAndGrads(params, () => tf.sum(tf.square(params.w)));
 * assert.equal((await value.data())[0], 4);
 * assert.equal((await grads.w.data())[0], 4);
 * ```
 */
export function valueAndGrads(
  params: GPT2Params,
  loss: () => Scalar,
): { value: Scalar; grads: Record<string, Tensor> } {
  const entries = Object.entries(params);
  const { value, grads } = tf.variableGrads(loss, entries.map(([, v]) => v));
  const byName: Record<string, Tensor> = {};
  for (const [name, v] of entries) if (grads[v.name]) byName[name] = grads[v.name];
  return { value, grads: byName };
}
