/**
 * A run's folder: one checkpoint per epoch (`checkpoint-<epoch>/` with the model, its config, the tokenizer,
 * the optimizer state and the training state) and `metrics.jsonl`. A checkpoint is written into a temporary
 * folder that is renamed into place at the end, so a crash never leaves a half-written checkpoint.
 *
 * @module
 */

import {
  type AdamW,
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
 * Writes the checkpoint of `epoch` into `<out>/checkpoint-<epoch>/` (replacing an older one of the same epoch)
 * and returns its path.
 *
 * @example
 * ```ts ignore
 * const path = await writeCheckpoint("runs/x", 3, params, config, tokenizer, optimizer, state);
 * ```
 */
export async function writeCheckpoint(
  out: string,
  epoch: number,
  params: GPT2Params,
  config: GPT2Config,
  tokenizer: Tokenizer,
  optimizer: AdamW,
  state: TrainingState,
): Promise<string> {
  const final = `${out}/checkpoint-${epoch}`;
  const temporary = `${out}/.checkpoint-${epoch}.${crypto.randomUUID()}.partial`;
  await Deno.mkdir(temporary, { recursive: true });
  try {
    await saveCheckpoint(temporary, params, config);
    await saveTokenizerJson(`${temporary}/tokenizer.json`, tokenizer);
    await saveOptimizerState(`${temporary}/optimizer.safetensors`, optimizer);
    await Deno.writeTextFile(`${temporary}/state.json`, JSON.stringify(state, null, 1) + "\n");
    await Deno.remove(final, { recursive: true }).catch(() => {});
    await Deno.rename(temporary, final);
  } catch (error) {
    await Deno.remove(temporary, { recursive: true }).catch(() => {});
    throw error;
  }
  return final;
}

/**
 * The newest complete checkpoint of a run folder, or null.
 *
 * @example
 * ```ts ignore
 * const latest = await latestCheckpoint("runs/x"); // { epoch: 3, path: "runs/x/checkpoint-3" }
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
 * Reads a checkpoint folder written by {@link writeCheckpoint}: parameters, config, tokenizer and training state.
 * Also reads plain model folders (config.json + model.safetensors + tokenizer.json), whose state is empty. The
 * optimizer's moments stay on disk until a resumed run loads them (`optimizer.safetensors`, see
 * `loadOptimizerState`).
 *
 * @example
 * ```ts ignore
 * const { params, config, tokenizer } = await readCheckpoint("runs/x/checkpoint-3");
 * ```
 */
export async function readCheckpoint(path: string): Promise<{
  params: GPT2Params;
  config: GPT2Config;
  tokenizer: Tokenizer;
  state: TrainingState;
}> {
  const { params, config } = await loadCheckpoint(path);
  const tokenizer = await loadTokenizerJson(`${path}/tokenizer.json`);
  const state: TrainingState = await Deno.readTextFile(`${path}/state.json`).then(
    JSON.parse,
    (error) => {
      if (error instanceof Deno.errors.NotFound) return { epoch: -1, stage: 0, rng: [], metrics: [], seed: 0 };
      throw error;
    },
  );
  return { params, config, tokenizer, state };
}
