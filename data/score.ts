/**
 * Scoring as the official Coconut evaluation does it: the answer is the text after the last `#`, with commas
 * removed and surrounding whitespace trimmed, compared by exact match.
 *
 * @module
 */

import { DataError } from "./errors.ts";

/**
 * The answer in a generated text: after the last `#`, commas removed, trimmed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { extractAnswer } from "@copra/data";
 * assert.equal(extractAnswer("Tom is a wumpus.\n### Tom is a yumpus."), "Tom is a yumpus.");
 * assert.equal(extractAnswer("<<2*500=1000>>\n### 1,000 "), "1000");
 * assert.equal(extractAnswer("no marker"), "no marker");
 * ```
 */
export function extractAnswer(text: string): string {
  return text.slice(text.lastIndexOf("#") + 1).replaceAll(",", "").trim();
}

/**
 * Whether a generated text answers correctly: its extracted answer equals the reference answer (the reference
 * is normalised the same way, commas removed and trimmed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isCorrect } from "@copra/data";
 * assert.equal(isCorrect("### 1,400", "1400"), true);
 * assert.equal(isCorrect("### Tom is a lempus.", "Tom is a yumpus."), false);
 * ```
 */
export function isCorrect(generated: string, answer: string): boolean {
  return extractAnswer(generated) === answer.replaceAll(",", "").trim();
}

/**
 * Exact-match accuracy of generated texts against reference answers, in [0, 1] (0 for no items).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { accuracy } from "@copra/data";
 * assert.equal(accuracy(["### 4", "### 5"], ["4", "4"]), 0.5);
 * ```
 */
export function accuracy(generated: readonly string[], answers: readonly string[]): number {
  if (generated.length !== answers.length) {
    throw new DataError(
      "argument",
      null,
      "generated",
      `has ${generated.length} outputs but there are ${answers.length} answers`,
    );
  }
  if (generated.length === 0) return 0;
  return generated.filter((g, i) => isCorrect(g, answers[i])).length / generated.length;
}
