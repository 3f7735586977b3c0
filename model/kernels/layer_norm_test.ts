import * as tf from "@tensorflow/tfjs";
import { layerNorm, useBackend } from "../mod.ts";
import { same } from "../testdata/autodiff.ts";

for (const backend of ["cpu", "wasm"] as const) {
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
  });
}
