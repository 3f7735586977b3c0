/**
 * Many tensors' values in one asynchronous read, and many variables set from one array: what a data-parallel step
 * does with every gradient and weight.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { ModelError } from "./errors.ts";
import type { Tensor, Variable } from "./tensors.ts";
import { firstShared, wasmHeap } from "./wasm_heap.ts";

/** Inputs `t0` … `t{n−1}` (float32, any shapes) → their values one after another, a 1-D float32 tensor. Wasm only. */
export const FLAT_VALUES_KERNEL = "CopraFlatValues";

/**
 * Inputs `values` (1-D float32) and `t0` … `t{n−1}` (float32, sizes summing to its length, each buffer held by no
 * other tensor) → no outputs: the values copied into the tensors' own buffers, in order. Wasm only.
 */
export const ASSIGN_VALUES_KERNEL = "CopraAssignValues";

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
  refuseUnusable(tensors, "tensors", "read it before disposing it");
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

/**
 * Sets `variables` from `values`, one after another in order (the inverse of {@link flatValues}): one upload and, on
 * wasm, one kernel call that writes each variable's own buffer in place — instead of a tensor made and assigned per
 * variable (≈ 14 µs each). Where a variable's buffer is shared with another tensor (a clone), or on other backends,
 * each is assigned a new tensor, so that no other tensor changes. Every variable must be float32 and not disposed,
 * and `values` exactly as long as they are together; nothing is written otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { assignValues } from "@copra/model";
 * const a = tf.variable(tf.zeros([2, 2])), b = tf.variable(tf.zeros([1]));
 * assignValues([a, b], new Float32Array([1, 2, 3, 4, 5]));
 * assert.deepEqual(await a.array(), [[1, 2], [3, 4]]);
 * assert.deepEqual(await b.data(), new Float32Array([5]));
 * ```
 */
export function assignValues(variables: readonly Variable[], values: Float32Array): void {
  refuseUnusable(variables, "variables", "give variables that are still in use");
  const total = variables.reduce((n, v) => n + v.size, 0);
  if (values.length !== total) {
    throw new ModelError({
      source: "argument",
      field: "values",
      value: values.length,
      problem: `the variables hold ${total} values together`,
      hint: "give one value per entry of every variable, in order",
    });
  }
  if (
    tf.getKernel(ASSIGN_VALUES_KERNEL, tf.getBackend()) && variables.length > 0 &&
    firstShared(tf.engine().backend, variables) < 0
  ) {
    const flat = tf.tensor1d(values);
    try {
      tf.engine().runKernel(ASSIGN_VALUES_KERNEL, {
        values: flat,
        ...Object.fromEntries(variables.map((v, i) => [`t${i}`, v])),
      });
    } finally {
      flat.dispose();
    }
    return;
  }
  tf.tidy(() => {
    let at = 0;
    for (const v of variables) {
      v.assign(tf.tensor(values.subarray(at, at + v.size), v.shape));
      at += v.size;
    }
  });
}

/** Throws a {@link ModelError} naming `field[i]` for the first tensor that is disposed or not float32. */
function refuseUnusable(tensors: readonly Tensor[], field: string, whenDisposed: string): void {
  tensors.forEach((t, i) => {
    if (t.isDisposed || t.dtype !== "float32") {
      throw new ModelError({
        source: "argument",
        field: `${field}[${i}]`,
        value: t.isDisposed ? "disposed" : t.dtype,
        problem: t.isDisposed ? "the tensor is disposed" : "not float32",
        hint: t.isDisposed ? whenDisposed : "cast it first (tf.cast(t, 'float32'))",
      });
    }
  });
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
  tf.registerKernel({
    kernelName: ASSIGN_VALUES_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend }) => {
      const { values, ...targets } = inputs as Record<string, tf.TensorInfo>;
      const heap = wasmHeap(backend);
      const list = Object.values(targets); // t0, t1, …: insertion order
      const shared = firstShared(heap, list);
      if (shared >= 0) throw new Error(`${ASSIGN_VALUES_KERNEL}: t${shared} shares its buffer`);
      const source = heap.typedArrayFromHeap(values);
      let at = 0;
      for (const t of list) {
        const view = heap.typedArrayFromHeap(t);
        view.set(source.subarray(at, at + view.length));
        at += view.length;
      }
      return [];
    },
  });
}
