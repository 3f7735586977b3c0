/**
 * Data for copra: the Coconut JSON format (load, validate, save), generators for ProsQA, ProntoQA-style and
 * GSM8k-style arithmetic problems (seeded, with size and depth parameters for in- and out-of-distribution
 * splits), the official answer scoring, ProsQA graph tools (question parser, statistics, reasoning-path
 * classes), and data-set statistics.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { accuracy, classifyPath, generateProsQA } from "@copra/data";
 * const train = generateProsQA({ n: 20, seed: 1, minHops: 3, maxHops: 4 });
 * const deeper = generateProsQA({ n: 5, seed: 2, minHops: 5, maxHops: 6 });
 * const outputs = deeper.map((it) => `${it.steps.join("\n")}\n### ${it.answer}`);
 * assert.equal(accuracy(outputs, deeper.map((it) => it.answer)), 1);
 * assert.equal(classifyPath(train[0], outputs[0]), "hallucination"); // another item's path
 * ```
 *
 * @module
 */

// Everything a browser can run, and the file functions that need Deno.
export * from "./browser.ts";
export { loadDataset, saveDataset } from "./format.ts";
