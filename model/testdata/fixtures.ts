/**
 * The PyTorch parity fixtures (written by `bench/torch_gpt2.py fixtures model/testdata`) as tensors.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { parseSafetensors } from "../mod.ts";

/** Folder of the tiny GPT-2 checkpoint PyTorch wrote (config.json + model.safetensors). */
export const TINY_GPT2_DIR: string = new URL("./tiny_gpt2", import.meta.url).pathname;
/** The same weights as a rotary model (no wpe, θ 100). */
export const TINY_GPT2_ROPE_DIR: string = new URL("./tiny_gpt2_rope", import.meta.url).pathname;

/** Inputs and PyTorch's outputs. Call `tensor(name)` on the active backend; `loss` etc. are plain numbers. */
export interface ParityFixture {
  /** A tensor of the fixture file, as float32 (or int32 when asked). */
  tensor(name: string, dtype?: "float32" | "int32"): tf.Tensor;
  /** The raw values of a tensor. */
  values(name: string): Float32Array;
  /** PyTorch's loss (HF shift, ignore -100). */
  loss: number;
  /** Global gradient norms before clipping in the two AdamW steps. */
  gradNorms: number[];
  /** [V, P, C, L, H] of the tiny model. */
  config: number[];
}

/** Reads `parity.safetensors` (or `parity_rope.safetensors`: the rotary model's outputs, no AdamW steps). */
export async function readParityFixture(name = "parity.safetensors"): Promise<ParityFixture> {
  const file = parseSafetensors(await Deno.readFile(new URL(`./${name}`, import.meta.url)));
  const get = (name: string) => {
    const t = file.tensors.get(name);
    if (!t) throw new Error(`parity fixture has no tensor ${name}`);
    return t;
  };
  return {
    tensor(name, dtype = "float32") {
      const t = get(name);
      return dtype === "int32" ? tf.tensor(Int32Array.from(t.values), t.shape, "int32") : tf.tensor(t.values, t.shape);
    },
    values: (name) => get(name).values,
    loss: Number(file.metadata.loss),
    gradNorms: JSON.parse(file.metadata.grad_norms),
    config: JSON.parse(file.metadata.config),
  };
}

/**
 * Largest error relative to the reference's scale: max |a − b| / max(max |b|, 1e-3). Gradients of different
 * parameters differ by orders of magnitude, so one relative bound fits them all.
 */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-3;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  return maxAbsDiff(a, b) / scale;
}

/** Largest absolute difference between two equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
