/**
 * Regimes: a task, a model and a training recipe that are known to work together, with the methods and seeds of an
 * experiment. Coconut-nano is the default of `deno task train` and the table of `deno task reproduce`; every number
 * in it was chosen by the search logged in `docs/REGIME.md`.
 *
 * @module
 */

import type { Method, OptimizerReset } from "@copra/curriculum";
import type { ProsQAOptions } from "@copra/data";
import type { GPT2Config, PresetName } from "@copra/model";

/** One reproducible experiment: data, model, recipe, and which methods and seeds to train. */
export interface Regime {
  /** Name shown in the report. */
  name: string;
  /** Generator options of the training, held-out and test graphs (without n and seed). */
  task: Omit<ProsQAOptions, "n" | "seed">;
  /** Generator options of the out-of-distribution test (more hops than training). */
  ood: Omit<ProsQAOptions, "n" | "seed">;
  /** Items per split. */
  sizes: { train: number; valid: number; test: number; ood: number; prosqa: number };
  /** Model preset and overrides (vocab_size and n_positions are set from the data). */
  model: { preset: PresetName; overrides: Partial<GPT2Config> };
  /**
   * Training recipe. Protocol (as DESIGN.md §6): CoT trains from scratch for `cotEpochs`; every other method starts
   * from that CoT checkpoint (same seed) and trains `extraEpochs` more at its own curriculum — latent methods at
   * stages 1…max and the final stage — while the `cot` row continues CoT for the same extra epochs: equal budgets.
   */
  recipe: {
    cotEpochs: number;
    epochsPerStage: number;
    maxLatentStage: number;
    thoughtsPerStep: number;
    batchSize: number;
    lr: number;
    lrSchedule: "constant" | "cosine";
    warmupSteps: number;
    weightDecay: number;
    clipNorm: number;
    optimizerReset: OptimizerReset;
  };
  /** Methods to train, each with its seeds. */
  runs: { method: Method; seeds: number[] }[];
}

/**
 * Epochs every method trains after the shared CoT phase: stages 1..max, then the final stage.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { COCONUT_NANO, extraEpochsOf } from "@copra/train";
 * assert.equal(extraEpochsOf(COCONUT_NANO), 4); // stages 1, 2, 3 and the final stage, one epoch each
 * ```
 */
export function extraEpochsOf(regime: Regime): number {
  return (regime.recipe.maxLatentStage + 1) * regime.recipe.epochsPerStage;
}

const TASK: Omit<ProsQAOptions, "n" | "seed"> = { nodes: [5, 8], nodesMean: 6.5, minHops: 2, maxHops: 3 };

/**
 * Coconut-nano: ProsQA-style graphs of 5–8 nodes and 2–3 hops, the `nano` GPT-2 with rotary positions and no
 * dropout, lr 5e-3 with a cosine schedule; the table of docs/RESULTS.md and the default of `copra train`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { COCONUT_NANO } from "@copra/train";
 * assert.deepEqual(COCONUT_NANO.task.nodes, [5, 8]);
 * assert.equal(COCONUT_NANO.model.overrides.position_embedding_type, "rotary");
 * ```
 */
export const COCONUT_NANO: Regime = {
  name: "Coconut-nano",
  task: TASK,
  ood: { nodes: [7, 10], nodesMean: 8.5, minHops: 4, maxHops: 4 },
  sizes: { train: 16000, valid: 200, test: 500, ood: 300, prosqa: 500 },
  model: {
    preset: "nano",
    overrides: { position_embedding_type: "rotary", resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 },
  },
  recipe: {
    cotEpochs: 8,
    epochsPerStage: 1,
    maxLatentStage: 3,
    thoughtsPerStep: 1,
    batchSize: 16,
    lr: 5e-3,
    lrSchedule: "cosine",
    warmupSteps: 200,
    weightDecay: 0.01,
    clipNorm: 1,
    optimizerReset: "stage-switch",
  },
  runs: [
    { method: "cot", seeds: [0, 1] },
    { method: "coconut", seeds: [0, 1] },
    { method: "no-cot", seeds: [0] },
    { method: "pause-as-thought", seeds: [0] },
    { method: "no-curriculum", seeds: [0] },
    { method: "no-thought", seeds: [0] },
  ],
};

/**
 * Coconut-nano with balanced hops (half 2-hop, half 3-hop items, so that "always two steps" stops paying) and a
 * longer CoT phase: `deno task reproduce --regime balanced`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { COCONUT_NANO_BALANCED } from "@copra/train";
 * assert.equal(COCONUT_NANO_BALANCED.task.balanceHops, true);
 * ```
 */
export const COCONUT_NANO_BALANCED: Regime = {
  ...COCONUT_NANO,
  name: "Coconut-nano, balanced hops",
  task: { ...TASK, balanceHops: true },
  recipe: { ...COCONUT_NANO.recipe, cotEpochs: 12 },
};

/**
 * Coconut-nano at smoke-test size (seconds): `deno task reproduce --quick`, for CI and for trying changes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { COCONUT_NANO_QUICK } from "@copra/train";
 * assert.equal(COCONUT_NANO_QUICK.sizes.train, 64);
 * ```
 */
export const COCONUT_NANO_QUICK: Regime = {
  ...COCONUT_NANO,
  name: "Coconut-nano (quick)",
  sizes: { train: 64, valid: 16, test: 16, ood: 16, prosqa: 16 },
  model: { preset: "nano", overrides: { ...COCONUT_NANO.model.overrides, n_layer: 1, n_embd: 24, n_head: 2 } },
  recipe: { ...COCONUT_NANO.recipe, cotEpochs: 2, epochsPerStage: 1, maxLatentStage: 1 },
  runs: COCONUT_NANO.runs.map((r) => ({ method: r.method, seeds: [r.seeds[0]] })),
};

/**
 * The regimes `deno task reproduce --regime <name>` knows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { REGIMES } from "@copra/train";
 * assert.deepEqual(Object.keys(REGIMES), ["coconut-nano", "balanced"]);
 * ```
 */
export const REGIMES: Readonly<Record<string, Regime>> = {
  "coconut-nano": COCONUT_NANO,
  "balanced": COCONUT_NANO_BALANCED,
};
