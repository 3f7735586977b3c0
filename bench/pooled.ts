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

/** copra's default step on every core, timed block by block (see {@link openCopraDefault}). */
export interface CopraDefault {
  /** Threads: shard 0 on the main thread, the others on workers. */
  threads: number;
  /** Times `n` updates. */
  run: (n: number) => Promise<number[]>;
  /** Stops the workers. */
  close: () => void;
}

/**
 * copra's default step where it is data-parallel (more than one core), ready to time after `warmup` updates: each
 * update's wall milliseconds — the shards' losses and gradients, the AdamW step, and sending the weights to the
 * workers — on fresh rows from `nextRows`, cut into shards of whole rows and made batches by `toBatch`. Undefined on
 * one core, where copra's default is the one-thread step.
 */
export async function openCopraDefault(
  model: { config: GPT2Config; params: GPT2Params; optimizer: AdamW },
  nextRows: () => number[][],
  toBatch: (rows: number[][]) => Batch,
  warmup: number,
): Promise<CopraDefault | undefined> {
  const threads = navigator.hardwareConcurrency;
  if (threads <= 1) return undefined;
  const { config, params, optimizer } = model;
  const pool = await GradientPool.start(threads, config, params, { backend: "wasm" });
  let s = 0;
  const update = async (): Promise<number> => {
    const shards = shardsOf(nextRows(), pool.threads).map(toBatch);
    const t0 = performance.now();
    const { grads } = await pool.step(params, shards, s++);
    const { gradNorm } = optimizer.apply(grads);
    await gradNorm.data();
    tf.dispose([gradNorm, ...Object.values(grads)]);
    await pool.sync(params);
    return performance.now() - t0;
  };
  try {
    for (let i = 0; i < warmup; i++) await update();
  } catch (error) {
    pool.close();
    throw error;
  }
  return {
    threads,
    run: async (n) => {
      const times: number[] = [];
      for (let i = 0; i < n; i++) times.push(await update());
      return times;
    },
    close: () => pool.close(),
  };
}
