/**
 * The state-dict layout of the official Coconut code (facebookresearch/coconut, PyTorch + Hugging Face): what
 * its `run.py` saves as `checkpoint_<epoch>` and loads with `load_model_path`.
 *
 * - `"coconut"`: the `Coconut` module wrapping a `GPT2LMHeadModel` — `base_causallm.transformer.wte.weight`, …,
 *   `base_causallm.transformer.ln_f.bias`, `base_causallm.lm_head.weight` (tied to wte), and `embedding.weight`
 *   (the same tensor again: the wrapper keeps a reference to the input embeddings). Methods coconut.
 * - `"causallm"`: a plain `GPT2LMHeadModel` — `transformer.…` and `lm_head.weight`. Methods cot, no-cot and
 *   no-thought, whose runs the official code keeps unwrapped (it refuses to load wrapped weights into them).
 *
 * copra's parameter names are GPT-2's, so the mapping is a prefix; the tied tensors share one storage in the
 * written file, as in a `torch.save` of the module. Reading also accepts what distributed or compiled PyTorch
 * adds to keys (`module.`, `_fsdp_wrapped_module.`, `_orig_mod.`) and skips attention-mask buffers.
 *
 * @module
 */

import type { GPT2Config, PresetName } from "./config.ts";
import { gpt2ParamName, isAttentionBuffer, paramsFromSafetensors } from "./checkpoint.ts";
import { ModelError } from "./errors.ts";
import { type GPT2Params, paramShapes } from "./params.ts";
import type { SafeTensor } from "./safetensors.ts";
import type { TorchTensor, TorchTensorInput } from "./torch_checkpoint.ts";

/**
 * GPT-2 on the Hugging Face hub, as the official `args.yaml` names it in `model_id`, with the copra preset of the
 * same sizes (the official code's default is `openai-community/gpt2`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GPT2_HUB_PRESETS, PRESETS } from "@copra/model";
 * assert.equal(PRESETS[GPT2_HUB_PRESETS["openai-community/gpt2"]].n_layer, 12);
 * ```
 */
export const GPT2_HUB_PRESETS: Readonly<Record<string, PresetName>> = {
  "openai-community/gpt2": "gpt2",
  "gpt2": "gpt2",
  "openai-community/gpt2-medium": "gpt2-medium",
  "gpt2-medium": "gpt2-medium",
};

/**
 * Which module of the official code a state dict belongs to: the `Coconut` wrapper or a plain causal LM.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { officialModuleFor } from "@copra/model";
 * import type { OfficialModule } from "@copra/model";
 * const module: OfficialModule | null = officialModuleFor("cot");
 * assert.equal(module, "causallm");
 * ```
 */
export type OfficialModule = "coconut" | "causallm";

/**
 * The module the official code builds for a copra method (`coconut` → the wrapper; `cot`, `no-cot`, `no-thought`
 * → a plain causal LM), or null for a method it does not have.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { officialModuleFor } from "@copra/model";
 * assert.equal(officialModuleFor("coconut"), "coconut");
 * assert.equal(officialModuleFor("pause-as-thought"), null);
 * ```
 */
export function officialModuleFor(method: string): OfficialModule | null {
  if (method === "coconut") return "coconut";
  if (method === "cot" || method === "no-cot" || method === "no-thought") return "causallm";
  return null;
}

/**
 * The official state dict of a copra model, ready for {@link writeTorchCheckpoint}: keys in the order PyTorch
 * lists them, the LM head (and, for `"coconut"`, `embedding.weight`) sharing wte's values. Tensors that are not
 * GPT-2's (the learned switch) are left out; rotary models are refused (Hugging Face's GPT-2 has a position table).
 * `vocabSize` keeps only the first rows of the token embeddings, for an official vocabulary that ends earlier
 * (GPT-2's 50257 tokens and the three Coconut tokens, without copra's `<pause>`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { disposeParams, gpt2Config, initParams, officialStateDict } from "@copra/model";
 * const config = gpt2Config("nano", { vocab_size: 20, n_layer: 1 });
 * const params = initParams(config);
 * const sd = await officialStateDict(params, config, "coconut");
 * assert.equal([...sd.keys()][0], "base_causallm.transformer.wte.weight");
 * assert.equal(sd.get("embedding.weight")!.data, sd.get("base_causallm.lm_head.weight")!.data);
 * const trimmed = await officialStateDict(params, config, "causallm", { vocabSize: 17 });
 * assert.deepEqual(trimmed.get("lm_head.weight")!.shape, [17, 48]);
 * disposeParams(params);
 * ```
 */
export async function officialStateDict(
  params: GPT2Params,
  config: GPT2Config,
  module: OfficialModule,
  options: { vocabSize?: number } = {},
): Promise<Map<string, TorchTensorInput>> {
  if (config.position_embedding_type !== "absolute") {
    throw new ModelError({
      source: "config.json",
      field: "position_embedding_type",
      value: config.position_embedding_type,
      problem: "Hugging Face's GPT-2 (and so the official Coconut code) has only learned absolute positions",
      hint: "export a model trained with --positions absolute",
    });
  }
  const prefix = module === "coconut" ? "base_causallm." : "";
  const out = new Map<string, TorchTensorInput>();
  for (const [name, shape] of Object.entries(paramShapes(config))) {
    const p = params[name];
    if (p === undefined) {
      throw new ModelError({ source: "argument", field: name, value: null, problem: "missing from the parameters" });
    }
    out.set(`${prefix}transformer.${name}`, { shape: [...shape], data: (await p.data()) as Float32Array });
  }
  let wte = out.get(`${prefix}transformer.wte.weight`)!;
  const rows = options.vocabSize ?? config.vocab_size;
  if (!Number.isInteger(rows) || rows < 1 || rows > config.vocab_size) {
    throw new ModelError({
      source: "argument",
      field: "vocabSize",
      value: rows,
      problem: `must be a whole number from 1 to the model's ${config.vocab_size} token rows`,
    });
  }
  if (rows < config.vocab_size) {
    // The official vocabulary ends earlier: the rows after it (tokens it does not have) are left out.
    wte = { shape: [rows, config.n_embd], data: wte.data.subarray(0, rows * config.n_embd) };
    out.set(`${prefix}transformer.wte.weight`, wte);
  }
  out.set(`${prefix}lm_head.weight`, wte);
  if (module === "coconut") out.set("embedding.weight", wte);
  return out;
}

/** The element types of weights (float16 and bfloat16 arrive as float32 values). */
const FLOATS = new Set(["float32", "float16", "bfloat16", "float64"]);

/**
 * The module a state dict belongs to: `"coconut"` when its keys start with `base_causallm.` (as the official
 * `run.py` decides), else `"causallm"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { officialModuleOf } from "@copra/model";
 * assert.equal(officialModuleOf(["base_causallm.transformer.wte.weight", "embedding.weight"]), "coconut");
 * assert.equal(officialModuleOf(["transformer.wte.weight"]), "causallm");
 * ```
 */
export function officialModuleOf(keys: Iterable<string>): OfficialModule {
  // Behind what wrappers add (`module.base_causallm.…`) too; GPT-2's own names never hold the segment.
  for (const key of keys) if (/(?:^|\.)base_causallm\./.test(key)) return "coconut";
  return "causallm";
}

/**
 * copra parameters from an official state dict (read with {@link readTorchCheckpoint}), checked against
 * `config`: every GPT-2 tensor present with its shape, nothing unknown, `lm_head.weight` and `embedding.weight`
 * equal to wte (copra's head is tied). Throws a {@link ModelError} naming `source` and the key at fault.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { disposeParams, gpt2Config, initParams, officialStateDict, paramsFromOfficial, readTorchCheckpoint, writeTorchCheckpoint } from "@copra/model";
 * const config = gpt2Config("nano", { vocab_size: 20, n_layer: 1 });
 * const params = initParams(config, { seed: 1 });
 * const file = writeTorchCheckpoint(await officialStateDict(params, config, "coconut"));
 * const back = paramsFromOfficial(readTorchCheckpoint(file, "checkpoint_3"), config, "checkpoint_3");
 * assert.deepEqual(await back["ln_f.weight"].data(), await params["ln_f.weight"].data());
 * disposeParams(params);
 * disposeParams(back);
 * ```
 */
export function paramsFromOfficial(
  tensors: Map<string, TorchTensor>,
  config: GPT2Config,
  source: string,
): GPT2Params {
  // paramsFromSafetensors maps the names and checks the tied copies; here only the element types are converted.
  const kept = new Map<string, SafeTensor>();
  for (const [key, t] of tensors) {
    if (isAttentionBuffer(key)) continue;
    if (!FLOATS.has(t.dtype)) {
      throw new ModelError({
        source,
        field: key,
        value: t.dtype,
        problem: "is not a floating-point tensor, so not a GPT-2 weight",
      });
    }
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as Float64Array);
    kept.set(key, { dtype: "F32", shape: t.shape, values: data });
  }
  return paramsFromSafetensors({ tensors: kept, metadata: {} }, config, source);
}

/**
 * The sizes an official state dict shows: vocabulary (wte rows), positions (wpe rows), channels and blocks.
 * Heads cannot be read from the weights; they come from the model's `config.json`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { officialSizes } from "@copra/model";
 * const t = (shape: number[]) => ({ dtype: "float32" as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
 * const sizes = officialSizes(new Map([["transformer.wte.weight", t([7, 4])], ["transformer.wpe.weight", t([5, 4])], ["transformer.h.1.ln_1.bias", t([4])]]), "x");
 * assert.deepEqual(sizes, { vocab_size: 7, n_positions: 5, n_embd: 4, n_layer: 2 });
 * ```
 */
export function officialSizes(
  tensors: Map<string, TorchTensor>,
  source: string,
): { vocab_size: number; n_positions: number; n_embd: number; n_layer: number } {
  let wte: number[] | undefined, wpe: number[] | undefined, layers = 0;
  for (const [key, t] of tensors) {
    const name = gpt2ParamName(key);
    if (name === "wte.weight") wte = t.shape;
    else if (name === "wpe.weight") wpe = t.shape;
    const block = /^h\.(\d+)\./.exec(name);
    if (block) layers = Math.max(layers, Number(block[1]) + 1);
  }
  for (const [field, shape] of [["wte.weight", wte], ["wpe.weight", wpe]] as const) {
    if (shape?.length !== 2) {
      throw new ModelError({
        source,
        field,
        value: shape ?? null,
        problem: "missing or not a matrix: this is not a GPT-2 state dict",
      });
    }
  }
  return { vocab_size: wte![0], n_positions: wpe![0], n_embd: wte![1], n_layer: layers };
}
