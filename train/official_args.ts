/**
 * The official Coconut code's run configuration (`args.yaml`, read by its `run.py` with `yaml.safe_load`) and
 * how a copra run's curriculum and recipe map onto it, both ways. What has no counterpart is listed, never
 * dropped silently: {@link toOfficialArgs} and {@link fromOfficialArgs} return the differences beside the result.
 *
 * @module
 */

// @ts-types="npm:@types/js-yaml@4.0.9"
import yaml from "js-yaml";
import { type CurriculumConfig, curriculumConfig, type Method, type OptimizerReset } from "@copra/curriculum";
import { RunError } from "./errors.ts";

/** What a key of `args.yaml` holds: its type, the least whole number where run.py counts, its default when absent. */
interface ArgSpec {
  type: "string" | "boolean" | "number";
  /** A whole number of at least this. */
  whole?: number;
  /** What run.py does without the key (keys without one must be there). */
  absent?: string | boolean | number;
}

/** The official keys in the order of its example files, each with what it holds. */
const ARGS: Record<keyof OfficialArgs, ArgSpec> = {
  project: { type: "string", absent: "coconut" },
  save_path: { type: "string" },
  name: { type: "string" },
  only_eval: { type: "boolean", absent: false },
  coconut: { type: "boolean" },
  cot: { type: "boolean" },
  no_thoughts: { type: "boolean", absent: false },
  no_cot: { type: "boolean", absent: false },
  c_thought: { type: "number", whole: 0 },
  epochs_per_stage: { type: "number", whole: 1 },
  max_latent_stage: { type: "number", whole: 0 },
  pad_latent_to_max: { type: "boolean", absent: false },
  save_only_improve: { type: "boolean", absent: false },
  uniform_prob: { type: "number", absent: 0 },
  model_id: { type: "string" },
  load_model_path: { type: "string", absent: "None" },
  seed: { type: "number", whole: 0 },
  resume: { type: "number", whole: 0, absent: 0 },
  bf16: { type: "boolean", absent: false },
  train_path: { type: "string" },
  val_path: { type: "string" },
  reset_optimizer: { type: "boolean", absent: true },
  batch_size_training: { type: "number", whole: 1 },
  debug: { type: "boolean", absent: false },
  gradient_accumulation_steps: { type: "number", whole: 1, absent: 1 },
  num_epochs: { type: "number", whole: 1 },
  lr: { type: "number" },
  weight_decay: { type: "number" },
};

/**
 * Every key of the official `args.yaml`, in the order of its example files (`args/prosqa_coconut.yaml`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OFFICIAL_ARGS_KEYS } from "@copra/train";
 * assert.ok(OFFICIAL_ARGS_KEYS.includes("c_thought"));
 * assert.equal(OFFICIAL_ARGS_KEYS.length, 28);
 * ```
 */
export const OFFICIAL_ARGS_KEYS: readonly (keyof OfficialArgs)[] = Object.keys(ARGS) as (keyof OfficialArgs)[];

/** The official `args.yaml`: one run of `torchrun … run.py args.yaml`. */
export interface OfficialArgs {
  /** wandb project. */
  project: string;
  /** Folder of the run folders; checkpoints go to `<save_path>/<name>/checkpoint_<epoch>`. */
  save_path: string;
  /** The run's name (its folder under save_path). */
  name: string;
  /** Only evaluate `load_model_path` on `val_path`. */
  only_eval: boolean;
  /** Method flags: at most one of coconut, cot, no_thoughts, no_cot is true (none: pause-as-thought). */
  coconut: boolean;
  /** Chain of thought (stage 0 throughout). */
  cot: boolean;
  /** The curriculum without thoughts (copra's no-thought). */
  no_thoughts: boolean;
  /** Question → answer. */
  no_cot: boolean;
  /** Thoughts per removed step (c). */
  c_thought: number;
  /** Epochs per stage. */
  epochs_per_stage: number;
  /** Last stage that removes one more step. */
  max_latent_stage: number;
  /** Beyond the last stage, max_latent_stage·c thoughts even for short items. */
  pad_latent_to_max: boolean;
  /** Save a checkpoint only when validation accuracy improves. */
  save_only_improve: boolean;
  /** Probability of a uniformly drawn stage per example. */
  uniform_prob: number;
  /** Hugging Face model id or folder: the architecture and the tokenizer. */
  model_id: string;
  /** A checkpoint to load, or the string "None". */
  load_model_path: string;
  /** Seed. */
  seed: number;
  /** Epochs to skip (the stage schedule starts there). */
  resume: number;
  /** Train in bfloat16. */
  bf16: boolean;
  /** Training data (the Coconut JSON format, as copra's). */
  train_path: string;
  /** Validation data. */
  val_path: string;
  /** A new AdamW every epoch (true) or one for the whole run (false). */
  reset_optimizer: boolean;
  /** Examples per GPU per forward pass. */
  batch_size_training: number;
  /** Small data and no wandb. */
  debug: boolean;
  /** Forward passes per update. */
  gradient_accumulation_steps: number;
  /** Epochs in all. */
  num_epochs: number;
  /** Learning rate (constant). */
  lr: number;
  /** AdamW weight decay. */
  weight_decay: number;
}

/** A {@link RunError}; `hint` optional. */
function runError(file: string, field: string, problem: string, value?: unknown, hint = ""): RunError {
  return new RunError(file, field, problem, value, hint);
}

/** A YAML scalar PyYAML's `safe_load` (YAML 1.1) reads back as this exact value and type. */
function scalar(value: string | number | boolean): string {
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "string") return JSON.stringify(value); // a double-quoted YAML string
  if (Number.isInteger(value)) return String(value);
  // YAML 1.1 reads 1e-4 as a string: an explicit float tag, as the official files write lr.
  return `!!float "${value}"`;
}

/**
 * The text of an `args.yaml`: every official key in the official order, comment lines first (`# …`). PyYAML's
 * `safe_load` reads it back to the same values and types (floats carry `!!float`, as in the official files).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatOfficialArgs, fromOfficialArgs, parseOfficialArgs, toOfficialArgs } from "@copra/train";
 * import { curriculumConfig } from "@copra/curriculum";
 * const { args } = toOfficialArgs(
 *   { curriculum: curriculumConfig({ method: "coconut" }), epochs: 40, seed: 0, lr: 1e-4, weightDecay: 0.01, batchSize: 32 },
 *   { name: "prosqa", savePath: "/ckpt", modelId: "/ckpt/hf", trainPath: "train.json", valPath: "valid.json" },
 * );
 * const text = formatOfficialArgs(args, ["exported by copra"]);
 * assert.match(text, /^# exported by copra\n/);
 * assert.match(text, /\nlr: !!float "0.0001"\n/);
 * assert.deepEqual(parseOfficialArgs(text, "args.yaml"), args);
 * assert.equal(fromOfficialArgs(args).curriculum.thoughtsPerStep, 1);
 * ```
 */
export function formatOfficialArgs(args: OfficialArgs, comments: readonly string[] = []): string {
  const lines = comments.flatMap((c) => c.split("\n")).map((c) => `# ${c}`.trimEnd());
  if (lines.length > 0) lines.push("");
  for (const key of OFFICIAL_ARGS_KEYS) lines.push(`${key}: ${scalar(args[key])}`);
  return lines.join("\n") + "\n";
}

/**
 * Reads an `args.yaml` (YAML; no tags but the standard ones, so no object can be built from it) and checks every
 * official key: present, of its type, whole numbers where the official code counts, exactly one method flag at most.
 * Throws a {@link RunError} naming `source`, the key and the value at fault. Unknown keys are kept out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseOfficialArgs } from "@copra/train";
 * assert.throws(() => parseOfficialArgs("c_thought: two\n", "args.yaml"), /args\.yaml: c_thought/);
 * ```
 */
export function parseOfficialArgs(text: string, source: string): OfficialArgs {
  let raw: unknown;
  try {
    raw = yaml.load(text, { schema: yaml.CORE_SCHEMA, filename: source });
  } catch (error) {
    throw runError(source, "(file)", `is not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw runError(source, "(file)", "must be a YAML mapping of the official run options", raw);
  }
  const record = raw as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  const missing: string[] = []; // reported after the values that are there but wrong
  for (const key of OFFICIAL_ARGS_KEYS) {
    const spec = ARGS[key];
    let value = key in record ? record[key] : spec.absent;
    if (value === undefined) {
      missing.push(key);
      continue;
    }
    if (spec.type === "boolean") {
      if (typeof value !== "boolean") throw runError(source, key, "must be True or False", value);
    } else if (spec.type === "number") {
      if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) value = Number(value);
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
        throw runError(source, key, "must be a number ≥ 0", value);
      }
      if (spec.whole !== undefined && (!Number.isInteger(value) || value < spec.whole)) {
        throw runError(source, key, `must be a whole number ≥ ${spec.whole}`, value);
      }
    } else if (typeof value !== "string") {
      if (value === null && key === "load_model_path") value = "None";
      else throw runError(source, key, "must be a string", value);
    }
    args[key] = value;
  }
  if (missing.length > 0) {
    throw runError(source, missing.join(", "), "missing; the official run.py needs them", undefined, "add them");
  }
  const flags = (["coconut", "cot", "no_thoughts", "no_cot"] as const).filter((k) => args[k] === true);
  if (flags.length > 1) {
    throw runError(source, flags.join(", "), "at most one method flag may be True", true);
  }
  if ((args.uniform_prob as number) > 1) throw runError(source, "uniform_prob", "must be in [0, 1]", args.uniform_prob);
  return args as unknown as OfficialArgs;
}

/** The recipe of a copra run, as far as the official code has settings for it. */
export interface OfficialRecipe {
  /** The curriculum. */
  curriculum: CurriculumConfig;
  /** Epochs in all. */
  epochs: number;
  /** The run's seed. */
  seed: number;
  /** Learning rate. */
  lr: number;
  /** AdamW weight decay. */
  weightDecay: number;
  /** Examples per forward pass. */
  batchSize: number;
  /** Examples per update (default batchSize). */
  effectiveBatch?: number;
  /** copra's learning-rate schedule (the official one is constant). */
  lrSchedule?: "constant" | "cosine";
  /** Gradient-norm clip, 0 for none (the official code does not clip). */
  clipNorm?: number;
  /** Weight of the learned switch's loss, 0 for none (the official code has no switch). */
  switchWeight?: number;
}

/** Where the exported run lives on the machine that runs the official code. */
export interface OfficialPlace {
  /** The run's name. */
  name: string;
  /** Folder of run folders. */
  savePath: string;
  /** Hugging Face model id or folder (architecture and tokenizer). */
  modelId: string;
  /** Training data. */
  trainPath: string;
  /** Validation data. */
  valPath: string;
  /** The checkpoint to start from ("None": none). */
  loadModelPath?: string;
  /** Epochs already done (the official `resume`). */
  resume?: number;
  /** GPUs the official run uses (torchrun's --nproc_per_node); default 1. */
  gpus?: number;
}

const FLAGS: Record<string, "coconut" | "cot" | "no_cot" | "no_thoughts"> = {
  "coconut": "coconut",
  "cot": "cot",
  "no-cot": "no_cot",
  "no-thought": "no_thoughts",
};

/**
 * The official `args.yaml` values for a copra recipe, and the list of what the official code will do differently
 * (a learning-rate schedule, clipping, the learned switch, …: it has no setting for them). Throws a
 * {@link RunError} for a method the official code does not have, or a batch the GPUs cannot split evenly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toOfficialArgs } from "@copra/train";
 * import { curriculumConfig } from "@copra/curriculum";
 * const { args, differences } = toOfficialArgs(
 *   { curriculum: curriculumConfig({ method: "cot" }), epochs: 6, seed: 1, lr: 1e-3, weightDecay: 0, batchSize: 16, effectiveBatch: 64, lrSchedule: "cosine" },
 *   { name: "r", savePath: "/s", modelId: "/s/hf", trainPath: "t.json", valPath: "v.json", gpus: 2 },
 * );
 * assert.equal(args.cot, true);
 * assert.equal(args.batch_size_training * args.gradient_accumulation_steps * 2, 64);
 * assert.match(differences.join("\n"), /cosine/);
 * ```
 */
export function toOfficialArgs(recipe: OfficialRecipe, place: OfficialPlace): {
  args: OfficialArgs;
  differences: string[];
} {
  const c = recipe.curriculum;
  const flag = FLAGS[c.method];
  if (flag === undefined) {
    throw runError(
      "run.json",
      "curriculum.method",
      "has no counterpart in the official Coconut code (it has coconut, cot, no-cot and no-thought)",
      c.method,
      "export --to hf gives the weights in Hugging Face's layout instead",
    );
  }
  const gpus = place.gpus ?? 1;
  const effective = recipe.effectiveBatch ?? recipe.batchSize;
  if (!Number.isInteger(gpus) || gpus < 1 || effective % gpus !== 0) {
    throw runError(
      "options",
      "gpus",
      `must be a whole number ≥ 1 that divides the run's ${effective} examples per update`,
      gpus,
    );
  }
  const perGpu = effective / gpus;
  const batch = perGpu % recipe.batchSize === 0 ? recipe.batchSize : perGpu;
  const differences: string[] = [];
  const reset: Record<OptimizerReset, boolean> = { "every-epoch": true, "stage-switch": true, "never": false };
  if (c.optimizerReset === "stage-switch" && c.epochsPerStage > 1) {
    differences.push(
      "optimizer: copra reset AdamW at stage switches; the official code can reset every epoch (reset_optimizer: " +
        "True, written) or never",
    );
  }
  if (recipe.lrSchedule === "cosine") {
    differences.push("learning rate: copra used a warm-up + cosine schedule; the official code keeps lr constant");
  }
  if ((recipe.clipNorm ?? 0) > 0) {
    differences.push(
      `gradient clipping: copra clipped the norm at ${recipe.clipNorm}; the official code does not clip`,
    );
  }
  if ((recipe.switchWeight ?? 0) > 0) {
    differences.push("learned switch: the official Coconut has none; its tensors are not exported");
  }
  if (c.questionLossWeight > 0) {
    differences.push(`question loss (weight ${c.questionLossWeight}): not in the official code`);
  }
  if (c.supervision !== "rest") differences.push(`supervision "${c.supervision}": the official code learns the rest`);
  if (c.toolResults !== "learn") differences.push("tool results as input: the official code learns them");
  if (c.epochsPerDifficulty > 0) differences.push("difficulty curriculum: not in the official code");
  differences.push(
    `seed ${recipe.seed}: the same number, but PyTorch's generators, not copra's: data order and initial draws differ`,
  );
  const args: OfficialArgs = {
    project: "coconut",
    save_path: place.savePath,
    name: place.name,
    only_eval: false,
    coconut: flag === "coconut",
    cot: flag === "cot",
    no_thoughts: flag === "no_thoughts",
    no_cot: flag === "no_cot",
    c_thought: c.thoughtsPerStep,
    epochs_per_stage: c.epochsPerStage,
    max_latent_stage: c.maxLatentStage,
    pad_latent_to_max: c.padLatentToMax,
    save_only_improve: false,
    uniform_prob: c.uniformProb,
    model_id: place.modelId,
    load_model_path: place.loadModelPath ?? "None",
    seed: recipe.seed,
    resume: place.resume ?? 0,
    bf16: false,
    train_path: place.trainPath,
    val_path: place.valPath,
    reset_optimizer: reset[c.optimizerReset],
    batch_size_training: batch,
    debug: false,
    gradient_accumulation_steps: perGpu / batch,
    num_epochs: recipe.epochs,
    lr: recipe.lr,
    weight_decay: recipe.weightDecay,
  };
  return { args, differences };
}

/**
 * A copra curriculum and recipe from official `args.yaml` values; `gpus` (default 1) gives the examples per
 * update, batch_size_training × gradient_accumulation_steps × GPUs. Returns the differences too (the official
 * `no_thoughts` sets c_thought to 0; copra's no-thought inserts nothing either way).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromOfficialArgs, parseOfficialArgs } from "@copra/train";
 * const args = parseOfficialArgs(
 *   "coconut: True\ncot: False\nsave_path: s\nname: n\nc_thought: 2\nepochs_per_stage: 3\nmax_latent_stage: 3\n" +
 *     "model_id: gpt2\ntrain_path: t\nval_path: v\nbatch_size_training: 32\nnum_epochs: 25\nseed: 0\n" +
 *     'lr: !!float "1e-4"\nweight_decay: 0.01\n',
 *   "args.yaml",
 * );
 * const { curriculum, recipe } = fromOfficialArgs(args, 4);
 * assert.equal(curriculum.thoughtsPerStep, 2);
 * assert.equal(curriculum.optimizerReset, "every-epoch");
 * assert.equal(recipe.effectiveBatch, 128);
 * ```
 */
export function fromOfficialArgs(args: OfficialArgs, gpus = 1): {
  curriculum: CurriculumConfig;
  recipe: OfficialRecipe & { effectiveBatch: number };
  differences: string[];
} {
  const method: Method | null = args.coconut
    ? "coconut"
    : args.cot
    ? "cot"
    : args.no_cot
    ? "no-cot"
    : args.no_thoughts
    ? "no-thought"
    : null;
  if (method === null) {
    // run.py then feeds <|latent|> as an ordinary learned token: pause-as-thought with that token, which copra's
    // pause-as-thought (a <pause> token) would not read the same way.
    throw runError(
      "args.yaml",
      "coconut, cot, no_thoughts, no_cot",
      "none is True: that is the official pause-as-thought (learned <|latent|> tokens), which copra does not import",
      false,
    );
  }
  const differences: string[] = [];
  const curriculum = curriculumConfig({
    method,
    thoughtsPerStep: Math.max(1, args.c_thought),
    epochsPerStage: args.epochs_per_stage,
    maxLatentStage: args.max_latent_stage,
    padLatentToMax: args.pad_latent_to_max,
    uniformProb: args.uniform_prob,
    optimizerReset: args.reset_optimizer ? "every-epoch" : "never",
  });
  if (args.c_thought === 0 && method === "coconut") differences.push("c_thought 0 read as 1");
  return {
    curriculum,
    recipe: {
      curriculum,
      epochs: args.num_epochs,
      seed: args.seed,
      lr: args.lr,
      weightDecay: args.weight_decay,
      batchSize: args.batch_size_training,
      effectiveBatch: args.batch_size_training * args.gradient_accumulation_steps * gpus,
      lrSchedule: "constant",
      clipNorm: 0,
      switchWeight: 0,
    },
    differences,
  };
}
