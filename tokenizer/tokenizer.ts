/**
 * The tokenizer: GPT-2 pre-tokenization, a byte-level model (BPE or word-level) and special tokens.
 *
 * @module
 */

import { byteLevelToBytes } from "./byte_level.ts";
import type { Bpe } from "./bpe.ts";
import { TokenizerError } from "./errors.ts";
import { GPT2_SPLIT_PATTERN, splitPieces } from "./pretokenize.ts";
import type { DecodeOptions, EncodeOptions, TokenizerOptions } from "./options.ts";
import { checkSpecialTokens, type SpecialToken } from "./special_tokens.ts";
import type { WordLevel } from "./word_level.ts";

/** The model under a {@link Tokenizer}. */
export type TokenModel = Bpe | WordLevel;

/** Pieces remembered per tokenizer before the cache is emptied. */
const CACHE_LIMIT = 1 << 17;

/**
 * Turns text into token ids and back. Immutable: adding special tokens gives a new tokenizer.
 *
 * Encoding cuts the text at allowed special tokens, splits each stretch with GPT-2's pre-tokenization
 * pattern, and hands each piece's UTF-8 bytes to the model. Text is treated as UTF-8: a lone surrogate (which
 * UTF-8 cannot hold) is encoded as U+FFFD, as GPT-2 does, so `decode(encode(s)) === s.toWellFormed()`.
 * Decoding joins the tokens' bytes and reads them as UTF-8, with U+FFFD for byte sequences that are not
 * UTF-8 (which only happens for id sequences that cut a character apart).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Bpe, BYTE_TOKENS, Tokenizer } from "@copra/tokenizer";
 * const tok = new Tokenizer(new Bpe([...BYTE_TOKENS, "Ġt", "Ġto"], [["Ġ", "t"], ["Ġt", "o"]]))
 *   .withSpecialTokens(["<|latent|>"]);
 * const ids = tok.encode("go to<|latent|>", { allowedSpecial: "all" });
 * assert.deepEqual(ids, [70, 78, 257, 258]);
 * assert.equal(tok.decode(ids), "go to<|latent|>");
 * ```
 */
export class Tokenizer<M extends TokenModel = TokenModel> {
  /** The model that encodes ordinary text. */
  readonly model: M;
  /** Special tokens, by id. */
  readonly specialTokens: readonly SpecialToken[];
  /** Whether a space is put before text that does not start with one. */
  readonly addPrefixSpace: boolean;
  /** Whether every digit is its own piece. */
  readonly splitDigits: boolean;
  /** Number of ids: the model's tokens plus added special tokens. */
  readonly vocabSize: number;
  readonly #special: Map<string, number>;
  readonly #specialIds: Set<number>;
  readonly #splitter: RegExp;
  readonly #cache = new Map<string, number | number[]>();
  readonly #encoder = new TextEncoder();
  // ignoreBOM keeps a leading U+FEFF in the text instead of swallowing it.
  readonly #decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  #tokenBytes: (Uint8Array | undefined)[] = [];

  /** Checks the special tokens against the model; throws {@link TokenizerError} on a conflict. */
  constructor(model: M, options: TokenizerOptions = {}) {
    const source = options.source ?? "argument";
    const { specials, byContent, vocabSize } = checkSpecialTokens(model, options.specialTokens ?? [], source);
    this.model = model;
    this.specialTokens = specials;
    this.addPrefixSpace = options.addPrefixSpace ?? false;
    this.splitDigits = options.splitDigits ?? false;
    if (this.addPrefixSpace && this.splitDigits) {
      throw new TokenizerError({
        source,
        field: "splitDigits",
        value: true,
        problem: "cannot be combined with addPrefixSpace",
        hint: "Hugging Face would put a space before every digit; use one of the two",
      });
    }
    this.vocabSize = vocabSize;
    this.#special = byContent;
    this.#specialIds = new Set(byContent.values());
    this.#splitter = new RegExp(GPT2_SPLIT_PATTERN, "gu");
  }

  /**
   * A tokenizer with these special tokens added after the current vocabulary, in the order given. Tokens
   * that are already special keep their ids.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Bpe, BYTE_TOKENS, COCONUT_TOKENS, Tokenizer } from "@copra/tokenizer/browser";
   * const tok = new Tokenizer(new Bpe(BYTE_TOKENS.slice(), []));
   * const coconut = tok.withSpecialTokens([COCONUT_TOKENS.startLatent, COCONUT_TOKENS.endLatent]);
   * assert.equal(coconut.tokenId("<|end-latent|>"), 257);
   * assert.equal(coconut.vocabSize, 258);
   * ```
   */
  withSpecialTokens(contents: readonly string[]): Tokenizer<M> {
    const added = [...this.specialTokens];
    const seen = new Set(this.#special.keys());
    let next = this.vocabSize;
    for (const content of contents) {
      if (typeof content !== "string" || content.length === 0) {
        throw new TokenizerError({
          source: "argument",
          field: "withSpecialTokens",
          value: content,
          problem: "a special token must be a non-empty string",
        });
      }
      if (seen.has(content)) continue;
      seen.add(content);
      added.push({ id: next++, content });
    }
    return new Tokenizer(this.model, {
      specialTokens: added,
      addPrefixSpace: this.addPrefixSpace,
      splitDigits: this.splitDigits,
    });
  }

  /**
   * Id of a special token (by its content) or of a model token (by its byte-level text). Throws a
   * {@link TokenizerError} when there is none.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Bpe, BYTE_TOKENS, Tokenizer } from "@copra/tokenizer/browser";
   * const tok = new Tokenizer(new Bpe(BYTE_TOKENS.slice(), [])).withSpecialTokens(["<pause>"]);
   * assert.equal(tok.tokenId("<pause>"), 256);
   * assert.equal(tok.tokenId("Ġ"), 220);
   * ```
   */
  tokenId(token: string): number {
    const id = this.#special.get(token) ?? this.model.tokenToId(token);
    if (id === undefined) {
      throw new TokenizerError({
        source: "argument",
        field: "token",
        value: token,
        problem: "no such token in this tokenizer",
        hint: "add special tokens with withSpecialTokens(); model tokens are written in byte-level text",
      });
    }
    return id;
  }

  /**
   * Whether `id` is a special token.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Bpe, BYTE_TOKENS, Tokenizer } from "@copra/tokenizer/browser";
   * const tok = new Tokenizer(new Bpe(BYTE_TOKENS.slice(), [])).withSpecialTokens(["<pause>"]);
   * assert.equal(tok.isSpecial(256), true);
   * assert.equal(tok.isSpecial(0), false);
   * ```
   */
  isSpecial(id: number): boolean {
    return this.#specialIds.has(id);
  }

  /**
   * The token of an id: a special token's content, or a model token's byte-level text.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Bpe, BYTE_TOKENS, Tokenizer } from "@copra/tokenizer/browser";
   * const tok = new Tokenizer(new Bpe(BYTE_TOKENS.slice(), []));
   * assert.equal(tok.idToToken(220), "Ġ");
   * ```
   */
  idToToken(id: number): string {
    this.#checkId(id, 0);
    const special = this.specialTokens.find((t) => t.id === id);
    return special ? special.content : this.model.tokens[id];
  }

  /**
   * Encodes text to token ids. Never throws for any string; lone surrogates become U+FFFD.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Bpe, BYTE_TOKENS, Tokenizer } from "@copra/tokenizer/browser";
   * const tok = new Tokenizer(new Bpe(BYTE_TOKENS.slice(), []));
   * assert.deepEqual(tok.encode("Hi!"), [39, 72, 0]);
   * ```
   */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const out: number[] = [];
    const special = this.#specialPattern(options.allowedSpecial);
    const cache = options.cache !== false;
    if (special === undefined) {
      this.#encodeOrdinary(text, out, cache);
      return out;
    }
    let start = 0;
    for (const match of text.matchAll(special)) {
      this.#encodeOrdinary(text.slice(start, match.index), out, cache);
      out.push(this.#special.get(match[0])!);
      start = match.index + match[0].length;
    }
    this.#encodeOrdinary(text.slice(start), out, cache);
    return out;
  }

  /**
   * Decodes token ids to text. Throws a {@link TokenizerError} naming the position of an id that is not in
   * the vocabulary; never returns partial text.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Bpe, BYTE_TOKENS, Tokenizer } from "@copra/tokenizer/browser";
   * const tok = new Tokenizer(new Bpe(BYTE_TOKENS.slice(), []));
   * assert.equal(tok.decode([39, 72, 0]), "Hi!");
   * ```
   */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    return this.#decoder.decode(this.decodeBytes(ids, options));
  }

  /**
   * Decodes token ids to the raw bytes they stand for (useful when ids may cut a UTF-8 character apart, as
   * in streaming).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Bpe, BYTE_TOKENS, Tokenizer } from "@copra/tokenizer/browser";
   * const tok = new Tokenizer(new Bpe(BYTE_TOKENS.slice(), []));
   * assert.deepEqual(tok.decodeBytes([39, 72]), new Uint8Array([72, 105]));
   * ```
   */
  decodeBytes(ids: readonly number[], options: DecodeOptions = {}): Uint8Array {
    const parts: Uint8Array[] = [];
    let length = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      this.#checkId(id, i);
      if (options.skipSpecial && this.#specialIds.has(id)) continue;
      const bytes = this.#bytesOf(id);
      parts.push(bytes);
      length += bytes.length;
    }
    const out = new Uint8Array(length);
    let offset = 0;
    for (const bytes of parts) {
      out.set(bytes, offset);
      offset += bytes.length;
    }
    return out;
  }

  /** Encodes text that holds no special tokens, piece by piece, through the cache. */
  #encodeOrdinary(text: string, out: number[], useCache: boolean): void {
    if (this.addPrefixSpace && text.length > 0 && text[0] !== " ") text = " " + text;
    if (this.splitDigits) {
      for (const piece of splitPieces(text, true)) this.#encodePiece(piece, out, useCache);
      return;
    }
    const re = this.#splitter;
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) this.#encodePiece(m[0], out, useCache);
  }

  /** Encodes one piece through the cache. */
  #encodePiece(piece: string, out: number[], useCache: boolean): void {
    let ids = useCache ? this.#cache.get(piece) : undefined;
    if (ids === undefined) {
      const encoded = this.model.encodeBytes(this.#encoder.encode(piece));
      ids = encoded.length === 1 ? encoded[0] : encoded;
      if (useCache) {
        if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
        this.#cache.set(piece, ids);
      }
    }
    if (typeof ids === "number") out.push(ids);
    else for (let i = 0; i < ids.length; i++) out.push(ids[i]);
  }

  /** The regular expression that finds allowed special tokens, or `undefined` when none are allowed. */
  #specialPattern(allowed: EncodeOptions["allowedSpecial"]): RegExp | undefined {
    if (allowed === undefined) return undefined;
    let contents: string[];
    if (allowed === "all") contents = [...this.#special.keys()];
    else if (Array.isArray(allowed)) {
      for (const content of allowed) {
        if (!this.#special.has(content)) {
          throw new TokenizerError({
            source: "argument",
            field: "allowedSpecial",
            value: content,
            problem: "not a special token of this tokenizer",
            hint: `special tokens are ${[...this.#special.keys()].map((c) => JSON.stringify(c)).join(", ")}`,
          });
        }
      }
      contents = [...allowed];
    } else {
      throw new TokenizerError({
        source: "argument",
        field: "allowedSpecial",
        value: allowed,
        problem: 'expected "all" or an array of special-token strings',
      });
    }
    if (contents.length === 0) return undefined;
    // Longest first, so that a token that contains another wins where both match.
    contents.sort((a, b) => b.length - a.length);
    return new RegExp(contents.map((c) => c.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")).join("|"), "gu");
  }

  #bytesOf(id: number): Uint8Array {
    let bytes = this.#tokenBytes[id];
    if (bytes === undefined) {
      const content = this.#specialIds.has(id) ? this.idToToken(id) : undefined;
      bytes = content !== undefined ? this.#encoder.encode(content) : byteLevelToBytes(this.model.tokens[id]);
      this.#tokenBytes[id] = bytes;
    }
    return bytes;
  }

  #checkId(id: number, index: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new TokenizerError({
        source: "argument",
        field: `ids[${index}]`,
        value: id,
        problem: `not a token id (ids run from 0 to ${this.vocabSize - 1})`,
        hint: "decode only ids produced by this tokenizer or a model with the same vocabulary",
      });
    }
  }
}
