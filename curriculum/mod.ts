/**
 * Coconut's curriculum: the training methods, the stage schedule (thoughts per step, stages, uniform mixing,
 * optimizer-reset policy), the example builder (ids, labels, thought slots, position ids), inference prompts,
 * and the collator that aligns the first thought of every row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "@copra/random";
 * import { COCONUT_TOKENS, trainWordLevel } from "@copra/tokenizer";
 * import { buildExample, collate, curriculumConfig, drawStage, recordTexts, specialIds, stageOfEpoch, tokenizeRecord } from "@copra/curriculum";
 *
 * const items = [
 *   { question: "Tom is a wumpus. Is Tom a yumpus?", steps: ["Every wumpus is a yumpus."], answer: "Tom is a yumpus." },
 *   { question: "Is Bob a dumpus?", steps: ["Bob is a rompus.", "Every rompus is a dumpus."], answer: "Bob is a dumpus." },
 * ];
 * const tok = trainWordLevel(items.flatMap(recordTexts))
 *   .withSpecialTokens(Object.values(COCONUT_TOKENS));
 * const config = curriculumConfig({ method: "coconut", epochsPerStage: 1, maxLatentStage: 2 });
 * const rng = new Rng(0);
 * const stage = stageOfEpoch(config, 1); // epoch 1 → stage 1: one step becomes one thought
 * const examples = items.map((it) => buildExample(tokenizeRecord(tok, it), drawStage(config, stage, it.steps.length, rng), config, specialIds(tok)));
 * const batch = collate(examples, specialIds(tok).eos);
 * assert.equal(batch.latentPositions[0][0], batch.latentPositions[1][0]); // aligned first thoughts
 * ```
 *
 * @module
 */

export * from "./collate.ts";
export * from "./example.ts";
export * from "./methods.ts";
export * from "./schedule.ts";
