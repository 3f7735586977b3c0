/**
 * The byte-pair-encoding model: a vocabulary of byte strings and an ordered list of merges.
 *
 * A pre-token's UTF-8 bytes start as one token each; then, repeatedly, the adjacent pair whose merge comes
 * first in the merge list is joined (leftmost first among equals), until no adjacent pair has a merge. This is
 * GPT-2's `bpe()` and Hugging Face's `BPE` model without dropout.
 *
 * @module
 */

import { BYTE_TO_CHAR, byteLevelToBytes } from "./byte_level.ts";
import { TokenizerError } from "./errors.ts";
import { Vocabulary } from "./vocabulary.ts";

/** Ids and merge ranks are packed as `rank * ID_LIMIT + id`; both stay below this bound. */
const ID_LIMIT = 1 << 21;

/** Options of {@link Bpe}: where the vocabulary came from, for error messages. */
export interface BpeOptions {
  /** File name (or other label) reported in errors. Default `"argument"`. */
  source?: string;
}

/**
 * A byte-level BPE vocabulary with its merges.
 *
 * `tokens[id]` is the token as GPT-2 byte-level text (see `BYTE_TO_CHAR`); `merges[r]` is the pair joined
 * with rank `r` (lower joins first). Every single byte must be a token, and every merge's result too.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Bpe, BYTE_TO_CHAR } from "@copra/tokenizer";
 * const bytes = BYTE_TO_CHAR.slice();
 * const bpe = new Bpe([...bytes, "ab", "abc"], [["a", "b"], ["ab", "c"]]);
 * assert.deepEqual(bpe.encodeWord("abcab"), [257, 256]);
 * ```
 */
export class Bpe extends Vocabulary {
  /** Discriminates the model kinds of a {@link Tokenizer}. */
  readonly type: "BPE" = "BPE";
  /** The merges in rank order. */
  readonly merges: readonly (readonly [string, string])[];
  /** Token id of each single byte. */
  readonly #byteIds: Int32Array;
  /** `left * ID_LIMIT + right` → `rank * ID_LIMIT + mergedId`. */
  readonly #pairs: Map<number, number>;

  /** Validates the vocabulary and merges; throws {@link TokenizerError} naming the entry at fault. */
  constructor(tokens: readonly string[], merges: readonly (readonly [string, string])[], options: BpeOptions = {}) {
    const source = options.source ?? "argument";
    if (tokens.length >= ID_LIMIT) {
      throw new TokenizerError({
        source,
        field: "vocab",
        value: tokens.length,
        problem: `a vocabulary may hold at most ${ID_LIMIT - 1} tokens`,
      });
    }
    super(tokens, source);
    const vocab = this.ids;
    tokens.forEach((token, id) => byteLevelToBytes(token, source, `vocab[${id}]`));
    const byteIds = new Int32Array(256);
    for (let b = 0; b < 256; b++) {
      const id = vocab.get(BYTE_TO_CHAR[b]);
      if (id === undefined) {
        throw new TokenizerError({
          source,
          field: "vocab",
          value: BYTE_TO_CHAR[b],
          problem: `byte 0x${b.toString(16).padStart(2, "0")} has no token`,
          hint: "a byte-level BPE vocabulary must hold all 256 single-byte tokens",
        });
      }
      byteIds[b] = id;
    }
    if (merges.length >= ID_LIMIT) {
      throw new TokenizerError({
        source,
        field: "merges",
        value: merges.length,
        problem: `at most ${ID_LIMIT - 1} merges are supported`,
      });
    }
    const pairs = new Map<number, number>();
    merges.forEach((merge, rank) => {
      const field = `merges[${rank}]`;
      if (!Array.isArray(merge) || merge.length !== 2) {
        throw new TokenizerError({ source, field, value: merge, problem: "a merge must be a pair of tokens" });
      }
      const [a, b] = merge;
      const left = vocab.get(a), right = vocab.get(b), merged = vocab.get(a + b);
      for (const [part, id] of [[a, left], [b, right], [a + b, merged]] as const) {
        if (id === undefined) {
          throw new TokenizerError({
            source,
            field,
            value: `${a} ${b}`,
            problem: `merge refers to ${JSON.stringify(part)}, which is not in the vocabulary`,
            hint: "merges and vocabulary must come from the same tokenizer",
          });
        }
      }
      const key = left! * ID_LIMIT + right!;
      // A repeated merge keeps its first (lowest) rank, as in GPT-2's rank table.
      if (!pairs.has(key)) pairs.set(key, rank * ID_LIMIT + merged!);
    });
    this.merges = merges;
    this.#byteIds = byteIds;
    this.#pairs = pairs;
  }

  /**
   * Token ids of one pre-token's UTF-8 bytes.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Bpe, BYTE_TO_CHAR } from "@copra/tokenizer/browser";
   * const bpe = new Bpe([...BYTE_TO_CHAR, "hi"], [["h", "i"]]);
   * assert.deepEqual(bpe.encodeBytes(new TextEncoder().encode("hih")), [256, 104]);
   * ```
   */
  override encodeBytes(bytes: Uint8Array): number[] {
    const n = bytes.length;
    const ids: number[] = new Array(n);
    for (let i = 0; i < n; i++) ids[i] = this.#byteIds[bytes[i]];
    if (n < 2) return ids;
    // packed[i] = rank * ID_LIMIT + mergedId of the pair (ids[i], ids[i+1]), or Infinity.
    const packed: number[] = new Array(n - 1);
    for (let i = 0; i < n - 1; i++) packed[i] = this.#pairRank(ids[i], ids[i + 1]);
    let len = n;
    while (len > 1) {
      let best = 0;
      for (let i = 1; i < len - 1; i++) if (packed[i] < packed[best]) best = i;
      if (packed[best] === Infinity) break;
      // Join ids[best] and ids[best+1]; compare ranks only, since packing preserves rank order.
      ids[best] = packed[best] % ID_LIMIT;
      ids.splice(best + 1, 1);
      packed.splice(best, 1);
      len--;
      if (best > 0) packed[best - 1] = this.#pairRank(ids[best - 1], ids[best]);
      if (best < len - 1) packed[best] = this.#pairRank(ids[best], ids[best + 1]);
    }
    return ids;
  }

  #pairRank(left: number, right: number): number {
    return this.#pairs.get(left * ID_LIMIT + right) ?? Infinity;
  }
}
