/**
 * `@copra/curriculum` in a browser: the whole package (stages, examples, collation and methods touch no files).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { curriculumConfig } from "@copra/curriculum/browser";
 * assert.equal(curriculumConfig({ method: "coconut" }).thoughtsPerStep, 1);
 * ```
 *
 * @module
 */

export * from "./collate.ts";
export * from "./example.ts";
export * from "./methods.ts";
export * from "./schedule.ts";
