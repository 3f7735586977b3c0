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

/**
 * The pieces text is cut into before the model sees it: GPT-2's pattern, or with `splitDigits` first every ASCII
 * digit on its own and GPT-2's pattern on the runs between them — Hugging Face's `Digits` pre-tokenizer with
 * `individual_digits: true` followed by `ByteLevel`. With digits split, any number is spelled with ten tokens, so
 * a word-level vocabulary can encode numbers it never saw.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitPieces } from "@copra/tokenizer";
 * assert.deepEqual([...splitPieces("<<48/2=24>>", true)], ["<<", "4", "8", "/", "2", "=", "2", "4", ">>"]);
 * assert.deepEqual([...splitPieces("has 12 apples", true)], ["has", " ", "1", "2", " apples"]);
 * assert.deepEqual([...splitPieces("has 12 apples", false)], ["has", " 12", " apples"]);
 * ```
 */
export function* splitPieces(text: string, splitDigits: boolean): Generator<string> {
  const re = new RegExp(GPT2_SPLIT_PATTERN, "gu");
  if (!splitDigits) {
    for (const [piece] of text.matchAll(re)) yield piece;
    return;
  }
  for (const segment of text.split(/([0-9])/)) {
    if (segment === "") continue;
    if (segment.length === 1 && segment >= "0" && segment <= "9") yield segment;
    else for (const [piece] of segment.matchAll(re)) yield piece;
  }
}
