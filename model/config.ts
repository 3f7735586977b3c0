/**
 * GPT-2 hyper-parameters with Hugging Face `GPT2Config` field names, presets, validation, and `config.json`.
 *
 * @module
 */

import { jsonProblem } from "@copra/core/browser";
import { ModelError } from "./errors.ts";

/** GPT-2 hyper-parameters, named as in Hugging Face's `GPT2Config` (and its `config.json`). */
export interface GPT2Config {
  /** V: vocabulary size (rows of `wte`). */
  vocab_size: number;
  /** Longest sequence: rows of `wpe`. */
  n_positions: number;
  /** C: channels of the residual stream. */
  n_embd: number;
  /** Number of transformer blocks. */
  n_layer: number;
  /** H: attention heads; must divide `n_embd`. */
  n_head: number;
  /** Width of the MLP's hidden layer; `null` means 4·C. */
  n_inner: number | null;
  /** MLP activation: `"gelu_new"` (GPT-2's tanh approximation; `"gelu_pytorch_tanh"` is the same). */
  activation_function: "gelu_new" | "gelu_pytorch_tanh";
  /** Dropout after each attention and MLP block. */
  resid_pdrop: number;
  /** Dropout on the input embeddings. */
  embd_pdrop: number;
  /** Dropout on attention probabilities. */
  attn_pdrop: number;
  /** LayerNorm ε. */
  layer_norm_epsilon: number;
  /** Standard deviation of the initial weights. */
  initializer_range: number;
  /**
   * Positions: `"absolute"` (GPT-2's learned `wpe` table, added to the input) or `"rotary"` (RoPE: queries and
   * keys rotated by position, no `wpe`; relative positions, which small models learn lookups with much sooner).
   * Rotary models are copra's own: Hugging Face's GPT-2 cannot load them.
   */
  position_embedding_type: "absolute" | "rotary";
  /** RoPE base θ: pair i of a head turns by position·θ^(−2i/D). 10000 as in RoFormer and Llama. */
  rope_theta: number;
}

/** Names of the built-in presets. */
export type PresetName = "gpt2" | "gpt2-medium" | "tiny" | "nano" | "micro" | "mini";

const DEFAULTS: GPT2Config = {
  vocab_size: 50257,
  n_positions: 1024,
  n_embd: 768,
  n_layer: 12,
  n_head: 12,
  n_inner: null,
  activation_function: "gelu_new",
  resid_pdrop: 0.1,
  embd_pdrop: 0.1,
  attn_pdrop: 0.1,
  layer_norm_epsilon: 1e-5,
  initializer_range: 0.02,
  position_embedding_type: "absolute",
  rope_theta: 10000,
};

/**
 * Built-in configurations. `gpt2` (124M) and `gpt2-medium` (355M) are OpenAI's; the small ones are for CPU
 * work and tests: `tiny` is the benchmark model of DESIGN.md §5 (V 256, T 64, C 128, H 4, L 2), `nano` 3×48,
 * `micro` 4×128, `mini` 6×256. Override `vocab_size` to fit a tokenizer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS } from "@copra/model";
 * assert.equal(PRESETS.gpt2.n_embd, 768);
 * assert.equal(PRESETS.nano.n_layer, 3);
 * ```
 */
export const PRESETS: Readonly<Record<PresetName, Readonly<GPT2Config>>> = {
  "gpt2": DEFAULTS,
  "gpt2-medium": { ...DEFAULTS, n_embd: 1024, n_layer: 24, n_head: 16 },
  "tiny": { ...DEFAULTS, vocab_size: 256, n_positions: 64, n_embd: 128, n_layer: 2, n_head: 4 },
  "nano": { ...DEFAULTS, n_positions: 512, n_embd: 48, n_layer: 3, n_head: 3 },
  "micro": { ...DEFAULTS, n_positions: 512, n_embd: 128, n_layer: 4, n_head: 4 },
  "mini": { ...DEFAULTS, n_positions: 1024, n_embd: 256, n_layer: 6, n_head: 8 },
};

/**
 * A validated configuration: a preset (or GPT-2's defaults) with the given fields replaced. Throws a
 * {@link ModelError} naming the first field that is out of range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gpt2Config } from "@copra/model";
 * const config = gpt2Config("micro", { vocab_size: 300 });
 * assert.equal(config.vocab_size, 300);
 * assert.equal(config.n_embd, 128);
 * ```
 */
export function gpt2Config(preset: PresetName = "gpt2", overrides: Partial<GPT2Config> = {}): GPT2Config {
  const base = PRESETS[preset];
  if (base === undefined) {
    throw new ModelError({
      source: "argument",
      field: "preset",
      value: preset,
      problem: "unknown preset",
      hint: `choose one of ${Object.keys(PRESETS).join(", ")}`,
    });
  }
  return validateConfig({ ...base, ...overrides });
}

/**
 * Head size D = C / H.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headSize, PRESETS } from "@copra/model";
 * assert.equal(headSize(PRESETS.gpt2), 64);
 * ```
 */
export function headSize(config: GPT2Config): number {
  return config.n_embd / config.n_head;
}

/**
 * Width of the MLP hidden layer: `n_inner`, or 4·C when it is `null`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { innerSize, PRESETS } from "@copra/model";
 * assert.equal(innerSize(PRESETS.gpt2), 3072);
 * ```
 */
export function innerSize(config: GPT2Config): number {
  return config.n_inner ?? 4 * config.n_embd;
}

/**
 * Checks every field; returns the config unchanged or throws a {@link ModelError} naming `source` and the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRESETS, validateConfig } from "@copra/model";
 * assert.throws(() => validateConfig({ ...PRESETS.nano, n_head: 5 }), /n_head: must divide n_embd/);
 * ```
 */
export function validateConfig(config: GPT2Config, source = "argument"): GPT2Config {
  const fail = (field: string, problem: string, hint?: string): never => {
    throw new ModelError({
      source,
      field,
      value: (config as unknown as Record<string, unknown>)[field],
      problem,
      hint,
    });
  };
  for (const field of ["vocab_size", "n_positions", "n_embd", "n_layer", "n_head"] as const) {
    if (!Number.isInteger(config[field]) || config[field] < 1) fail(field, "must be a positive integer");
  }
  if (config.n_embd % config.n_head !== 0) fail("n_head", `must divide n_embd (${config.n_embd})`);
  if (config.n_inner !== null && (!Number.isInteger(config.n_inner) || config.n_inner < 1)) {
    fail("n_inner", "must be a positive integer or null (4·n_embd)");
  }
  if (config.activation_function !== "gelu_new" && config.activation_function !== "gelu_pytorch_tanh") {
    fail("activation_function", "unsupported activation", 'GPT-2 uses "gelu_new"');
  }
  for (const field of ["resid_pdrop", "embd_pdrop", "attn_pdrop"] as const) {
    if (!(config[field] >= 0 && config[field] < 1)) fail(field, "must be a probability in [0, 1)");
  }
  if (!(config.layer_norm_epsilon > 0)) fail("layer_norm_epsilon", "must be positive");
  if (!(config.initializer_range > 0)) fail("initializer_range", "must be positive");
  if (config.position_embedding_type !== "absolute" && config.position_embedding_type !== "rotary") {
    fail("position_embedding_type", 'must be "absolute" or "rotary"');
  }
  if (config.position_embedding_type === "rotary" && (config.n_embd / config.n_head) % 2 !== 0) {
    fail("n_head", `rotary positions need an even head size (n_embd/n_head = ${config.n_embd / config.n_head})`);
  }
  if (!(config.rope_theta > 1)) fail("rope_theta", "must be greater than 1");
  return config;
}

/**
 * Reads a Hugging Face GPT-2 `config.json` text. Missing fields take GPT-2's defaults (as Hugging Face does);
 * `n_ctx` is accepted as an old name of `n_positions`; options copra does not implement are refused.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfigJson } from "@copra/model";
 * const config = parseConfigJson('{"model_type": "gpt2", "n_layer": 2, "n_embd": 64, "n_head": 4}');
 * assert.equal(config.n_layer, 2);
 * assert.equal(config.vocab_size, 50257);
 * ```
 */
export function parseConfigJson(text: string, source = "config.json"): GPT2Config {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelError(jsonProblem(source, text, error));
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ModelError({ source, field: "(top level)", value: json, problem: "expected an object" });
  }
  const raw = json as Record<string, unknown>;
  if (raw.model_type !== undefined && raw.model_type !== "gpt2") {
    throw new ModelError({
      source,
      field: "model_type",
      value: raw.model_type,
      problem: "not a GPT-2 configuration",
      hint: 'copra reads model_type "gpt2"',
    });
  }
  for (const flag of ["scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn"]) {
    if (raw[flag] === true) {
      throw new ModelError({ source, field: flag, value: true, problem: "not supported", hint: "set it to false" });
    }
  }
  if (raw.scale_attn_weights === false) {
    throw new ModelError({ source, field: "scale_attn_weights", value: false, problem: "not supported" });
  }
  const config: GPT2Config = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof GPT2Config)[]) {
    if (raw[key] !== undefined) (config as unknown as Record<string, unknown>)[key] = raw[key];
  }
  if (raw.n_positions === undefined && raw.n_ctx !== undefined) config.n_positions = raw.n_ctx as number;
  return validateConfig(config, source);
}

/**
 * The `config.json` text Hugging Face's `GPT2LMHeadModel.from_pretrained` reads.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configToJson, gpt2Config, parseConfigJson } from "@copra/model";
 * const config = gpt2Config("nano");
 * assert.deepEqual(parseConfigJson(configToJson(config)), config);
 * ```
 */
export function configToJson(config: GPT2Config): string {
  return JSON.stringify(
    {
      architectures: ["GPT2LMHeadModel"],
      model_type: "gpt2",
      ...config,
      n_ctx: config.n_positions,
      scale_attn_weights: true,
      tie_word_embeddings: true,
      use_cache: true,
    },
    null,
    2,
  ) + "\n";
}
