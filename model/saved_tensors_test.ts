import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { geluNew, layerNorm, useBackend } from "./mod.ts";

// useBackend installs the sharing; every backend runs the same engine code.
for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`${backend}: saved tensors cost no Identity call, give the same gradients, and are all freed`, async () => {
    await useBackend(backend);
    const x = tf.randomNormal([3, 4, 8], 0, 1, "float32", 2), w = tf.randomNormal([8], 1, 0.1, "float32", 3);
    const b = tf.zeros([8]), m = tf.randomNormal([8, 8], 0, 0.5, "float32", 4);
    // A custom op (LayerNorm, GELU: they save their inputs and the gate) and plain kernels that save (MatMul, Mul).
    const f = (t: tf.Tensor) => tf.sum(tf.mul(geluNew(tf.matMul(layerNorm(t, w, b, 1e-5), m)), t));
    const before = tf.memory().numTensors;
    let dx: tf.Tensor | undefined;
    const info = await tf.profile(() => {
      dx = tf.grad(f)(x);
      return dx;
    });
    assert.equal(info.kernels.filter((k) => k.name === "Identity").length, 0, "Identity calls");
    assert.equal(tf.memory().numTensors, before + 1, "only dx is left");
    // The gradient equals a finite difference along a random direction (no saved tensor read the wrong data).
    const v = tf.randomNormal(x.shape, 0, 1, "float32", 5), h = 1e-2;
    const [fp, fm, analytic] = tf.tidy(() => [
      f(tf.add(x, tf.mul(v, h))).dataSync()[0],
      f(tf.sub(x, tf.mul(v, h))).dataSync()[0],
      tf.sum(tf.mul(dx!, v)).dataSync()[0],
    ]);
    const numeric = (fp - fm) / (2 * h);
    assert.ok(Math.abs(numeric - analytic) < 2e-2 * Math.max(1, Math.abs(analytic)), `${numeric} vs ${analytic}`);
    tf.dispose([x, w, b, m, dx!, v]);
  });
}
