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
export class WordLevel {
  /** Discriminates the model kinds of a {@link Tokenizer}. */
  readonly type: "WordLevel" = "WordLevel";
  /** Byte-level text of each token, by id. */
  readonly tokens: readonly string[];
  /** The token that stands for any word not in the vocabulary. */
  readonly unkToken: string;
  /** Id of `unkToken`. */
  readonly unkId: number;
  readonly #vocab: Map<string, number>;

  /** Validates the vocabulary; throws {@link TokenizerError} naming the entry at fault. */
  constructor(tokens: readonly string[], unkToken: string, options: WordLevelOptions = {}) {
    const source = options.source ?? "argument";
    const vocab = new Map<string, number>();
    tokens.forEach((token, id) => {
      if (typeof token !== "string" || token.length === 0) {
        throw new TokenizerError({
          source,
          field: `vocab[${id}]`,
          value: token,
          problem: "a token must be a non-empty string",
        });
      }
      if (vocab.has(token)) {
        throw new TokenizerError({
          source,
          field: `vocab[${id}]`,
          value: token,
          problem: `token is listed twice (first with id ${vocab.get(token)})`,
        });
      }
      vocab.set(token, id);
    });
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
    this.tokens = tokens;
    this.unkToken = unkToken;
    this.unkId = unkId;
    this.#vocab = vocab;
  }

  /** Number of tokens. */
  get size(): number {
    return this.tokens.length;
  }

  /**
   * Id of a token given as byte-level text, or `undefined`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WordLevel } from "@copra/tokenizer";
   * assert.equal(new WordLevel(["a", "<unk>"], "<unk>").tokenToId("a"), 0);
   * ```
   */
  tokenToId(token: string): number | undefined {
    return this.#vocab.get(token);
  }

  /**
   * Token id of one pre-token's UTF-8 bytes: its word's id, or the unknown token's.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WordLevel } from "@copra/tokenizer";
   * const model = new WordLevel(["hi", "<unk>"], "<unk>");
   * assert.deepEqual(model.encodeBytes(new TextEncoder().encode("hi")), [0]);
   * ```
   */
  encodeBytes(bytes: Uint8Array): number[] {
    return [this.#vocab.get(bytesToByteLevel(bytes)) ?? this.unkId];
  }

  /**
   * Token id of one pre-token given as text.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WordLevel } from "@copra/tokenizer";
   * const model = new WordLevel(["hi", "<unk>"], "<unk>");
   * assert.deepEqual(model.encodeWord("ho"), [1]);
   * ```
   */
  encodeWord(word: string): number[] {
    return this.encodeBytes(new TextEncoder().encode(word));
  }
}
