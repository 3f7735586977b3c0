/**
 * GPT-2's pre-tokenization: the regular expression that cuts text into the pieces BPE works on.
 *
 * Pieces are English contractions, letter runs, digit runs and runs of other symbols (each with at most one
 * leading space), and whitespace runs, where the last whitespace character of a run is left to start the next
 * piece. Letters and digits are Unicode-aware (`\p{L}`, `\p{N}`). BPE never merges across two pieces.
 *
 * @module
 */

/**
 * The pattern GPT-2 (and tiktoken's `gpt2`/`r50k_base`) uses, as JavaScript regular-expression source. Use it
 * with the flags `gu`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GPT2_SPLIT_PATTERN } from "@copra/tokenizer";
 * const re = new RegExp(GPT2_SPLIT_PATTERN, "gu");
 * assert.deepEqual("it's 42!".match(re), ["it", "'s", " 42", "!"]);
 * ```
 */
export const GPT2_SPLIT_PATTERN: string = String
  .raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;

/**
 * Cuts text into GPT-2 pre-tokens. Their concatenation is the input, unchanged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { preTokenize } from "@copra/tokenizer";
 * assert.deepEqual(preTokenize("Hello  world\n"), ["Hello", " ", " world", "\n"]);
 * ```
 */
export function preTokenize(text: string): string[] {
  return text.match(new RegExp(GPT2_SPLIT_PATTERN, "gu")) ?? [];
}
