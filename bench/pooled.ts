/**
 * A training step as `copra train` runs it by default: data-parallel over every core (`GradientPool`: the batch cut
 * into one shard per thread, shard 0 on the main thread, gradients summed in shard order, AdamW on the main thread,
 * the new weights sent to the workers). The step benchmarks time it next to their one-thread step, so that copra's
 * default is compared with PyTorch's default.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Batch } from "@copra/curriculum";
import type { AdamW, GPT2Config, GPT2Params } from "@copra/model";
import { GradientPool, shardsOf } from "@copra/train";
import { median } from "./util.ts";

/**
 * Rows of token ids as a batch: every position attended, positions 0…T−1, labels from column `firstLabel` on
 * (−100 before), and the same thought columns `latent` in every row.
 */
export function rowsBatch(ids: number[][], firstLabel: number, latent: number[] = []): Batch {
  return {
    ids,
    labels: ids.map((r) => r.map((v, t) => (t < firstLabel ? -100 : v))),
    attentionMask: ids.map((r) => r.map(() => 1)),
    positionIds: ids.map((r) => r.map((_, t) => t)),
    latentPositions: ids.map(() => latent),
  };
}

/**
 * copra's default step where it is data-parallel (more than one core): the median wall milliseconds of `steps`
 * updates on every core (after `warmup` ones) — the shards' losses and gradients, the AdamW step, and sending the
 * weights to the workers — each on fresh rows from `nextRows`, cut into shards of whole rows and made batches by
 * `toBatch`. Undefined on one core, where copra's default is the one-thread step.
 */
export async function copraDefaultStep(
  model: { config: GPT2Config; params: GPT2Params; optimizer: AdamW },
  nextRows: () => number[][],
  toBatch: (rows: number[][]) => Batch,
  options: { steps: number; warmup: number },
): Promise<{ ms: number; threads: number } | undefined> {
  const threads = navigator.hardwareConcurrency;
  if (threads <= 1) return undefined;
  const { config, params, optimizer } = model;
  const pool = await GradientPool.start(threads, config, params, { backend: "wasm" });
  const times: number[] = [];
  try {
    for (let s = 0; s < options.steps + options.warmup; s++) {
      const shards = shardsOf(nextRows(), pool.threads).map(toBatch);
      const t0 = performance.now();
      const { grads } = await pool.step(params, shards, s);
      const { gradNorm } = optimizer.apply(grads);
      await gradNorm.data();
      tf.dispose([gradNorm, ...Object.values(grads)]);
      await pool.sync(params);
      if (s >= options.warmup) times.push(performance.now() - t0);
    }
  } finally {
    pool.close();
  }
  return { ms: median(times), threads };
}
