/**
 * Learning a byte-level BPE vocabulary from a corpus.
 *
 * The corpus is cut with GPT-2's pre-tokenization; the vocabulary starts with the 256 bytes (in GPT-2's
 * order, so the first 256 ids agree with GPT-2's); then the most frequent adjacent pair of tokens, counted
 * over all pre-tokens, is merged into a new token, again and again, until the vocabulary reaches its size or
 * no pair occurs `minFrequency` times. Ties go to the pair whose left, then right, token sorts first as
 * byte-level text, so the same corpus always gives the same merges.
 *
 * @module
 */

import { Bpe } from "./bpe.ts";
import { BYTE_ORDER, BYTE_TOKENS } from "./byte_level.ts";
import { TokenizerError } from "./errors.ts";
import { minFrequencyOption } from "./train_options.ts";
import { GPT2_SPLIT_PATTERN } from "./pretokenize.ts";
import { END_OF_TEXT } from "./special_tokens.ts";
import { Tokenizer } from "./tokenizer.ts";

/** Options of {@link trainBpe}. */
export interface TrainBpeOptions {
  /** Size of the finished vocabulary, special tokens included; at least 256 plus the special tokens. */
  vocabSize: number;
  /** Special tokens, given the last ids. Default `["<|endoftext|>"]`. */
  specialTokens?: readonly string[];
  /** A pair must occur at least this often to be merged. Default 2. */
  minFrequency?: number;
}

/** Pairs are keyed as `left * KEY + right`. */
const KEY = 1 << 21;

/**
 * Learns a byte-level BPE tokenizer from texts. The result may be smaller than `vocabSize` when the corpus
 * runs out of pairs that occur `minFrequency` times.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainBpe } from "@copra/tokenizer";
 * const tok = trainBpe(["low lower lowest", "low low"], { vocabSize: 260, specialTokens: [] });
 * assert.deepEqual(tok.model.merges, [["l", "o"], ["lo", "w"], ["Ġ", "low"], ["Ġlow", "e"]]);
 * ```
 */
export function trainBpe(texts: Iterable<string>, options: TrainBpeOptions): Tokenizer<Bpe> {
  const specials = checkSpecials(options.specialTokens ?? [END_OF_TEXT]);
  const minFrequency = minFrequencyOption(options.minFrequency, 2);
  const vocabSize = options.vocabSize;
  if (!Number.isInteger(vocabSize) || vocabSize < 256 + specials.length || vocabSize >= KEY) {
    throw new TokenizerError({
      source: "argument",
      field: "vocabSize",
      value: vocabSize,
      problem: `must be an integer from ${256 + specials.length} (256 bytes + ${specials.length} special tokens) ` +
        `to ${KEY - 1}`,
    });
  }

  // Distinct pre-tokens and their counts; each becomes a word of token ids.
  const counts = new Map<string, number>();
  const splitter = new RegExp(GPT2_SPLIT_PATTERN, "gu");
  for (const text of texts) {
    for (const [piece] of text.matchAll(splitter)) counts.set(piece, (counts.get(piece) ?? 0) + 1);
  }
  const idOfByte = new Int32Array(256);
  BYTE_ORDER.forEach((byte, id) => (idOfByte[byte] = id));
  const encoder = new TextEncoder();
  const words: number[][] = [];
  const freq: number[] = [];
  for (const [piece, count] of counts) {
    words.push(Array.from(encoder.encode(piece), (b) => idOfByte[b]));
    freq.push(count);
  }

  const tokens: string[] = BYTE_TOKENS.slice();
  const merges: [string, string][] = [];
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const heap = new PairHeap(tokens);
  const changed = new Set<number>();
  const addPairs = (w: number, sign: 1 | -1) => {
    const word = words[w];
    for (let i = 0; i + 1 < word.length; i++) {
      const key = word[i] * KEY + word[i + 1];
      pairCount.set(key, (pairCount.get(key) ?? 0) + sign * freq[w]);
      changed.add(key);
      if (sign > 0) {
        let where = pairWords.get(key);
        if (where === undefined) pairWords.set(key, where = new Set());
        where.add(w);
      }
    }
  };
  const flush = () => {
    for (const key of changed) {
      const count = pairCount.get(key)!;
      if (count > 0) heap.push(count, key);
      else {
        pairCount.delete(key);
        pairWords.delete(key);
      }
    }
    changed.clear();
  };
  for (let w = 0; w < words.length; w++) addPairs(w, 1);
  flush();

  while (tokens.length < vocabSize - specials.length) {
    const best = heap.popValid(pairCount);
    if (best === undefined || best.count < minFrequency) break;
    const left = Math.floor(best.key / KEY), right = best.key % KEY;
    const merged = tokens.length;
    tokens.push(tokens[left] + tokens[right]);
    merges.push([tokens[left], tokens[right]]);
    for (const w of pairWords.get(best.key) ?? []) {
      const word = words[w];
      addPairs(w, -1);
      const next: number[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === left && word[i + 1] === right) {
          next.push(merged);
          i++;
        } else next.push(word[i]);
      }
      words[w] = next;
      addPairs(w, 1);
    }
    flush();
  }

  const model = new Bpe(tokens, merges);
  return new Tokenizer(model, { specialTokens: specials.map((content, i) => ({ id: tokens.length + i, content })) });
}

/** Validates a list of special-token strings (shared with the word-level trainer). */
export function checkSpecials(specials: readonly string[]): string[] {
  if (!Array.isArray(specials)) {
    throw new TokenizerError({
      source: "argument",
      field: "specialTokens",
      value: specials,
      problem: "expected an array of strings",
    });
  }
  const seen = new Set<string>();
  for (const [i, s] of specials.entries()) {
    if (typeof s !== "string" || s.length === 0 || seen.has(s)) {
      throw new TokenizerError({
        source: "argument",
        field: `specialTokens[${i}]`,
        value: s,
        problem: seen.has(s) ? "listed twice" : "a special token must be a non-empty string",
      });
    }
    seen.add(s);
  }
  return [...specials];
}

/**
 * A max-heap of (count, pair) entries, highest count first, ties to the pair whose tokens sort first.
 * Entries go stale when counts change; `popValid` skips them, so every live pair is pushed again on change.
 */
class PairHeap {
  readonly #counts: number[] = [];
  readonly #keys: number[] = [];
  readonly #tokens: readonly string[];

  constructor(tokens: readonly string[]) {
    this.#tokens = tokens;
  }

  push(count: number, key: number): void {
    this.#counts.push(count);
    this.#keys.push(key);
    let i = this.#counts.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /** The best entry whose count is still current, or `undefined` when none is left. */
  popValid(current: Map<number, number>): { count: number; key: number } | undefined {
    while (this.#counts.length > 0) {
      const count = this.#counts[0], key = this.#keys[0];
      this.#popTop();
      if (current.get(key) === count) return { count, key };
    }
    return undefined;
  }

  #popTop(): void {
    const last = this.#counts.length - 1;
    this.#swap(0, last);
    this.#counts.pop();
    this.#keys.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let top = i;
      if (l < last && this.#before(l, top)) top = l;
      if (r < last && this.#before(r, top)) top = r;
      if (top === i) return;
      this.#swap(i, top);
      i = top;
    }
  }

  /** Whether entry `i` comes out before entry `j`. */
  #before(i: number, j: number): boolean {
    if (this.#counts[i] !== this.#counts[j]) return this.#counts[i] > this.#counts[j];
    const a = this.#keys[i], b = this.#keys[j];
    const t = this.#tokens;
    const al = t[Math.floor(a / KEY)], bl = t[Math.floor(b / KEY)];
    if (al !== bl) return al < bl;
    return t[a % KEY] < t[b % KEY];
  }

  #swap(i: number, j: number): void {
    [this.#counts[i], this.#counts[j]] = [this.#counts[j], this.#counts[i]];
    [this.#keys[i], this.#keys[j]] = [this.#keys[j], this.#keys[i]];
  }
}
