/**
 * The word-level model: each pre-token is one token if the vocabulary has it, else the unknown token.
 *
 * Used with GPT-2's pre-tokenization, a "word" is a letter run with its leading space (`" terpus"`), a
 * punctuation run (`"."`, `"###"`), a digit run or a whitespace run (`"\n"`), so decoding gives back the text
 * exactly whenever no word was unknown. That is what small synthetic vocabularies such as ProsQA's want.
 *
 * @module
 */

import { byteLevelToBytes, bytesToByteLevel } from "./byte_level.ts";
import { TokenizerError } from "./errors.ts";
import { Vocabulary } from "./vocabulary.ts";

/** Options of {@link WordLevel}. */
export interface WordLevelOptions {
  /** File name (or other label) reported in errors. Default `"argument"`. */
  source?: string;
}

/**
 * A word-level vocabulary. `tokens[id]` is the word as GPT-2 byte-level text (as in Hugging Face files that
 * pair `WordLevel` with the `ByteLevel` pre-tokenizer); `unkToken` must be one of the tokens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WordLevel } from "@copra/tokenizer";
 * const model = new WordLevel(["Tom", "Ġis", "<unk>"], "<unk>");
 * assert.deepEqual(model.encodeWord(" is"), [1]);
 * assert.deepEqual(model.encodeWord(" was"), [2]);
 * ```
 */
export class WordLevel extends Vocabulary {
  /** Discriminates the model kinds of a {@link Tokenizer}. */
  readonly type: "WordLevel" = "WordLevel";
  /** The token that stands for any word not in the vocabulary. */
  readonly unkToken: string;
  /** Id of `unkToken`. */
  readonly unkId: number;

  /** Validates the vocabulary; throws {@link TokenizerError} naming the entry at fault. */
  constructor(tokens: readonly string[], unkToken: string, options: WordLevelOptions = {}) {
    const source = options.source ?? "argument";
    super(tokens, source);
    const vocab = this.ids;
    const unkId = vocab.get(unkToken);
    if (unkId === undefined) {
      throw new TokenizerError({
        source,
        field: "unk_token",
        value: unkToken,
        problem: "the unknown token is not in the vocabulary",
        hint: "add it to the vocabulary or name one that is there",
      });
    }
    tokens.forEach((token, id) => {
      if (id !== unkId) byteLevelToBytes(token, source, `vocab[${id}]`);
    });
    this.unkToken = unkToken;
    this.unkId = unkId;
  }

  /**
   * Token id of one pre-token's UTF-8 bytes: its word's id, or the unknown token's.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WordLevel } from "@copra/tokenizer/browser";
   * const model = new WordLevel(["hi", "<unk>"], "<unk>");
   * assert.deepEqual(model.encodeBytes(new TextEncoder().encode("hi")), [0]);
   * ```
   */
  override encodeBytes(bytes: Uint8Array): number[] {
    return [this.ids.get(bytesToByteLevel(bytes)) ?? this.unkId];
  }
}
