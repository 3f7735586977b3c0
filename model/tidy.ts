/**
 * `tf.tidy` for functions that return a record of tensors (or a record holding arrays of records, like a KV
 * cache): the result keeps its type, every intermediate is freed.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/**
 * Runs `f` in a `tf.tidy` scope and returns its result with its own type: the tensors inside it are kept, every
 * other tensor made in `f` is disposed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { tidyRecord } from "@copra/model";
 * const before = tf.memory().numTensors;
 * const { sum } = tidyRecord(() => ({ sum: tf.add(tf.ones([2]), tf.ones([2])) }));
 * assert.equal(tf.memory().numTensors, before + 1); // the two ones() freed, the sum kept
 * sum.dispose();
 * ```
 */
export function tidyRecord<T extends object>(f: () => T): T {
  return tf.tidy(() => f() as unknown as tf.TensorContainer) as unknown as T;
}
