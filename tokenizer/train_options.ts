/**
 * Option checks shared by the vocabulary trainers (internal to the tokenizer package).
 *
 * @module
 */

import { TokenizerError } from "./errors.ts";

/** `minFrequency` of a trainer's options, or `fallback` when absent; an integer of at least 1. */
export function minFrequencyOption(value: number | undefined, fallback: number): number {
  const minFrequency = value ?? fallback;
  if (!Number.isInteger(minFrequency) || minFrequency < 1) {
    throw new TokenizerError({
      source: "argument",
      field: "minFrequency",
      value,
      problem: "must be an integer of at least 1",
    });
  }
  return minFrequency;
}
