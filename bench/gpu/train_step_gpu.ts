// deno-lint-ignore-file no-console
/**
 * GPU train-step for a machine with an NVIDIA GPU and no network: one GPT-2 training step (forward, backward,
 * Adam) at a preset, on Deno's WebGPU (tfjs-backend-webgpu over Vulkan), median over a few steps. It is bundled
 * into one file by `bench/gpu/build.sh` and run by `bench/gpu/run.sh` beside the PyTorch CUDA reference.
 *
 *   deno run -A --unstable-webgpu train_step_gpu.bundle.js [preset] [batch] [seq] [steps]
 *
 * Prints one JSON line: {"bench":"train-step-gpu","backend":"webgpu",...,"copra_ms":…}.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import {
  AdamW,
  causalLmLoss,
  disposeParams,
  gpt2Config,
  gpt2Forward,
  initParams,
  type PresetName,
  useBackend,
  valueAndGrads,
} from "../../model/mod.ts";
import { Rng } from "../../random/mod.ts";

const [preset = "gpt2", batchText = "8", seqText = "256", stepsText = "5"] = Deno.args;
const batch = Number(batchText), seq = Number(seqText), steps = Number(stepsText);
const info = await useBackend("webgpu");
const config = gpt2Config(preset as PresetName, { resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 });
const params = initParams(config, { seed: 0 });
const opt = new AdamW(params, { lr: 3e-4, weightDecay: 0 });
const rng = new Rng(0);
const times: number[] = [];
let loss = NaN;
for (let i = 0; i < steps + 2; i++) {
  const ids = tf.tensor2d(
    Int32Array.from({ length: batch * seq }, () => rng.int(config.vocab_size)),
    [batch, seq],
    "int32",
  );
  const t0 = performance.now();
  const { value, grads } = valueAndGrads(params, () => causalLmLoss(gpt2Forward(params, config, { ids }).logits!, ids));
  const { gradNorm } = opt.apply(grads);
  loss = (await value.data())[0];
  if (i >= 2) times.push(performance.now() - t0);
  tf.dispose([ids, value, gradNorm, ...Object.values(grads)]);
}
times.sort((a, b) => a - b);
opt.dispose();
disposeParams(params);
console.log(JSON.stringify({
  bench: "train-step-gpu",
  backend: "webgpu",
  adapter: info.adapter,
  preset,
  batch,
  seq,
  copra_ms: Math.round(times[times.length >> 1] * 10) / 10,
  loss,
}));
