/**
 * `@copra/tokenizer` in a browser: every tokenizer, trainer and format, with files given as text
 * (`parseTokenizerJson`, `parseGpt2Files`). Reading and writing paths (`loadTokenizerJson`, `saveTokenizerJson`,
 * `loadGpt2Files`) need Deno and live in the main entry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTokenizerJson, stringifyTokenizer, trainWordLevel } from "@copra/tokenizer/browser";
 * const tok = trainWordLevel(["Tom is a wumpus."]);
 * const again = parseTokenizerJson(stringifyTokenizer(tok));
 * assert.deepEqual(again.encode("Tom is a wumpus."), tok.encode("Tom is a wumpus."));
 * ```
 *
 * @module
 */

export * from "./bpe.ts";
export * from "./byte_level.ts";
export * from "./errors.ts";
export { parseGpt2Files } from "./gpt2_files.ts";
export type { Gpt2FilesOptions } from "./gpt2_files.ts";
export { parseTokenizerJson, stringifyTokenizer, tokenizerToJson } from "./hf_json.ts";
export type { HfAddedToken, HfBpeModel, HfByteLevel, HfTokenizerJson, HfWordLevelModel } from "./hf_json.ts";
export * from "./pretokenize.ts";
export * from "./tokenizer.ts";
export * from "./options.ts";
export * from "./special_tokens.ts";
export { trainBpe } from "./train_bpe.ts";
export type { TrainBpeOptions } from "./train_bpe.ts";
export * from "./train_word_level.ts";
export * from "./word_level.ts";
export * from "./vocabulary.ts";
