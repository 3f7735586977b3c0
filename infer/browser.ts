/**
 * `@copra/infer` in a browser: the whole package (generation, the latent loop, the streaming `Session` and its
 * calculator touch no files).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { calculate } from "@copra/infer/browser";
 * assert.equal(calculate("2*(3+4)"), "14");
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./generate.ts";
export * from "./latent.ts";
export * from "./session.ts";
export * from "./calculator.ts";
