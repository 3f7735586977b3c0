/**
 * Seeded randomness for copra: one small generator whose whole state can be saved and restored, shared by the
 * data generators, the curriculum and model initialisation, so that the same seed gives the same run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "@copra/random";
 * const rng = new Rng(42);
 * const order = rng.shuffle([1, 2, 3, 4]);
 * assert.deepEqual(new Rng(42).shuffle([1, 2, 3, 4]), order);
 * ```
 *
 * @module
 */

export * from "./rng.ts";
