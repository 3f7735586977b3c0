// deno-lint-ignore-file no-console
/**
 * Where a WebGPU training step spends its time: forward only, forward + loss, the gradient, and the AdamW
 * update, each timed separately (median of a few runs, with a read-back to wait for the GPU).
 *
 *   deno run -A --unstable-webgpu phases_gpu.bundle.js [preset] [batch] [seq]
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import {
  AdamW,
  causalLmLoss,
  gpt2Config,
  gpt2Forward,
  initParams,
  type PresetName,
  useBackend,
  valueAndGrads,
} from "../../model/mod.ts";

const [preset = "gpt2", batchText = "8", seqText = "256"] = Deno.args;
const batch = Number(batchText), seq = Number(seqText);
await useBackend("webgpu");
const config = gpt2Config(preset as PresetName, { resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 });
const params = initParams(config, { seed: 0 });
const ids = tf.randomUniformInt([batch, seq], 0, config.vocab_size, 1) as tf.Tensor2D;
const opt = new AdamW(params, { lr: 3e-4, weightDecay: 0 });
async function time(name: string, f: () => tf.Tensor | tf.Tensor[], n = 3) {
  const times: number[] = [];
  for (let i = 0; i < n + 1; i++) {
    const t0 = performance.now();
    const out = f();
    const list = Array.isArray(out) ? out : [out];
    await list[0].data();
    if (i > 0) times.push(performance.now() - t0);
    tf.dispose(list);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ phase: name, ms: Math.round(times[times.length >> 1]) }));
}
await time("forward hidden only", () => {
  const o = gpt2Forward(params, config, { ids, logits: "none" });
  return [o.hidden, ...o.cache.flatMap((c) => [c.k, c.v])];
});
await time("forward + logits", () => {
  const o = gpt2Forward(params, config, { ids });
  return [o.logits!, o.hidden, ...o.cache.flatMap((c) => [c.k, c.v])];
});
await time("forward + loss", () => tf.tidy(() => causalLmLoss(gpt2Forward(params, config, { ids }).logits!, ids)));
await time("loss + gradients", () => {
  const { value, grads } = valueAndGrads(params, () => causalLmLoss(gpt2Forward(params, config, { ids }).logits!, ids));
  return [value, ...Object.values(grads)];
}, 2);
await time("matmul 2048x768 @ 768x50257", () => tf.tidy(() => tf.matMul(tf.ones([2048, 768]), tf.ones([768, 50257]))));
await time("transpose 50257x768", () => tf.tidy(() => tf.transpose(params["wte.weight"])));
await time("adamw apply (zero grads)", () => {
  const grads = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, tf.zerosLike(v)]));
  const r = opt.apply(grads);
  tf.dispose(Object.values(grads));
  return [r.gradNorm];
});
