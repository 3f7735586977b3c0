/**
 * The setup every training benchmark shares (DESIGN.md §5): a GPT-2 at a preset without dropout, seeded weights,
 * Adam (lr 3e-4, no weight decay), random ids, and one timed step (forward, loss, backward, update). Used by
 * `train_step.ts` on the CPU and by the scripts under `gpu/`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import {
  AdamW,
  causalLmLoss,
  disposeParams,
  type GPT2Config,
  gpt2Config,
  gpt2Forward,
  type GPT2Params,
  initParams,
  type PresetName,
  valueAndGrads,
} from "@copra/model";
import { Rng } from "@copra/random";

/** A model, its optimizer and a step on fresh random ids. */
export interface TrainRig {
  /** The preset's configuration, dropout off. */
  config: GPT2Config;
  /** The weights. */
  params: GPT2Params;
  /** Adam over the weights. */
  optimizer: AdamW;
  /** Random ids (B,T) of the next batch, seeded. */
  randomIds(batch: number, seq: number): tf.Tensor2D;
  /** One training step on fresh random ids: wall milliseconds (until the loss is read) and the loss. */
  step(batch: number, seq: number): Promise<{ ms: number; loss: number }>;
  /** Frees the weights and the optimizer. */
  dispose(): void;
}

/** Builds the rig for `preset` on the active backend. */
export function trainRig(preset: PresetName): TrainRig {
  const config = gpt2Config(preset, { resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 });
  const params = initParams(config, { seed: 0 });
  const optimizer = new AdamW(params, { lr: 3e-4, weightDecay: 0 });
  const rng = new Rng(0);
  const randomIds = (batch: number, seq: number) =>
    tf.tensor2d(Int32Array.from({ length: batch * seq }, () => rng.int(config.vocab_size)), [batch, seq], "int32");
  return {
    config,
    params,
    optimizer,
    randomIds,
    async step(batch, seq) {
      const ids = randomIds(batch, seq);
      const t0 = performance.now();
      const { value, grads } = valueAndGrads(
        params,
        // as training runs it: no keys and values kept for a next call (the tape then makes no zero gradients for them)
        () => causalLmLoss(gpt2Forward(params, config, { ids, keepCache: false }).logits!, ids),
      );
      const { gradNorm } = optimizer.apply(grads);
      const loss = (await value.data())[0];
      const ms = performance.now() - t0;
      tf.dispose([ids, value, gradNorm, ...Object.values(grads)]);
      return { ms, loss };
    },
    dispose() {
      optimizer.dispose();
      disposeParams(params);
    },
  };
}

/**
 * Times `f` (the median of `n` runs after one warm-up; each run ends when its first output has been read back,
 * summed first so that a large output costs one number) and prints one JSON line `{"phase", "ms"}`.
 */
export async function timePhase(name: string, f: () => tf.Tensor | tf.Tensor[], n = 3): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n + 1; i++) {
    const t0 = performance.now();
    const out = f();
    const list = Array.isArray(out) ? out : [out];
    const total = tf.sum(list[0]);
    await total.data();
    if (i > 0) times.push(performance.now() - t0);
    tf.dispose([total, ...list]);
  }
  times.sort((a, b) => a - b);
  const ms = Math.round(times[times.length >> 1]);
  // deno-lint-ignore no-console
  console.log(JSON.stringify({ phase: name, ms }));
  return ms;
}
