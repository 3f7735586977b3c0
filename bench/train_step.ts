/**
 * `deno task bench train-step [--preset tiny] [--backend wasm] [--batch 16] [--steps 20]`: one training step
 * (forward + backward + Adam update, reading the loss) of a GPT-2 preset on random ids, median over `steps`
 * after 3 warm-up steps; and, when a python3 with torch is found, the same step of the repository's PyTorch
 * reference (`bench/torch_gpt2.py train-step`, one thread, then its default threads) in the same run. On wasm with
 * more than one core it also times copra's default, the step data-parallel over every core as `copra train` runs it
 * (`copra_default_ms`, compared with PyTorch's default). Default: the tiny configuration
 * of DESIGN.md §5 (V 256, T 64, C 128, H 4, L 2, B 16, Adam lr 3e-4). With `--backend webgpu` the line also
 * has `gpu`: what one more step asked of the GPU (dispatches, pipelines compiled after warm-up, bytes read back and
 * uploaded, programs with an output of B·(T−1)·V entries or more — the logits that have a label; see `gpu_counts.ts`). On wasm it has `products`, where
 * the matrix products ran (see `ProductsPath`).
 *
 * @module
 */

import { type BackendName, type PresetName, useBackend } from "@copra/model";
import { Rng } from "@copra/random";
import { countGpuWork, type GpuCounts } from "./gpu_counts.ts";
import { copraDefaultStep, rowsBatch } from "./pooled.ts";
import { trainRig } from "./rig.ts";
import { kernelProfile, median, torchStepMs, type VersusTorch, versusTorch } from "./util.ts";

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
export interface TrainStepResult extends VersusTorch {
  bench: "train-step";
  preset: string;
  backend: string;
  batch: number;
  seq: number;
  /** wasm: where the matrix products ran. */
  products?: string;
  /** webgpu: what one step asked of the GPU. */
  gpu?: GpuCounts;
}

/** Runs the benchmark. */
export async function benchTrainStep(options: TrainStepOptions = {}): Promise<TrainStepResult> {
  const preset = options.preset ?? "tiny";
  const backend = options.backend ?? "wasm";
  const batch = options.batch ?? 16;
  const steps = options.steps ?? 20;
  const info = await useBackend(backend);
  const rig = trainRig(preset);
  const seq = Math.min(rig.config.n_positions, 64);
  const step = async (): Promise<number> => (await rig.step(batch, seq)).ms;
  const times: number[] = [];
  for (let i = 0; i < steps + 3; i++) {
    const ms = await step();
    if (i >= 3) times.push(ms);
  }
  const profile = options.profile ? await kernelProfile(async () => void await step()) : undefined;
  const gpu = backend === "webgpu"
    ? await countGpuWork(async () => void await step(), batch * (seq - 1) * rig.config.vocab_size)
    : undefined;
  // copra's default on the CPU: data-parallel over every core, as `copra train` runs (the same model, continuing).
  const rng = new Rng(1), V = rig.config.vocab_size;
  const copraDefault = backend === "wasm"
    ? await copraDefaultStep(
      rig,
      () => Array.from({ length: batch }, () => Array.from({ length: seq }, () => rng.int(V))),
      (rows) => rowsBatch(rows, 1),
      { steps, warmup: 3 },
    )
    : undefined;
  rig.dispose();
  const copraMs = median(times);

  const torchArgs = [
    "train-step",
    "--preset",
    preset,
    "--batch",
    String(batch),
    "--seq",
    String(seq),
    "--steps",
    String(steps),
  ];
  const none = { torchMs: null, note: "no PyTorch preset for gpt2-medium" };
  const torch = preset === "gpt2-medium" ? none : await torchStepMs(torchArgs, 1);
  const torchDefault = preset === "gpt2-medium" ? none : await torchStepMs(torchArgs, "default");
  return {
    bench: "train-step",
    preset,
    backend,
    batch,
    seq,
    ...(info.products ? { products: info.products } : {}),
    ...versusTorch(copraMs, torch, torchDefault, info.blas?.library ?? null, profile, copraDefault),
    ...(gpu ? { gpu } : {}),
  };
}
