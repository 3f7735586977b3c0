/**
 * Batching examples: rows are left-padded so that the first thought slot of every row sits in the same column
 * (Coconut's multi-pass forward then fills one column per pass), then right-padded to a common length.
 *
 * @module
 */

import type { Example } from "./example.ts";

/** A batch as plain arrays (B rows of equal length), ready to become tensors. */
export interface Batch {
  /** Token ids (B,T). */
  ids: number[][];
  /** Labels (B,T), -100 on padding. */
  labels: number[][];
  /** 1 for real tokens, 0 for padding (B,T). */
  attentionMask: number[][];
  /** Position ids (B,T); 0 on padding. */
  positionIds: number[][];
  /** Thought-slot indices of each row, shifted by its left padding. */
  latentPositions: number[][];
  /**
   * Loss weight of each label (B,T), 0 on padding; present when any example has weights (an example without
   * them weighs 1 on each counted label).
   */
  weights?: number[][];
  /** The switch's label of each row's thought slots (aligned with `latentPositions`), when any row has thoughts. */
  stopLabels?: number[][];
  /** Set targets (the `"frontier"` supervision) with their row, positions shifted by the row's left padding. */
  setTargets?: { row: number; position: number; ids: number[] }[];
}

/**
 * Collates examples. Rows with thoughts get `first_max − first_row` pad tokens on the left (attention 0,
 * position 0, label -100) so their first thoughts align; rows without thoughts get none. Then every row is
 * right-padded to the longest (pad id, attention 0, position 0, label -100).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { collate } from "@copra/curriculum";
 * const a = { ids: [1, 2, 9, 3], labels: [-100, -100, -100, 3], positionIds: [0, 1, 2, 3], latentPositions: [2], stage: 1 };
 * const b = { ids: [1, 9, 3], labels: [-100, -100, 3], positionIds: [0, 1, 2], latentPositions: [1], stage: 1 };
 * const batch = collate([a, b], 0);
 * assert.deepEqual(batch.ids, [[1, 2, 9, 3], [0, 1, 9, 3]]);
 * assert.deepEqual(batch.attentionMask[1], [0, 1, 1, 1]);
 * assert.deepEqual(batch.positionIds[1], [0, 0, 1, 2]);
 * assert.deepEqual(batch.latentPositions, [[2], [2]]);
 * ```
 */
export function collate(examples: readonly Example[], padId: number): Batch {
  const firsts = examples.filter((e) => e.latentPositions.length > 0).map((e) => e.latentPositions[0]);
  const column = firsts.length > 0 ? Math.max(...firsts) : 0;
  const left = examples.map((e) => (e.latentPositions.length > 0 ? column - e.latentPositions[0] : 0));
  const length = Math.max(0, ...examples.map((e, i) => left[i] + e.ids.length));
  const row = (
    fill: number,
    body: readonly number[],
    pad: number,
  ) => [...new Array(pad).fill(fill), ...body, ...new Array(length - pad - body.length).fill(fill)];
  const batch: Batch = {
    ids: examples.map((e, i) => row(padId, e.ids, left[i])),
    labels: examples.map((e, i) => row(-100, e.labels, left[i])),
    attentionMask: examples.map((e, i) => row(0, e.ids.map(() => 1), left[i])),
    positionIds: examples.map((e, i) => row(0, e.positionIds, left[i])),
    latentPositions: examples.map((e, i) => e.latentPositions.map((p) => p + left[i])),
  };
  if (examples.some((e) => e.weights)) {
    batch.weights = examples.map((e, i) => row(0, e.weights ?? e.labels.map((l) => (l === -100 ? 0 : 1)), left[i]));
  }
  if (examples.some((e) => e.stopLabels)) batch.stopLabels = examples.map((e) => [...(e.stopLabels ?? [])]);
  if (examples.some((e) => e.setTargets)) {
    batch.setTargets = examples.flatMap((e, r) =>
      (e.setTargets ?? []).map((s) => ({ row: r, position: s.position + left[r], ids: [...s.ids] }))
    );
  }
  return batch;
}
