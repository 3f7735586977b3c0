/**
 * GPT-2, the whole forward pass in one file, as a pure function over a parameter record.
 *
 * Shapes: B batch, T new positions, P cached (past) positions, K = P + T keys, C channels, H heads,
 * D = C/H head size, V vocabulary.
 *
 *   x      = embeds (or wte[ids]) + wpe[positions]                      (B,T,C)
 *   block  : x = x + attn(ln_1(x));  x = x + mlp(ln_2(x))               × n_layer
 *   (rotary positions: no wpe; q and k are rotated by position inside attn instead)
 *   hidden = ln_f(x)                                                    (B,T,C)
 *   logits = hidden @ wteᵀ  (tied head)                                 (B,T,V)
 *
 * Input is either token ids or input embeddings (the token part; position embeddings are always added
 * here), which is what Coconut needs to feed a hidden state back as the next input. Optional position ids and
 * an attention mask handle left padding; an optional KV cache makes each later call compute only its new
 * positions. Dropout runs only when `training` is given, seeded.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { type GPT2Config, headSize } from "./config.ts";
import { dropoutMultiplier } from "./dropout.ts";
import { checkInput } from "./gpt_input.ts";
import { attention } from "./kernels/attention.ts";
import { attentionResidual, attentionResidualAvailable, type AttentionWeights } from "./kernels/attention_block.ts";
import { geluNew } from "./kernels/gelu.ts";
import { mergeHeads, splitHeads } from "./kernels/heads.ts";
import { layerNorm } from "./kernels/layer_norm.ts";
import { mlpResidual, type MlpWeights } from "./kernels/mlp.ts";
import { applyRope, type RopeTables, rotaryTables } from "./kernels/rope.ts";
import { affine, matMulT } from "./ops.ts";
import { type PackedWeight, timesPacked } from "./packed.ts";
import { tidyRecord } from "./tidy.ts";
import type { GPT2Params } from "./params.ts";
import type { Tensor, Tensor2D, Tensor3D, Tensor4D } from "./tensors.ts";

/** Keys and values of one layer for all positions seen so far: each (B,H,P,D). */
export interface LayerCache {
  /** Keys (B,H,P,D). */
  k: Tensor4D;
  /** Values (B,H,P,D). */
  v: Tensor4D;
}

/** One {@link LayerCache} per layer. Its length P is `cache[0].k.shape[2]`. */
export type KVCache = LayerCache[];

/** What {@link gpt2Forward} takes. */
export interface ForwardInput {
  /** Token ids (B,T), int32. Give this or `embeds`. */
  ids?: Tensor2D;
  /** Input embeddings (B,T,C): the token part only; position embeddings are added inside. */
  embeds?: Tensor3D;
  /** Position ids (B,T), int32. Default: P, P+1, …, P+T-1 for every row. */
  positionIds?: Tensor2D;
  /** (B,K) with 1 for positions to attend to and 0 for padding, covering cached and new positions. */
  attentionMask?: Tensor2D;
  /** Keys and values of earlier positions. The call does not dispose them. */
  cache?: KVCache;
  /** Which logits to compute: all positions (default), the last one only, or none (hidden states only). */
  logits?: "all" | "last" | "none";
  /** Training mode: dropout on, with masks drawn from this seed. Omit for evaluation (no dropout). */
  training?: { seed: number };
  /**
   * `wte` packed once by `packTransposed` for the LM head (decoding many tokens; the same logits). Used where no
   * gradient is recorded; ignored under a gradient tape.
   */
  head?: PackedWeight;
  /**
   * The additive attention mask (B|1,1,T,P+T), when the caller has it: {@link attentionBias} of a longer sequence,
   * cut to this call's queries and keys (the thought loop makes one per sequence instead of one per pass). Default:
   * made from `attentionMask` and causality.
   */
  attentionBias?: Tensor4D;
  /**
   * Rotary tables for `positionIds` (cos and sin (B|1,1,T,D)), when the caller has them (the thought loop cuts each
   * pass's from one made per sequence). Rotary models only. Default: computed from `positionIds`.
   */
  rotary?: RopeTables;
  /**
   * Return this call's keys and values (default true). `false` for a last pass whose cache nothing reads: under a
   * gradient tape, wasm's attention kernels then compute no zero gradients for it, and `cache` may come back empty.
   */
  keepCache?: boolean;
}

/** What {@link gpt2Forward} returns. */
export interface ForwardOutput {
  /** Final hidden states after `ln_f`, (B,T,C): Coconut's continuous thoughts. */
  hidden: Tensor3D;
  /** Logits (B,T,V), or (B,1,V) with `logits: "last"`; absent with `logits: "none"`. */
  logits?: Tensor3D;
  /** Keys and values of all K positions (cached and new), to pass to the next call (may be empty with `keepCache: false`). */
  cache: KVCache;
}

/**
 * The token embeddings `wte[ids]` (B,T,C) that the model would use for `ids`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { gpt2Config, initParams, tokenEmbeddings } from "@copra/model";
 * const params = initParams(gpt2Config("nano", { vocab_size: 16 }));
 * const e = tokenEmbeddings(params, tf.tensor2d([[1, 2, 3]], undefined, "int32"));
 * assert.deepEqual(e.shape, [1, 3, 48]);
 * ```
 */
export function tokenEmbeddings(params: GPT2Params, ids: Tensor2D): Tensor3D {
  const [B, T] = ids.shape;
  const wte = params["wte.weight"];
  return tf.reshape(tf.gather(wte, tf.reshape(ids, [B * T])), [B, T, wte.shape[1] as number]);
}

/**
 * Runs GPT-2. Returns new tensors (hidden, logits, the grown cache); wrap the call in `tf.tidy` or dispose them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { gpt2Config, gpt2Forward, initParams } from "@copra/model";
 * const config = gpt2Config("nano", { vocab_size: 16 });
 * const params = initParams(config, { seed: 0 });
 * const ids = tf.tensor2d([[1, 2, 3]], undefined, "int32");
 * const full = gpt2Forward(params, config, { ids });
 * assert.deepEqual(full.logits!.shape, [1, 3, 16]);
 * // The same sequence in two calls through the cache gives the same last logits.
 * const first = gpt2Forward(params, config, { ids: tf.tensor2d([[1, 2]], undefined, "int32") });
 * const next = gpt2Forward(params, config, { ids: tf.tensor2d([[3]], undefined, "int32"), cache: first.cache });
 * const a = await tf.slice(full.logits!, [0, 2, 0], [1, 1, 16]).data();
 * const b = await next.logits!.data();
 * assert.ok(a.every((x, i) => Math.abs(x - b[i]) < 1e-5));
 * ```
 */
export function gpt2Forward(params: GPT2Params, config: GPT2Config, input: ForwardInput): ForwardOutput {
  const { B, T, P } = checkInput(config, input);
  const C = config.n_embd, H = config.n_head, D = headSize(config), K = P + T;
  let site = 0;
  const dropout = (x: Tensor, rate: number): Tensor =>
    input.training && rate > 0
      ? tf.mul(x, dropoutMultiplier(x.shape, rate, dropoutSeed(input.training.seed, site++)))
      : x;

  // tf.tidy keeps the returned tensors (hidden, logits, every cache entry) and frees the intermediates.
  return tidyRecord((): ForwardOutput => {
    // Embeddings: token part (given or looked up) plus learned positions (absolute) or nothing (rotary).
    const tokens = input.embeds ?? tokenEmbeddings(params, input.ids!); // (B,T,C)
    const rotary = config.position_embedding_type === "rotary"
      ? input.rotary ??
        rotaryTables(input.positionIds ?? tf.range(P, P + T, 1, "int32").reshape([1, T]), D, config.rope_theta)
      : undefined;
    let x: Tensor3D = tokens;
    if (!rotary) {
      // Default positions P..P+T-1 are a contiguous slice of wpe (broadcast over the batch); given ones a lookup.
      const pos = input.positionIds
        ? tf.reshape(tf.gather(params["wpe.weight"], tf.reshape(input.positionIds, [B * T])), [B, T, C])
        : tf.reshape(tf.slice(params["wpe.weight"], [P, 0], [T, C]), [1, T, C]);
      x = tf.add(tokens, pos);
    }
    x = dropout(x, config.embd_pdrop) as Tensor3D; // (B,T,C)

    // Additive attention bias (B,1,T,K): 0 where query t may see key k (k ≤ P+t and not padding), else -1e9.
    const bias = input.attentionBias ?? additiveMask(B, T, P, input.attentionMask);

    const cache: KVCache = [];
    for (let i = 0; i < config.n_layer; i++) {
      const h = `h.${i}`;
      // --- attention ---
      const past = input.cache?.[i];
      const attn: AttentionWeights = {
        lnWeight: params[`${h}.ln_1.weight`],
        lnBias: params[`${h}.ln_1.bias`],
        attnWeight: params[`${h}.attn.c_attn.weight`],
        attnBias: params[`${h}.attn.c_attn.bias`],
        projWeight: params[`${h}.attn.c_proj.weight`],
        projBias: params[`${h}.attn.c_proj.bias`],
      };
      const context = { heads: H, eps: config.layer_norm_epsilon, bias, past, rotary };
      const dropping = input.training && (config.attn_pdrop > 0 || config.resid_pdrop > 0);
      if (!dropping && attentionResidualAvailable(x, context)) {
        // the lines below without dropout, as one kernel each way on wasm (kernels/attention_block.ts)
        const out = attentionResidual(x, attn, { ...context, keepCache: input.keepCache });
        if (out.k && out.v) cache.push({ k: out.k, v: out.v });
        x = out.y;
      } else {
        const a = layerNorm(x, attn.lnWeight, attn.lnBias, config.layer_norm_epsilon);
        const qkv = linear(a, attn.attnWeight, attn.attnBias); // (B,T,3C)
        let [q, kNew, vNew] = splitHeads(qkv, 3, H); // (B,H,T,D) each
        if (rotary) [q, kNew] = [applyRope(q, rotary), applyRope(kNew, rotary)]; // the cache keeps rotated keys
        const k = past ? tf.concat([past.k, kNew], 2) as Tensor4D : kNew; // (B,H,K,D)
        const v = past ? tf.concat([past.v, vNew], 2) as Tensor4D : vNew; // (B,H,K,D)
        cache.push({ k, v });
        // softmax(q·kᵀ/√D + bias) (B,H,T,K), dropout, then · v (B,H,T,D)
        const keep = input.training && config.attn_pdrop > 0
          ? dropoutMultiplier([B, H, T, K], config.attn_pdrop, dropoutSeed(input.training.seed, site++))
          : undefined;
        const y = mergeHeads([attention(q, k, v, bias, 1 / Math.sqrt(D), keep, true) as Tensor4D]); // (B,T,C)
        const attnOut = linear(y, attn.projWeight, attn.projBias);
        x = tf.add(x, dropout(attnOut, config.resid_pdrop)) as Tensor3D;
      }
      // --- MLP ---
      const mlp: MlpWeights = {
        lnWeight: params[`${h}.ln_2.weight`],
        lnBias: params[`${h}.ln_2.bias`],
        fcWeight: params[`${h}.mlp.c_fc.weight`],
        fcBias: params[`${h}.mlp.c_fc.bias`],
        projWeight: params[`${h}.mlp.c_proj.weight`],
        projBias: params[`${h}.mlp.c_proj.bias`],
      };
      if (input.training && config.resid_pdrop > 0) {
        const m = layerNorm(x, mlp.lnWeight, mlp.lnBias, config.layer_norm_epsilon);
        const up = geluNew(linear(m, mlp.fcWeight, mlp.fcBias)); // (B,T,4C)
        const down = linear(up, mlp.projWeight, mlp.projBias); // (B,T,C)
        x = tf.add(x, dropout(down, config.resid_pdrop)) as Tensor3D;
      } else {
        // the same four lines without dropout, as one kernel each way on wasm (kernels/mlp.ts)
        x = mlpResidual(x, mlp, config.layer_norm_epsilon);
      }
    }
    const hidden = layerNorm(x, params["ln_f.weight"], params["ln_f.bias"], config.layer_norm_epsilon);

    // Tied LM head: logits = hidden @ wteᵀ.
    const mode = input.logits ?? "all";
    let logits: Tensor3D | undefined;
    if (mode !== "none") {
      const rows = mode === "last" ? tf.slice(hidden, [0, T - 1, 0], [B, 1, C]) : hidden;
      const n = mode === "last" ? 1 : T;
      const flat = tf.reshape(rows, [B * n, C]) as Tensor2D;
      const product = input.head && !tf.engine().isTapeOn()
        ? timesPacked(flat, input.head)
        : matMulT(flat, params["wte.weight"]);
      logits = tf.reshape(product, [B, n, config.vocab_size]);
    }
    return { hidden, logits, cache };
  });
}

/** (B,T,C) → (B,T,N) through a Conv1D-layout weight (C,N) and bias (N). */
function linear(x: Tensor, w: Tensor, b: Tensor): Tensor3D {
  return affine(x, w, b) as Tensor3D;
}

/**
 * The additive attention mask of T queries after P cached positions, (B,1,T,P+T) — or (1,1,T,P+T) without `mask`:
 * 0 where query t may see key k (k ≤ P+t, and `mask` (B,P+T) is 1 there), −1e9 elsewhere. What {@link gpt2Forward}
 * adds to attention's scores; a caller running one sequence in several calls can make it once and pass each call
 * its cut (`attentionBias` of {@link ForwardInput}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { attentionBias } from "@copra/model";
 * const bias = attentionBias(1, 2, 1, tf.tensor2d([[0, 1, 1]], undefined, "int32")); // one cached position, padding
 * assert.deepEqual(await bias.array(), [[[[-1e9, 0, -1e9], [-1e9, 0, 0]]]]);
 * ```
 */
export function attentionBias(B: number, T: number, P: number, mask?: Tensor2D): Tensor4D {
  return tf.tidy(() => additiveMask(B, T, P, mask));
}

/** {@link attentionBias}'s work, inside the caller's `tf.tidy`. */
function additiveMask(B: number, T: number, P: number, mask?: Tensor2D): Tensor4D {
  const K = P + T;
  const padding = mask ? tf.reshape(tf.cast(mask, "float32"), [B, 1, 1, K]) : undefined;
  let allowed: Tensor;
  if (T === 1 && padding) {
    allowed = padding; // one query, at the last position: it may see every key that is not padding
  } else {
    const causal = new Float32Array(T * K);
    for (let t = 0; t < T; t++) causal.fill(1, t * K, t * K + P + t + 1);
    allowed = tf.tensor4d(causal, [1, 1, T, K]);
    if (padding) allowed = tf.mul(allowed, padding);
  }
  return tf.mul(tf.sub(allowed, 1), 1e9) as Tensor4D;
}

/** A distinct, reproducible seed for each dropout site of a call. */
function dropoutSeed(seed: number, site: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(site + 1, 0xc2b2ae35)) >>> 0;
}
