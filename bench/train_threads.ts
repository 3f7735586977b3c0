/**
 * `deno task bench train-threads`: a training update of the `nano` model (batch 16 × 96 tokens, no thoughts) on one
 * thread against the same update on every core (`GradientPool`: one shard per thread, gradients summed in order, the
 * weights sent back to the workers after the AdamW step). Medians over `steps` updates after 2 warm-up ones. Prints
 * `{"bench":"train-threads","threads":…,"one_thread_ms":…,"threads_ms":…,"speedup":…}`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { AdamW, disposeParams, gpt2Config, initParams, useBackend, valueAndGrads } from "@copra/model";
import { Rng } from "@copra/random";
import { batchTensors, GradientPool, shardLoss, shardsOf } from "@copra/train";
import { rowsBatch } from "./pooled.ts";
import { median } from "./util.ts";

/** The result line. */
export interface TrainThreadsResult {
  bench: "train-threads";
  threads: number;
  one_thread_ms: number;
  threads_ms: number;
  speedup: number;
}

/** Runs the benchmark. */
export async function benchTrainThreads(
  options: { steps?: number; threads?: number } = {},
): Promise<TrainThreadsResult> {
  await useBackend("wasm");
  const steps = options.steps ?? 8;
  const threads = options.threads ?? navigator.hardwareConcurrency;
  const config = gpt2Config("nano", {
    vocab_size: 128,
    n_positions: 128,
    position_embedding_type: "rotary",
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
  });
  const rng = new Rng(0);
  const rows = Array.from({ length: 16 }, () => Array.from({ length: 96 }, () => Math.floor(rng.next() * 128)));
  const params = initParams(config, { seed: 0 });
  const optimizer = new AdamW(params, { lr: 1e-4, weightDecay: 0.01, clipNorm: 1 });
  const update = async (grads: Record<string, tf.Tensor>) => {
    const { gradNorm } = optimizer.apply(grads);
    await gradNorm.data();
    tf.dispose([gradNorm, ...Object.values(grads)]);
  };
  const one: number[] = [];
  const whole = rowsBatch(rows, 1);
  for (let s = 0; s < steps + 2; s++) {
    const t0 = performance.now();
    const tensors = batchTensors(whole);
    const { value, grads } = valueAndGrads(
      params,
      () => shardLoss(params, config, whole, tensors, { lm: 1, stop: 1 }, 0, s),
    );
    await value.data();
    tf.dispose([value, ...Object.values(tensors).filter((t) => t instanceof tf.Tensor)]);
    await update(grads);
    if (s >= 2) one.push(performance.now() - t0);
  }
  const pool = await GradientPool.start(threads, config, params, { backend: "wasm" });
  const many: number[] = [];
  try {
    const shards = shardsOf(rows, threads).map((r) => rowsBatch(r, 1));
    for (let s = 0; s < steps + 2; s++) {
      const t0 = performance.now();
      const { grads } = await pool.step(params, shards, s);
      await update(grads);
      await pool.sync(params);
      if (s >= 2) many.push(performance.now() - t0);
    }
  } finally {
    pool.close();
    optimizer.dispose();
    disposeParams(params);
  }
  const a = median(one), b = median(many);
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    bench: "train-threads",
    threads,
    one_thread_ms: r(a),
    threads_ms: r(b),
    speedup: Math.round((a / b) * 100) / 100,
  };
}
