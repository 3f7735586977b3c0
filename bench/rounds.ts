/**
 * Repeated rounds of a benchmark, combined (`deno task bench --rounds N`). On a machine whose speed moves in phases
 * (these VMs: the same step 31–52 ms from one process to the next), one round's copra and PyTorch blocks can fall in
 * different phases and its ratio with them; the median over rounds of each round's own ratio is what compares.
 *
 * @module
 */

import { median } from "./util.ts";

/**
 * Combines the result lines of `rounds` runs of one benchmark: each number the median over the rounds (a ratio the
 * median of the rounds' own ratios, not a ratio of medians), anything else the first round's, plus `rounds` and, for
 * each ratio, every round's value (`<name>_rounds`) so that the spread shows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { combineRounds } from "./rounds.ts";
 * const line = combineRounds([
 *   { bench: "x", copra_ms: 10, torch_ms: 12, ratio_vs_torch: 1.2 },
 *   { bench: "x", copra_ms: 20, torch_ms: 18, ratio_vs_torch: 0.9 },
 *   { bench: "x", copra_ms: 11, torch_ms: 11, ratio_vs_torch: 1 },
 * ]);
 * assert.deepEqual(line, {
 *   bench: "x", copra_ms: 11, torch_ms: 12, ratio_vs_torch: 1, rounds: 3, ratio_vs_torch_rounds: [1.2, 0.9, 1],
 * });
 * ```
 */
export function combineRounds(lines: readonly Record<string, unknown>[]): Record<string, unknown> {
  if (lines.length === 1) return { ...lines[0] };
  const out: Record<string, unknown> = {};
  for (const [key, first] of Object.entries(lines[0])) {
    const values = lines.map((line) => line[key]);
    if (!values.every((v): v is number => typeof v === "number" && Number.isFinite(v))) {
      out[key] = first;
      continue;
    }
    out[key] = Math.round(median(values) * 1000) / 1000;
  }
  out.rounds = lines.length;
  for (const key of Object.keys(lines[0])) {
    if (key.startsWith("ratio") && typeof out[key] === "number") out[`${key}_rounds`] = lines.map((l) => l[key]);
  }
  return out;
}
