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

import { type PresetName, useBackend } from "@copra/model";
import { trainRig } from "../rig.ts";

const [preset = "gpt2", batchText = "8", seqText = "256", stepsText = "5"] = Deno.args;
const batch = Number(batchText), seq = Number(seqText), steps = Number(stepsText);
const info = await useBackend("webgpu");
const rig = trainRig(preset as PresetName);
const times: number[] = [];
let loss = NaN;
for (let i = 0; i < steps + 2; i++) {
  const result = await rig.step(batch, seq);
  loss = result.loss;
  if (i >= 2) times.push(result.ms);
}
times.sort((a, b) => a - b);
rig.dispose();
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
