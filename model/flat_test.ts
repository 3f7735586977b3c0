import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { flatValues, ModelError, useBackend } from "./mod.ts";
import { FLAT_VALUES_KERNEL } from "./flat.ts";

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`${backend}: flatValues gives each tensor's values in order, in one read`, async () => {
    await useBackend(backend);
    const tensors = [
      tf.tensor2d([[1.5, -2], [3, 4e-20]]),
      tf.scalar(5),
      tf.zeros([0, 3]), // an empty tensor adds nothing
      tf.tensor3d([[[6], [7]]]),
      tf.range(8, 1008, 1, "float32"), // past one SIMD block
    ];
    const expected = new Float32Array([1.5, -2, 3, 4e-20, 5, 6, 7, ...Array.from({ length: 1000 }, (_, i) => 8 + i)]);
    const before = { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
    const reads: string[] = [];
    const read = tf.engine().read.bind(tf.engine());
    tf.engine().read = (dataId) => (reads.push("read"), read(dataId));
    try {
      assert.deepEqual(await flatValues(tensors), expected);
    } finally {
      tf.engine().read = read;
    }
    assert.equal(reads.length, 1, "one asynchronous read");
    assert.equal(tf.memory().numTensors, before.tensors, "nothing left behind, nothing disposed");
    assert.equal(tf.engine().backend.numDataIds(), before.buffers);
    assert.equal(tf.getKernel(FLAT_VALUES_KERNEL, backend) !== undefined, backend === "wasm");
    assert.deepEqual(await flatValues([]), new Float32Array(0));
    tf.dispose(tensors);
  });
}

Deno.test("flatValues refuses a tensor that is not float32 or is disposed, naming it", async () => {
  await useBackend("wasm");
  const ids = tf.tensor1d([1, 2], "int32"), x = tf.ones([2]);
  await assert.rejects(
    () => flatValues([x, ids]),
    (e: unknown) => e instanceof ModelError && /tensors\[1\]/.test(e.message) && /int32/.test(e.message),
  );
  const gone = tf.ones([2]);
  gone.dispose();
  await assert.rejects(
    () => flatValues([x, gone]),
    (e: unknown) => e instanceof ModelError && /tensors\[1\]/.test(e.message) && /disposed/.test(e.message),
  );
  tf.dispose([ids, x]);
});
