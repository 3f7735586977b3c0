/**
 * `deno task bench checkpoint-torch`: saves a copra checkpoint (random `micro` GPT-2), has the PyTorch reference
 * (`bench/torch_gpt2.py logits`, which reads the folder with its own safetensors reader and HF key names) compute
 * logits for the same ids, and reports the largest difference to copra's. Needs python3 with torch.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { disposeParams, gpt2Config, gpt2Forward, initParams, saveCheckpoint, useBackend } from "@copra/model";
import { findTorchPython, runTorchReference } from "./util.ts";

/** The result line. */
export interface CheckpointTorchResult {
  bench: "checkpoint-torch";
  max_abs_diff: number | null;
  loads_in_torch: boolean | null;
  note?: string;
}

/** Runs the check. */
export async function benchCheckpointTorch(): Promise<CheckpointTorchResult> {
  const python = await findTorchPython();
  if (python === null) {
    return { bench: "checkpoint-torch", max_abs_diff: null, loads_in_torch: null, note: "no python3 with torch" };
  }
  await useBackend("wasm");
  const config = gpt2Config("micro", { vocab_size: 300, n_positions: 64 });
  const params = initParams(config, { seed: 42 });
  const dir = await Deno.makeTempDir();
  await saveCheckpoint(dir, params, config);
  const rows = [[1, 5, 9, 200, 17, 3], [299, 0, 42, 42, 7, 8]];
  const ids = tf.tensor2d(rows, undefined, "int32");
  const out = gpt2Forward(params, config, { ids, logits: "all" });
  const ours = await out.logits!.data();
  tf.dispose([ids, out.hidden, out.logits!, ...out.cache.flatMap((c) => [c.k, c.v])]);
  disposeParams(params);
  const run = await runTorchReference(python, ["logits", dir, JSON.stringify(rows)]);
  await Deno.remove(dir, { recursive: true });
  if ("error" in run) return { bench: "checkpoint-torch", max_abs_diff: null, loads_in_torch: false, note: run.error };
  const theirs = run.json.logits as number[];
  let max = 0;
  for (let i = 0; i < theirs.length; i++) max = Math.max(max, Math.abs(theirs[i] - ours[i]));
  return { bench: "checkpoint-torch", max_abs_diff: max, loads_in_torch: theirs.length === ours.length };
}
