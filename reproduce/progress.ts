// deno-lint-ignore-file no-console
/**
 * What the reproductions share when they train a run: the run's folder and its run.json, the recipe's optimizer
 * settings as trainer options, a one-line progress printer for the trainer's events, and scoring on every core.
 *
 * @module
 */

import type { GPT2Config, GPT2Params } from "@copra/model";
import { type GenerateLane, GradientPool, type Regime, type TrainEvent, type TrainOptions } from "@copra/train";
import { formatDuration } from "./report.ts";

/** The optimizer part of a regime's recipe, as the trainer's options (no gradient accumulation). */
export function recipeOptions(
  recipe: Pick<Regime["recipe"], "batchSize" | "lr" | "lrSchedule" | "warmupSteps" | "weightDecay" | "clipNorm">,
): Pick<
  TrainOptions,
  "batchSize" | "effectiveBatch" | "lr" | "lrSchedule" | "warmupSteps" | "weightDecay" | "clipNorm"
> {
  return {
    batchSize: recipe.batchSize,
    effectiveBatch: recipe.batchSize,
    lr: recipe.lr,
    lrSchedule: recipe.lrSchedule,
    warmupSteps: recipe.warmupSteps,
    weightDecay: recipe.weightDecay,
    clipNorm: recipe.clipNorm,
  };
}

/**
 * A trainer event handler that rewrites one status line every `every` steps and prints a line per epoch
 * (validation loss, accuracy, valid paths when known, time).
 */
export function progressPrinter(label: string, every = 25): (e: TrainEvent) => void {
  const encoder = new TextEncoder();
  return (e) => {
    if (e.type === "step" && e.step % every === 0) {
      const line = `${label} epoch ${e.epoch} step ${e.step}/${e.stepsPerEpoch} loss ${e.loss.toFixed(3)}`;
      Deno.stdout.writeSync(encoder.encode(`\r${line.padEnd(76)}`));
    }
    if (e.type === "epoch") {
      const m = e.metrics;
      const paths = m.validPaths == null ? "" : `, paths ${(m.validPaths * 100).toFixed(1)}%`;
      console.log(
        `\r${label} epoch ${m.epoch} stage ${m.stage}: val loss ${m.valLoss.toFixed(3)}, acc ${
          (m.accuracy * 100).toFixed(1)
        }%${paths}, ${formatDuration(m.seconds)}`.padEnd(76),
      );
    }
  };
}

/** Where a reproduction reads and writes, and which of its runs to train (the command line of `reproduce`). */
export interface ReproduceOptions {
  quick: boolean;
  runsDir?: string;
  docsDir?: string;
  only: Set<string> | null;
  seeds: Set<number> | null;
  fresh: boolean;
  /** Threads training each run (`--threads`; default 1, the numerics of the documented tables). */
  threads: number;
}

/**
 * Runs `score` with generation lanes on every core but one (at most 7 workers) holding `params`: scoring spreads
 * its batches over them and gives the answers of one thread, so the tables do not depend on the machine.
 */
export async function withScoringLanes<T>(
  model: GPT2Config,
  params: GPT2Params,
  score: (lanes: GenerateLane[]) => Promise<T>,
): Promise<T> {
  const threads = Math.max(1, Math.min(navigator.hardwareConcurrency, 8));
  if (threads === 1) return await score([]);
  const pool = await GradientPool.start(threads, model, params, { backend: "wasm" });
  try {
    return await score(pool.lanes());
  } finally {
    pool.close();
  }
}

/**
 * The finished runs of a reproduction, kept in `results.json` under a fingerprint of its regime: `finished()` reads
 * those of this regime (none when the file is missing or from another regime), `add(run)` merges one run in (the
 * same label and seed replaced) and writes the file back in the regime's order (`rank`).
 */
export function resultsFile<R extends { label: string; seed: number }>(
  path: string,
  fingerprint: string,
  rank: (run: R) => number,
): { finished(): Promise<R[]>; add(run: R): Promise<void> } {
  const finished = async (): Promise<R[]> => {
    const saved: { fingerprint: string; runs: R[] } | null = await Deno.readTextFile(path).then(JSON.parse, () => null);
    return saved?.fingerprint === fingerprint ? saved.runs : [];
  };
  return {
    finished,
    async add(run: R) {
      const runs = new Map((await finished()).map((r) => [`${r.label}/${r.seed}`, r]));
      runs.set(`${run.label}/${run.seed}`, run);
      const sorted = [...runs.values()].sort((a, b) => rank(a) - rank(b));
      await Deno.writeTextFile(path, JSON.stringify({ fingerprint, runs: sorted }) + "\n");
    },
  };
}

/**
 * The folder of one run of a reproduction: its label made file-safe, then the seed (`no-cot 1 block (audit)`, 0 →
 * `no-cot-1-block-audit-s0`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runFolder } from "./progress.ts";
 * assert.equal(runFolder("runs/r", "no-cot 1 block (audit)", 0), "runs/r/no-cot-1-block-audit-s0");
 * assert.equal(runFolder("runs/r", "cot + calc", 2), "runs/r/cot-calc-s2");
 * ```
 */
export function runFolder(runsDir: string, label: string, seed: number): string {
  return `${runsDir}/${label.replace(/[^a-z0-9]+/g, "-").replace(/-+$/, "")}-s${seed}`;
}

/**
 * Empties a run's folder (a reproduction owns it) and writes its `run.json`: what `copra eval --ckpt` and
 * `copra generate` need to rebuild the method's prompts.
 */
export async function startRunFolder(out: string, run: Record<string, unknown>): Promise<void> {
  await Deno.remove(out, { recursive: true }).catch(() => {});
  await Deno.mkdir(out, { recursive: true });
  await Deno.writeTextFile(`${out}/run.json`, JSON.stringify(run, null, 1));
}
