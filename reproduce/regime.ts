/**
 * Coconut-nano: the task, model and recipe of `deno task reproduce` (and of `deno task train`'s default run).
 * Every number here was chosen by the search logged in `docs/REGIME.md`.
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

/** Epochs every method trains after the shared CoT phase: stages 1..max, then the final stage. */
export function extraEpochsOf(regime: Regime): number {
  return (regime.recipe.maxLatentStage + 1) * regime.recipe.epochsPerStage;
}

const TASK: Omit<ProsQAOptions, "n" | "seed"> = { nodes: [5, 8], nodesMean: 6.5, minHops: 2, maxHops: 3 };

/** The full regime: the table of docs/RESULTS.md. */
export const REGIME: Regime = {
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
 * The same with balanced hops (half 2-hop, half 3-hop items, so that "always two steps" stops paying) and a longer
 * CoT phase: `deno task reproduce --regime balanced`.
 */
export const BALANCED: Regime = {
  ...REGIME,
  name: "Coconut-nano, balanced hops",
  task: { ...TASK, balanceHops: true },
  recipe: { ...REGIME.recipe, cotEpochs: 12 },
};

/** `--quick`: the same pipeline at smoke-test size (a minute or two), for CI and for trying changes. */
export const QUICK: Regime = {
  ...REGIME,
  name: "Coconut-nano (quick)",
  sizes: { train: 64, valid: 16, test: 16, ood: 16, prosqa: 16 },
  model: { preset: "nano", overrides: { ...REGIME.model.overrides, n_layer: 1, n_embd: 24, n_head: 2 } },
  recipe: { ...REGIME.recipe, cotEpochs: 2, epochsPerStage: 1, maxLatentStage: 1 },
  runs: REGIME.runs.map((r) => ({ method: r.method, seeds: [r.seeds[0]] })),
};

/** The regimes `deno task reproduce --regime <name>` knows. */
export const REGIMES: Record<string, Regime> = { "coconut-nano": REGIME, "balanced": BALANCED };
