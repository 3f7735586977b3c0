/**
 * The browser-safe part of `@copra/core`: errors that name the file, field and value at fault. Writing files
 * (`writeFileAtomic`) needs Deno and lives in the main entry only.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CopraError } from "@copra/core/browser";
 * const error = new CopraError({ source: "data.json", field: "steps", value: 3, problem: "must be a list" });
 * assert.match(error.message, /data\.json: steps/);
 * ```
 *
 * @module
 */

export * from "./errors.ts";
