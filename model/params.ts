/**
 * GPT-2's parameters: a record of `tf.Variable`s named as in Hugging Face's `GPT2Model` state dict, weights in
 * its Conv1D (in, out) layout, so HF checkpoints load without transposes. The LM head is tied to `wte.weight`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { type GPT2Config, innerSize } from "./config.ts";
import { ModelError } from "./errors.ts";
import { Rng } from "@copra/random/browser";
import type { Variable } from "./tensors.ts";

/** The model's parameters, keyed by Hugging Face name (`wte.weight`, `h.0.attn.c_attn.weight`, …). */
export type GPT2Params = Record<string, Variable>;

/**
 * Every parameter's name and shape, in Hugging Face's order (C channels, V vocabulary, 3C for q/k/v).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gpt2Config, paramShapes } from "@copra/model";
 * const shapes = paramShapes(gpt2Config("nano", { vocab_size: 100 }));
 * assert.deepEqual(shapes["wte.weight"], [100, 48]);
 * assert.deepEqual(shapes["h.2.attn.c_attn.weight"], [48, 144]);
 * ```
 */
export function paramShapes(config: GPT2Config): Record<string, number[]> {
  const C = config.n_embd, I = innerSize(config);
  const shapes: Record<string, number[]> = { "wte.weight": [config.vocab_size, C] };
  if (config.position_embedding_type === "absolute") shapes["wpe.weight"] = [config.n_positions, C];
  for (let i = 0; i < config.n_layer; i++) {
    const h = `h.${i}`;
    Object.assign(shapes, {
      [`${h}.ln_1.weight`]: [C],
      [`${h}.ln_1.bias`]: [C],
      [`${h}.attn.c_attn.weight`]: [C, 3 * C],
      [`${h}.attn.c_attn.bias`]: [3 * C],
      [`${h}.attn.c_proj.weight`]: [C, C],
      [`${h}.attn.c_proj.bias`]: [C],
      [`${h}.ln_2.weight`]: [C],
      [`${h}.ln_2.bias`]: [C],
      [`${h}.mlp.c_fc.weight`]: [C, I],
      [`${h}.mlp.c_fc.bias`]: [I],
      [`${h}.mlp.c_proj.weight`]: [I, C],
      [`${h}.mlp.c_proj.bias`]: [C],
    });
  }
  shapes["ln_f.weight"] = [C];
  shapes["ln_f.bias"] = [C];
  return shapes;
}

/**
 * Number of scalars in the parameters (the tied head counted once).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countParams, PRESETS } from "@copra/model";
 * assert.equal(countParams(PRESETS.gpt2), 124_439_808);
 * ```
 */
export function countParams(config: GPT2Config): number {
  return Object.values(paramShapes(config)).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
}

/** Options of {@link initParams}. */
export interface InitOptions {
  /** Seed of the initial weights. Default 0. */
  seed?: number;
}

/**
 * Fresh parameters with GPT-2's initialisation: weights and embeddings N(0, initializer_range), residual
 * projections (`attn.c_proj`, `mlp.c_proj`) N(0, initializer_range/√(2·n_layer)), biases 0, LayerNorm
 * gains 1. The same seed gives the same weights on every backend.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { disposeParams, gpt2Config, initParams } from "@copra/model";
 * const params = initParams(gpt2Config("nano", { vocab_size: 64 }), { seed: 1 });
 * assert.deepEqual(params["wte.weight"].shape, [64, 48]);
 * disposeParams(params);
 * ```
 */
export function initParams(config: GPT2Config, options: InitOptions = {}): GPT2Params {
  const rng = new Rng(options.seed ?? 0);
  const std = config.initializer_range;
  const residualStd = std / Math.sqrt(2 * config.n_layer);
  const params: GPT2Params = {};
  for (const [name, shape] of Object.entries(paramShapes(config))) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (name.endsWith(".bias")) {
      // zeros
    } else if (/\.ln_\d\.weight$|^ln_f\.weight$/.test(name)) {
      values.fill(1);
    } else {
      const s = /c_proj\.weight$/.test(name) ? residualStd : std;
      for (let i = 0; i < size; i++) values[i] = rng.normal() * s;
    }
    params[name] = tf.tidy(() => tf.variable(tf.tensor(values, shape), true));
  }
  return params;
}

/**
 * Disposes every variable of a parameter record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { disposeParams, gpt2Config, initParams } from "@copra/model";
 * const before = tf.memory().numTensors;
 * disposeParams(initParams(gpt2Config("nano", { vocab_size: 8 })));
 * assert.equal(tf.memory().numTensors, before);
 * ```
 */
export function disposeParams(params: GPT2Params): void {
  for (const v of Object.values(params)) v.dispose();
}

/**
 * The names of the parameters holding a NaN or an infinity (empty when all are finite). A diverged run's
 * weights are caught with it before they are saved or used.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { disposeParams, gpt2Config, initParams, nonFiniteParams } from "@copra/model";
 * const params = initParams(gpt2Config("nano", { vocab_size: 8 }));
 * assert.deepEqual(await nonFiniteParams(params), []);
 * params["ln_f.bias"].assign(tf.fill([48], NaN));
 * assert.deepEqual(await nonFiniteParams(params), ["ln_f.bias"]);
 * disposeParams(params);
 * ```
 */
export async function nonFiniteParams(params: GPT2Params): Promise<string[]> {
  const names = Object.keys(params);
  const flags = tf.tidy(() => tf.stack(names.map((n) => tf.any(tf.logicalNot(tf.isFinite(params[n]))))));
  const values = await flags.data();
  flags.dispose();
  return names.filter((_, i) => values[i] !== 0);
}

/**
 * Grows the vocabulary to `vocabSize` rows (for added special tokens). New rows copy row `initFrom` of
 * `wte.weight` — Coconut's official code copies the embedding of the token `<<`. Returns the new config; the
 * parameter record is updated in place (the old `wte.weight` is disposed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { disposeParams, gpt2Config, initParams, resizeVocab } from "@copra/model";
 * const config = gpt2Config("nano", { vocab_size: 10 });
 * const params = initParams(config);
 * const bigger = resizeVocab(params, config, 13, { initFrom: 4 });
 * assert.equal(bigger.vocab_size, 13);
 * const wte = (await params["wte.weight"].array()) as number[][];
 * assert.deepEqual(wte[12], wte[4]);
 * disposeParams(params);
 * ```
 */
export function resizeVocab(
  params: GPT2Params,
  config: GPT2Config,
  vocabSize: number,
  options: { initFrom: number },
): GPT2Config {
  const old = config.vocab_size;
  if (!Number.isInteger(vocabSize) || vocabSize < old) {
    throw new ModelError({
      source: "argument",
      field: "vocabSize",
      value: vocabSize,
      problem: `must be an integer of at least the current vocabulary size ${old}`,
    });
  }
  if (!Number.isInteger(options.initFrom) || options.initFrom < 0 || options.initFrom >= old) {
    throw new ModelError({
      source: "argument",
      field: "initFrom",
      value: options.initFrom,
      problem: `must be a token id below ${old}`,
    });
  }
  if (vocabSize === old) return config;
  const wte = params["wte.weight"];
  const grown = tf.tidy(() => {
    const row = tf.slice(wte, [options.initFrom, 0], [1, config.n_embd]);
    return tf.concat([wte, tf.tile(row, [vocabSize - old, 1])], 0);
  });
  params["wte.weight"] = tf.variable(grown, true);
  grown.dispose();
  wte.dispose();
  return { ...config, vocab_size: vocabSize };
}
