/**
 * Learning-rate schedules: a function from the optimizer step (0-based) to the learning rate.
 *
 * @module
 */

import { ModelError } from "./errors.ts";

/** A learning-rate schedule. */
export type LrSchedule = (step: number) => number;

/**
 * The same learning rate at every step (Coconut's official recipe: 1e-4).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { constantLr } from "@copra/model";
 * assert.equal(constantLr(1e-4)(1000), 1e-4);
 * ```
 */
export function constantLr(lr: number): LrSchedule {
  checkPositive("lr", lr);
  return () => lr;
}

/** Options of {@link warmupCosineLr}. */
export interface WarmupCosineOptions {
  /** Peak learning rate, reached at the end of warm-up. */
  lr: number;
  /** Steps of linear warm-up from 0 (step 0 gets lr/warmup). */
  warmupSteps: number;
  /** Step at which the cosine reaches `minLr`; later steps stay there. */
  totalSteps: number;
  /** Floor of the decay. Default 0. */
  minLr?: number;
}

/**
 * Linear warm-up to `lr`, then cosine decay to `minLr` at `totalSteps`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { warmupCosineLr } from "@copra/model";
 * const lr = warmupCosineLr({ lr: 1e-3, warmupSteps: 10, totalSteps: 110, minLr: 1e-5 });
 * assert.equal(lr(4), 5e-4);   // warming up: (4+1)/10 of the peak
 * assert.equal(lr(9), 1e-3);   // peak
 * assert.ok(Math.abs(lr(60) - (1e-5 + 0.5 * (1e-3 - 1e-5))) < 1e-12); // half-way down
 * assert.equal(lr(500), 1e-5); // floor
 * ```
 */
export function warmupCosineLr(options: WarmupCosineOptions): LrSchedule {
  const { lr, warmupSteps, totalSteps } = options;
  const minLr = options.minLr ?? 0;
  checkPositive("lr", lr);
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) {
    throw new ModelError({
      source: "argument",
      field: "warmupSteps",
      value: warmupSteps,
      problem: "must be an integer ≥ 0",
    });
  }
  if (!Number.isInteger(totalSteps) || totalSteps <= warmupSteps) {
    throw new ModelError({
      source: "argument",
      field: "totalSteps",
      value: totalSteps,
      problem: `must be an integer above warmupSteps (${warmupSteps})`,
    });
  }
  if (!(minLr >= 0 && minLr <= lr)) {
    throw new ModelError({ source: "argument", field: "minLr", value: minLr, problem: `must be in [0, lr]` });
  }
  return (step) => {
    if (step < warmupSteps) return lr * (step + 1) / warmupSteps;
    if (step >= totalSteps) return minLr;
    const progress = (step - warmupSteps) / (totalSteps - warmupSteps);
    return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * progress));
  };
}

function checkPositive(field: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new ModelError({ source: "argument", field, value, problem: "must be a positive number" });
  }
}
