/**
 * A run's folder: one checkpoint per epoch (`checkpoint-<epoch>/` with the model, its config, the tokenizer,
 * the optimizer state and the training state) and `metrics.jsonl`. A checkpoint is written into a temporary
 * folder that is renamed into place at the end, so a crash never leaves a half-written checkpoint.
 *
 * @module
 */

import { RunError } from "./errors.ts";
import {
  type AdamW,
  disposeParams,
  type GPT2Config,
  type GPT2Params,
  loadCheckpoint,
  saveCheckpoint,
  saveOptimizerState,
} from "@copra/model";
import { loadTokenizerJson, saveTokenizerJson, type Tokenizer } from "@copra/tokenizer";

/** The metrics of one epoch. */
export interface EpochMetrics {
  /** 0-based epoch. */
  epoch: number;
  /** The epoch's scheduled stage. */
  stage: number;
  /** Mean training loss of the epoch. */
  trainLoss: number;
  /** Validation loss at the epoch's stage. */
  valLoss: number;
  /** Exact-match accuracy of greedy generation on the validation items. */
  accuracy: number;
  /** Mean generated tokens per answer, thoughts excluded. */
  meanTokens: number;
  /** Thoughts per answer. */
  thoughts: number;
  /** Share of answers whose written steps form a valid path to the target (ProsQA items; null otherwise). */
  validPaths?: number | null;
  /** Training tokens per second. */
  tokensPerSecond: number;
  /** Seconds the epoch took (training and evaluation). */
  seconds: number;
}

/** Where a run stands after an epoch: enough to continue exactly. */
export interface TrainingState {
  /** The epoch just finished (0-based). */
  epoch: number;
  /** Its stage. */
  stage: number;
  /** The run's generator state after the epoch. */
  rng: number[];
  /** Metrics of every epoch so far. */
  metrics: EpochMetrics[];
  /** The run's seed. */
  seed: number;
}

/**
 * Writes the checkpoint of `epoch` into `<out>/checkpoint-<epoch>/` and returns its path. The files go into a
 * temporary folder that is renamed into place at the end, so a crash never leaves a half-written checkpoint. An
 * existing `checkpoint-<epoch>/` is never replaced (it may hold files copra did not write): that is an error.
 * Without an optimizer and a state (null) the checkpoint holds weights only: readable by everything but `--resume`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AdamW, disposeParams, gpt2Config, initParams } from "@copra/model";
 * import { Rng } from "@copra/random";
 * import { trainWordLevel } from "@copra/tokenizer";
 * import { readTrainingState, writeCheckpoint } from "@copra/train";
 * const tokenizer = trainWordLevel(["Tom is a wumpus."]);
 * const config = gpt2Config("nano", { vocab_size: tokenizer.vocabSize, n_layer: 1 });
 * const params = initParams(config, { seed: 0 });
 * const optimizer = new AdamW(params);
 * const state = { epoch: 3, stage: 1, rng: new Rng(0).state(), metrics: [], seed: 0 };
 * const out = await Deno.makeTempDir();
 * const path = await writeCheckpoint(out, 3, params, config, tokenizer, optimizer, state);
 * assert.equal(path, `${out}/checkpoint-3`);
 * assert.equal((await readTrainingState(path)).epoch, 3);
 * await assert.rejects(writeCheckpoint(out, 3, params, config, tokenizer, optimizer, state), /already exists/);
 * optimizer.dispose();
 * disposeParams(params);
 * ```
 */
export async function writeCheckpoint(
  out: string,
  epoch: number,
  params: GPT2Params,
  config: GPT2Config,
  tokenizer: Tokenizer,
  optimizer: AdamW | null,
  state: TrainingState | null,
): Promise<string> {
  const final = `${out}/checkpoint-${epoch}`;
  if (await exists(final)) {
    throw new RunError(
      final,
      "(folder)",
      "already exists; copra does not replace a checkpoint",
      undefined,
      "resume the run with --resume, or train into a new folder",
    );
  }
  const temporary = `${out}/.checkpoint-${epoch}.${crypto.randomUUID()}${PARTIAL}`;
  await Deno.mkdir(temporary, { recursive: true });
  try {
    await saveCheckpoint(temporary, params, config);
    await saveTokenizerJson(`${temporary}/tokenizer.json`, tokenizer);
    if (optimizer) await saveOptimizerState(`${temporary}/optimizer.safetensors`, optimizer);
    if (state) await Deno.writeTextFile(`${temporary}/state.json`, JSON.stringify(state, null, 1) + "\n");
    await Deno.rename(temporary, final);
  } catch (error) {
    await Deno.remove(temporary, { recursive: true }).catch(() => {});
    throw error;
  }
  return final;
}

/** The suffix of the temporary folder a checkpoint is written into. */
const PARTIAL = ".partial";
/** `.checkpoint-<epoch>.<uuid>.partial`: only copra's own temporary folders match. */
const PARTIAL_NAME = /^\.checkpoint-\d+\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.partial$/;

/**
 * Removes the temporary checkpoint folders a killed run left in `out` (`.checkpoint-<epoch>.<uuid>.partial`,
 * names only copra writes) and returns their names. Call it only when no other process trains into `out`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { removeStalePartials } from "@copra/train";
 * const out = await Deno.makeTempDir();
 * await Deno.mkdir(`${out}/.checkpoint-3.${crypto.randomUUID()}.partial`);
 * await Deno.mkdir(`${out}/.checkpoint-3.mine.partial`); // not copra's name: kept
 * assert.equal((await removeStalePartials(out)).length, 1);
 * ```
 */
export async function removeStalePartials(out: string): Promise<string[]> {
  const removed: string[] = [];
  for await (const entry of Deno.readDir(out)) {
    if (!entry.isDirectory || !PARTIAL_NAME.test(entry.name)) continue;
    await Deno.remove(`${out}/${entry.name}`, { recursive: true });
    removed.push(entry.name);
  }
  return removed.sort();
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * The newest complete checkpoint of a run folder, or null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { latestCheckpoint } from "@copra/train";
 * const out = await Deno.makeTempDir();
 * assert.equal(await latestCheckpoint(out), null);
 * await Deno.mkdir(`${out}/checkpoint-2`);
 * await Deno.mkdir(`${out}/checkpoint-10`);
 * await Deno.mkdir(`${out}/.checkpoint-11.partial`); // unfinished: not a checkpoint
 * assert.deepEqual(await latestCheckpoint(out), { epoch: 10, path: `${out}/checkpoint-10` });
 * ```
 */
export async function latestCheckpoint(out: string): Promise<{ epoch: number; path: string } | null> {
  let best: { epoch: number; path: string } | null = null;
  try {
    for await (const entry of Deno.readDir(out)) {
      const m = /^checkpoint-(\d+)$/.exec(entry.name);
      if (!entry.isDirectory || !m) continue;
      const epoch = Number(m[1]);
      if (best === null || epoch > best.epoch) best = { epoch, path: `${out}/${entry.name}` };
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return best;
}

/**
 * Reads a checkpoint folder written by {@link writeCheckpoint}, or a plain model folder (config.json +
 * model.safetensors + tokenizer.json): parameters, config and tokenizer. The training state (`state.json`) and
 * the optimizer's moments are only read by a resumed run (see {@link readTrainingState}), so a damaged
 * `state.json` never stops evaluation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { disposeParams, gpt2Config, initParams, saveCheckpoint } from "@copra/model";
 * import { saveTokenizerJson, trainWordLevel } from "@copra/tokenizer";
 * import { readCheckpoint } from "@copra/train";
 * const dir = await Deno.makeTempDir(); // a plain model folder: weights, config and tokenizer
 * const tok = trainWordLevel(["Tom is a wumpus."]);
 * const saved = initParams(gpt2Config("nano", { vocab_size: tok.vocabSize, n_layer: 1 }), { seed: 0 });
 * await saveCheckpoint(dir, saved, gpt2Config("nano", { vocab_size: tok.vocabSize, n_layer: 1 }));
 * await saveTokenizerJson(`${dir}/tokenizer.json`, tok);
 * const { params, config, tokenizer } = await readCheckpoint(dir);
 * assert.equal(config.n_layer, 1);
 * assert.equal(tokenizer.vocabSize, tok.vocabSize);
 * disposeParams(params);
 * disposeParams(saved);
 * ```
 */
export async function readCheckpoint(path: string): Promise<{
  params: GPT2Params;
  config: GPT2Config;
  tokenizer: Tokenizer;
}> {
  const { params, config } = await loadCheckpoint(path);
  try {
    const tokenizer = await loadTokenizerJson(`${path}/tokenizer.json`);
    return { params, config, tokenizer };
  } catch (error) {
    disposeParams(params);
    throw error;
  }
}

/**
 * Reads and checks `<checkpoint>/state.json`, what a resumed run continues from. A missing or malformed file is
 * a {@link RunError} naming it: a checkpoint without its state holds weights only and cannot be resumed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTrainingState } from "@copra/train";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/state.json`, '{"epoch": 1, "stage');
 * await assert.rejects(readTrainingState(dir), /state\.json: \(file\): is not valid JSON/);
 * ```
 */
export async function readTrainingState(checkpoint: string): Promise<TrainingState> {
  const file = `${checkpoint}/state.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    const missing = error instanceof Deno.errors.NotFound;
    throw new RunError(
      file,
      "(file)",
      missing
        ? "is missing: this checkpoint holds weights only and cannot be resumed"
        : `cannot be read: ${(error as Error).message}`,
      undefined,
      `start a new run from its weights with --init ${checkpoint}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RunError(
      file,
      "(file)",
      `is not valid JSON (${(error as Error).message})`,
      undefined,
      `the file is damaged; resume from an earlier checkpoint by moving this one away, or start a new run with --init ${checkpoint}`,
    );
  }
  return validateTrainingState(json, file);
}

/** Checks the fields of a parsed `state.json`. */
function validateTrainingState(json: unknown, file: string): TrainingState {
  const bad = (field: string, problem: string, value: unknown): never => {
    throw new RunError(
      file,
      field,
      problem,
      value,
      "the file is damaged; resume from an earlier checkpoint by moving this one away",
    );
  };
  if (typeof json !== "object" || json === null || Array.isArray(json)) bad("(top level)", "must be an object", json);
  const s = json as Record<string, unknown>;
  for (const field of ["epoch", "stage", "seed"]) {
    if (!Number.isInteger(s[field]) || (s[field] as number) < 0) bad(field, "must be a non-negative integer", s[field]);
  }
  const rng = s.rng;
  if (
    !Array.isArray(rng) || (rng.length !== 4 && rng.length !== 5) ||
    !rng.slice(0, 4).every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32) ||
    (rng.length === 5 && !Number.isFinite(rng[4]))
  ) bad("rng", "must be four unsigned 32-bit integers (and a spare normal draw)", rng);
  const metrics = s.metrics;
  if (!Array.isArray(metrics) || metrics.some((m) => typeof m !== "object" || m === null)) {
    bad("metrics", "must be an array of epoch metrics", metrics);
  }
  return json as TrainingState;
}
