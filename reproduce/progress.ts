// deno-lint-ignore-file no-console
/**
 * What the reproductions share when they train a run: the recipe's optimizer settings as trainer options, and a
 * one-line progress printer for the trainer's events.
 *
 * @module
 */

import type { TrainEvent, TrainOptions } from "@copra/train";
import { formatDuration } from "./report.ts";

/** The optimizer part of a regime's recipe, as the trainer's options (no gradient accumulation). */
export function recipeOptions(recipe: {
  batchSize: number;
  lr: number;
  lrSchedule: "constant" | "cosine";
  warmupSteps: number;
  weightDecay: number;
  clipNorm: number;
}): Pick<
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
