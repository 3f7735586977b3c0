/**
 * What every copra package shares: the one error base (file, item, field, value, problem, hint) that each
 * package's errors extend, and writing a file all at once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CopraError } from "@copra/core";
 * const e = new CopraError({ source: "config.json", field: "n_head", value: 5, problem: "must divide n_embd (768)" });
 * assert.equal(e.message, "config.json: n_head: must divide n_embd (768) (got 5)");
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./files.ts";
