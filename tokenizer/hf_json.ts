/**
 * Hugging Face `tokenizer.json`: read and write the subset copra uses — a `BPE` or `WordLevel` model behind
 * the `ByteLevel` pre-tokenizer (GPT-2's regex), a `ByteLevel` decoder, no normalizer, and added tokens.
 *
 * All added tokens are treated as special tokens: matched whole when `encode` allows them, never produced by
 * the model. Files with other components are refused with an error that names the component.
 *
 * @module
 */

import { jsonProblem } from "@copra/core/browser";
import { Bpe } from "./bpe.ts";
import { TokenizerError } from "./errors.ts";
import { tokensFromVocab } from "./gpt2_files.ts";
import { readTextFile, writeTextFileAtomic } from "./io.ts";
import type { SpecialToken } from "./special_tokens.ts";
import { Tokenizer } from "./tokenizer.ts";
import { WordLevel } from "./word_level.ts";

/** One entry of `added_tokens` in a Hugging Face `tokenizer.json`. */
export interface HfAddedToken {
  /** Token id. */
  id: number;
  /** The token's text. */
  content: string;
  /** Match only whole words (copra writes `false`). */
  single_word: boolean;
  /** Swallow whitespace on the left (copra writes `false`). */
  lstrip: boolean;
  /** Swallow whitespace on the right (copra writes `false`). */
  rstrip: boolean;
  /** Match after normalization (copra writes `false`). */
  normalized: boolean;
  /** Whether the token is special (copra writes `true`). */
  special: boolean;
}

/** The `ByteLevel` pre-tokenizer and decoder settings of a Hugging Face `tokenizer.json`. */
export interface HfByteLevel {
  /** Always `"ByteLevel"`. */
  type: "ByteLevel";
  /** Put a space before text that does not start with one. */
  add_prefix_space: boolean;
  /** Offsets setting (no effect on ids). */
  trim_offsets: boolean;
  /** Split with GPT-2's pattern. */
  use_regex: boolean;
}

/** A Hugging Face `BPE` model section. */
export interface HfBpeModel {
  /** Always `"BPE"`. */
  type: "BPE";
  /** Always `null`: copra encodes deterministically. */
  dropout: null;
  /** Always `null`: every byte is a token. */
  unk_token: null;
  /** Always `""`. */
  continuing_subword_prefix: string;
  /** Always `""`. */
  end_of_word_suffix: string;
  /** Always `false`. */
  fuse_unk: boolean;
  /** Always `false`. */
  byte_fallback: boolean;
  /** Token (byte-level text) → id. */
  vocab: Record<string, number>;
  /** Merges in rank order, as `"left right"`. */
  merges: string[];
}

/** A Hugging Face `WordLevel` model section. */
export interface HfWordLevelModel {
  /** Always `"WordLevel"`. */
  type: "WordLevel";
  /** Token (byte-level text) → id. */
  vocab: Record<string, number>;
  /** The unknown token. */
  unk_token: string;
}

/** The parts of a Hugging Face `tokenizer.json` that copra writes. */
export interface HfTokenizerJson {
  /** Format version, `"1.0"`. */
  version: string;
  /** Not used by copra (`null`). */
  truncation: null;
  /** Not used by copra (`null`). */
  padding: null;
  /** Special tokens. */
  added_tokens: HfAddedToken[];
  /** Always `null`. */
  normalizer: null;
  /** GPT-2 byte-level pre-tokenization, after every digit is cut out on its own when the tokenizer splits digits. */
  pre_tokenizer: HfByteLevel | {
    type: "Sequence";
    pretokenizers: [{ type: "Digits"; individual_digits: true }, HfByteLevel];
  };
  /** Not used by copra (`null`). */
  post_processor: null;
  /** Byte-level decoding. */
  decoder: HfByteLevel;
  /** The model. */
  model: HfBpeModel | HfWordLevelModel;
}

/**
 * Builds a tokenizer from the text of a Hugging Face `tokenizer.json`. Throws a {@link TokenizerError} that
 * names `source` and the field at fault.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Bpe, BYTE_TO_CHAR, parseTokenizerJson, stringifyTokenizer, Tokenizer } from "@copra/tokenizer";
 * const tok = new Tokenizer(new Bpe(BYTE_TO_CHAR.slice(), [])).withSpecialTokens(["<pause>"]);
 * const again = parseTokenizerJson(stringifyTokenizer(tok));
 * assert.equal(again.tokenId("<pause>"), 256);
 * ```
 */
export function parseTokenizerJson(text: string, source = "tokenizer.json"): Tokenizer {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TokenizerError(jsonProblem(source, text, error));
  }
  const root = object(json, source, "(top level)");
  const fail = (field: string, value: unknown, problem: string, hint?: string): never => {
    throw new TokenizerError({ source, field, value, problem, hint });
  };
  if (root.normalizer != null) {
    fail("normalizer", typeName(root.normalizer), "normalizers are not supported", "use a file with normalizer null");
  }
  const pre = byteLevel(root.pre_tokenizer, source, "pre_tokenizer");
  if (root.decoder != null) byteLevel(root.decoder, source, "decoder");
  const model = object(root.model, source, "model");
  let tokenModel: Bpe | WordLevel;
  if (model.type === "BPE") {
    if (model.dropout != null) fail("model.dropout", model.dropout, "BPE dropout is not supported", "set it to null");
    for (const key of ["continuing_subword_prefix", "end_of_word_suffix"]) {
      if (model[key] != null && model[key] !== "") fail(`model.${key}`, model[key], "must be empty for byte-level BPE");
    }
    if (model.byte_fallback === true) fail("model.byte_fallback", true, "byte fallback is not supported");
    const tokens = tokensFromVocab(model.vocab, source, "model.vocab");
    if (!Array.isArray(model.merges)) fail("model.merges", model.merges, "expected an array of merges");
    const merges = (model.merges as unknown[]).map((merge, i): [string, string] => {
      const parts = typeof merge === "string" ? merge.split(" ") : merge;
      if (!Array.isArray(parts) || parts.length !== 2 || parts.some((p) => typeof p !== "string" || p === "")) {
        fail(`model.merges[${i}]`, merge, 'a merge must be "left right" or ["left", "right"]');
      }
      return parts as [string, string];
    });
    tokenModel = new Bpe(tokens, merges, { source });
  } else if (model.type === "WordLevel") {
    const tokens = tokensFromVocab(model.vocab, source, "model.vocab");
    if (typeof model.unk_token !== "string") fail("model.unk_token", model.unk_token, "expected a string");
    tokenModel = new WordLevel(tokens, model.unk_token as string, { source });
  } else {
    return fail("model.type", model.type, "unsupported model type", 'copra reads "BPE" and "WordLevel" models');
  }
  const added = root.added_tokens ?? [];
  if (!Array.isArray(added)) fail("added_tokens", added, "expected an array");
  const specialTokens = (added as unknown[]).map((entry, i): SpecialToken => {
    const token = object(entry, source, `added_tokens[${i}]`);
    if (!Number.isInteger(token.id)) fail(`added_tokens[${i}].id`, token.id, "expected an integer id");
    if (typeof token.content !== "string") fail(`added_tokens[${i}].content`, token.content, "expected a string");
    return { id: token.id as number, content: token.content as string };
  });
  return new Tokenizer(tokenModel, {
    specialTokens,
    addPrefixSpace: pre.add_prefix_space,
    splitDigits: pre.split_digits,
    source,
  });
}

/**
 * The Hugging Face `tokenizer.json` object of a tokenizer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Bpe, BYTE_TO_CHAR, tokenizerToJson, Tokenizer } from "@copra/tokenizer";
 * const json = tokenizerToJson(new Tokenizer(new Bpe(BYTE_TO_CHAR.slice(), [])));
 * assert.equal(json.model.type, "BPE");
 * assert.equal(Object.keys(json.model.vocab).length, 256);
 * ```
 */
export function tokenizerToJson(tokenizer: Tokenizer): HfTokenizerJson {
  const m = tokenizer.model;
  const vocab: Record<string, number> = {};
  m.tokens.forEach((token, id) => (vocab[token] = id));
  const byteLevelSettings = (trimOffsets: boolean): HfByteLevel => ({
    type: "ByteLevel",
    add_prefix_space: tokenizer.addPrefixSpace,
    trim_offsets: trimOffsets,
    use_regex: true,
  });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: tokenizer.specialTokens.map((t) => ({
      id: t.id,
      content: t.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: tokenizer.splitDigits
      ? {
        type: "Sequence",
        pretokenizers: [{ type: "Digits", individual_digits: true }, byteLevelSettings(true)],
      }
      : byteLevelSettings(true),
    post_processor: null,
    decoder: byteLevelSettings(true),
    model: m.type === "BPE"
      ? {
        type: "BPE",
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: "",
        end_of_word_suffix: "",
        fuse_unk: false,
        byte_fallback: false,
        vocab,
        merges: m.merges.map(([a, b]) => `${a} ${b}`),
      }
      : { type: "WordLevel", vocab, unk_token: m.unkToken },
  };
}

/**
 * The text of a tokenizer's Hugging Face `tokenizer.json`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Bpe, BYTE_TO_CHAR, stringifyTokenizer, Tokenizer } from "@copra/tokenizer";
 * const text = stringifyTokenizer(new Tokenizer(new Bpe(BYTE_TO_CHAR.slice(), [])));
 * assert.equal(text.startsWith("{"), true);
 * ```
 */
export function stringifyTokenizer(tokenizer: Tokenizer): string {
  return JSON.stringify(tokenizerToJson(tokenizer), null, 1) + "\n";
}

/**
 * Reads a Hugging Face `tokenizer.json` file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadTokenizerJson, saveTokenizerJson, trainWordLevel } from "@copra/tokenizer";
 * const dir = await Deno.makeTempDir();
 * const tok = trainWordLevel(["Tom is a wumpus."]);
 * await saveTokenizerJson(`${dir}/tokenizer.json`, tok);
 * const again = await loadTokenizerJson(`${dir}/tokenizer.json`);
 * assert.deepEqual(again.encode("Tom is a wumpus."), tok.encode("Tom is a wumpus."));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadTokenizerJson(path: string): Promise<Tokenizer> {
  return parseTokenizerJson(await readTextFile(path), path);
}

/**
 * Writes a tokenizer as a Hugging Face `tokenizer.json` file, all at once (temporary file + rename).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadTokenizerJson, saveTokenizerJson, trainWordLevel } from "@copra/tokenizer";
 * const dir = await Deno.makeTempDir();
 * const tok = trainWordLevel(["Tom is a wumpus."]);
 * await saveTokenizerJson(`${dir}/tokenizer.json`, tok);
 * const again = await loadTokenizerJson(`${dir}/tokenizer.json`);
 * assert.deepEqual(again.encode("Tom is a wumpus."), tok.encode("Tom is a wumpus."));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveTokenizerJson(path: string, tokenizer: Tokenizer): Promise<void> {
  await writeTextFileAtomic(path, stringifyTokenizer(tokenizer));
}

function object(value: unknown, source: string, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TokenizerError({ source, field, value, problem: "expected an object" });
  }
  return value as Record<string, unknown>;
}

function typeName(value: unknown): unknown {
  return typeof value === "object" && value !== null && "type" in value ? (value as { type: unknown }).type : value;
}

/** Accepts a `ByteLevel` component, alone or as the only member of a `Sequence`. */
function byteLevel(
  value: unknown,
  source: string,
  field: string,
): { add_prefix_space: boolean; split_digits: boolean } {
  let component = object(value, source, field);
  let splitDigits = false;
  if (component.type === "Sequence") {
    const key = field === "decoder" ? "decoders" : "pretokenizers";
    let list = component[key];
    // A pre-tokenizer may put Digits (every digit alone) before ByteLevel.
    if (field === "pre_tokenizer" && Array.isArray(list) && list.length === 2) {
      const digits = object(list[0], source, `${field}.${key}[0]`);
      if (digits.type === "Digits") {
        if (digits.individual_digits !== true) {
          throw new TokenizerError({
            source,
            field: `${field}.${key}[0].individual_digits`,
            value: digits.individual_digits,
            problem: "only Digits with individual_digits true is supported",
          });
        }
        splitDigits = true;
        list = [list[1]];
      }
    }
    if (!Array.isArray(list) || list.length !== 1) {
      throw new TokenizerError({
        source,
        field: `${field}.${key}`,
        value: Array.isArray(list) ? list.map(typeName) : list,
        problem: "only a Sequence holding a single ByteLevel component (after Digits) is supported",
      });
    }
    component = object(list[0], source, `${field}.${key}[${splitDigits ? 1 : 0}]`);
  }
  if (component.type !== "ByteLevel") {
    throw new TokenizerError({
      source,
      field: `${field}.type`,
      value: component.type,
      problem: "unsupported component",
      hint: "copra reads byte-level tokenizers (GPT-2 style): ByteLevel pre-tokenizer and decoder",
    });
  }
  if (component.use_regex === false && field === "pre_tokenizer") {
    throw new TokenizerError({
      source,
      field: `${field}.use_regex`,
      value: false,
      problem: "byte-level without GPT-2's split pattern is not supported",
    });
  }
  return { add_prefix_space: component.add_prefix_space === true, split_digits: splitDigits };
}
