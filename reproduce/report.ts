/**
 * The results page of `deno task reproduce`: per-method rows (mean ± spread over seeds), the paper's orderings
 * checked against the numbers, per-epoch curves, as Markdown. Pure functions of the measured results.
 *
 * @module
 */

import { type Method, METHOD_TRAITS } from "@copra/curriculum";
import type { ShortcutAudit } from "@copra/data";
import type { EpochMetrics } from "@copra/train";

/** Scores of one model on one evaluation set. */
export interface Score {
  /** Items evaluated. */
  items: number;
  /** Exact-match accuracy. */
  accuracy: number;
  /** Share of answers whose written steps are a valid path to the target (null: no graph keys). */
  validPaths: number | null;
  /** Generated tokens per answer, thoughts excluded. */
  tokens: number;
  /** Thoughts (or pause tokens) per answer. */
  thoughts: number;
  /** Milliseconds per answer (batched greedy decoding). */
  msPerAnswer: number;
}

/** One trained model: method, seed, its epochs, and its scores. */
export interface RunResult {
  /** Method (curriculum). */
  method: string;
  /** The row's name when it is a variant of the method (e.g. an audit row with fewer blocks); default the method. */
  label?: string;
  /** Trained the whole budget from fresh weights (not from the CoT checkpoint). */
  fromScratch?: boolean;
  /** Seed of initialisation and training. */
  seed: number;
  /** Metrics of every epoch (held-out set). */
  epochs: EpochMetrics[];
  /** Training wall-clock seconds (with the per-epoch evaluations). */
  trainSeconds: number;
  /** In-distribution test set. */
  test: Score;
  /** Out-of-distribution test set (more hops than training). */
  ood: Score;
  /** The released ProsQA test set, when it was found. */
  prosqa: Score | null;
}

/** Mean and spread (half the range) of a list. */
export function meanSpread(xs: number[]): { mean: number; spread: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, spread: (Math.max(...xs) - Math.min(...xs)) / 2 };
}

/** "91.5 ± 1.5" in percent (± only with several values). */
export function percent(xs: number[]): string {
  const { mean, spread } = meanSpread(xs);
  return xs.length > 1 ? `${(mean * 100).toFixed(1)} ± ${(spread * 100).toFixed(1)}` : (mean * 100).toFixed(1);
}

/** A run's row in the tables: its label, or its method. */
export function rowName(run: RunResult): string {
  return run.label ?? run.method;
}

/** Runs grouped by row (method, or the variant's label), in first-seen order. */
export function byMethod(runs: RunResult[]): Map<string, RunResult[]> {
  const groups = new Map<string, RunResult[]>();
  for (const run of runs) groups.set(rowName(run), [...(groups.get(rowName(run)) ?? []), run]);
  return groups;
}

/** Mean of a field over runs. */
const mean = (runs: RunResult[], f: (r: RunResult) => number) => runs.reduce((a, r) => a + f(r), 0) / runs.length;

/**
 * The main table: one row per method.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resultsTable } from "./report.ts";
 * const score = { items: 10, accuracy: 0.9, validPaths: 0.8, tokens: 20, thoughts: 0, msPerAnswer: 3 };
 * const md = resultsTable([{ method: "cot", seed: 0, epochs: [], trainSeconds: 60, test: score, ood: score, prosqa: null }]);
 * assert.match(md, /\| cot \| 1 \| 90\.0 \| 80\.0 \|/);
 * ```
 */
export function resultsTable(runs: RunResult[], oodLabel = "OOD"): string {
  const head = [
    "method",
    "seeds",
    "accuracy %",
    "valid paths %",
    "tokens + thoughts",
    "ms / answer",
    `${oodLabel} accuracy %`,
    "ProsQA test accuracy %",
    "training time",
  ];
  const rows = [...byMethod(runs)].map(([method, group]) => {
    // Only methods whose answers still write their steps have reasoning paths to check.
    const paths = METHOD_TRAITS[group[0].method as Method]?.writesSteps
      ? group.map((r) => r.test.validPaths).filter((x): x is number => x !== null)
      : [];
    const prosqa = group.map((r) => r.prosqa?.accuracy).filter((x): x is number => x !== undefined);
    return [
      method,
      String(group.length),
      percent(group.map((r) => r.test.accuracy)),
      paths.length ? percent(paths) : "—",
      `${mean(group, (r) => r.test.tokens).toFixed(1)} + ${mean(group, (r) => r.test.thoughts).toFixed(0)}`,
      mean(group, (r) => r.test.msPerAnswer).toFixed(1),
      percent(group.map((r) => r.ood.accuracy)),
      prosqa.length ? percent(prosqa) : "—",
      formatDuration(mean(group, (r) => r.trainSeconds)),
    ];
  });
  return markdownTable(head, rows);
}

/** A claim of the paper, checked on the measured means. */
export interface OrderingCheck {
  /** The claim, e.g. "Coconut ≥ CoT". */
  claim: string;
  /** Whether the means agree with it (within `tolerance`); null when a method is missing. */
  holds: boolean | null;
  /** The numbers behind it. */
  detail: string;
}

/**
 * The paper's orderings on ProsQA, checked against in-distribution accuracy means: Coconut ≥ CoT (not below by more
 * than `tolerance`); w/o curriculum ≈ No-CoT (within `tolerance`); w/o curriculum and No-CoT below Coconut (by more
 * than `tolerance`); pause-as-thought close to Coconut (within `tolerance`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkOrderings } from "./report.ts";
 * const acc = new Map([["coconut", 0.97], ["cot", 0.77], ["no-cot", 0.76], ["no-curriculum", 0.76], ["pause-as-thought", 0.96]]);
 * assert.ok(checkOrderings(acc).every((c) => c.holds === true));
 * ```
 */
export function checkOrderings(accuracy: Map<string, number>, tolerance = 0.03): OrderingCheck[] {
  const pct = (m: string) => `${m} ${(accuracy.get(m)! * 100).toFixed(1)}%`;
  const check = (claim: string, methods: string[], test: (a: (m: string) => number) => boolean): OrderingCheck => {
    if (!methods.every((m) => accuracy.has(m))) return { claim, holds: null, detail: "not measured" };
    return { claim, holds: test((m) => accuracy.get(m)!), detail: methods.map(pct).join(", ") };
  };
  return [
    check("Coconut ≥ CoT", ["coconut", "cot"], (a) => a("coconut") >= a("cot") - tolerance),
    check(
      "w/o curriculum ≈ No-CoT",
      ["no-curriculum", "no-cot"],
      (a) => Math.abs(a("no-curriculum") - a("no-cot")) <= tolerance,
    ),
    check(
      "w/o curriculum < Coconut",
      ["no-curriculum", "coconut"],
      (a) => a("no-curriculum") < a("coconut") - tolerance,
    ),
    check("No-CoT < Coconut", ["no-cot", "coconut"], (a) => a("no-cot") < a("coconut") - tolerance),
    check(
      "pause-as-thought close to Coconut",
      ["pause-as-thought", "coconut"],
      (a) => Math.abs(a("pause-as-thought") - a("coconut")) <= tolerance,
    ),
  ];
}

/** Mean in-distribution accuracy per method. */
export function meanAccuracy(runs: RunResult[]): Map<string, number> {
  return new Map([...byMethod(runs)].map(([m, g]) => [m, mean(g, (r) => r.test.accuracy)]));
}

/** A Markdown table. */
export function markdownTable(head: string[], rows: string[][]): string {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)]
    .join("\n");
}

/** "4 m 05 s" / "38 s". */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, "0")} s`;
}

/**
 * The shortcut audit as a markdown table, one row per split: how often each surface feature picks the right option
 * (`shortcutAudit` of @copra/data; % right, ties count ½).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { auditTable } from "./report.ts";
 * const a = { items: 2, firstOption: 0.5, inDegree: 1, outDegree: 0.25, depth: 0.5, firstMention: 0 };
 * assert.match(auditTable([["ID test", a]]), /\| ID test \| 2 +\| 50\.0 .*\| 100\.0 .*\| 25\.0 /);
 * ```
 */
export function auditTable(splits: [string, ShortcutAudit][]): string {
  return markdownTable(
    [
      "split",
      "items",
      "first option named",
      "higher in-degree",
      "higher out-degree",
      "deeper option",
      "mentioned first",
    ],
    splits.map(([name, x]) => [
      name,
      String(x.items),
      ...[x.firstOption, x.inDegree, x.outDegree, x.depth, x.firstMention].map((v) => (v * 100).toFixed(1)),
    ]),
  );
}
