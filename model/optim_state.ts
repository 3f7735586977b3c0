/**
 * An optimizer's state on disk: AdamW's moments and step in a safetensors file, written and read whole.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { readFile, writeModelFile } from "./files.ts";
import type { AdamW } from "./optim.ts";
import { parseSafetensors, serializeSafetensors } from "./safetensors.ts";
import type { Tensor } from "./tensors.ts";

/**
 * Writes an optimizer's state (moments as F32 tensors, the step in the metadata) to a safetensors file, all at
 * once (temporary file + rename).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { AdamW, loadOptimizerState, saveOptimizerState } from "@copra/model";
 * const params = { w: tf.variable(tf.tensor1d([1, 2])) };
 * const a = new AdamW(params);
 * a.apply({ w: tf.tensor1d([0.1, -0.2]) });
 * const path = `${await Deno.makeTempDir()}/optimizer.safetensors`;
 * await saveOptimizerState(path, a);
 * const b = new AdamW(params);
 * await loadOptimizerState(path, b);
 * assert.equal(b.step, 1);
 * assert.deepEqual(await b.state().tensors["m.w"].data(), await a.state().tensors["m.w"].data());
 * ```
 */
export async function saveOptimizerState(path: string, optimizer: AdamW): Promise<void> {
  const { step, tensors } = optimizer.state();
  const entries: Record<string, { shape: number[]; values: Float32Array }> = {};
  for (const [name, t] of Object.entries(tensors)) {
    entries[name] = { shape: t.shape, values: (await t.data()) as Float32Array };
  }
  await writeModelFile(path, serializeSafetensors(entries, { step: String(step), optimizer: "adamw" }));
}

/**
 * Restores an optimizer's state from a file written by {@link saveOptimizerState}. Throws a
 * `ModelError` naming the file and the tensor at fault.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { AdamW, loadOptimizerState, saveOptimizerState } from "@copra/model";
 * const params = { w: tf.variable(tf.tensor1d([1, 2])) };
 * const trained = new AdamW(params);
 * trained.apply({ w: tf.tensor1d([0.5, -0.5]) });
 * const path = `${await Deno.makeTempDir()}/optimizer.safetensors`;
 * await saveOptimizerState(path, trained);
 * const resumed = new AdamW(params);
 * await loadOptimizerState(path, resumed);
 * assert.equal(resumed.step, 1);
 * await assert.rejects(loadOptimizerState(`${path}.missing`, resumed), /cannot be read/);
 * ```
 */
export async function loadOptimizerState(path: string, optimizer: AdamW): Promise<void> {
  const file = await readFile(path, (bytes) => parseSafetensors(bytes, path), "write it with saveOptimizerState()");
  const tensors: Record<string, Tensor> = {};
  for (const [name, t] of file.tensors) tensors[name] = tf.tensor(t.values, t.shape);
  try {
    optimizer.loadState({ step: Number(file.metadata.step), tensors }, path);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
