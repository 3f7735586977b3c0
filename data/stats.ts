/**
 * Summary statistics of a data set (what `copra data stats <file>` prints), and the one entry point that
 * generates any of the synthetic data sets (what `copra data generate <kind>` calls).
 *
 * @module
 */

import { type ArithOptions, checkSteps, generateArithmetic } from "./arith.ts";
import { DataError } from "./errors.ts";
import type { CoconutItem } from "./format.ts";
import { generateProntoQA, type ProntoQAOptions } from "./prontoqa.ts";
import { generateProsQA, type ProsQAOptions } from "./prosqa.ts";
import { prosqaStats } from "./prosqa_graph.ts";
import { generateSymbolic, type SymbolicOptions } from "./symbolic.ts";

/** Minimum, maximum and mean of a quantity. */
export interface Summary {
  /** Smallest value. */
  min: number;
  /** Largest value. */
  max: number;
  /** Mean value. */
  mean: number;
}

/** Statistics of a data set. */
export interface DatasetStats {
  /** Number of items. */
  items: number;
  /** Steps per item. */
  steps: Summary;
  /** Whitespace-separated words per question. */
  questionWords: Summary;
  /** Distinct answers and the most frequent ones. */
  answers: { distinct: number; top: [string, number][] };
  /** For items with ProsQA graph keys (a `"Is X a Y or Z?"` query): graph statistics. */
  prosqa?: { nodes: Summary; edges: Summary; hops: Summary; persons: Summary; shortestPaths: Summary };
  /** For items whose steps are `<<expression=result>>`: the share whose steps check out. */
  arithmetic?: { validItems: number };
}

/**
 * Summarises a quantity.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarize } from "@copra/data";
 * assert.deepEqual(summarize([1, 2, 6]), { min: 1, max: 6, mean: 3 });
 * ```
 */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { min: 0, max: 0, mean: 0 };
  let min = Infinity, max = -Infinity, total = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    total += v;
  }
  return { min, max, mean: total / values.length };
}

/**
 * Statistics of a data set, with graph statistics for ProsQA items and step checks for arithmetic items.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { datasetStats, generateArithmetic } from "@copra/data";
 * const stats = datasetStats(generateArithmetic({ n: 20, seed: 1, steps: [3, 3] }));
 * assert.equal(stats.steps.mean, 3);
 * assert.equal(stats.arithmetic!.validItems, 1);
 * ```
 */
export function datasetStats(items: readonly CoconutItem[]): DatasetStats {
  const counts = new Map<string, number>();
  for (const it of items) counts.set(it.answer, (counts.get(it.answer) ?? 0) + 1);
  const stats: DatasetStats = {
    items: items.length,
    steps: summarize(items.map((it) => it.steps.length)),
    questionWords: summarize(items.map((it) => it.question.split(/\s+/).filter(Boolean).length)),
    answers: { distinct: counts.size, top: [...counts].sort((a, b) => b[1] - a[1]).slice(0, 5) },
  };
  const graphs = items.filter((it) => it.edges && it.idx_to_symbol && /Is \S+ an? \S+ or \S+\?/.test(it.question));
  if (graphs.length > 0) {
    const s = graphs.map(prosqaStats);
    stats.prosqa = {
      nodes: summarize(s.map((x) => x.nodes)),
      edges: summarize(s.map((x) => x.edges)),
      hops: summarize(s.map((x) => x.hops)),
      persons: summarize(s.map((x) => x.persons)),
      shortestPaths: summarize(s.map((x) => x.shortestPaths)),
    };
  }
  const arithmetic = items.filter((it) => it.steps.length > 0 && it.steps.every((st) => /^<<.*>>$/.test(st.trim())));
  if (arithmetic.length > 0) {
    stats.arithmetic = {
      validItems: arithmetic.filter((it) => checkSteps(it.steps, it.answer).ok).length / arithmetic.length,
    };
  }
  return stats;
}

/** The synthetic data sets copra generates. */
export type DatasetKind = "prosqa" | "prontoqa" | "arith" | "symbolic";

/** Options of {@link generateDataset}: those of the kind's generator. */
export type GenerateDatasetOptions = ProsQAOptions | ProntoQAOptions | ArithOptions | SymbolicOptions;

/**
 * Generates a synthetic data set of the given kind (the function behind `copra data generate`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateDataset } from "@copra/data";
 * assert.equal(generateDataset("prontoqa", { n: 4, seed: 0 }).length, 4);
 * assert.throws(() => generateDataset("gsm" as "arith", { n: 1, seed: 0 }), /unknown kind/);
 * ```
 */
export function generateDataset(kind: DatasetKind, options: GenerateDatasetOptions): CoconutItem[] {
  switch (kind) {
    case "prosqa":
      return generateProsQA(options as ProsQAOptions);
    case "prontoqa":
      return generateProntoQA(options as ProntoQAOptions);
    case "arith":
      return generateArithmetic(options as ArithOptions);
    case "symbolic":
      return generateSymbolic(options as SymbolicOptions);
    default:
      throw new DataError(
        "argument",
        null,
        "kind",
        'unknown kind: choose "prosqa", "prontoqa", "arith" or "symbolic"',
        kind,
      );
  }
}
