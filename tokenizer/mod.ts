/**
 * Tokenizers for copra: GPT-2's byte-level BPE (byte-exact with GPT-2 / tiktoken `gpt2`), word-level
 * vocabularies for small synthetic tasks, special tokens (Coconut's latent markers, `<pause>`), trainers for
 * both, and Hugging Face `tokenizer.json` / GPT-2 `encoder.json` + `vocab.bpe` files.
 *
 * Text is cut with GPT-2's pre-tokenization pattern; each piece's UTF-8 bytes go to the model. Special
 * tokens are only recognised when `encode` is told to allow them, so plain text can never inject one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { COCONUT_TOKENS, trainWordLevel } from "@copra/tokenizer";
 *
 * const tok = trainWordLevel(["Tom is a wumpus.\nEvery wumpus is a yumpus.\n### Tom is a yumpus."])
 *   .withSpecialTokens([COCONUT_TOKENS.startLatent, COCONUT_TOKENS.endLatent, COCONUT_TOKENS.latent]);
 * // Ids are built piecewise: question, markers, answer.
 * const ids = [
 *   ...tok.encode("Tom is a wumpus.\n"),
 *   tok.tokenId(COCONUT_TOKENS.startLatent),
 *   tok.tokenId(COCONUT_TOKENS.latent),
 *   tok.tokenId(COCONUT_TOKENS.endLatent),
 *   ...tok.encode("### Tom is a yumpus."),
 * ];
 * assert.equal(tok.decode(ids, { skipSpecial: true }), "Tom is a wumpus.\n### Tom is a yumpus.");
 * ```
 *
 * @module
 */

// Everything a browser can run, and the file functions that need Deno.
export * from "./browser.ts";
export { loadGpt2Files } from "./gpt2_files.ts";
export { loadTokenizerJson, saveTokenizerJson } from "./hf_json.ts";
export * from "./io.ts";
