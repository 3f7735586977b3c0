/**
 * What each training method is, in one table: whether its answers write reasoning steps, what fills its thought
 * slots, whether hidden states are fed back, and how its stages are scheduled. The schedule, the `copra` command
 * and the reports read this table; a new method adds a row here and its layout in the example builder.
 *
 * @module
 */

import type { Method } from "./schedule.ts";

/** The traits of one method. */
export interface MethodTraits {
  /** Its final answers include written reasoning steps (path tables make sense for it). */
  writesSteps: boolean;
  /** What sits between question and answer: continuous thoughts, pause tokens, or nothing. */
  slots: "latent" | "pause" | "none";
  /** Slot inputs are the previous position's final hidden state (Coconut's feedback). */
  feedsHiddenStates: boolean;
  /**
   * The stage of an epoch: `"curriculum"` (⌊epoch / epochsPerStage⌋, through every stage), `"first"` (always 0:
   * no curriculum) or `"final"` (maxLatentStage + 1 from the start).
   */
  stages: "curriculum" | "first" | "final";
  /** Uniform stage mixing (`uniformProb`) applies to it. */
  mixesStages: boolean;
}

/**
 * The traits of every method.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { METHOD_TRAITS, METHODS } from "@copra/curriculum";
 * assert.equal(METHOD_TRAITS.coconut.feedsHiddenStates, true);
 * assert.equal(METHOD_TRAITS.cot.writesSteps, true);
 * assert.deepEqual(Object.keys(METHOD_TRAITS).toSorted(), [...METHODS].sort());
 * ```
 */
export const METHOD_TRAITS: Readonly<Record<Method, Readonly<MethodTraits>>> = {
  "coconut": { writesSteps: false, slots: "latent", feedsHiddenStates: true, stages: "curriculum", mixesStages: true },
  "cot": { writesSteps: true, slots: "none", feedsHiddenStates: false, stages: "first", mixesStages: false },
  "no-cot": { writesSteps: false, slots: "none", feedsHiddenStates: false, stages: "first", mixesStages: false },
  "no-thought": {
    writesSteps: false,
    slots: "none",
    feedsHiddenStates: false,
    stages: "curriculum",
    mixesStages: true,
  },
  "pause-as-thought": {
    writesSteps: false,
    slots: "pause",
    feedsHiddenStates: false,
    stages: "curriculum",
    mixesStages: true,
  },
  "pause-token": { writesSteps: true, slots: "pause", feedsHiddenStates: false, stages: "first", mixesStages: false },
  "no-curriculum": {
    writesSteps: false,
    slots: "latent",
    feedsHiddenStates: true,
    stages: "final",
    mixesStages: false,
  },
  "icot": { writesSteps: true, slots: "none", feedsHiddenStates: false, stages: "curriculum", mixesStages: false },
};
