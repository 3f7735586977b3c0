/**
 * The one error type of `@copra/model`.
 *
 * @module
 */

import { CopraError } from "@copra/core/browser";

/** Where a bad value came from, what it was, and what to do about it. */
export interface ModelErrorDetails {
  /** The file (path or name given by the caller) or `"argument"` for a bad call argument. */
  source: string;
  /** The field, tensor name or option at fault, e.g. `"n_head"` or `"h.0.attn.c_attn.weight"`. */
  field: string;
  /** The offending value, shortened for display. */
  value: unknown;
  /** What is wrong, in a few words. */
  problem: string;
  /** What the caller can do about it. */
  hint?: string;
}

/**
 * Raised for malformed configurations, checkpoints and arguments of the model package. The message names
 * the source, field and value at fault and says what to do; the same facts are kept as properties.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ModelError } from "@copra/model";
 * const e = new ModelError({ source: "config.json", field: "n_head", value: 5, problem: "must divide n_embd (768)" });
 * assert.equal(e.message, "config.json: n_head: must divide n_embd (768) (got 5)");
 * ```
 */
export class ModelError extends CopraError {
  /** Builds the error and its message from the details. */
  constructor(details: ModelErrorDetails) {
    super(details);
    this.name = "ModelError";
  }
}
