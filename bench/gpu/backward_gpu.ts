/**
 * Where the WebGPU backward pass of GPT-2 spends its time: the cross-entropy gradient alone (logits held
 * constant), the LM head's two gradient products, the embedding-lookup gradient, and the transformer blocks'
 * backward (hidden states' gradient given). Each phase is timed with a read-back, median of 3.
 *
 *   deno run -A --unstable-webgpu backward_gpu.bundle.js [preset] [batch] [seq]
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { causalLmLoss, gpt2Config, gpt2Forward, initParams, type PresetName, useBackend } from "@copra/model";
import { timePhase } from "../rig.ts";

const [preset = "gpt2", batchText = "8", seqText = "256"] = Deno.args;
const B = Number(batchText), T = Number(seqText);
await useBackend("webgpu");
const config = gpt2Config(preset as PresetName, { resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 });
const params = initParams(config, { seed: 0 });
const V = config.vocab_size, C = config.n_embd;
const ids = tf.randomUniformInt([B, T], 0, V, 1) as tf.Tensor2D;
const logits = tf.randomNormal([B, T, V]) as tf.Tensor3D;
const hidden = tf.randomNormal([B * T, C]);
const dLogits = tf.randomNormal([B * T, V]);
await timePhase("cross-entropy forward (logits given)", () => causalLmLoss(logits, ids));
await timePhase(
  "cross-entropy gradient wrt logits",
  () => tf.grad((l: tf.Tensor) => causalLmLoss(l as tf.Tensor3D, ids))(logits),
);
await timePhase("LM head dW = dLᵀ·h (V×BT · BT×C)", () => tf.matMul(dLogits, hidden, true, false));
await timePhase("LM head dh = dL·W (BT×V · V×C)", () => tf.matMul(dLogits, params["wte.weight"]));
await timePhase("LM head forward h·Wᵀ", () => tf.matMul(hidden, params["wte.weight"], false, true));
await timePhase(
  "embedding gradient (gather grad)",
  () => tf.grad((w: tf.Tensor) => tf.sum(tf.gather(w, tf.reshape(ids, [-1]))))(params["wte.weight"]),
);
await timePhase("blocks backward (dhidden given)", () => {
  const dh = tf.randomNormal([B, T, C]);
  const g = tf.grads((x: tf.Tensor) =>
    tf.sum(tf.mul(gpt2Forward(params, config, { embeds: x as tf.Tensor3D, logits: "none" }).hidden, dh))
  )([tf.randomNormal([B, T, C])]);
  return g;
}, 2);
