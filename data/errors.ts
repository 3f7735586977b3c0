/**
 * The one error type of `@copra/data`.
 *
 * @module
 */

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
export class DataError extends Error {
  /** The file, or `"argument"` for a bad option. */
  readonly source: string;
  /** Index of the item at fault, or `null` for the file or an option. */
  readonly item: number | null;
  /** The field or option at fault. */
  readonly field: string;

  /** Builds the message from the parts. */
  constructor(source: string, item: number | null, field: string, problem: string, value?: unknown) {
    let shown = "";
    if (value !== undefined) {
      let text: string;
      try {
        text = JSON.stringify(value) ?? String(value);
      } catch {
        text = String(value);
      }
      shown = ` (got ${text.length > 80 ? text.slice(0, 77) + "..." : text})`;
    }
    super(`${source}: ${item === null ? "" : `item ${item}: `}${field}: ${problem}${shown}`);
    this.name = "DataError";
    this.source = source;
    this.item = item;
    this.field = field;
  }
}
