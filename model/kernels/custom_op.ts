/**
 * One typed helper for copra's written-out gradients: `tf.customGrad` with named inputs and saved tensors, instead
 * of casts at every use.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Tensor } from "../tensors.ts";

/** What a custom op's forward returns: its value, and the gradient of each input given the saved tensors. */
export interface CustomOpResult {
  /** The op's output. */
  value: Tensor;
  /** Gradients with respect to each input, in order, from the output's gradient `dy` and the saved tensors. */
  gradFunc: (dy: Tensor, saved: Tensor[]) => Tensor | Tensor[];
}

/**
 * An op of `N` tensor inputs with a written-out gradient. `forward` gets the inputs and a `save` function; the
 * tensors it saves (the engine keeps them past the forward's `tf.tidy`) come back to `gradFunc`. Where no gradient
 * tape records (inference, generation), the forward runs as it is inside a `tf.tidy`, without the custom gradient's
 * engine scope (about 2 µs less per call, which is a share of a decoded token's time at small models).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { customOp } from "@copra/model";
 * const square = customOp<[tf.Tensor]>(([x], save) => {
 *   save([x]);
 *   return { value: tf.mul(x, x), gradFunc: (dy, [sx]) => tf.mul(dy, tf.mul(sx, 2)) };
 * });
 * const g = tf.grad((x: tf.Tensor) => square(x))(tf.tensor1d([3]));
 * assert.deepEqual(await g.data(), new Float32Array([6]));
 * ```
 */
export function customOp<I extends Tensor[]>(
  forward: (inputs: I, save: (tensors: Tensor[]) => void) => CustomOpResult,
): (...inputs: I) => Tensor {
  const op = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    return forward(args.slice(0, -1) as I, save);
  });
  const noSave = () => {};
  return (...inputs: I) =>
    !tf.engine().isTapeOn()
      ? tf.tidy(() => forward(inputs, noSave).value)
      : (op as unknown as (...xs: Tensor[]) => Tensor)(...inputs);
}

/**
 * Whether the active backend has the kernel `name`: copra's fused kernels (WGSL on webgpu, wasm SIMD on wasm) exist
 * on some backends only, and the ops fall back to their composites elsewhere.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasKernel } from "@copra/model";
 * assert.equal(hasKernel("NoSuchKernel"), false);
 * ```
 */
export function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}
