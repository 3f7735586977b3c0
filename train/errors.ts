/**
 * The error of a run folder's files (a checkpoint, `state.json`, `run.json`).
 *
 * @module
 */

import { CopraError } from "@copra/core/browser";

/**
 * A defect in a run folder (a checkpoint, `state.json`, `run.json`): names the file and field and says what to do.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RunError } from "@copra/train";
 * const e = new RunError("runs/x/run.json", "options", "must be an object", 3, "pass the run's folder");
 * assert.equal(e.message, "runs/x/run.json: options: must be an object (got 3). pass the run's folder");
 * ```
 */
export class RunError extends CopraError {
  /** Builds the message from its parts; `value` is shown when defined. */
  constructor(file: string, field: string, problem: string, value: unknown, hint: string) {
    super({ source: file, field, problem, value, hint: hint || undefined });
    this.name = "RunError";
  }
}
