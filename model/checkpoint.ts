/**
 * Model checkpoints in Hugging Face's layout: a folder with `model.safetensors` (GPT-2 key names, Conv1D
 * (in, out) weights) and `config.json`.
 *
 * Mapping to PyTorch/Hugging Face: copra's parameter `h.0.attn.c_attn.weight` is the state-dict key
 * `h.0.attn.c_attn.weight` of `GPT2Model` (and `transformer.h.0.attn.c_attn.weight` of `GPT2LMHeadModel`),
 * same shape, same layout; `lm_head.weight` is tied to `wte.weight` and not stored, exactly as in the `gpt2`
 * checkpoint on the Hugging Face hub, so `GPT2LMHeadModel.from_pretrained(folder)` loads what copra saves.
 * Reading accepts the prefixes `transformer.` (HF `GPT2LMHeadModel`) and `base_causallm.` (the official
 * Coconut code's wrapper) and what DDP/FSDP and torch.compile add to keys, ignores the attention-mask buffers
 * (`h.N.attn.bias`, `h.N.attn.masked_bias`), and checks a stored `lm_head.weight` (and the official wrapper's
 * `embedding.weight`) against `wte.weight`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { configToJson, type GPT2Config, parseConfigJson } from "./config.ts";
import { ModelError } from "./errors.ts";
import { readFile, writeModelFile } from "./files.ts";
import { type GPT2Params, paramShapes } from "./params.ts";
import { SWITCH_NAMES, switchShapes } from "./switch.ts";
import { parseSafetensors, type SafetensorsFile, serializeSafetensors } from "./safetensors.ts";

/**
 * File names inside a checkpoint folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CHECKPOINT_FILES } from "@copra/model";
 * assert.equal(CHECKPOINT_FILES.weights, "model.safetensors");
 * ```
 */
export const CHECKPOINT_FILES: { readonly weights: "model.safetensors"; readonly config: "config.json" } = {
  weights: "model.safetensors",
  config: "config.json",
};

/** Attention-mask buffers of older Hugging Face versions: not parameters. */
const BUFFER = /^h\.\d+\.attn\.(bias|masked_bias)$/;
/** Key parts added by DDP/FSDP wrappers and torch.compile, not part of the module's own names. */
const WRAPPERS = /(?<=^|\.)(module|_fsdp_wrapped_module|_orig_mod)\./g;
/** Stored copies of `wte.weight` (copra's head is tied), with what each is. */
const TIED: Record<string, string> = {
  "lm_head.weight": "differs from wte.weight, but copra's LM head is tied to the token embeddings",
  "embedding.weight":
    "differs from the wrapped model's wte.weight, but it is the same tensor in the official Coconut (the file was " +
    "edited or is not a Coconut checkpoint)",
};

/**
 * The GPT-2 parameter name of a state-dict key: without what wrappers add (`module.`, `_fsdp_wrapped_module.`,
 * `_orig_mod.`) and without the prefixes of Hugging Face's `GPT2LMHeadModel` (`transformer.`) and of the official
 * Coconut module (`base_causallm.`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gpt2ParamName } from "@copra/model";
 * assert.equal(gpt2ParamName("module.base_causallm.transformer.h.0._fsdp_wrapped_module.ln_1.weight"), "h.0.ln_1.weight");
 * assert.equal(gpt2ParamName("base_causallm.lm_head.weight"), "lm_head.weight");
 * ```
 */
export function gpt2ParamName(key: string): string {
  return key.replace(WRAPPERS, "").replace(/^base_causallm\./, "").replace(/^transformer\./, "");
}

/**
 * Whether a state-dict key is an attention-mask buffer of older Hugging Face versions (not a parameter).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isAttentionBuffer } from "@copra/model";
 * assert.equal(isAttentionBuffer("transformer.h.3.attn.masked_bias"), true);
 * assert.equal(isAttentionBuffer("transformer.h.3.attn.c_attn.bias"), false);
 * ```
 */
export function isAttentionBuffer(key: string): boolean {
  return BUFFER.test(gpt2ParamName(key));
}

/**
 * Builds a parameter record for `config` from a parsed safetensors file, the learned switch's two tensors
 * included when the file has them. Throws a {@link ModelError} naming a missing, unexpected or mis-shaped tensor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { disposeParams, gpt2Config, initParams, paramsFromSafetensors, paramsToSafetensors, parseSafetensors } from "@copra/model";
 * const config = gpt2Config("nano", { vocab_size: 20 });
 * const params = initParams(config, { seed: 3 });
 * const file = parseSafetensors(await paramsToSafetensors(params));
 * const again = paramsFromSafetensors(file, config);
 * assert.deepEqual(await again["h.1.mlp.c_fc.bias"].data(), await params["h.1.mlp.c_fc.bias"].data());
 * disposeParams(params);
 * disposeParams(again);
 * ```
 */
export function paramsFromSafetensors(
  file: SafetensorsFile,
  config: GPT2Config,
  source = "model.safetensors",
): GPT2Params {
  const shapes = paramShapes(config);
  const optional = switchShapes(config); // the learned switch, when the run trained one
  const found = new Map<string, { key: string; shape: number[]; values: Float32Array }>();
  const tied: { name: string; key: string; values: Float32Array }[] = [];
  for (const [key, tensor] of file.tensors) {
    const name = gpt2ParamName(key);
    if (BUFFER.test(name)) continue;
    if (name in TIED) {
      tied.push({ name, key, values: tensor.values });
      continue;
    }
    if (!(name in shapes) && !(name in optional)) {
      throw new ModelError({
        source,
        field: key,
        value: tensor.shape,
        problem: "not a GPT-2 parameter of this configuration",
        hint: `expected names like "h.0.attn.c_attn.weight" for ${config.n_layer} layers`,
      });
    }
    found.set(name, { key, shape: tensor.shape, values: tensor.values });
  }
  if (found.has(SWITCH_NAMES.weight) !== found.has(SWITCH_NAMES.bias)) {
    const missing = found.has(SWITCH_NAMES.weight) ? SWITCH_NAMES.bias : SWITCH_NAMES.weight;
    throw new ModelError({ source, field: missing, value: null, problem: "missing: the switch needs both tensors" });
  }
  if (found.has(SWITCH_NAMES.weight)) Object.assign(shapes, optional);
  for (const [name, shape] of Object.entries(shapes)) {
    const t = found.get(name);
    if (t === undefined) {
      throw new ModelError({ source, field: name, value: null, problem: "missing from the checkpoint" });
    }
    if (t.shape.join() !== shape.join()) {
      throw new ModelError({
        source,
        field: t.key,
        value: t.shape,
        problem: `expected shape [${shape}] for this configuration`,
        hint: "check config.json (vocab_size, n_embd, n_positions) against the weights",
      });
    }
  }
  const wte = found.get("wte.weight")!.values;
  for (const copy of tied) {
    if (copy.values.length !== wte.length || copy.values.some((x, i) => x !== wte[i])) {
      throw new ModelError({ source, field: copy.key, value: copy.values.length, problem: TIED[copy.name] });
    }
  }
  const params: GPT2Params = {};
  for (const [name, shape] of Object.entries(shapes)) {
    params[name] = tf.tidy(() => tf.variable(tf.tensor(found.get(name)!.values, shape), true));
  }
  return params;
}

/**
 * The safetensors bytes of a parameter record (float32, Hugging Face names, no prefix).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { disposeParams, gpt2Config, initParams, paramsToSafetensors, parseSafetensors } from "@copra/model";
 * const params = initParams(gpt2Config("nano", { vocab_size: 20 }));
 * const file = parseSafetensors(await paramsToSafetensors(params, { format: "pt" }));
 * assert.deepEqual(file.tensors.get("wte.weight")!.shape, [20, 48]);
 * assert.equal(file.metadata.format, "pt");
 * disposeParams(params);
 * ```
 */
export async function paramsToSafetensors(params: GPT2Params, metadata?: Record<string, string>): Promise<Uint8Array> {
  const tensors: Record<string, { shape: number[]; values: Float32Array }> = {};
  for (const [name, v] of Object.entries(params)) {
    tensors[name] = { shape: v.shape, values: (await v.data()) as Float32Array };
  }
  return serializeSafetensors(tensors, metadata);
}

/**
 * Writes `model.safetensors` and `config.json` into `dir` (created if needed). Each file is written to a
 * temporary name and renamed, so a crash never leaves a half-written checkpoint file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { disposeParams, gpt2Config, initParams, loadCheckpoint, saveCheckpoint } from "@copra/model";
 * const dir = await Deno.makeTempDir();
 * const config = gpt2Config("nano", { vocab_size: 20 });
 * const params = initParams(config);
 * await saveCheckpoint(dir, params, config);
 * const loaded = await loadCheckpoint(dir);
 * assert.deepEqual(loaded.config, config);
 * disposeParams(params);
 * disposeParams(loaded.params);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveCheckpoint(dir: string, params: GPT2Params, config: GPT2Config): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await writeModelFile(`${dir}/${CHECKPOINT_FILES.weights}`, await paramsToSafetensors(params, { format: "pt" }));
  await writeModelFile(`${dir}/${CHECKPOINT_FILES.config}`, new TextEncoder().encode(configToJson(config)));
}

/**
 * Reads a checkpoint folder (`config.json` + `model.safetensors`), e.g. one saved by copra or Hugging Face's
 * `gpt2` files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { disposeParams, gpt2Config, initParams, loadCheckpoint, saveCheckpoint } from "@copra/model";
 * const dir = await Deno.makeTempDir();
 * const original = initParams(gpt2Config("nano", { vocab_size: 16 }), { seed: 3 });
 * await saveCheckpoint(dir, original, gpt2Config("nano", { vocab_size: 16 }));
 * const { config, params } = await loadCheckpoint(dir);
 * assert.equal(config.vocab_size, 16);
 * assert.deepEqual(await params["ln_f.bias"].data(), await original["ln_f.bias"].data());
 * disposeParams(params);
 * disposeParams(original);
 * ```
 */
export async function loadCheckpoint(dir: string): Promise<{ config: GPT2Config; params: GPT2Params }> {
  const configPath = `${dir}/${CHECKPOINT_FILES.config}`;
  const weightsPath = `${dir}/${CHECKPOINT_FILES.weights}`;
  const config = parseConfigJson(await readFile(configPath, (b) => new TextDecoder().decode(b)), configPath);
  const file = parseSafetensors(await readFile(weightsPath, (b) => b), weightsPath);
  return { config, params: paramsFromSafetensors(file, config, weightsPath) };
}
