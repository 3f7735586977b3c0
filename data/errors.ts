/**
 * The one error type of `@copra/data`.
 *
 * @module
 */

import { CopraError } from "@copra/core/browser";

/**
 * A defect in a data file or a bad option: names the file, the item index and the field at fault.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DataError } from "@copra/data";
 * const e = new DataError("train.json", 3, "steps", "must be an array of strings", 7);
 * assert.equal(e.message, "train.json: item 3: steps: must be an array of strings (got 7)");
 * ```
 */
export class DataError extends CopraError {
  /** Builds the message from the parts; `item` is null for the file or an option. */
  constructor(source: string, item: number | null, field: string, problem: string, value?: unknown) {
    super({ source, item: item ?? undefined, field, problem, value });
    this.name = "DataError";
  }
}
