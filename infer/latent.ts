/**
 * Coconut's thought loop, shared by training and generation: each continuous thought is the final hidden state of
 * the position before its slot, fed back as that slot's input embedding.
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
import {
  attentionBias,
  type ForwardInput,
  type GPT2Config,
  gpt2Forward,
  type GPT2Params,
  type KVCache,
  rotaryTables,
  tidyRecord,
  tokenEmbeddings,
} from "@copra/model/browser";
import type { Tensor2D, Tensor3D, Tensor4D } from "@copra/model/browser";
import { InferError } from "./errors.ts";

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
  /** Also return the thoughts fed, (B,n,C) (for the learned switch's loss). */
  thoughts?: boolean;
}

/** Options of {@link thoughtLoop}. */
export interface ThoughtLoopOptions {
  /** Dropout seed: training mode. Omit for evaluation. */
  training?: { seed: number };
  /** Logits of every position (training), or of the last position only (generation). */
  logits: "all" | "last";
  /**
   * Dispose each pass's intermediate tensors as the loop goes (generation, outside `tf.tidy`). Leave it off when
   * gradients flow through the loop: the backward pass needs them, and the caller's `tf.tidy` frees them.
   */
  release?: boolean;
  /** Also return the input embeddings (B,T,C) with every thought filled in (to re-run the prompt later). */
  keepInputs?: boolean;
  /** Also return every position's final hidden states (B,T,C), joined over the passes (training's loss head). */
  allHidden?: boolean;
  /**
   * Return the KV cache of all T positions (default true). Training's loss reads none of it: `false` spares the last
   * pass's keys and values their (zero) gradients, and the result's `cache` may be empty.
   */
  keepCache?: boolean;
}

/** What {@link thoughtLoop} returns after its last pass. */
export interface ThoughtLoopResult {
  /** (B,T,V) with `logits: "all"`, else (B,1,V) for the last position. */
  logits: Tensor3D;
  /** The KV cache of all T positions (may be empty with `keepCache: false`). */
  cache: KVCache;
  /** Final hidden states of the last pass's positions. */
  hidden: Tensor3D;
  /** With `keepInputs`: the input embeddings, thoughts filled in (B,T,C). */
  inputs?: Tensor3D;
  /** With `allHidden`: every position's final hidden states (B,T,C). */
  allHidden?: Tensor3D;
  /** Thoughts each row used: its slot count, or fewer where the caller stopped it (see {@link thoughtLoop}). */
  thoughts: number[];
}

/**
 * Coconut's thought loop, the one both training ({@link latentForward}) and generation (`generate`) run. With n
 * thought slots (their first slot in the same column c for every row), n + 1 passes over growing ranges of
 * positions, the KV cache carrying everything before:
 *   pass 0: positions [0, c) — the question and `<bot>`;
 *   pass i (1 ≤ i < n): position c+i−1, whose input embedding is now the final hidden state at c+i−2;
 *   final pass: positions [c+n−1, T) — the last thought, `<eot>` and the rest.
 * A row with fewer thoughts keeps its token embedding at the later slots. Before each pass i ≥ 1 the generator
 * yields the thought (B,1,C) it is about to feed, so a caller can read it (asynchronously, between passes) or stop;
 * the loop owns that tensor. `loop.next(rows)` ends the listed rows' thinking with the thought just yielded (a
 * learned switch said stop): their later slots are masked out of attention and every position after the slots
 * moves back by the slots left unused, so such a row computes exactly what a prompt with that many slots would.
 * Once every row has stopped, the rest of the sequence runs at once as the final pass (no more yields). Driven to the end synchronously (inside `tf.tidy`, with gradients) it is training's
 * forward; driven with awaits between passes and `release: true`, generation's prompt.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { gpt2Config, initParams, tokenEmbeddings } from "@copra/model";
 * import { thoughtLoop } from "@copra/infer";
 * const config = gpt2Config("nano", { vocab_size: 16 });
 * const params = initParams(config);
 * const ids = tf.tensor2d([[1, 2, 9, 9, 3]], undefined, "int32"); // 9: two thought slots
 * const loop = thoughtLoop(params, config, {
 *   embeds: tokenEmbeddings(params, ids),
 *   attentionMask: tf.onesLike(ids) as tf.Tensor2D,
 *   positionIds: tf.tensor2d([[0, 1, 2, 3, 4]], undefined, "int32"),
 *   latentPositions: [[2, 3]],
 * }, { logits: "last" });
 * let step = loop.next(), thoughts = 0;
 * for (; !step.done; step = loop.next()) thoughts++; // step.value: the thought (1,1,C) about to be fed
 * assert.equal(thoughts, 2);
 * assert.deepEqual(step.value.logits.shape, [1, 1, 16]);
 * ```
 */
export function* thoughtLoop(
  params: GPT2Params,
  config: GPT2Config,
  input: {
    embeds: Tensor3D;
    attentionMask: Tensor2D;
    positionIds: Tensor2D;
    latentPositions: readonly (readonly number[])[];
    /**
     * A KV cache of P earlier positions to continue from (a conversation so far); `attentionMask` then covers
     * the P + T positions, `embeds` and `positionIds` the T new ones. With `release` the loop disposes it once
     * it has grown past it.
     */
    past?: KVCache;
  },
  options: ThoughtLoopOptions,
): Generator<Tensor3D, ThoughtLoopResult, readonly number[] | undefined> {
  const [B, T] = [input.embeds.shape[0], input.embeds.shape[1]];
  const P = input.past?.[0]?.k.shape[2] ?? 0;
  if (input.attentionMask.shape[1] !== P + T) {
    throw new InferError({
      source: "argument",
      field: "attentionMask",
      value: input.attentionMask.shape,
      problem: `must cover the ${P} cached and ${T} new positions`,
    });
  }
  const C = config.n_embd;
  const n = Math.max(0, ...input.latentPositions.map((p) => p.length));
  const first = n > 0 ? checkAligned(input.latentPositions) : T;
  const used = input.latentPositions.map((p) => p.length); // thoughts per row; lowered when a row is stopped
  let stopped = false;
  // With stopped rows: their unused slots leave the attention mask and later positions move back.
  const maskUpTo = (end: number) => {
    if (!stopped) return tf.slice(input.attentionMask, [0, 0], [B, P + end]) as Tensor2D;
    const keep = used.map((u) =>
      Array.from({ length: P + end }, (_, col): number => (col >= P + first + u && col < P + first + n ? 0 : 1))
    );
    return tf.tidy(() =>
      tf.mul(tf.slice(input.attentionMask, [0, 0], [B, P + end]), tf.tensor2d(keep, [B, P + end], "int32"))
    ) as Tensor2D;
  };
  const positionsOf = (from: number, to: number) => {
    if (!stopped) return tf.slice(input.positionIds, [0, from], [B, to - from]) as Tensor2D;
    const shift = used.map((u) =>
      Array.from({ length: to - from }, (_, i): number => (from + i >= first + n ? n - u : 0))
    );
    return tf.tidy(() =>
      tf.sub(tf.slice(input.positionIds, [0, from], [B, to - from]), tf.tensor2d(shift, [B, to - from], "int32"))
    ) as Tensor2D;
  };
  const release = options.release === true;
  // With thoughts, the embeddings' pieces split once — [0, c), each slot c … c+n−1, the rest [c+n, T) — and each
  // pass's chunk taken from them: one kernel call each way, where a slice per pass had its gradient zero-padded to
  // (B,T,C) and the passes' pads summed. Without thoughts the one pass slices it as before.
  const bounds = n > 0 ? [0, ...Array.from({ length: n + 1 }, (_, i) => first + i), T] : [0, T];
  const pieces: (Tensor3D | null)[] = n > 0
    ? [...tf.split(input.embeds, bounds.slice(1).map((b, i) => b - bounds[i]), 1) as Tensor3D[]] // (the tape keeps split's own list)
    : [null];
  /** The embeddings of positions [from, to), a run of whole pieces (with `release`, used pieces are freed). */
  const embedsOf = (from: number, to: number): Tensor3D => {
    const taken = pieces.flatMap((_, i) =>
      bounds[i] >= from && bounds[i + 1] <= to && bounds[i + 1] > bounds[i] ? [i] : []
    );
    if (n === 0 || taken.length === 0) return tf.slice(input.embeds, [0, from, 0], [B, to - from, C]) as Tensor3D;
    const used = taken.map((i) => pieces[i]!);
    taken.forEach((i) => pieces[i] = null); // each piece is taken once
    if (used.length === 1) return used[0]!;
    const joined = tf.concat(used as Tensor3D[], 1) as Tensor3D;
    if (release) tf.dispose(used as Tensor3D[]);
    return joined;
  };
  // With thoughts, the attention mask and rotary tables made once for the whole sequence, each pass taking its cut
  // (the same numbers as made per pass); once a row has stopped, its mask and positions change: made per pass.
  const whole = n > 0
    ? {
      bias: attentionBias(B, T, P, input.attentionMask),
      rotary: config.position_embedding_type === "rotary"
        ? rotaryTables(input.positionIds, C / config.n_head, config.rope_theta)
        : undefined,
    }
    : null;
  const cutFor = (
    { bias, rotary }: NonNullable<typeof whole>,
    from: number,
    to: number,
  ): Pick<ForwardInput, "attentionBias" | "rotary"> => {
    const rows = (t: Tensor4D, last: number) =>
      tf.slice(t, [0, 0, from, 0], [t.shape[0], 1, to - from, last]) as Tensor4D;
    return {
      attentionBias: rows(bias, P + to),
      ...(rotary
        ? {
          rotary: { ...rotary, cos: rows(rotary.cos, rotary.cos.shape[3]), sin: rows(rotary.sin, rotary.sin.shape[3]) },
        }
        : {}),
    };
  };
  const logits: Tensor3D[] = [], inputs: Tensor3D[] = [], hiddens: Tensor3D[] = [];
  let cache: KVCache | undefined = input.past, hidden: Tensor3D | undefined;
  let start = 0, end = n > 0 ? first : T;
  for (let pass = 0; pass <= n; pass++) {
    let chunk: Tensor3D;
    if (pass === 0) {
      chunk = embedsOf(start, end);
    } else {
      const slot = first + pass - 1; // filled by the hidden state at slot − 1, the last position computed
      const thought = tf.tidy(() => tf.slice(hidden!, [0, hidden!.shape[1] - 1, 0], [B, 1, C])) as Tensor3D;
      const stop = yield thought;
      for (const r of stop ?? []) {
        if (!Number.isInteger(r) || r < 0 || r >= B || used[r] < pass) {
          throw new InferError({
            source: "argument",
            field: "thoughtLoop.next(rows)",
            value: r,
            problem: `is not a row still thinking at thought ${pass - 1} (rows 0..${B - 1})`,
          });
        }
        if (used[r] > pass) {
          used[r] = pass;
          stopped = true;
        }
      }
      // Every row has stopped: the rest (masked slots, <eot>, what follows) runs as the final pass, now.
      if (stopped && used.every((u) => u <= pass)) end = T;
      const own = embedsOf(start, start + 1), rest = end - start > 1 ? embedsOf(start + 1, end) : null;
      const feeds = input.latentPositions.map((p) => p.length > pass - 1 && p[pass - 1] === slot);
      chunk = tf.tidy(() => {
        // the rows whose slot this is take the thought, the others keep their token (no selection when all or none do)
        const head = feeds.every(Boolean) ? thought : !feeds.some(Boolean) ? own : tf.where(
          tf.cast(tf.tensor3d(feeds.map((f) => [[f ? 1 : 0]]), [B, 1, 1]), "bool"),
          thought,
          own,
        );
        return rest ? tf.concat([head, rest], 1) : head;
      }) as Tensor3D;
      if (release) tf.dispose([thought, own, ...(rest ? [rest] : [])].filter((t) => t !== chunk));
    }
    const final = end === T;
    const out = tidyRecord(() =>
      gpt2Forward(params, config, {
        embeds: chunk,
        positionIds: positionsOf(start, end),
        ...(whole && !stopped ? cutFor(whole, start, end) : { attentionMask: maskUpTo(end) }), // the mask made once, or now
        cache,
        logits: options.logits === "all" ? "all" : final ? "last" : "none",
        keepCache: !final || options.keepCache !== false,
        training: options.training ? { seed: options.training.seed * 131 + pass } : undefined,
      })
    );
    if (options.keepInputs) inputs.push(chunk);
    else if (release) chunk.dispose();
    if (release) tf.dispose([...(hidden ? [hidden] : []), ...(cache ? cache.flatMap((c) => [c.k, c.v]) : [])]);
    if (out.logits) logits.push(out.logits);
    if (options.allHidden) hiddens.push(out.hidden);
    cache = out.cache;
    hidden = out.hidden;
    if (final) break;
    start = end;
    end = pass + 1 >= n ? T : end + 1;
  }
  if (release) {
    tf.dispose(pieces.filter((piece): piece is Tensor3D => piece !== null)); // empty pieces
    if (whole) {
      tf.dispose([whole.bias, ...(whole.rotary ? [whole.rotary.cos, whole.rotary.sin, whole.rotary.rotate] : [])]);
    }
  }
  const joined = (parts: Tensor3D[]) => {
    if (parts.length === 1) return parts[0];
    const all = tf.concat(parts, 1) as Tensor3D;
    if (release) tf.dispose(parts);
    return all;
  };
  return {
    logits: joined(logits),
    cache: cache!,
    hidden: hidden!,
    ...(options.keepInputs ? { inputs: joined(inputs) } : {}),
    ...(options.allHidden ? { allHidden: joined(hiddens) } : {}),
    thoughts: used,
  };
}

/**
 * Runs the multi-pass forward (the {@link thoughtLoop}, to the end) and returns logits for all T positions
 * (B,T,V), and with `thoughts: true` the n thoughts it fed (B,n,C). Gradients flow through every thought. Call
 * inside `tf.tidy` or dispose the result.
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
): { logits: Tensor3D; thoughts?: Tensor3D } {
  return tidyRecord(() => {
    const { result, thoughts } = runToEnd(params, config, batch, { logits: "all", training: options.training });
    return { logits: result.logits, ...(options.thoughts ? { thoughts } : {}) };
  });
}

/**
 * Runs the multi-pass forward as {@link latentForward} does, but returns every position's final hidden states
 * (B,T,C) instead of logits — for a loss that runs the head only where labels are (`causalLmLossAtLabels`) — and with
 * `thoughts: true` the thoughts fed (B,n,C). Call inside `tf.tidy` or dispose the result.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { gpt2Config, initParams } from "@copra/model";
 * import { latentHidden } from "@copra/infer";
 * const config = gpt2Config("nano", { vocab_size: 16 });
 * const params = initParams(config);
 * const ids = tf.tensor2d([[1, 2, 9, 9, 3, 4]], undefined, "int32"); // 9: two thought slots
 * const out = latentHidden(params, config, {
 *   ids,
 *   attentionMask: tf.onesLike(ids) as tf.Tensor2D,
 *   positionIds: tf.tensor2d([[0, 1, 2, 3, 4, 5]], undefined, "int32"),
 *   latentPositions: [[2, 3]],
 * });
 * assert.deepEqual(out.hidden.shape, [1, 6, 48]);
 * ```
 */
export function latentHidden(
  params: GPT2Params,
  config: GPT2Config,
  batch: LatentBatch,
  options: LatentForwardOptions = {},
): { hidden: Tensor3D; thoughts?: Tensor3D } {
  return tidyRecord(() => {
    const loopOptions = { logits: "last", allHidden: true, training: options.training } as const;
    const { result, thoughts } = runToEnd(params, config, batch, loopOptions);
    return { hidden: result.allHidden!, ...(options.thoughts ? { thoughts } : {}) };
  });
}

/** The {@link thoughtLoop} over a batch's token ids, driven to its end: its result and the thoughts fed (B,n,C). */
function runToEnd(
  params: GPT2Params,
  config: GPT2Config,
  batch: LatentBatch,
  loopOptions: ThoughtLoopOptions,
): { result: ThoughtLoopResult; thoughts: Tensor3D } {
  const loop = thoughtLoop(params, config, {
    embeds: tokenEmbeddings(params, batch.ids), // (B,T,C)
    attentionMask: batch.attentionMask,
    positionIds: batch.positionIds,
    latentPositions: batch.latentPositions,
  }, { ...loopOptions, keepCache: false }); // (the callers read logits or hidden states, never the cache)
  const fed: Tensor3D[] = [];
  let step = loop.next();
  while (!step.done) {
    fed.push(step.value);
    step = loop.next();
  }
  const [B] = batch.attentionMask.shape;
  const thoughts = fed.length > 0 ? tf.concat(fed, 1) : tf.zeros([B, 0, config.n_embd]);
  return { result: step.value, thoughts: thoughts as Tensor3D };
}

/**
 * The same computation without a KV cache: every pass re-runs all positions up to its range's end with the
 * thoughts filled so far. Slower; the reference for tests. Also returns the thoughts it fed, (B,n,C).
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
): { logits: Tensor3D; thoughts: Tensor3D } {
  return tidyRecord(() => {
    const [B, T] = batch.ids.shape;
    const n = Math.max(0, ...batch.latentPositions.map((p) => p.length));
    const first = n > 0 ? checkAligned(batch.latentPositions) : T;
    let embeds = tokenEmbeddings(params, batch.ids);
    const logits: tf.Tensor[] = [], thoughts: tf.Tensor[] = [];
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
      thoughts.push(thought);
      const has = tf.tensor3d(batch.latentPositions.map((p) => [[p[pass] === slot ? 1 : 0]]), [B, 1, 1]);
      const column = tf.where(tf.cast(has, "bool"), thought, tf.slice(embeds, [0, slot, 0], [B, 1, config.n_embd]));
      embeds = tf.concat([
        tf.slice(embeds, [0, 0, 0], [B, slot, config.n_embd]),
        column,
        tf.slice(embeds, [0, slot + 1, 0], [B, T - slot - 1, config.n_embd]),
      ], 1) as Tensor3D;
    }
    const fed = thoughts.length > 0 ? tf.concat(thoughts, 1) : tf.zeros([B, 0, config.n_embd]);
    return { logits: tf.concat(logits, 1) as Tensor3D, thoughts: fed as Tensor3D };
  });
}

/** Checks that every row's thoughts are consecutive and start in one column; returns that column. */
function checkAligned(latentPositions: readonly (readonly number[])[]): number {
  const rows = latentPositions.filter((p) => p.length > 0);
  if (rows.length === 0) return 0;
  const first = rows[0][0];
  for (const [r, p] of latentPositions.entries()) {
    if (p.length === 0) continue;
    if (p[0] !== first || p.some((x, i) => x !== first + i)) {
      throw new InferError({
        source: "argument",
        field: `latentPositions[${r}]`,
        problem: `thoughts must be consecutive and start in column ${first} for every row`,
        value: p,
        hint: "collate the batch with @copra/curriculum's collate()",
      });
    }
  }
  if (first < 1) {
    throw new InferError({
      source: "argument",
      field: "latentPositions",
      problem: "a thought needs at least one position before it",
      value: first,
    });
  }
  return first;
}
