/**
 * `@copra/random` in a browser: the whole package (seeded generators touch no files).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "@copra/random/browser";
 * assert.equal(new Rng(7).next(), new Rng(7).next());
 * ```
 *
 * @module
 */

export * from "./rng.ts";
