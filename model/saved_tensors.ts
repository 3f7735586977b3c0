/**
 * Tensors saved for the backward pass, without a kernel call each. tfjs's engine keeps every tensor a kernel or a
 * custom gradient saves by cloning it — a full `Identity` kernel dispatch plus a node on the gradient tape, for a
 * tensor that is only ever read by a gradient function. Tensors are immutable, so a second reference to the same data
 * is all a saved tensor needs; {@link shareSavedTensors} makes the engine's clone that. A Coconut training step of
 * `deno task train`'s model saves ≈ 570 tensors (of ≈ 1,770 kernel calls).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/** The parts of tfjs's engine this touches (not in its public types). */
interface EngineInternals {
  clone(x: tf.Tensor): tf.Tensor;
  state: { tensorInfo: { get(dataId: object): { backend: { incRef(dataId: object): void } } | undefined } };
  makeTensorFromTensorInfo(info: { dataId: object; shape: number[]; dtype: tf.DataType }): tf.Tensor;
}

let shared = false;

/**
 * Makes the engine save tensors for backprop by sharing their data (a reference count more) instead of running the
 * `Identity` kernel and recording a tape node for each. The engine's `clone` is used for nothing else (`tf.clone`
 * runs its own kernel), and the saved tensors are still kept and disposed by the engine after backprop as before.
 * Idempotent; `useBackend` calls it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { shareSavedTensors, useBackend } from "@copra/model";
 * await useBackend("cpu");
 * shareSavedTensors();
 * const x = tf.tensor1d([1, 2, 3]);
 * const before = tf.memory().numTensors;
 * const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(t, t)))(x); // Mul saves its inputs
 * assert.deepEqual(Array.from(dx.dataSync()), [2, 4, 6]);
 * assert.equal(tf.memory().numTensors, before + 1); // dx only: the saved tensors were freed
 * tf.dispose([x, dx]);
 * ```
 */
export function shareSavedTensors(): void {
  if (shared) return;
  shared = true;
  const engine = tf.engine() as unknown as EngineInternals;
  const clone = engine.clone.bind(engine);
  engine.clone = (x: tf.Tensor): tf.Tensor => {
    const owner = engine.state.tensorInfo.get(x.dataId);
    if (x.dtype === "string" || owner === undefined) return clone(x);
    owner.backend.incRef(x.dataId);
    return engine.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype });
  };
}
