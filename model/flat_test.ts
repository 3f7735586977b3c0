import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { assignValues, flatValues, ModelError, useBackend } from "./mod.ts";
import { ASSIGN_VALUES_KERNEL, FLAT_VALUES_KERNEL } from "./flat.ts";

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

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`${backend}: assignValues sets each variable from one array; a tensor sharing a variable's buffer keeps it`, async () => {
    await useBackend(backend);
    const make = (shape: number[]) => tf.tidy(() => tf.variable(tf.zeros(shape)));
    const vars = [make([2, 2]), make([1]), make([0]), make([3, 1, 2])];
    const values = Float32Array.from({ length: 11 }, (_, i) => i + 0.5);
    const calls: string[] = [];
    const runKernel = tf.engine().runKernel.bind(tf.engine());
    tf.engine().runKernel = (name, inputs, attrs) => (calls.push(name), runKernel(name, inputs, attrs));
    const before = tf.memory().numTensors;
    try {
      assignValues(vars, values);
    } finally {
      tf.engine().runKernel = runKernel;
    }
    assert.deepEqual(calls, backend === "wasm" ? [ASSIGN_VALUES_KERNEL] : [], "wasm: one call, in place");
    assert.equal(tf.memory().numTensors, before, "nothing left behind");
    assert.deepEqual(await flatValues(vars), values);
    // a clone shares the first variable's buffer (copra's Identity on wasm): it keeps its values
    const clone = tf.clone(vars[0]);
    assignValues(vars, values.map((x) => -x));
    assert.deepEqual(await clone.data(), values.subarray(0, 4));
    assert.deepEqual(await flatValues(vars), values.map((x) => -x));
    tf.dispose([clone, ...vars]);
  });
}

Deno.test("assignValues refuses a wrong length or a non-float32 variable by name, writing nothing", async () => {
  await useBackend("wasm");
  const a = tf.variable(tf.zeros([2])), ids = tf.variable(tf.zeros([2], "int32"));
  assert.throws(
    () => assignValues([a], new Float32Array(3)),
    (e: unknown) => e instanceof ModelError && /values/.test(e.message) && /2 values/.test(e.message),
  );
  assert.throws(
    () => assignValues([a, ids], new Float32Array(4).fill(1)),
    (e: unknown) => e instanceof ModelError && /variables\[1\]/.test(e.message) && /int32/.test(e.message),
  );
  assert.deepEqual(await a.data(), new Float32Array(2), "nothing written");
  tf.dispose([a, ids]);
});
