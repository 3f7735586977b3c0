/**
 * Batched greedy generation for every method: the prompt (question, and for Coconut `<bot>` + K thought slots +
 * `<eot>`) is run with continuous-thought feedback, then tokens are decoded one at a time through the KV cache
 * until `<eos>` or a limit. Each thought is reported as an event carrying its hidden vector, so probes (decode a
 * thought through the LM head) and stop decisions plug in without changing callers.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import {
  type GPT2Config,
  gpt2Forward,
  type GPT2Params,
  hasSwitch,
  type KVCache,
  type PackedWeight,
  packTransposed,
  switchLogits,
  tokenEmbeddings,
} from "@copra/model/browser";
import type { Tensor2D, Tensor3D } from "@copra/model/browser";
import { InferError } from "./errors.ts";
import { thoughtLoop } from "./latent.ts";

/** A prompt: token ids (thought slots hold the latent id), position ids and the thought slots. */
export interface GenerationPrompt {
  /** Token ids. */
  ids: readonly number[];
  /** Position ids (usually 0..n-1). */
  positionIds: readonly number[];
  /** Indices of the thought slots (consecutive), or none. */
  latentPositions: readonly number[];
}

/** A continuous thought, as it is fed back. */
export interface ThoughtEvent {
  /** Row of the batch (index into the prompts). */
  row: number;
  /** 0 for the first thought of the row, 1 for the second, … */
  index: number;
  /** The hidden state (C values) that becomes the thought's input embedding. */
  hidden: Float32Array;
  /** With the learned switch on: its probability that this thought is the last. */
  stop?: number;
}

/** Options of {@link generate}. */
export interface GenerateOptions {
  /** Id that ends generation (and pads). */
  eosId: number;
  /** Most tokens to generate per row. Default 128 (the paper's; 64 for GSM8k). */
  maxNewTokens?: number;
  /** `false` re-runs the whole sequence for every new token, as the official code does. Default `true`. */
  cache?: boolean;
  /** Called for every thought, in order, before the next pass runs. */
  onThought?: (event: ThoughtEvent) => void | Promise<void>;
  /**
   * Called with each decoding step's logits (B·V values, row-major) before its tokens are chosen; step 0's are
   * the first answer token's.
   */
  onLogits?: (event: { step: number; logits: Float32Array }) => void | Promise<void>;
  /**
   * `wte` packed for the LM head by `packTransposed` or `packTransposedThreads` (whose helper threads split each
   * token's head product), to reuse across calls: the caller keeps and disposes it (a process does not end while its
   * helper threads run). Default: packed for this call, on this thread (starting helper threads costs tens of
   * milliseconds, more than a short answer saves).
   */
  head?: PackedWeight;
  /** Turns generated ids into text for the result (e.g. `(ids) => tokenizer.decode(ids)`). */
  decode?: (ids: number[]) => string;
  /**
   * Leave latent mode when the checkpoint's learned switch says so: a row stops after the first thought whose
   * stop probability exceeds `threshold` (default 0.5), or after its last slot — the prompt's slot count is the
   * maximum. The parameters must carry the switch (`coconut_switch.*`).
   */
  switch?: { threshold?: number };
}

/** The result for one prompt. */
export interface Generation {
  /** Generated ids, without the final `<eos>`. */
  ids: number[];
  /** The decoded text (when `decode` was given; else empty). */
  text: string;
  /** Thoughts used (slots in the prompt, or fewer where the switch stopped). */
  thoughts: number;
  /** Tokens generated, without `<eos>`. */
  generatedTokens: number;
  /** Whether the row ended with `<eos>` (not at the token limit). */
  finished: boolean;
  /** Milliseconds from the start of the batch until this row finished. */
  ms: number;
}

/**
 * Generates greedily for a batch of prompts. Prompts are left-padded to a common length (so rows with the same
 * number of thoughts have their slots in the same columns); rows may differ in length, not in slot count. With
 * `switch`, each row stops thinking where the learned switch says so, at most at its last slot.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gpt2Config, initParams } from "@copra/model";
 * import { generate } from "@copra/infer";
 * const config = gpt2Config("nano", { vocab_size: 12 });
 * const params = initParams(config, { seed: 1 });
 * const prompts = [{ ids: [1, 2, 10, 10, 3], positionIds: [0, 1, 2, 3, 4], latentPositions: [2, 3] }];
 * const [out] = await generate(params, config, prompts, { eosId: 11, maxNewTokens: 5 });
 * assert.equal(out.thoughts, 2);
 * assert.ok(out.generatedTokens <= 5);
 * ```
 */
export async function generate(
  params: GPT2Params,
  config: GPT2Config,
  prompts: readonly GenerationPrompt[],
  options: GenerateOptions,
): Promise<Generation[]> {
  const t0 = performance.now();
  const B = prompts.length;
  if (B === 0) return [];
  const P = Math.max(...prompts.map((p) => p.ids.length));
  const longest = prompts.findIndex((p) => p.ids.length === P);
  if (P >= config.n_positions) {
    throw new InferError({
      source: "argument",
      field: `prompts[${longest}]`,
      problem: `has ${P} tokens, but the model's context (n_positions) is ${config.n_positions}`,
      hint: "use a model with a longer context or shorter questions",
    });
  }
  // Generation stops where the context ends.
  const maxNew = Math.min(options.maxNewTokens ?? 128, config.n_positions - P);
  const left = prompts.map((p) => P - p.ids.length);
  const ids = prompts.map((p, r) => [...new Array(left[r]).fill(options.eosId), ...p.ids]);
  const mask = prompts.map((p, r) => [...new Array(left[r]).fill(0), ...p.ids.map(() => 1)]);
  const positions = prompts.map((p, r) => [...new Array(left[r]).fill(0), ...p.positionIds]);
  const slots = prompts.map((p, r) => p.latentPositions.map((x) => x + left[r]));
  const n = slots[0].length;
  if (slots.some((s) => s.length !== n || s.some((x, i) => x !== slots[0][i]))) {
    throw new InferError({
      source: "argument",
      field: "prompts",
      problem: "every prompt of a batch needs the same number of thought slots at the end of the prompt",
      value: prompts.map((p) => p.latentPositions.length),
    });
  }

  if (options.head && (options.head.b !== params["wte.weight"] || options.head.panels.isDisposed)) {
    throw new InferError({
      source: "argument",
      field: "head",
      value: options.head.panels.isDisposed ? "disposed" : `a packing of [${options.head.b.shape}]`,
      problem: options.head.panels.isDisposed
        ? "was disposed"
        : "is not a packing of these parameters' wte.weight (the tied LM head)",
      hint: 'pack params["wte.weight"] with packTransposed or packTransposedThreads and keep it until the last call',
    });
  }

  const threshold = options.switch?.threshold ?? 0.5;
  if (options.switch && (!hasSwitch(params) || !(threshold > 0 && threshold < 1))) {
    throw new InferError({
      source: "argument",
      field: hasSwitch(params) ? "switch.threshold" : "params",
      value: hasSwitch(params) ? threshold : null,
      problem: hasSwitch(params) ? "must be in (0, 1)" : "have no learned switch (coconut_switch.*)",
      hint: hasSwitch(params) ? "" : "train with --switch, or give a fixed number of thoughts",
    });
  }

  // Prompt: the thought loop (the one training runs), every thought reported before the pass that feeds it. Its
  // KV cache holds all P positions; recomputed decoding keeps the prompt's embeddings, thoughts filled in, instead.
  const embeds = tf.tidy(() => tokenEmbeddings(params, tf.tensor2d(ids, [B, P], "int32")));
  const maskTensor = (len: number) => tf.tensor2d(mask.map((m) => m.slice(0, len)), [B, len], "int32");
  const posTensor = (from: number, to: number) =>
    tf.tensor2d(positions.map((p) => p.slice(from, to)), [B, to - from], "int32");
  const promptMask = maskTensor(P), promptPositions = posTensor(0, P);
  const loop = thoughtLoop(params, config, {
    embeds,
    attentionMask: promptMask,
    positionIds: promptPositions,
    latentPositions: slots,
  }, { logits: "last", release: true, keepInputs: options.cache === false });
  const thinking = new Array<boolean>(B).fill(true);
  let step = loop.next();
  for (let index = 0; !step.done; index++) {
    let stops: number[] = [];
    if (options.switch) {
      const z = switchLogits(params, step.value);
      stops = Array.from(await z.data(), (x) => 1 / (1 + Math.exp(-x)));
      z.dispose();
    }
    if (options.onThought) {
      const values = await step.value.data();
      for (let r = 0; r < B; r++) {
        if (!thinking[r]) continue;
        const hidden = values.slice(r * config.n_embd, (r + 1) * config.n_embd) as Float32Array;
        await options.onThought({ row: r, index, hidden, ...(options.switch ? { stop: stops[r] } : {}) });
      }
    }
    const stopping = stops.flatMap((p, r) => (thinking[r] && p > threshold && index < n - 1 ? [r] : []));
    for (const r of stopping) thinking[r] = false;
    step = loop.next(stopping);
  }
  const used = step.value.thoughts;
  // Rows the switch stopped: their unused slots are masked, the positions after the slots move back (as the loop).
  for (let r = 0; r < B; r++) {
    if (used[r] === n) continue;
    const first = slots[r][0];
    for (let j = used[r]; j < n; j++) mask[r][first + j] = 0;
    for (let k = first + n; k < P; k++) positions[r][k] -= n - used[r];
  }
  tf.dispose([embeds, promptMask, promptPositions, step.value.hidden]);
  let cache: KVCache | undefined = step.value.cache;
  let lastLogits: tf.Tensor = step.value.logits;
  const promptEmbeds = step.value.inputs;

  // Decoding. The tied head's wte is packed once for every token's logits (copra's SIMD products only).
  const head = options.head ?? (maxNew > 1 ? packTransposed(params["wte.weight"] as Tensor2D) ?? undefined : undefined);
  try {
    const generated: number[][] = prompts.map(() => []);
    const finished = new Array<boolean>(B).fill(false);
    const doneAt = new Array<number>(B).fill(0);
    const nextPos = positions.map((p) => p[P - 1] + 1);
    let length = P;
    let sequenceEmbeds: Tensor3D | undefined = promptEmbeds;
    if (options.cache === false) {
      tf.dispose(cache.flatMap((c) => [c.k, c.v]));
      cache = undefined;
    }
    for (let step = 0; step < maxNew; step++) {
      const logits = lastLogits!;
      if (options.onLogits) await options.onLogits({ step, logits: (await logits.data()) as Float32Array });
      const argmax = tf.tidy(() => tf.argMax(tf.reshape(logits, [B, config.vocab_size]), 1));
      const tokens = Array.from(await argmax.data());
      tf.dispose([argmax, lastLogits!]);
      for (let r = 0; r < B; r++) {
        if (finished[r]) continue;
        if (tokens[r] === options.eosId) {
          finished[r] = true;
          doneAt[r] = performance.now() - t0;
        } else generated[r].push(tokens[r]);
      }
      if (finished.every(Boolean) || step === maxNew - 1) break;
      for (let r = 0; r < B; r++) mask[r].push(1);
      const feed = tokens.map((t, r) => (finished[r] ? options.eosId : t));
      const newIds = tf.tensor2d(feed.map((t) => [t]), [B, 1], "int32");
      if (options.cache === false) {
        // Recompute everything: the prompt's embeddings (thoughts included) plus every generated token.
        const grown = tf.tidy(() => tf.concat([sequenceEmbeds!, tokenEmbeddings(params, newIds)], 1)) as Tensor3D;
        sequenceEmbeds!.dispose();
        sequenceEmbeds = grown;
        length++;
        for (let r = 0; r < B; r++) positions[r].push(nextPos[r]++);
        const m = maskTensor(length), pos = posTensor(0, length);
        const out = gpt2Forward(params, config, {
          embeds: sequenceEmbeds,
          attentionMask: m,
          positionIds: pos,
          logits: "last",
          head,
        });
        tf.dispose([m, pos, newIds, out.hidden, ...out.cache.flatMap((c) => [c.k, c.v])]);
        lastLogits = out.logits!;
      } else {
        length++;
        const m = maskTensor(length);
        const pos = tf.tensor2d(nextPos.map((p) => [p]), [B, 1], "int32");
        for (let r = 0; r < B; r++) nextPos[r]++;
        const out = gpt2Forward(params, config, {
          ids: newIds,
          attentionMask: m,
          positionIds: pos,
          cache,
          logits: "last",
          head,
        });
        tf.dispose([m, pos, newIds, out.hidden, ...cache!.flatMap((c) => [c.k, c.v])]);
        cache = out.cache;
        lastLogits = out.logits!;
      }
    }
    if (cache && options.cache !== false) tf.dispose(cache.flatMap((c) => [c.k, c.v]));
    sequenceEmbeds?.dispose();
    const end = performance.now() - t0;
    return generated.map((g, r) => ({
      ids: g,
      text: options.decode ? options.decode(g) : "",
      thoughts: used[r],
      generatedTokens: g.length,
      finished: finished[r],
      ms: finished[r] ? doneAt[r] : end,
    }));
  } finally {
    if (head !== options.head) head?.dispose();
  }
}

/**
 * The top-k tokens a hidden state decodes to through the tied LM head (a probe of a continuous thought).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gpt2Config, initParams } from "@copra/model";
 * import { probeThought } from "@copra/infer";
 * const config = gpt2Config("nano", { vocab_size: 12 });
 * const params = initParams(config);
 * const top = await probeThought(params, new Float32Array(48).fill(0.1), 3);
 * assert.equal(top.length, 3);
 * assert.ok(top[0].probability >= top[1].probability);
 * ```
 */
export async function probeThought(
  params: GPT2Params,
  hidden: Float32Array,
  k = 5,
): Promise<{ id: number; probability: number }[]> {
  const probs = tf.tidy(() => {
    const h = tf.tensor2d(hidden, [1, hidden.length]);
    return tf.softmax(tf.matMul(h, params["wte.weight"], false, true));
  });
  const { values, indices } = tf.topk(probs, k);
  const [p, i] = [await values.data(), await indices.data()];
  tf.dispose([probs, values, indices]);
  return Array.from(i, (id, j) => ({ id, probability: p[j] }));
}
