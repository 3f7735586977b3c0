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
import { GradientPool } from "@copra/train";
import { median } from "./util.ts";

/** `batch`'s rows cut into `n` contiguous shards as even as possible (the first ones one longer). */
export function shardRows(batch: Batch, n: number): Batch[] {
  const rows = batch.ids.length, per = Math.floor(rows / n), extra = rows % n;
  const shards: Batch[] = [];
  let at = 0;
  for (let s = 0; s < n && at < rows; s++) {
    const end = at + per + (s < extra ? 1 : 0);
    const cut = <T>(xs: readonly T[]) => xs.slice(at, end);
    shards.push({
      ids: cut(batch.ids),
      labels: cut(batch.labels),
      attentionMask: cut(batch.attentionMask),
      positionIds: cut(batch.positionIds),
      latentPositions: cut(batch.latentPositions),
    });
    at = end;
  }
  return shards;
}

/**
 * The median wall milliseconds of `steps` data-parallel updates on `threads` threads (after `warmup` ones): the
 * shards' losses and gradients, the AdamW step, and sending the weights to the workers. Each update takes a fresh
 * batch from `nextBatch`.
 */
export async function pooledStepMs(
  config: GPT2Config,
  params: GPT2Params,
  optimizer: AdamW,
  nextBatch: () => Batch,
  options: { threads: number; steps: number; warmup: number },
): Promise<number> {
  const pool = await GradientPool.start(options.threads, config, params, { backend: "wasm" });
  const times: number[] = [];
  try {
    for (let s = 0; s < options.steps + options.warmup; s++) {
      const shards = shardRows(nextBatch(), pool.threads);
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
  return median(times);
}
