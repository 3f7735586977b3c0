/**
 * What the byte-level token models share: tokens by id (as GPT-2 byte-level text), their lookup, and encoding a
 * word through the model's own `encodeBytes`.
 *
 * @module
 */

import { TokenizerError } from "./errors.ts";

/**
 * The base of {@link Bpe} and {@link WordLevel}: a checked list of distinct, non-empty tokens and their ids.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WordLevel } from "@copra/tokenizer";
 * const model = new WordLevel(["Tom", "Ġis", "<unk>"], "<unk>"); // a Vocabulary
 * assert.equal(model.size, 3);
 * assert.equal(model.tokenToId("Ġis"), 1);
 * ```
 */
export abstract class Vocabulary {
  /** Byte-level text of each token, by id. */
  readonly tokens: readonly string[];
  /** Id of each token. */
  protected readonly ids: Map<string, number>;

  /** Checks that every token is a non-empty string listed once; throws {@link TokenizerError} naming the entry. */
  constructor(tokens: readonly string[], source: string) {
    const ids = new Map<string, number>();
    tokens.forEach((token, id) => {
      if (typeof token !== "string" || token.length === 0) {
        throw new TokenizerError({
          source,
          field: `vocab[${id}]`,
          value: token,
          problem: "a token must be a non-empty string",
        });
      }
      if (ids.has(token)) {
        throw new TokenizerError({
          source,
          field: `vocab[${id}]`,
          value: token,
          problem: `token is listed twice (first with id ${ids.get(token)})`,
          hint: "each token needs exactly one id",
        });
      }
      ids.set(token, id);
    });
    this.tokens = tokens;
    this.ids = ids;
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
   * import { Bpe, BYTE_TO_CHAR } from "@copra/tokenizer/browser";
   * const bpe = new Bpe(BYTE_TO_CHAR.slice(), []);
   * assert.equal(bpe.tokenToId("a"), 97);
   * assert.equal(bpe.tokenToId("ab"), undefined);
   * ```
   */
  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  /**
   * Token ids of one pre-token's UTF-8 bytes (the model's own encoding).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WordLevel } from "@copra/tokenizer/browser";
   * const model = new WordLevel(["hi", "<unk>"], "<unk>");
   * assert.deepEqual(model.encodeBytes(new TextEncoder().encode("hi")), [0]);
   * ```
   */
  abstract encodeBytes(bytes: Uint8Array): number[];

  /**
   * Token ids of one pre-token given as text (encoded as UTF-8 first).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Bpe, BYTE_TO_CHAR, WordLevel } from "@copra/tokenizer/browser";
   * assert.deepEqual(new Bpe([...BYTE_TO_CHAR, "hi"], [["h", "i"]]).encodeWord("hi"), [256]);
   * assert.deepEqual(new WordLevel(["hi", "<unk>"], "<unk>").encodeWord("ho"), [1]);
   * ```
   */
  encodeWord(word: string): number[] {
    return this.encodeBytes(new TextEncoder().encode(word));
  }
}
