import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { GELU_KERNEL, GELU_SIGMOID_KERNEL } from "./gelu_webgpu.ts";
import { geluNew, useBackend } from "../mod.ts";
import { same } from "../testdata/autodiff.ts";

// webgpu runs the two WGSL kernels of gelu_webgpu.ts (one pass each way) instead of the composites, wasm those of
// fused.wat: 65 numbers (a tail past wasm's 4 lanes), some far out where σ saturates.
for (const backend of ["cpu", "wasm", "webgpu"] as const) {
  Deno.test(`${backend}: geluNew equals autodiff of 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`, async () => {
    await useBackend(backend);
    const x = tf.tidy(() =>
      tf.concat([tf.randomNormal([60], 0, 2, "float32", 1), tf.tensor1d([-60, -12, 0, 40, 1.5])]).reshape([5, 13])
    );
    const plain = (a: tf.Tensor) =>
      tf.mul(
        tf.mul(a, 0.5),
        tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(a, tf.mul(0.044715, tf.pow(a, 3)))))),
      );
    await same(geluNew, plain, [x], 1e-5);
    x.dispose();
    // wasm: value and gate in one kernel; webgpu: the gate's kernel, then x·s; cpu: the composite.
    assert.equal(tf.getKernel(GELU_KERNEL, backend) !== undefined, backend === "wasm");
    assert.equal(tf.getKernel(GELU_SIGMOID_KERNEL, backend) !== undefined, backend === "webgpu");
  });
}
