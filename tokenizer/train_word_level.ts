/**
 * Building a word-level vocabulary from a corpus: every distinct GPT-2 pre-token (a word with its leading
 * space, a punctuation run, a whitespace run) becomes one token, most frequent first.
 *
 * @module
 */

import { bytesToByteLevel } from "./byte_level.ts";
import { TokenizerError } from "./errors.ts";
import { minFrequencyOption } from "./train_options.ts";
import { splitPieces } from "./pretokenize.ts";
import { END_OF_TEXT, type SpecialToken } from "./special_tokens.ts";
import { Tokenizer } from "./tokenizer.ts";
import { checkSpecials } from "./train_bpe.ts";
import { WordLevel } from "./word_level.ts";

/** Options of {@link trainWordLevel}. */
export interface TrainWordLevelOptions {
  /** Largest vocabulary, unknown and special tokens included; the rarest words are left out. Default: no limit. */
  maxVocabSize?: number;
  /** Words seen fewer times are left out (they encode as the unknown token). Default 1. */
  minFrequency?: number;
  /** The token for words not in the vocabulary. Default `"<unk>"`. */
  unkToken?: string;
  /** Special tokens, given ids after the unknown token. Default `["<|endoftext|>"]`. */
  specialTokens?: readonly string[];
  /**
   * Encode with a space put before each text that does not start with one (Hugging Face's `add_prefix_space`),
   * and count words that way: a word at the start of a text (or of a line, when lines are encoded one by one)
   * is then the same token as inside a sentence. Default `false`.
   */
  addPrefixSpace?: boolean;
  /**
   * Every ASCII digit its own token (Hugging Face's `Digits` pre-tokenizer): numbers never seen in the corpus
   * still encode. Not with `addPrefixSpace`. Default `false`.
   */
  splitDigits?: boolean;
}

/**
 * Builds a word-level tokenizer. Ids: words by descending count (ties by their byte-level text), then the
 * unknown token, then the special tokens. Decoding reproduces the text exactly when no word was unknown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainWordLevel } from "@copra/tokenizer";
 * const tok = trainWordLevel(["Tom is a wumpus.\nEvery wumpus is a yumpus."]);
 * const ids = tok.encode("Every yumpus is a wumpus.");
 * assert.equal(tok.decode(ids), "Every yumpus is a wumpus.");
 * assert.equal(tok.decode(tok.encode("Bob is a cat.")), "<unk> is a<unk>.");
 * ```
 */
export function trainWordLevel(texts: Iterable<string>, options: TrainWordLevelOptions = {}): Tokenizer<WordLevel> {
  const unkToken = options.unkToken ?? "<unk>";
  const specials = checkSpecials(options.specialTokens ?? [END_OF_TEXT]);
  if (typeof unkToken !== "string" || unkToken.length === 0 || specials.includes(unkToken)) {
    throw new TokenizerError({
      source: "argument",
      field: "unkToken",
      value: unkToken,
      problem: "must be a non-empty string that is not also in specialTokens",
    });
  }
  const minFrequency = minFrequencyOption(options.minFrequency, 1);
  const reserved = 1 + specials.length;
  const maxVocabSize = options.maxVocabSize ?? Infinity;
  if (maxVocabSize !== Infinity && (!Number.isInteger(maxVocabSize) || maxVocabSize < reserved)) {
    throw new TokenizerError({
      source: "argument",
      field: "maxVocabSize",
      value: maxVocabSize,
      problem: `must be an integer of at least ${reserved} (the unknown token + ${specials.length} special tokens)`,
    });
  }

  // Count pre-tokens, then fold them into byte-level forms (a lone surrogate and U+FFFD share one).
  const pieces = new Map<string, number>();
  const prefix = options.addPrefixSpace === true, digits = options.splitDigits === true;
  for (const raw of texts) {
    const text = prefix && raw.length > 0 && raw[0] !== " " ? " " + raw : raw;
    for (const piece of splitPieces(text, digits)) pieces.set(piece, (pieces.get(piece) ?? 0) + 1);
  }
  const counts = new Map<string, number>();
  const encoder = new TextEncoder();
  for (const [piece, count] of pieces) {
    const token = bytesToByteLevel(encoder.encode(piece));
    if (token !== unkToken) counts.set(token, (counts.get(token) ?? 0) + count);
  }
  // With digits split, the ten digits come first (ids 0–9), whatever their counts; then words by count.
  const DIGITS = [..."0123456789"];
  if (digits && maxVocabSize < reserved + DIGITS.length) {
    throw new TokenizerError({
      source: "argument",
      field: "maxVocabSize",
      value: maxVocabSize,
      problem: `must leave room for the ten digits (at least ${reserved + DIGITS.length})`,
    });
  }
  const tokens = [
    ...(digits ? DIGITS : []),
    ...[...counts]
      .filter(([token, count]) => count >= minFrequency && !(digits && DIGITS.includes(token)))
      .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, maxVocabSize - reserved - (digits ? DIGITS.length : 0))
      .map(([token]) => token),
  ];
  const unkId = tokens.length;
  tokens.push(unkToken);
  const specialTokens: SpecialToken[] = [
    { id: unkId, content: unkToken },
    ...specials.map((content, i) => ({ id: unkId + 1 + i, content })),
  ];
  return new Tokenizer(new WordLevel(tokens, unkToken), { specialTokens, addPrefixSpace: prefix, splitDigits: digits });
}
