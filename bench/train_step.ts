/**
 * `deno task bench train-step [--preset tiny] [--backend wasm] [--batch 16] [--steps 20]`: one training step
 * (forward + backward + Adam update, reading the loss) of a GPT-2 preset on random ids, median over `steps`
 * after 3 warm-up steps; and, when a python3 with torch is found, the same step of the repository's PyTorch
 * reference (`bench/torch_gpt2.py train-step`, one thread) in the same run. Default: the tiny configuration
 * of DESIGN.md §5 (V 256, T 64, C 128, H 4, L 2, B 16, Adam lr 3e-4).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import {
  AdamW,
  type BackendName,
  causalLmLoss,
  disposeParams,
  gpt2Config,
  gpt2Forward,
  initParams,
  type PresetName,
  useBackend,
  valueAndGrads,
} from "../model/mod.ts";
import { Rng } from "@copra/random";
import { type KernelProfile, kernelProfile, median, torchStepMs } from "./util.ts";

/** Options of the train-step benchmark. */
export interface TrainStepOptions {
  preset?: PresetName;
  backend?: BackendName;
  batch?: number;
  steps?: number;
  /** Also profile one more step kernel by kernel (`profile` field). */
  profile?: boolean;
}

/** The result line. */
export interface TrainStepResult {
  bench: "train-step";
  preset: string;
  backend: string;
  batch: number;
  seq: number;
  copra_ms: number;
  torch_ms: number | null;
  ratio_vs_torch: number | null;
  blas?: string | null;
  profile?: KernelProfile;
  note?: string;
}

/** Runs the benchmark. */
export async function benchTrainStep(options: TrainStepOptions = {}): Promise<TrainStepResult> {
  const preset = options.preset ?? "tiny";
  const backend = options.backend ?? "wasm";
  const batch = options.batch ?? 16;
  const steps = options.steps ?? 20;
  const config = gpt2Config(preset, { resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 });
  const seq = Math.min(config.n_positions, 64);
  const info = await useBackend(backend);
  const params = initParams(config, { seed: 0 });
  const opt = new AdamW(params, { lr: 3e-4, weightDecay: 0 });
  const rng = new Rng(0);
  const step = async (): Promise<number> => {
    const values = Int32Array.from({ length: batch * seq }, () => rng.int(config.vocab_size));
    const ids = tf.tensor2d(values, [batch, seq], "int32");
    const t0 = performance.now();
    const { value, grads } = valueAndGrads(
      params,
      () => causalLmLoss(gpt2Forward(params, config, { ids }).logits!, ids),
    );
    const { gradNorm } = opt.apply(grads);
    await value.data();
    const ms = performance.now() - t0;
    tf.dispose([ids, value, gradNorm, ...Object.values(grads)]);
    return ms;
  };
  const times: number[] = [];
  for (let i = 0; i < steps + 3; i++) {
    const ms = await step();
    if (i >= 3) times.push(ms);
  }
  const profile = options.profile ? await kernelProfile(async () => void await step()) : undefined;
  opt.dispose();
  disposeParams(params);
  const copraMs = median(times);

  const { torchMs, note } = preset === "gpt2-medium"
    ? { torchMs: null, note: "no PyTorch preset for gpt2-medium" }
    : await torchStepMs([
      "train-step",
      "--preset",
      preset,
      "--batch",
      String(batch),
      "--seq",
      String(seq),
      "--steps",
      String(steps),
    ]);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    bench: "train-step",
    preset,
    backend,
    batch,
    seq,
    copra_ms: round(copraMs),
    torch_ms: torchMs === null ? null : round(torchMs),
    ratio_vs_torch: torchMs === null ? null : Math.round((torchMs / copraMs) * 1000) / 1000,
    blas: info.blas?.library ?? null,
    ...(profile ? { profile } : {}),
    ...(note ? { note } : {}),
  };
}
