/**
 * Coconut's multi-pass forward for training: each continuous thought is the final hidden state of the position
 * before its slot, fed back as that slot's input embedding.
 *
 * With n thought slots (their first slot in the same column c for every row, as the collator arranges), the
 * forward runs n + 1 passes over growing ranges of positions, the KV cache carrying everything before:
 *   pass 0: positions [0, c) — the question and `<bot>`;
 *   pass i (1 ≤ i < n): position c+i−1, whose embedding is now the hidden state at c+i−2;
 *   final pass: positions [c+n−1, T) — the last thought, `<eot>` and the rest.
 * A row with fewer thoughts than n simply has ordinary tokens at the later slots. Gradients flow through every
 * thought (nothing is detached). `latentForwardNoCache` re-runs the whole prefix on every pass instead (the
 * reference the cached version is tested against).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { type GPT2Config, gpt2Forward, type GPT2Params, type KVCache, tokenEmbeddings } from "@copra/model";
import type { Tensor2D, Tensor3D } from "@copra/model";

/** A collated batch as tensors. */
export interface LatentBatch {
  /** Token ids (B,T) int32; thought slots hold the latent token id. */
  ids: Tensor2D;
  /** 1 for real tokens, 0 for padding (B,T). */
  attentionMask: Tensor2D;
  /** Position ids (B,T) int32. */
  positionIds: Tensor2D;
  /** Thought-slot indices per row; each row's first slot in the same column. */
  latentPositions: number[][];
}

/** Options of {@link latentForward}. */
export interface LatentForwardOptions {
  /** Dropout seed: training mode. Omit for evaluation. */
  training?: { seed: number };
}

/**
 * Runs the multi-pass forward and returns logits for all T positions (B,T,V) and the final hidden states of the
 * last pass's positions. Call inside `tf.tidy` or dispose the results.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { gpt2Config, initParams } from "@copra/model";
 * import { latentForward } from "@copra/infer";
 * const config = gpt2Config("nano", { vocab_size: 16 });
 * const params = initParams(config);
 * const ids = tf.tensor2d([[1, 2, 9, 9, 3, 4]], undefined, "int32"); // 9: two thought slots
 * const out = latentForward(params, config, {
 *   ids,
 *   attentionMask: tf.onesLike(ids) as tf.Tensor2D,
 *   positionIds: tf.tensor2d([[0, 1, 2, 3, 4, 5]], undefined, "int32"),
 *   latentPositions: [[2, 3]],
 * });
 * assert.deepEqual(out.logits.shape, [1, 6, 16]);
 * ```
 */
export function latentForward(
  params: GPT2Params,
  config: GPT2Config,
  batch: LatentBatch,
  options: LatentForwardOptions = {},
): { logits: Tensor3D } {
  return tf.tidy(() => {
    const [B, T] = batch.ids.shape;
    const n = Math.max(0, ...batch.latentPositions.map((p) => p.length));
    const first = checkAligned(batch.latentPositions);
    const embeds = tokenEmbeddings(params, batch.ids); // (B,T,C)
    const seed = (pass: number) => (options.training ? { seed: options.training.seed * 131 + pass } : undefined);
    if (n === 0) {
      const out = gpt2Forward(params, config, {
        embeds,
        attentionMask: batch.attentionMask,
        positionIds: batch.positionIds,
        training: seed(0),
      });
      return { logits: out.logits! } as unknown as tf.TensorContainer;
    }
    const logits: tf.Tensor[] = [];
    let cache: KVCache | undefined;
    let start = 0, end = first;
    let previousHidden: tf.Tensor3D | undefined; // hidden states of the last pass, positions [start', end')
    for (let pass = 0; pass <= n; pass++) {
      // The embeddings of this pass's range; its first column is a thought for the rows that have one here.
      let chunk = tf.slice(embeds, [0, start, 0], [B, end - start, config.n_embd]) as tf.Tensor3D;
      if (pass > 0) {
        const slot = first + pass - 1; // filled by the hidden state at slot - 1, the last position computed
        const thought = tf.slice(previousHidden!, [0, previousHidden!.shape[1] - 1, 0], [B, 1, config.n_embd]);
        const has = tf.tensor3d(
          batch.latentPositions.map((p) => [[p.length > pass - 1 && p[pass - 1] === slot ? 1 : 0]]),
          [B, 1, 1],
        );
        const head = tf.where(tf.cast(has, "bool"), thought, tf.slice(chunk, [0, 0, 0], [B, 1, config.n_embd]));
        chunk = (end - start > 1
          ? tf.concat([head, tf.slice(chunk, [0, 1, 0], [B, end - start - 1, config.n_embd])], 1)
          : head) as tf.Tensor3D;
      }
      const out = gpt2Forward(params, config, {
        embeds: chunk,
        attentionMask: tf.slice(batch.attentionMask, [0, 0], [B, end]) as Tensor2D,
        positionIds: tf.slice(batch.positionIds, [0, start], [B, end - start]) as Tensor2D,
        cache,
        training: seed(pass),
      });
      logits.push(out.logits!);
      cache = out.cache;
      previousHidden = out.hidden;
      start = end;
      end = pass + 1 >= n ? T : end + 1;
    }
    return { logits: tf.concat(logits, 1) } as unknown as tf.TensorContainer;
  }) as unknown as { logits: Tensor3D };
}

/**
 * The same computation without a KV cache: every pass re-runs all positions up to its range's end with the
 * thoughts filled so far. Slower; the reference for tests.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { gpt2Config, initParams } from "@copra/model";
 * import { latentForward, latentForwardNoCache } from "@copra/infer";
 * const config = gpt2Config("nano", { vocab_size: 16 });
 * const params = initParams(config);
 * const batch = {
 *   ids: tf.tensor2d([[1, 2, 9, 9, 3]], undefined, "int32"),
 *   attentionMask: tf.ones([1, 5]) as tf.Tensor2D,
 *   positionIds: tf.tensor2d([[0, 1, 2, 3, 4]], undefined, "int32"),
 *   latentPositions: [[2, 3]],
 * };
 * const a = await latentForward(params, config, batch).logits.data();
 * const b = await latentForwardNoCache(params, config, batch).logits.data();
 * assert.ok(a.every((x, i) => Math.abs(x - b[i]) < 1e-5));
 * ```
 */
export function latentForwardNoCache(
  params: GPT2Params,
  config: GPT2Config,
  batch: LatentBatch,
  options: LatentForwardOptions = {},
): { logits: Tensor3D } {
  return tf.tidy(() => {
    const [B, T] = batch.ids.shape;
    const n = Math.max(0, ...batch.latentPositions.map((p) => p.length));
    const first = n > 0 ? checkAligned(batch.latentPositions) : T;
    let embeds = tokenEmbeddings(params, batch.ids);
    const logits: tf.Tensor[] = [];
    let done = 0; // positions whose logits are final
    for (let pass = 0; pass <= n; pass++) {
      const end = pass === n ? T : first + pass;
      const out = gpt2Forward(params, config, {
        embeds: tf.slice(embeds, [0, 0, 0], [B, end, config.n_embd]) as Tensor3D,
        attentionMask: tf.slice(batch.attentionMask, [0, 0], [B, end]) as Tensor2D,
        positionIds: tf.slice(batch.positionIds, [0, 0], [B, end]) as Tensor2D,
        training: options.training ? { seed: options.training.seed * 131 + pass } : undefined,
      });
      logits.push(tf.slice(out.logits!, [0, done, 0], [B, end - done, config.vocab_size]));
      done = end;
      if (pass === n) break;
      // Fill slot first+pass with the hidden state just before it, in the rows that have that thought.
      const slot = first + pass;
      const thought = tf.slice(out.hidden, [0, slot - 1, 0], [B, 1, config.n_embd]);
      const has = tf.tensor3d(batch.latentPositions.map((p) => [[p[pass] === slot ? 1 : 0]]), [B, 1, 1]);
      const column = tf.where(tf.cast(has, "bool"), thought, tf.slice(embeds, [0, slot, 0], [B, 1, config.n_embd]));
      embeds = tf.concat([
        tf.slice(embeds, [0, 0, 0], [B, slot, config.n_embd]),
        column,
        tf.slice(embeds, [0, slot + 1, 0], [B, T - slot - 1, config.n_embd]),
      ], 1) as Tensor3D;
    }
    return { logits: tf.concat(logits, 1) } as unknown as tf.TensorContainer;
  }) as unknown as { logits: Tensor3D };
}

/** Checks that every row's thoughts are consecutive and start in one column; returns that column. */
function checkAligned(latentPositions: number[][]): number {
  const rows = latentPositions.filter((p) => p.length > 0);
  if (rows.length === 0) return 0;
  const first = rows[0][0];
  for (const [r, p] of latentPositions.entries()) {
    if (p.length === 0) continue;
    if (p[0] !== first || p.some((x, i) => x !== first + i)) {
      throw new RangeError(
        `latentPositions[${r}]: thoughts must be consecutive and start in column ${first} for every row ` +
          `(got ${JSON.stringify(p)}); collate the batch with @copra/curriculum's collate()`,
      );
    }
  }
  if (first < 1) throw new RangeError("latentPositions: a thought needs at least one position before it");
  return first;
}
