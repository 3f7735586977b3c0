/**
 * What a training run is given (its options, checked) and what it reports (its typed events).
 *
 * @module
 */

import type { CurriculumConfig } from "@copra/curriculum/browser";
import type { BackendName, GPT2Config, GPT2Params } from "@copra/model/browser";
import type { Tokenizer } from "@copra/tokenizer/browser";
import { RunError } from "./errors.ts";
import type { EpochMetrics } from "./run.ts";

/** Everything a training run needs besides its data. */
export interface TrainOptions {
  /** The curriculum (method, stages, …). */
  curriculum: CurriculumConfig;
  /** The model's configuration; `vocab_size` must equal the tokenizer's. */
  model: GPT2Config;
  /** The tokenizer, with Coconut's special tokens. */
  tokenizer: Tokenizer;
  /** Number of epochs. */
  epochs: number;
  /** Examples per forward pass. */
  batchSize: number;
  /** Effective batch: gradients of ⌈effective / batchSize⌉ micro-batches are averaged per update. */
  effectiveBatch: number;
  /** Learning rate. */
  lr: number;
  /** AdamW weight decay. */
  weightDecay: number;
  /** Gradient-norm clip, or null. */
  clipNorm: number | null;
  /** Seed of initialisation, shuffling, stage draws and dropout. */
  seed: number;
  /** Backend. */
  backend: BackendName;
  /** Folder of the run (checkpoints, metrics.jsonl); created if missing. */
  out: string;
  /**
   * Continue from the latest checkpoint in `out` (its `state.json` must be intact); with no checkpoint yet, start
   * from epoch 0. Temporary folders a killed run left behind are removed first.
   */
  resume?: boolean;
  /** Validation items evaluated for accuracy each epoch (all by default). */
  evalItems?: number;
  /** Generation limit during evaluation. Default 64. */
  maxNewTokens?: number;
  /** Initial weights instead of a fresh initialisation (e.g. a CoT run's checkpoint for Coconut). */
  initialParams?: GPT2Params;
  /**
   * The curriculum epoch to start at (default 0): with weights from a CoT run, `epochsPerStage` starts Coconut at
   * stage 1. Epochs `firstEpoch … epochs − 1` are trained, and numbered so.
   */
  firstEpoch?: number;
  /**
   * Learning-rate schedule over the run's updates: `"constant"` (default, as the official code) or `"cosine"`:
   * linear warm-up over `warmupSteps` updates, then a cosine from `lr` down to `lr / 10` at the last update.
   */
  lrSchedule?: "constant" | "cosine";
  /** Warm-up updates of the cosine schedule. Default 0. */
  warmupSteps?: number;
  /**
   * Train the learned switch (a stop/continue head on each thought, `coconut_switch.*`) jointly, its binary
   * cross-entropy added to the language-model loss at this weight. Default 0: no switch. Weights without a switch
   * (fresh, `initialParams`, a resumed run's) get a fresh one, added to that same record.
   */
  switchWeight?: number;
  /**
   * Threads that compute each batch's gradients (data parallelism over Deno workers, each with its own backend):
   * the batch is cut into this many shards and their gradients summed in shard order, so a run is bitwise
   * reproducible for a given count (not across counts: the sums round differently). Default 1.
   */
  threads?: number;
}

/** What the trainer reports while it works. */
export type TrainEvent =
  | {
    type: "start";
    epochs: number;
    stepsPerEpoch: number;
    parameters: number;
    backend: string;
    resumedFrom: number | null;
    /** Temporary checkpoint folders of a killed run that a resume removed. */
    removedPartials: string[];
  }
  | { type: "epoch-start"; epoch: number; stage: number; optimizerReset: boolean }
  | {
    type: "step";
    epoch: number;
    step: number;
    stepsPerEpoch: number;
    loss: number;
    lr: number;
    tokensPerSecond: number;
  }
  | { type: "evaluate"; epoch: number; done: number; total: number }
  | { type: "epoch"; metrics: EpochMetrics }
  | { type: "checkpoint"; epoch: number; path: string }
  | { type: "done"; metrics: EpochMetrics[]; params: GPT2Params };

/**
 * Throws a {@link RunError} naming the first option of {@link TrainOptions} out of its range (the trainer calls it
 * before anything is loaded or written).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkTrainOptions, type TrainOptions } from "@copra/train";
 * assert.throws(() => checkTrainOptions({ epochs: 0 } as TrainOptions), /train options: epochs: must be an integer ≥ 1 \(got 0\)/);
 * ```
 */
export function checkTrainOptions(o: TrainOptions): void {
  const fail = (name: string, rule: string, value: unknown) => {
    throw new RunError("train options", name, `must be ${rule}`, value, "");
  };
  const integer = (name: string, value: number | undefined, min: number, optional = false) => {
    if (optional && value === undefined) return;
    if (!Number.isInteger(value) || value! < min) fail(name, `an integer ≥ ${min}`, value);
  };
  integer("epochs", o.epochs, 1);
  integer("batchSize", o.batchSize, 1);
  integer("effectiveBatch", o.effectiveBatch, 1);
  integer("seed", o.seed, 0);
  integer("evalItems", o.evalItems, 0, true);
  integer("maxNewTokens", o.maxNewTokens, 1, true);
  integer("warmupSteps", o.warmupSteps, 0, true);
  integer("threads", o.threads, 1, true);
  if (!(Number.isFinite(o.lr) && o.lr > 0)) fail("lr", "a finite number > 0", o.lr);
  if (!(Number.isFinite(o.weightDecay) && o.weightDecay >= 0)) {
    fail("weightDecay", "a finite number ≥ 0", o.weightDecay);
  }
  if (o.switchWeight !== undefined && !(Number.isFinite(o.switchWeight) && o.switchWeight >= 0)) {
    fail("switchWeight", "a finite number ≥ 0", o.switchWeight);
  }
  if (o.clipNorm !== null && !(Number.isFinite(o.clipNorm) && o.clipNorm > 0)) {
    fail("clipNorm", "null (no clipping) or a finite number > 0", o.clipNorm);
  }
}
