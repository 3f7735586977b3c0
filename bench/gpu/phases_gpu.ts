/**
 * Where a WebGPU training step spends its time: forward only, forward + loss, the gradient, and the AdamW
 * update, each timed separately (median of a few runs, with a read-back to wait for the GPU).
 *
 *   deno run -A --unstable-webgpu phases_gpu.bundle.js [preset] [batch] [seq]
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { causalLmLoss, gpt2Forward, type PresetName, useBackend, valueAndGrads } from "@copra/model";
import { timePhase, trainRig } from "../rig.ts";

const [preset = "gpt2", batchText = "8", seqText = "256"] = Deno.args;
const batch = Number(batchText), seq = Number(seqText);
await useBackend("webgpu");
const { config, params, optimizer: opt } = trainRig(preset as PresetName);
const ids = tf.randomUniformInt([batch, seq], 0, config.vocab_size, 1) as tf.Tensor2D;
await timePhase("forward hidden only", () => {
  const o = gpt2Forward(params, config, { ids, logits: "none" });
  return [o.hidden, ...o.cache.flatMap((c) => [c.k, c.v])];
});
await timePhase("forward + logits", () => {
  const o = gpt2Forward(params, config, { ids });
  return [o.logits!, o.hidden, ...o.cache.flatMap((c) => [c.k, c.v])];
});
await timePhase("forward + loss", () => tf.tidy(() => causalLmLoss(gpt2Forward(params, config, { ids }).logits!, ids)));
await timePhase("loss + gradients", () => {
  const { value, grads } = valueAndGrads(params, () => causalLmLoss(gpt2Forward(params, config, { ids }).logits!, ids));
  return [value, ...Object.values(grads)];
}, 2);
await timePhase(
  "matmul 2048x768 @ 768x50257",
  () => tf.tidy(() => tf.matMul(tf.ones([2048, 768]), tf.ones([768, 50257]))),
);
await timePhase("transpose 50257x768", () => tf.tidy(() => tf.transpose(params["wte.weight"])));
await timePhase("adamw apply (zero grads)", () => {
  const grads = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, tf.zerosLike(v)]));
  const r = opt.apply(grads);
  tf.dispose(Object.values(grads));
  return [r.gradNorm];
});
