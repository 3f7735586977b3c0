/**
 * `deno task bench coconut-step`: one Coconut training step at a ProsQA-sized configuration — `micro` GPT-2
 * (4 layers × 128), vocabulary 256, batch 8, 280 positions with 6 thoughts near the end (question, `<bot>`,
 * thoughts, `<eot>`, a short answer), so 7 sequential passes through the KV cache, then backward and Adam —
 * against the same step of the PyTorch reference (`bench/torch_gpt2.py coconut-step --serve`, one thread) in the same
 * run, and PyTorch's default threads against copra's default (data-parallel over every core, `copra_default_ms`),
 * step by step in turn (`paired.ts`: `steps` rounds, each ratio the median of the rounds' own). Prints one JSON line
 * `{"bench":"coconut-step",…,"copra_ms":…,"torch_ms":…,"ratio_vs_torch":…}`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { latentForward } from "@copra/infer";
import { AdamW, causalLmLoss, disposeParams, gpt2Config, initParams, useBackend, valueAndGrads } from "@copra/model";
import { Rng } from "@copra/random";
import { stepBlocks, versusTorch } from "./paired.ts";
import { openCopraDefault, rowsBatch } from "./pooled.ts";
import { kernelProfile, type VersusTorch } from "./util.ts";

/** The result line. */
export interface CoconutStepResult extends VersusTorch {
  bench: "coconut-step";
  batch: number;
  seq: number;
  thoughts: number;
}

/** Runs the benchmark. */
export async function benchCoconutStep(
  options: { steps?: number; profile?: boolean } = {},
): Promise<CoconutStepResult> {
  const steps = options.steps ?? 8, batch = 8, seq = 280, thoughts = 6, vocab = 256;
  const info = await useBackend("wasm");
  const config = gpt2Config("micro", { vocab_size: vocab, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 });
  const params = initParams(config, { seed: 0 });
  const opt = new AdamW(params, { lr: 3e-4, weightDecay: 0 });
  const rng = new Rng(0);
  const first = seq - thoughts - 12;
  const slots = Array.from({ length: thoughts }, (_, i) => first + i);
  const step = async (): Promise<number> => {
    const values = Int32Array.from({ length: batch * seq }, () => rng.int(vocab));
    const ids = tf.tensor2d(values, [batch, seq], "int32");
    const labels = tf.tensor2d(values.map((v, j) => (j % seq <= first + thoughts ? -100 : v)), [batch, seq], "int32");
    const attentionMask = tf.ones([batch, seq], "int32") as tf.Tensor2D;
    const positionIds = tf.tensor2d(Array.from({ length: batch }, () => [...Array(seq).keys()]), [batch, seq], "int32");
    const t0 = performance.now();
    const { value, grads } = valueAndGrads(
      params,
      () =>
        causalLmLoss(
          latentForward(params, config, {
            ids,
            attentionMask,
            positionIds,
            latentPositions: new Array(batch).fill(slots),
          }).logits,
          labels,
        ),
    );
    const { gradNorm } = opt.apply(grads);
    await value.data();
    const ms = performance.now() - t0;
    tf.dispose([ids, labels, attentionMask, positionIds, value, gradNorm, ...Object.values(grads)]);
    return ms;
  };
  for (let i = 0; i < 2; i++) await step();
  const profile = options.profile ? await kernelProfile(async () => void await step()) : undefined;
  // copra's default: data-parallel over every core, as `copra train` runs (the same model, continuing).
  const copraDefault = await openCopraDefault(
    { config, params, optimizer: opt },
    () => Array.from({ length: batch }, () => Array.from({ length: seq }, () => rng.int(vocab))),
    (rows) => rowsBatch(rows, first + thoughts + 1, slots),
    2,
  );
  const torchArgs = [
    "coconut-step",
    "--batch",
    String(batch),
    "--seq",
    String(seq),
    "--thoughts",
    String(thoughts),
    "--vocab",
    String(vocab),
  ];
  try {
    const versus = await versusTorch({
      copra: stepBlocks(step),
      copraDefault,
      torchArgs,
      rounds: steps,
      block: 1,
      blas: info.blas?.library ?? null,
      profile,
    });
    return { bench: "coconut-step", batch, seq, thoughts, ...versus };
  } finally {
    opt.dispose();
    disposeParams(params);
  }
}
