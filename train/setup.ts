/**
 * Building what a run needs from its data: a word-level tokenizer with Coconut's special tokens, and a model
 * configuration sized to the tokenizer and the longest example.
 *
 * @module
 */

import { type CurriculumConfig, recordTexts } from "@copra/curriculum/browser";
import type { CoconutItem } from "@copra/data/browser";
import { type GPT2Config, gpt2Config, type PresetName } from "@copra/model/browser";
import { COCONUT_TOKENS, type Tokenizer, trainWordLevel } from "@copra/tokenizer/browser";

/** Options of {@link buildTokenizer}. */
export interface BuildTokenizerOptions {
  /**
   * Put a space before every piece (question, each step, answer) that lacks one, so that a name opening a step
   * ("Tom is a …" after a newline) is the same token as inside the question (" Tom"). Default `false` (the
   * official text). From-scratch word-level models learn the lookup of a step's subject much sooner with it.
   */
  addPrefixSpace?: boolean;
  /** Every digit its own token, so that numbers never seen in the data still encode (arithmetic). Default `false`. */
  splitDigits?: boolean;
}

/**
 * A word-level tokenizer over the items' texts (exactly as the curriculum cuts them), plus `extraWords` (each
 * added both alone and after a space, e.g. every name a test file might use), with Coconut's special tokens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildTokenizer } from "@copra/train";
 * const items = [{ question: "Is Tom a wumpus?", steps: ["Tom is a wumpus."], answer: "Tom is a wumpus." }];
 * const tok = buildTokenizer(items, ["Bob"]);
 * assert.equal(tok.decode(tok.encode("Is Bob a wumpus?")), "Is Bob a wumpus?");
 * assert.ok(tok.tokenId("<|latent|>") > 0);
 * // With a prefix space, the step's "Tom" is the question's " Tom".
 * const spaced = buildTokenizer(items, [], { addPrefixSpace: true });
 * assert.equal(spaced.encode("Tom is a wumpus.")[0], spaced.encode("Is Tom")[1]);
 * ```
 */
export function buildTokenizer(
  items: readonly CoconutItem[],
  extraWords: readonly string[] = [],
  options: BuildTokenizerOptions = {},
): Tokenizer {
  const texts = [...items.flatMap(recordTexts), ...extraWords.flatMap((w) => [w, " " + w])];
  return trainWordLevel(texts, {
    addPrefixSpace: options.addPrefixSpace === true,
    splitDigits: options.splitDigits === true,
  })
    .withSpecialTokens(Object.values(COCONUT_TOKENS));
}

/**
 * A preset's configuration with the tokenizer's vocabulary size and room for the longest example (question,
 * markers, thoughts or pauses, steps, answer), rounded up to a multiple of 64.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { curriculumConfig } from "@copra/curriculum";
 * import { buildTokenizer, modelConfigFor } from "@copra/train";
 * const items = [{ question: "Is Tom a wumpus?", steps: ["Tom is a wumpus."], answer: "Tom is a wumpus." }];
 * const tok = buildTokenizer(items);
 * const config = modelConfigFor("nano", tok, items, curriculumConfig({ method: "coconut" }));
 * assert.equal(config.vocab_size, tok.vocabSize);
 * assert.equal(config.n_positions, 64);
 * ```
 */
export function modelConfigFor(
  preset: PresetName,
  tokenizer: Tokenizer,
  items: readonly CoconutItem[],
  curriculum: CurriculumConfig,
  overrides: Partial<GPT2Config> = {},
): GPT2Config {
  let longest = 0;
  for (const it of items) longest = Math.max(longest, exampleLength(tokenizer, it, curriculum));
  const positions = Math.max(64, Math.ceil(longest / 64) * 64);
  return gpt2Config(preset, { vocab_size: tokenizer.vocabSize, n_positions: positions, ...overrides });
}

/**
 * The most tokens an item can take in training or evaluation: question, steps, answer and `<eos>`, plus the
 * markers and the most thoughts (or pauses) the curriculum inserts. Compare it with a model's `n_positions`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { curriculumConfig } from "@copra/curriculum";
 * import { buildTokenizer, exampleLength } from "@copra/train";
 * const item = { question: "Is Tom a wumpus?", steps: ["Tom is a wumpus."], answer: "Tom is a wumpus." };
 * const tok = buildTokenizer([item]);
 * const one = exampleLength(tok, item, curriculumConfig({ method: "coconut", maxLatentStage: 1 }));
 * const three = exampleLength(tok, item, curriculumConfig({ method: "coconut", maxLatentStage: 3 }));
 * assert.equal(three - one, 2); // two more thought slots
 * ```
 */
export function exampleLength(tokenizer: Tokenizer, item: CoconutItem, curriculum: CurriculumConfig): number {
  const extra = 2 + Math.max(curriculum.maxLatentStage * curriculum.thoughtsPerStep, curriculum.pauseTokens);
  return recordTexts(item).reduce((sum, t) => sum + tokenizer.encode(t).length, 0) + 1 + extra;
}
