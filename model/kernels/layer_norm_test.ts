import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { LAYER_NORM_KERNEL } from "./layer_norm_webgpu.ts";
import { layerNorm, useBackend } from "../mod.ts";
import { same } from "../testdata/autodiff.ts";

// webgpu runs the row kernels of layer_norm_webgpu.ts instead of the composites.
for (const backend of ["cpu", "wasm", "webgpu"] as const) {
  Deno.test(`${backend}: layerNorm equals autodiff of (x − mean)/√(var + ε)·w + b`, async () => {
    await useBackend(backend);
    const x = tf.randomNormal([2, 3, 8], 1, 2, "float32", 1);
    const w = tf.randomNormal([8], 1, 0.3, "float32", 2), b = tf.randomNormal([8], 0, 0.3, "float32", 3);
    const plain = (a: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
      const { mean, variance } = tf.moments(a, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, 1e-5))), ww), bb);
    };
    await same((a, ww, bb) => layerNorm(a, ww, bb, 1e-5), plain, [x, w, b], 1e-4);
    tf.dispose([x, w, b]);
    assert.equal(tf.getKernel(LAYER_NORM_KERNEL, backend) !== undefined, backend === "webgpu");
  });
}
