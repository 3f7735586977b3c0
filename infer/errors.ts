/**
 * The one error type of `@copra/infer`.
 *
 * @module
 */

import { CopraError, type ErrorDetails } from "@copra/core/browser";

/**
 * A bad argument to the thought loop or to generation (misaligned thought slots, a prompt longer than the
 * model's context): names the argument, the value and what to do.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InferError } from "@copra/infer";
 * const e = new InferError({ source: "argument", field: "prompts[0]", problem: "too long", value: 600 });
 * assert.equal(e.message, "argument: prompts[0]: too long (got 600)");
 * ```
 */
export class InferError extends CopraError {
  /** Builds the error and its message from the details. */
  constructor(details: ErrorDetails) {
    super(details);
    this.name = "InferError";
  }
}
