/**
 * The one error type of `@copra/tokenizer`.
 *
 * @module
 */

import { CopraError } from "@copra/core/browser";

/** Where a bad value came from, what it was, and what to do about it. */
export interface TokenizerErrorDetails {
  /** The file (path or name given by the caller) or `"argument"` for a bad call argument. */
  source: string;
  /** The field, line, option or index at fault, e.g. `"model.merges[12]"` or `"line 3"`. */
  field: string;
  /** The offending value, shortened for display. */
  value: unknown;
  /** What is wrong, in a few words. */
  problem: string;
  /** What the caller can do about it. */
  hint?: string;
}

/**
 * Raised for every malformed input and invalid option of the tokenizer package. The message names the
 * source, field and value at fault, and says what to do; the same facts are kept as properties.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TokenizerError } from "@copra/tokenizer";
 * const e = new TokenizerError({
 *   source: "vocab.bpe",
 *   field: "line 7",
 *   value: "a b c",
 *   problem: "a merge line must hold exactly two tokens",
 * });
 * assert.equal(e.message, 'vocab.bpe: line 7: a merge line must hold exactly two tokens (got "a b c")');
 * ```
 */
export class TokenizerError extends CopraError {
  /** Builds the error and its message from the details. */
  constructor(details: TokenizerErrorDetails) {
    super(details);
    this.name = "TokenizerError";
  }
}
