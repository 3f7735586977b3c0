/**
 * The error a run stops with when its numbers stop being finite.
 *
 * @module
 */

import { CopraError } from "@copra/core/browser";

/**
 * Training stopped because a loss, a gradient norm or a weight stopped being finite. Nothing of the diverged
 * epoch is saved: the run folder's latest checkpoint is the last good one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TrainingDivergedError } from "@copra/train";
 * const e = new TrainingDivergedError({ epoch: 2, step: 7, what: "loss", value: NaN, lastFiniteLoss: 1.5, lr: 1e30 });
 * assert.match(e.message, /^training: diverged at epoch 2, step 7: the loss is NaN \(last finite loss 1\.500\)/);
 * ```
 */
export class TrainingDivergedError extends CopraError {
  /** The epoch that diverged. */
  readonly epoch: number;
  /** The step of the epoch (0-based), or -1 when the weights were found non-finite at the epoch's end. */
  readonly step: number;
  /** The last finite training loss, or null if there was none. */
  readonly lastFiniteLoss: number | null;

  /** Builds the message from what went wrong where. */
  constructor(at: {
    epoch: number;
    step: number;
    what: "loss" | "gradient norm" | "weights";
    value: number;
    lastFiniteLoss: number | null;
    lr: number;
  }) {
    const where = at.step >= 0 ? `epoch ${at.epoch}, step ${at.step}` : `the end of epoch ${at.epoch}`;
    const what = at.what === "weights" ? "some weights are not finite" : `the ${at.what} is ${at.value}`;
    super({
      source: "training",
      field: `diverged at ${where}`,
      problem: `${what} (last finite loss ${
        at.lastFiniteLoss === null ? "none" : at.lastFiniteLoss.toFixed(3)
      }); nothing of this epoch was saved`,
      hint: `lower the learning rate (now ${at.lr}) or clip gradients, then resume from the last good checkpoint ` +
        "or start again",
    });
    this.name = "TrainingDivergedError";
    this.epoch = at.epoch;
    this.step = at.step;
    this.lastFiniteLoss = at.lastFiniteLoss;
  }
}
