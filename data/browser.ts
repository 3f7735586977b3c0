/**
 * `@copra/data` in a browser: every generator (ProsQA, ProntoQA, symbolic graphs, arithmetic), the dataset format
 * given as text (`parseDataset`, `validateDataset`), scoring, audits and statistics. Reading and writing paths
 * (`loadDataset`, `saveDataset`) need Deno and live in the main entry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDataset } from "@copra/data/browser";
 * const items = parseDataset('[{"question": "1 2 [Q] 2 3 [R] 1", "steps": ["2"], "answer": "2"}]');
 * assert.equal(items[0].answer, "2");
 * ```
 *
 * @module
 */

export * from "./arith.ts";
export * from "./errors.ts";
export { decodeUtf8, parseDataset, validateDataset } from "./format.ts";
export type { CoconutItem } from "./format.ts";
export * from "./prontoqa.ts";
export { generateProsQA, PROSQA_CONCEPTS, PROSQA_PERSONS } from "./prosqa.ts";
export type { ProsQAOptions } from "./prosqa.ts";
export {
  classifyFirstStep,
  classifyPath,
  hasGraphKeys,
  longestDepths,
  parseProsQAQuestion,
  prosqaStats,
  shortestPaths,
} from "./prosqa_graph.ts";
export type { Distances, FirstStepClass, ParsedProsQA, PathClass, ProsQAStats } from "./prosqa_graph.ts";
export * from "./score.ts";
export * from "./audit.ts";
export * from "./stats.ts";
export * from "./symbolic.ts";
