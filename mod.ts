/**
 * copra: continuous-thought language models (Coconut, Hao et al. 2024) for Deno and the browser.
 *
 * This umbrella package re-exports the public API of the workspace members:
 * - `@copra/core`: the error base every package's errors extend, and atomic file writes.
 * - `@copra/random`: the seeded generator every package shares.
 * - `@copra/tokenizer`: GPT-2 byte-level BPE, word-level vocabularies, special tokens, trainers.
 * - `@copra/data`: the Coconut data format, ProsQA/ProntoQA/arithmetic generators, scoring, path classes.
 * - `@copra/curriculum`: methods, stage schedule, example builder, prompts, collator.
 * - `@copra/infer`: the latent loop (multi-pass forward), batched generation, thought events and probes.
 * - `@copra/train`: the trainer, run folders with per-epoch checkpoints, exact resume.
 * - `@copra/model`: GPT-2 on TensorFlow.js — forward with KV cache, loss, AdamW, safetensors checkpoints, backends.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainWordLevel } from "@copra/copra";
 * const tok = trainWordLevel(["Every wumpus is a yumpus."]);
 * assert.equal(tok.decode(tok.encode("Every yumpus is a wumpus.")), "Every yumpus is a wumpus.");
 * ```
 *
 * @module
 */

export * from "@copra/core";
export * from "@copra/random";
export * from "@copra/tokenizer";
export * from "@copra/model";
export * from "@copra/data";
export * from "@copra/curriculum";
export * from "@copra/infer";
export * from "@copra/train";
