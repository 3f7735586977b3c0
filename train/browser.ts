/**
 * `@copra/train` in a browser: opening a checkpoint from `File`s, bytes or a URL (`openCheckpoint`), evaluation,
 * the superposition profile, tool evaluation, the regimes and model setup. Training itself writes run folders and
 * needs Deno (`train`, `writeCheckpoint`, `readCheckpoint` and the run-folder helpers live in the main entry).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { distancesFrom } from "@copra/train/browser";
 * assert.deepEqual([...distancesFrom(0, [[0, 1], [1, 2]])], [[0, 0], [1, 1], [2, 2]]);
 * ```
 *
 * @module
 */

export * from "./checkpoint_source.ts";
export * from "./diverged.ts";
export * from "./errors.ts";
export * from "./official_args.ts";
export * from "./evaluate.ts";
export * from "./regime.ts";
export * from "./setup.ts";
export * from "./superposition.ts";
export * from "./tool_eval.ts";
