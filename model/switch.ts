/**
 * The learned switch: a logistic head on a continuous thought (the hidden state fed back as the next input) that
 * says whether that thought is the last one — stop thinking and answer, or think on. The Coconut paper mentions
 * such a "binary classifier on latent thoughts" without releasing one.
 *
 * Its two tensors sit beside GPT-2's in `model.safetensors` under names Hugging Face loaders do not know (and
 * so skip): `coconut_switch.weight` (C) and `coconut_switch.bias` (1). P(stop | h) = σ(h·w + b).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { GPT2Config } from "./config.ts";
import type { GPT2Params } from "./params.ts";
import type { Scalar, Tensor2D, Tensor3D } from "./tensors.ts";
import { ModelError } from "./errors.ts";

/**
 * The switch's tensor names.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SWITCH_NAMES } from "@copra/model";
 * assert.equal(SWITCH_NAMES.weight, "coconut_switch.weight");
 * ```
 */
export const SWITCH_NAMES: { readonly weight: "coconut_switch.weight"; readonly bias: "coconut_switch.bias" } = {
  weight: "coconut_switch.weight",
  bias: "coconut_switch.bias",
};

/**
 * The switch's tensor shapes for a configuration: weight (C), bias (1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gpt2Config, switchShapes } from "@copra/model";
 * assert.deepEqual(switchShapes(gpt2Config("nano", { vocab_size: 9 })), {
 *   "coconut_switch.weight": [48],
 *   "coconut_switch.bias": [1],
 * });
 * ```
 */
export function switchShapes(config: GPT2Config): Record<string, number[]> {
  return { [SWITCH_NAMES.weight]: [config.n_embd], [SWITCH_NAMES.bias]: [1] };
}

/**
 * Whether a parameter record carries a switch (both tensors).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { disposeParams, gpt2Config, hasSwitch, initParams, initSwitch } from "@copra/model";
 * const config = gpt2Config("nano", { vocab_size: 9 });
 * const params = initParams(config);
 * assert.equal(hasSwitch(params), false);
 * Object.assign(params, initSwitch(config));
 * assert.equal(hasSwitch(params), true);
 * disposeParams(params);
 * ```
 */
export function hasSwitch(params: GPT2Params): boolean {
  return SWITCH_NAMES.weight in params && SWITCH_NAMES.bias in params;
}

/**
 * A fresh switch: weight 0, bias 0 (P(stop) = ½ for every thought until it learns).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gpt2Config, initSwitch } from "@copra/model";
 * const head = initSwitch(gpt2Config("nano", { vocab_size: 9 }));
 * assert.deepEqual(Array.from(await head["coconut_switch.bias"].data()), [0]);
 * ```
 */
export function initSwitch(config: GPT2Config): GPT2Params {
  const head: GPT2Params = {};
  for (const [name, shape] of Object.entries(switchShapes(config))) {
    head[name] = tf.tidy(() => tf.variable(tf.zeros(shape), true));
  }
  return head;
}

/**
 * The switch's logits for thoughts (B,n,C) → (B,n): h·w + b. Throws a {@link ModelError} when the parameters
 * have no switch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { gpt2Config, initParams, initSwitch, switchLogits } from "@copra/model";
 * const config = gpt2Config("nano", { vocab_size: 9 });
 * const params = { ...initParams(config), ...initSwitch(config) };
 * params["coconut_switch.bias"].assign(tf.tensor1d([2]));
 * const logits = switchLogits(params, tf.ones([1, 3, 48]) as tf.Tensor3D);
 * assert.deepEqual(Array.from(await logits.data()), [2, 2, 2]);
 * ```
 */
export function switchLogits(params: GPT2Params, thoughts: Tensor3D): Tensor2D {
  if (!hasSwitch(params)) {
    throw new ModelError({
      source: "argument",
      field: "params",
      value: null,
      problem: `has no switch (${SWITCH_NAMES.weight}, ${SWITCH_NAMES.bias})`,
      hint: "train with the switch on (copra train --switch), or give a number of thoughts instead",
    });
  }
  return tf.tidy(() => {
    const [B, n, C] = thoughts.shape;
    const w = tf.reshape(params[SWITCH_NAMES.weight], [C, 1]);
    const z = tf.matMul(tf.reshape(thoughts, [B * n, C]), w); // (B·n,1)
    return tf.reshape(tf.add(z, params[SWITCH_NAMES.bias]), [B, n]) as Tensor2D;
  });
}

/**
 * Mean binary cross-entropy of switch logits (B,n) against 0/1 labels, over the entries whose label is 0 or 1
 * (-100 elsewhere: rows with fewer thoughts). Computed stably as max(z,0) − z·y + log(1 + e^(−|z|)); 0 when no
 * entry counts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { switchLoss } from "@copra/model";
 * const loss = await switchLoss(tf.tensor2d([[0, 2]]), [[1, -100]]).data();
 * assert.ok(Math.abs(loss[0] - Math.log(2)) < 1e-6); // σ(0) = ½ for label 1; the second entry does not count
 * ```
 */
export function switchLoss(logits: Tensor2D, labels: readonly (readonly number[])[]): Scalar {
  return tf.tidy(() => {
    const [B, n] = logits.shape;
    const y = labels.map((row) => Array.from({ length: n }, (_, i): number => (row[i] === 1 ? 1 : 0)));
    const m = labels.map((row) => Array.from({ length: n }, (_, i): number => (row[i] === 0 || row[i] === 1 ? 1 : 0)));
    const count = m.flat().reduce((a, b) => a + b, 0);
    if (count === 0) return tf.mul(tf.sum(logits), 0) as Scalar;
    const yt = tf.tensor2d(y, [B, n]), mt = tf.tensor2d(m, [B, n]);
    const z = logits;
    const each = tf.add(tf.sub(tf.relu(z), tf.mul(z, yt)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
    return tf.div(tf.sum(tf.mul(each, mt)), count) as Scalar;
  });
}
