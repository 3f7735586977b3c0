/**
 * Many tensors' values in one asynchronous read: what a data-parallel step does with every gradient and weight.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { ModelError } from "./errors.ts";
import type { Tensor } from "./tensors.ts";
import { wasmHeap } from "./wasm_heap.ts";

/** Inputs `t0` … `t{n−1}` (float32, any shapes) → their values one after another, a 1-D float32 tensor. Wasm only. */
export const FLAT_VALUES_KERNEL = "CopraFlatValues";

/**
 * The values of `tensors` one after another, in order, as one `Float32Array` — one kernel call and one asynchronous
 * read instead of a `data()` per tensor (each read is a promise and a copy: for the 39 weights of the `nano` model,
 * 0.24–0.9 ms against ≈ 0.18). Every tensor must be float32 and not disposed; none is disposed by the call.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { flatValues } from "@copra/model";
 * const values = await flatValues([tf.tensor2d([[1, 2], [3, 4]]), tf.scalar(5), tf.tensor1d([6])]);
 * assert.deepEqual(values, new Float32Array([1, 2, 3, 4, 5, 6]));
 * ```
 */
export async function flatValues(tensors: readonly Tensor[]): Promise<Float32Array> {
  tensors.forEach((t, i) => {
    if (t.isDisposed || t.dtype !== "float32") {
      throw new ModelError({
        source: "argument",
        field: `tensors[${i}]`,
        value: t.isDisposed ? "disposed" : t.dtype,
        problem: t.isDisposed ? "the tensor is disposed" : "not float32",
        hint: t.isDisposed ? "read it before disposing it" : "cast it first (tf.cast(t, 'float32'))",
      });
    }
  });
  if (tensors.length === 0) return new Float32Array(0);
  const flat = tf.getKernel(FLAT_VALUES_KERNEL, tf.getBackend())
    ? tf.engine().runKernel(FLAT_VALUES_KERNEL, Object.fromEntries(tensors.map((t, i) => [`t${i}`, t]))) as Tensor
    : tf.tidy(() => tf.concat(tensors.map((t) => tf.reshape(t, [-1]))));
  try {
    return await flat.data() as Float32Array;
  } finally {
    flat.dispose();
  }
}

let registered = false;

/** Registers the kernel on the wasm backend (once): copies of the inputs' values in the backend's memory. */
export function registerFlatWasm(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: FLAT_VALUES_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend }) => {
      const parts = Object.values(inputs as Record<string, tf.TensorInfo>); // t0, t1, …: insertion order
      const heap = wasmHeap(backend);
      const out = heap.makeOutput([parts.reduce((n, t) => n + tf.util.sizeFromShape(t.shape), 0)], "float32");
      const values = heap.typedArrayFromHeap(out); // views taken after the allocation, which may move the memory
      let at = 0;
      for (const t of parts) {
        const view = heap.typedArrayFromHeap(t);
        values.set(view, at);
        at += view.length;
      }
      return out;
    },
  });
}
