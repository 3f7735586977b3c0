/**
 * Regimes: a task, a model and a training recipe that are known to work together, with the methods and seeds of an
 * experiment. Coconut-nano is the default of `deno task train` and the table of `deno task reproduce`; every number
 * in it was chosen by the search logged in `docs/REGIME.md`.
 *
 * @module
 */

import type { Method, OptimizerReset } from "@copra/curriculum/browser";
import type { ArithOptions, ProsQAOptions, SymbolicOptions } from "@copra/data/browser";
import type { GPT2Config, PresetName } from "@copra/model/browser";

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
  /**
   * Methods to train, each with its seeds. `label` names a variant row (default: the method); `nLayer` overrides the
   * model's blocks; `fromScratch` trains the whole budget from fresh weights (the shortcut audit's rows).
   */
  runs: { method: Method; seeds: number[]; label?: string; nLayer?: number; fromScratch?: boolean }[];
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
    { method: "no-cot", label: "no-cot 1 block (audit)", seeds: [0], nLayer: 1, fromScratch: true },
    { method: "no-cot", label: "no-cot 2 blocks (audit)", seeds: [0], nLayer: 2, fromScratch: true },
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
  runs: COCONUT_NANO.runs.map((r) => ({ ...r, seeds: [r.seeds[0]] })),
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

/**
 * A regime on the symbolic graph task (`generateSymbolic`), where the question is whether continuous thought pays
 * once the graph is deeper than one forward pass can search: the table of `deno task reproduce --regime payoff`.
 */
export interface PayoffRegime {
  /** Name shown in the report. */
  name: string;
  /** Generator options of the training, held-out and test graphs (without n and seed). */
  task: Omit<SymbolicOptions, "n" | "seed">;
  /** Generator options of the out-of-distribution test: deeper graphs than training. */
  ood: Omit<SymbolicOptions, "n" | "seed">;
  /** Items per split. */
  sizes: { train: number; valid: number; test: number; ood: number };
  /** Model preset and overrides (vocab_size and n_positions are set from the data). */
  model: { preset: PresetName; overrides: Partial<GPT2Config> };
  /** The recipe of {@link Regime}, plus the superposition papers' curriculum settings and the learned switch. */
  recipe: Regime["recipe"] & {
    uniformProb: number;
    supervision: "rest" | "next-step" | "frontier";
    /** Weight of the learned switch's loss for methods with thoughts (0: none). */
    switchWeight: number;
    /** Most thoughts the switch may use on the OOD split. */
    maxThoughtsOod: number;
  };
  /**
   * Methods to train, each with its seeds. `label` names a variant row (default: the method); `nLayer` overrides
   * the model's blocks; `fromScratch` trains the whole budget from fresh weights instead of from the CoT checkpoint.
   */
  runs: { method: Method; seeds: number[]; label?: string; nLayer?: number; fromScratch?: boolean }[];
}

/**
 * The payoff regime: symbolic graphs of 8–10 nodes and 3–4 hops (depth-matched negatives, one token per node),
 * a 2-block model, CoT from scratch, then each method from that CoT with two thoughts per step (as CoT writes two
 * tokens per step: the node, then the newline where the next lookup happens); OOD on 5–6 hops. Every number was
 * chosen by the search logged in docs/REGIME.md ("Payoff regime").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PAYOFF } from "@copra/train";
 * assert.equal(PAYOFF.model.overrides.n_layer, 2);
 * assert.deepEqual(PAYOFF.ood.hops, [5, 6]);
 * ```
 */
export const PAYOFF: PayoffRegime = {
  name: "Payoff (symbolic graphs, 2 blocks)",
  task: { nodes: [8, 10], hops: [3, 4] },
  ood: { nodes: [12, 14], hops: [5, 6] },
  sizes: { train: 40000, valid: 200, test: 500, ood: 500 },
  model: {
    preset: "nano",
    overrides: {
      n_layer: 2,
      n_embd: 64,
      n_head: 4,
      position_embedding_type: "rotary",
      resid_pdrop: 0,
      embd_pdrop: 0,
      attn_pdrop: 0,
    },
  },
  recipe: {
    cotEpochs: 4,
    epochsPerStage: 1,
    maxLatentStage: 4,
    thoughtsPerStep: 2,
    batchSize: 32,
    lr: 3e-3,
    lrSchedule: "cosine",
    warmupSteps: 200,
    weightDecay: 0.01,
    clipNorm: 1,
    optimizerReset: "stage-switch",
    uniformProb: 0.1,
    supervision: "rest",
    switchWeight: 1,
    maxThoughtsOod: 14,
  },
  runs: [
    { method: "cot", seeds: [0, 1] },
    { method: "coconut", seeds: [0, 1] },
    { method: "no-cot", seeds: [0, 1] },
    { method: "pause-as-thought", seeds: [0] },
    { method: "no-curriculum", seeds: [0] },
    { method: "no-cot", label: "no-cot 1 block (audit)", seeds: [0], nLayer: 1, fromScratch: true },
    { method: "no-cot", label: "no-cot 2 blocks (audit)", seeds: [0], nLayer: 2, fromScratch: true },
  ],
};

/**
 * The payoff regime at smoke-test size (a minute): `deno task reproduce --regime payoff --quick`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PAYOFF_QUICK } from "@copra/train";
 * assert.equal(PAYOFF_QUICK.sizes.train, 96);
 * ```
 */
export const PAYOFF_QUICK: PayoffRegime = quickPayoff(PAYOFF);

/**
 * The payoff regime on branching graphs: 14–18 nodes with at most 2 children each, so that 90% of the test items
 * have 1–4 branch points on their path where a written step must already pick the child that leads to the target
 * (the superposition papers' setting, where 2-layer CoT fails). Model and recipe as {@link PAYOFF}; OOD 16–18 nodes,
 * 5–6 hops. Measured by hand in docs/REGIME.md ("Branching graphs, where CoT must choose"): CoT 60.4%, No-CoT 51.6%,
 * Coconut 51.6% at this budget. `deno task reproduce --regime payoff-branching [--budget K]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PAYOFF, PAYOFF_BRANCHING } from "@copra/train";
 * assert.equal(PAYOFF_BRANCHING.task.branching, 2);
 * assert.deepEqual(PAYOFF_BRANCHING.recipe, PAYOFF.recipe);
 * ```
 */
export const PAYOFF_BRANCHING: PayoffRegime = {
  ...PAYOFF,
  name: "Payoff, branching graphs (symbolic graphs with branch points, 2 blocks)",
  task: { nodes: [14, 18], hops: [3, 4], branching: 2 },
  ood: { nodes: [16, 18], hops: [5, 6], branching: 2 },
};

/**
 * The payoff regimes `deno task reproduce --regime <name>` knows (each writes `docs/RESULTS-<name>.md`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PAYOFF_REGIMES } from "@copra/train";
 * assert.deepEqual(Object.keys(PAYOFF_REGIMES), ["payoff", "payoff-branching"]);
 * ```
 */
export const PAYOFF_REGIMES: Readonly<Record<string, PayoffRegime>> = {
  "payoff": PAYOFF,
  "payoff-branching": PAYOFF_BRANCHING,
};

/**
 * A payoff regime at smoke-test size (a minute): the same task with a 1-block model of 24 channels, 96 training
 * items, one epoch of CoT and two latent stages, one seed per row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PAYOFF_BRANCHING, quickPayoff } from "@copra/train";
 * const quick = quickPayoff(PAYOFF_BRANCHING);
 * assert.equal(quick.sizes.train, 96);
 * assert.deepEqual(quick.task, PAYOFF_BRANCHING.task);
 * ```
 */
export function quickPayoff(regime: PayoffRegime): PayoffRegime {
  return {
    ...regime,
    name: `${regime.name} (quick)`,
    sizes: { train: 96, valid: 12, test: 16, ood: 16 },
    model: { preset: "nano", overrides: { ...regime.model.overrides, n_layer: 1, n_embd: 24, n_head: 2 } },
    recipe: { ...regime.recipe, cotEpochs: 1, maxLatentStage: 2, batchSize: 16 },
    runs: regime.runs.map((r) => ({ ...r, seeds: [r.seeds[0]] })),
  };
}

/**
 * A payoff regime with `budget` times the training: CoT's epochs and every latent stage's epochs multiplied (so all
 * methods keep equal budgets, and the curriculum's shape is unchanged). The superposition papers trained ≈ 300 epochs;
 * `deno task reproduce --regime payoff-branching --budget 10` runs the table at ten times this machine's budget.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PAYOFF, scaleBudget } from "@copra/train";
 * const big = scaleBudget(PAYOFF, 10);
 * assert.equal(big.recipe.cotEpochs, 40);
 * assert.equal(big.recipe.epochsPerStage, 10);
 * assert.equal(big.recipe.maxLatentStage, PAYOFF.recipe.maxLatentStage);
 * ```
 */
export function scaleBudget(regime: PayoffRegime, budget: number): PayoffRegime {
  if (!Number.isInteger(budget) || budget < 1) {
    throw new RangeError(`budget ${budget}: expected a whole number ≥ 1 (the multiple of the regime's epochs)`);
  }
  if (budget === 1) return regime;
  const { cotEpochs, epochsPerStage } = regime.recipe;
  return {
    ...regime,
    name: `${regime.name}, ${budget}× budget`,
    recipe: { ...regime.recipe, cotEpochs: cotEpochs * budget, epochsPerStage: epochsPerStage * budget },
  };
}

/**
 * A regime for the calculator demonstration: arithmetic word problems whose steps are calculator spans with large
 * operands, the same small model trained with and without the tool. `deno task reproduce --regime tools`.
 */
export interface ToolsRegime {
  /** Name shown in the report. */
  name: string;
  /** Generator options of every split (without n and seed). */
  task: Omit<ArithOptions, "n" | "seed">;
  /** Items per split. */
  sizes: { train: number; valid: number; test: number };
  /** Model preset and overrides (vocab_size and n_positions are set from the data). */
  model: { preset: PresetName; overrides: Partial<GPT2Config> };
  /** The recipe of {@link Regime} (CoT for `cotEpochs`, then each Coconut run through its stages). */
  recipe: Regime["recipe"];
  /**
   * Runs: a label, the method, whether calculator results are learned or come from the tool, seeds, and for
   * Coconut the label of the CoT run it starts from.
   */
  runs: { label: string; method: Method; toolResults: "learn" | "input"; seeds: number[]; from?: string }[];
}

/**
 * The calculator demonstration: 2–3 calculator steps on operands 100–999 (products of 3-digit numbers, which a
 * small model cannot work out itself), a digit-level vocabulary, CoT and Coconut with and without the tool.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TOOLS } from "@copra/train";
 * assert.deepEqual(TOOLS.task.operands, [100, 999]);
 * assert.equal(TOOLS.runs.filter((r) => r.toolResults === "input").length, 2);
 * ```
 */
export const TOOLS: ToolsRegime = {
  name: "Calculator (arithmetic, 3-digit operands)",
  task: { steps: [2, 3], operands: [100, 999] },
  sizes: { train: 20000, valid: 100, test: 300 },
  model: {
    preset: "nano",
    overrides: { position_embedding_type: "rotary", resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 },
  },
  recipe: {
    cotEpochs: 4,
    epochsPerStage: 1,
    maxLatentStage: 3,
    thoughtsPerStep: 2,
    batchSize: 32,
    lr: 3e-3,
    lrSchedule: "cosine",
    warmupSteps: 200,
    weightDecay: 0.01,
    clipNorm: 1,
    optimizerReset: "stage-switch",
  },
  runs: [
    { label: "cot (no tool)", method: "cot", toolResults: "learn", seeds: [0] },
    { label: "cot + calc", method: "cot", toolResults: "input", seeds: [0] },
    { label: "coconut (no tool)", method: "coconut", toolResults: "learn", seeds: [0], from: "cot (no tool)" },
    { label: "coconut + calc", method: "coconut", toolResults: "input", seeds: [0], from: "cot + calc" },
  ],
};

/**
 * The calculator demonstration at smoke-test size: `deno task reproduce --regime tools --quick`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TOOLS_QUICK } from "@copra/train";
 * assert.equal(TOOLS_QUICK.sizes.train, 64);
 * ```
 */
export const TOOLS_QUICK: ToolsRegime = {
  ...TOOLS,
  name: "Calculator (quick)",
  sizes: { train: 64, valid: 8, test: 8 },
  model: { preset: "nano", overrides: { ...TOOLS.model.overrides, n_layer: 1, n_embd: 24, n_head: 2 } },
  recipe: { ...TOOLS.recipe, cotEpochs: 1, maxLatentStage: 1, batchSize: 16 },
};
