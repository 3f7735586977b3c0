/**
 * How a tokenizer is put together, and the options of encoding and decoding.
 *
 * @module
 */

import type { SpecialToken } from "./special_tokens.ts";

/** Options of `Tokenizer.encode`. */
export interface EncodeOptions {
  /**
   * Special tokens that may be recognised in the text: `"all"`, or a list of their contents. By default none:
   * text such as `"<|endoftext|>"` is encoded as ordinary text, so user data can never inject a control token.
   */
  allowedSpecial?: "all" | readonly string[];
  /**
   * Use the tokenizer's piece cache (default `true`): a repeated pre-token is looked up, not merged again.
   * `false` merges every piece afresh (same ids; for measuring the merge itself).
   */
  cache?: boolean;
}

/** Options of `Tokenizer.decode`. */
export interface DecodeOptions {
  /** Leave special tokens out of the text. Default `false`. */
  skipSpecial?: boolean;
}

/** How a `Tokenizer` is put together. */
export interface TokenizerOptions {
  /**
   * Special tokens. Those with an id below the model's size must be that model token (as GPT-2's
   * `<|endoftext|>` = 50256 is); the others must take the ids right after the model's, in order.
   */
  specialTokens?: readonly SpecialToken[];
  /**
   * Put a space before each stretch of text (between special tokens) that does not start with one, as
   * Hugging Face's `add_prefix_space` does. Default `false`.
   */
  addPrefixSpace?: boolean;
  /**
   * Cut every ASCII digit into its own piece before GPT-2's pattern (Hugging Face's `Digits` pre-tokenizer with
   * `individual_digits`). Not with `addPrefixSpace` (Hugging Face would put a space before every piece). Default
   * `false`.
   */
  splitDigits?: boolean;
  /** File name (or other label) reported in errors. Default `"argument"`. */
  source?: string;
}
