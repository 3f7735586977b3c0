/**
 * Training methods and the stage schedule of Coconut's curriculum.
 *
 * @module
 */

import { CopraError } from "@copra/core/browser";
import type { Rng } from "@copra/random/browser";
import { METHOD_TRAITS } from "./methods.ts";

/**
 * The training methods of the Coconut paper and its baselines:
 * - `coconut`: stage k replaces the first k steps by k·c continuous thoughts between `<bot>` and `<eot>`;
 * - `cot`: the full chain of thought, stage fixed at 0, no markers;
 * - `no-cot`: question then answer;
 * - `no-thought`: the curriculum drops steps but inserts nothing;
 * - `pause-as-thought`: Coconut's layout with a learned `<pause>` token in the thought slots (no feedback);
 * - `pause-token`: no curriculum; a fixed number of `<pause>` tokens between question and answer;
 * - `no-curriculum`: Coconut trained on its final stage from the start;
 * - `icot`: stepwise internalization (Deng et al. 2024): the first tokens of the chain of thought are removed,
 *   a fixed number more at each stage.
 */
export type Method =
  | "coconut"
  | "cot"
  | "no-cot"
  | "no-thought"
  | "pause-as-thought"
  | "pause-token"
  | "no-curriculum"
  | "icot";

/**
 * Every method, in the paper's order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { METHODS } from "@copra/curriculum";
 * assert.equal(METHODS.length, 8);
 * assert.ok(METHODS.includes("coconut"));
 * ```
 */
export const METHODS: readonly Method[] = [
  "coconut",
  "cot",
  "no-cot",
  "no-thought",
  "pause-as-thought",
  "pause-token",
  "no-curriculum",
  "icot",
];

/** When the optimizer starts afresh: every epoch (official code), at stage switches (paper), or never. */
export type OptimizerReset = "every-epoch" | "stage-switch" | "never";

/** The curriculum's settings (names follow the official code's configuration where one exists). */
export interface CurriculumConfig {
  /** The method. */
  method: Method;
  /** c: continuous thoughts per removed step. Default 1. */
  thoughtsPerStep: number;
  /** Last stage that removes one more step; later stages remove all steps. Default 6. */
  maxLatentStage: number;
  /** Epochs spent in each stage. Default 5. */
  epochsPerStage: number;
  /** Probability that an example's stage is drawn uniformly from 0..#steps instead. Default 0. */
  uniformProb: number;
  /** Beyond the last stage, insert maxLatentStage·c thoughts even for items with fewer steps. Default false. */
  padLatentToMax: boolean;
  /** Optimizer reset policy. Default `"every-epoch"` (the official code). */
  optimizerReset: OptimizerReset;
  /** `pause-token`: pauses between question and answer. Default maxLatentStage·c. */
  pauseTokens: number;
  /** `icot`: chain-of-thought tokens removed per stage. Default 8. */
  icotTokensPerStage: number;
  /** `icot`: removal smoothing λ (extra tokens o removed with P(o) ∝ e^(−λo)); 0 turns it off. Default 0. */
  icotSmoothing: number;
  /**
   * Weight of a language-model loss on the question's tokens, relative to 1 on the learned tokens after it (the
   * loss is the weighted mean). Default 0: questions are not learned, as in the paper.
   */
  questionLossWeight: number;
  /**
   * What the latent curriculum methods learn after their thoughts: `"rest"` (default, the paper's: every remaining
   * step and the answer) or `"next-step"` (the superposition papers' next-frontier supervision: at a stage with
   * steps left, only the next step — one node of the next frontier — and nothing after it; the answer once no
   * step is left), or `"frontier"` (the same, with the next step's first token learned as a set: the loss is
   * −log Σ p(v) over the first tokens of every equally right step, the record's `alternatives`).
   */
  supervision: "rest" | "next-step" | "frontier";
  /**
   * Calculator results in the steps (`<<48/2=24>>`: the `24>>` after `=`): `"learn"` (default) — the model writes
   * them; `"input"` — a tool writes them at inference, so they are input here (label -100). Needs records
   * tokenized with `toolSpans`.
   */
  toolResults: "learn" | "input";
  /**
   * A curriculum over difficulty: epochs spent at each level, where level L (from 0) trains only on items with
   * at most (fewest steps in the data) + L reasoning steps; an epoch keeps its length by cycling through them.
   * Default 0: every item from the first epoch.
   */
  epochsPerDifficulty: number;
}

/**
 * Raised for invalid curriculum settings and inputs; names the setting and the value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CurriculumError } from "@copra/curriculum";
 * assert.equal(new CurriculumError("uniformProb", "must be in [0, 1]", 2).message, "uniformProb: must be in [0, 1] (got 2)");
 * ```
 */
export class CurriculumError extends CopraError {
  /** Builds the message `field: problem (got value)`. */
  constructor(field: string, problem: string, value?: unknown) {
    super({ field, problem, value });
    this.name = "CurriculumError";
  }
}

/**
 * A complete, validated configuration: defaults for everything not given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { curriculumConfig } from "@copra/curriculum";
 * const config = curriculumConfig({ method: "coconut", maxLatentStage: 3, thoughtsPerStep: 2 });
 * assert.equal(config.pauseTokens, 6);
 * assert.equal(config.optimizerReset, "every-epoch");
 * assert.throws(() => curriculumConfig({ method: "magic" as "cot" }), /method: unknown method/);
 * ```
 */
export function curriculumConfig(options: Partial<CurriculumConfig> & { method: Method }): CurriculumConfig {
  const thoughtsPerStep = options.thoughtsPerStep ?? 1;
  const maxLatentStage = options.maxLatentStage ?? 6;
  const config: CurriculumConfig = {
    method: options.method,
    thoughtsPerStep,
    maxLatentStage,
    epochsPerStage: options.epochsPerStage ?? 5,
    uniformProb: options.uniformProb ?? 0,
    padLatentToMax: options.padLatentToMax ?? false,
    optimizerReset: options.optimizerReset ?? "every-epoch",
    pauseTokens: options.pauseTokens ?? maxLatentStage * thoughtsPerStep,
    icotTokensPerStage: options.icotTokensPerStage ?? 8,
    icotSmoothing: options.icotSmoothing ?? 0,
    questionLossWeight: options.questionLossWeight ?? 0,
    supervision: options.supervision ?? "rest",
    toolResults: options.toolResults ?? "learn",
    epochsPerDifficulty: options.epochsPerDifficulty ?? 0,
  };
  if (!METHODS.includes(config.method)) {
    throw new CurriculumError("method", `unknown method; choose ${METHODS.join(", ")}`, config.method);
  }
  for (const field of ["thoughtsPerStep", "maxLatentStage", "epochsPerStage", "icotTokensPerStage"] as const) {
    if (!Number.isInteger(config[field]) || config[field] < 1) {
      throw new CurriculumError(field, "must be a positive integer", config[field]);
    }
  }
  if (!Number.isInteger(config.pauseTokens) || config.pauseTokens < 0) {
    throw new CurriculumError("pauseTokens", "must be an integer ≥ 0", config.pauseTokens);
  }
  if (!(config.uniformProb >= 0 && config.uniformProb <= 1)) {
    throw new CurriculumError("uniformProb", "must be in [0, 1]", config.uniformProb);
  }
  if (!(config.icotSmoothing >= 0)) throw new CurriculumError("icotSmoothing", "must be ≥ 0", config.icotSmoothing);
  if (!["rest", "next-step", "frontier"].includes(config.supervision)) {
    throw new CurriculumError("supervision", 'must be "rest", "next-step" or "frontier"', config.supervision);
  }
  if (config.toolResults !== "learn" && config.toolResults !== "input") {
    throw new CurriculumError("toolResults", 'must be "learn" or "input"', config.toolResults);
  }
  if (!(config.questionLossWeight >= 0 && Number.isFinite(config.questionLossWeight))) {
    throw new CurriculumError("questionLossWeight", "must be a finite number ≥ 0", config.questionLossWeight);
  }
  if (!Number.isInteger(config.epochsPerDifficulty) || config.epochsPerDifficulty < 0) {
    throw new CurriculumError("epochsPerDifficulty", "must be an integer ≥ 0 (0: off)", config.epochsPerDifficulty);
  }
  if (!["every-epoch", "stage-switch", "never"].includes(config.optimizerReset)) {
    throw new CurriculumError(
      "optimizerReset",
      'must be "every-epoch", "stage-switch" or "never"',
      config.optimizerReset,
    );
  }
  return config;
}

/**
 * The scheduled stage of an epoch (0-based): ⌊epoch / epochsPerStage⌋ for the curriculum methods, 0 for
 * `cot`, `no-cot` and `pause-token`, and the final stage (maxLatentStage + 1) for `no-curriculum`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { curriculumConfig, stageOfEpoch } from "@copra/curriculum";
 * const config = curriculumConfig({ method: "coconut", epochsPerStage: 3 });
 * assert.deepEqual([0, 2, 3, 7].map((e) => stageOfEpoch(config, e)), [0, 0, 1, 2]);
 * assert.equal(stageOfEpoch(curriculumConfig({ method: "no-curriculum" }), 0), 7);
 * ```
 */
export function stageOfEpoch(config: CurriculumConfig, epoch: number): number {
  if (!Number.isInteger(epoch) || epoch < 0) throw new CurriculumError("epoch", "must be an integer ≥ 0", epoch);
  const stages = METHOD_TRAITS[config.method].stages;
  if (stages === "first") return 0;
  if (stages === "final") return config.maxLatentStage + 1;
  return Math.floor(epoch / config.epochsPerStage);
}

/**
 * The stage one example trains at: with probability `uniformProb` (curriculum methods with step stages only)
 * a uniform draw from 0..#steps, else the epoch's stage. Draws from `rng` only when `uniformProb` > 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "@copra/random";
 * import { curriculumConfig, drawStage } from "@copra/curriculum";
 * const config = curriculumConfig({ method: "coconut", uniformProb: 1 });
 * const stages = Array.from({ length: 200 }, () => drawStage(config, 5, 2, new Rng(Math.random() * 1e9)));
 * assert.ok(stages.every((s) => s >= 0 && s <= 2));
 * ```
 */
export function drawStage(config: CurriculumConfig, epochStage: number, numSteps: number, rng: Rng): number {
  if (METHOD_TRAITS[config.method].mixesStages && config.uniformProb > 0 && rng.next() < config.uniformProb) {
    return rng.int(numSteps + 1);
  }
  return epochStage;
}

/**
 * Whether the optimizer is recreated at the start of `epoch` under the configured policy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { curriculumConfig, resetsOptimizer } from "@copra/curriculum";
 * const paper = curriculumConfig({ method: "coconut", epochsPerStage: 2, optimizerReset: "stage-switch" });
 * assert.deepEqual([0, 1, 2, 3, 4].map((e) => resetsOptimizer(paper, e)), [false, false, true, false, true]);
 * const official = curriculumConfig({ method: "coconut" });
 * assert.deepEqual([0, 1, 2].map((e) => resetsOptimizer(official, e)), [false, true, true]);
 * ```
 */
export function resetsOptimizer(config: CurriculumConfig, epoch: number): boolean {
  if (epoch === 0 || config.optimizerReset === "never") return false;
  if (config.optimizerReset === "every-epoch") return true;
  return stageOfEpoch(config, epoch) !== stageOfEpoch(config, epoch - 1);
}

/**
 * The most reasoning steps an item may have to be trained on at `epoch` under the difficulty curriculum:
 * `fewestSteps + ⌊epoch / epochsPerDifficulty⌋`, or `Infinity` when the curriculum is off.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { curriculumConfig, maxStepsAtEpoch } from "@copra/curriculum";
 * const config = curriculumConfig({ method: "cot", epochsPerDifficulty: 2 });
 * assert.deepEqual([0, 1, 2, 5].map((e) => maxStepsAtEpoch(config, e, 1)), [1, 1, 2, 3]);
 * assert.equal(maxStepsAtEpoch(curriculumConfig({ method: "cot" }), 0, 1), Infinity);
 * ```
 */
export function maxStepsAtEpoch(config: CurriculumConfig, epoch: number, fewestSteps: number): number {
  if (!Number.isInteger(epoch) || epoch < 0) throw new CurriculumError("epoch", "must be an integer ≥ 0", epoch);
  if (config.epochsPerDifficulty === 0) return Infinity;
  return fewestSteps + Math.floor(epoch / config.epochsPerDifficulty);
}

/**
 * The training order of one epoch, given each item's number of steps: a shuffle of every item — or, when the
 * difficulty curriculum allows only items with at most `maxSteps` steps, shuffles of those one after another, cut
 * to the number of items, so that every epoch has the same number of updates.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "@copra/random";
 * import { epochOrder } from "@copra/curriculum";
 * const steps = [1, 3, 2, 1];
 * assert.deepEqual(epochOrder(steps, Infinity, new Rng(0)).toSorted(), [0, 1, 2, 3]);
 * assert.deepEqual(epochOrder(steps, 1, new Rng(0)).toSorted(), [0, 0, 3, 3]);
 * ```
 */
export function epochOrder(stepCounts: readonly number[], maxSteps: number, rng: Rng): number[] {
  const allowed = [...stepCounts.keys()].filter((i) => stepCounts[i] <= maxSteps);
  if (allowed.length === stepCounts.length) return rng.shuffle(allowed);
  if (allowed.length === 0) throw new CurriculumError("maxSteps", "no item has this few steps", maxSteps);
  const order: number[] = [];
  while (order.length < stepCounts.length) order.push(...rng.shuffle([...allowed]));
  return order.slice(0, stepCounts.length);
}
