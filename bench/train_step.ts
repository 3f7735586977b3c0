/**
 * `deno task bench train-step [--preset tiny] [--backend wasm] [--batch 16] [--steps 32]`: one training step
 * (forward + backward + Adam update, reading the loss) of a GPT-2 preset on random ids, median over `steps`
 * after 3 warm-up steps; and, when a python3 with torch is found, the same step of the repository's PyTorch
 * reference (`bench/torch_gpt2.py train-step --serve`, one thread, and its default threads) in the same run, in
 * alternating blocks of 4 steps (`paired.ts`: each ratio the median of the rounds' own). On wasm with more than one
 * core it also times copra's default, the step data-parallel over every core as `copra train` runs it
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
import { stepBlocks, versusTorch } from "./paired.ts";
import { openCopraDefault, rowsBatch } from "./pooled.ts";
import { trainRig } from "./rig.ts";
import { kernelProfile, type VersusTorch } from "./util.ts";

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

/** Steps per paired block: a block is one stretch of the machine's speed (a few hundred ms here). */
const BLOCK = 4;

/** Runs the benchmark. */
export async function benchTrainStep(options: TrainStepOptions = {}): Promise<TrainStepResult> {
  const preset = options.preset ?? "tiny";
  const backend = options.backend ?? "wasm";
  const batch = options.batch ?? 16;
  const steps = options.steps ?? 32;
  const info = await useBackend(backend);
  const rig = trainRig(preset);
  const seq = Math.min(rig.config.n_positions, 64);
  const step = async (): Promise<number> => (await rig.step(batch, seq)).ms;
  for (let i = 0; i < 3; i++) await step();
  const profile = options.profile ? await kernelProfile(async () => void await step()) : undefined;
  const gpu = backend === "webgpu"
    ? await countGpuWork(async () => void await step(), batch * (seq - 1) * rig.config.vocab_size)
    : undefined;
  // copra's default on the CPU: data-parallel over every core, as `copra train` runs (the same model, continuing).
  const rng = new Rng(1), V = rig.config.vocab_size;
  const copraDefault = backend === "wasm"
    ? await openCopraDefault(
      rig,
      () => Array.from({ length: batch }, () => Array.from({ length: seq }, () => rng.int(V))),
      (rows) => rowsBatch(rows, 1),
      3,
    )
    : undefined;
  const torchArgs = ["train-step", "--preset", preset, "--batch", String(batch), "--seq", String(seq)];
  try {
    const versus = await versusTorch({
      copra: stepBlocks(step),
      copraDefault,
      torchArgs: preset === "gpt2-medium" ? null : torchArgs,
      note: "no PyTorch preset for gpt2-medium",
      rounds: Math.ceil(steps / BLOCK),
      block: Math.min(BLOCK, steps),
      blas: info.blas?.library ?? null,
      profile,
    });
    return {
      bench: "train-step",
      preset,
      backend,
      batch,
      seq,
      ...(info.products ? { products: info.products } : {}),
      ...versus,
      ...(gpu ? { gpu } : {}),
    };
  } finally {
    rig.dispose();
  }
}
