import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { LAYER_NORM_KERNEL } from "./layer_norm_webgpu.ts";
import { layerNorm, useBackend } from "../mod.ts";
import { same } from "../testdata/autodiff.ts";

// webgpu runs the row kernels of layer_norm_webgpu.ts instead of the composites, wasm those of fused.wat: widths
// below and above the 64 threads a WebGPU row kernel gives each row, one not a multiple of wasm's 4 lanes.
for (const backend of ["cpu", "wasm", "webgpu"] as const) {
  for (const shape of [[2, 3, 8], [2, 3, 150]]) {
    Deno.test(`${backend}: layerNorm of ${shape.join("×")} equals autodiff of (x − mean)/√(var + ε)·w + b`, async () => {
      await useBackend(backend);
      const C = shape[shape.length - 1];
      const x = tf.randomNormal(shape, 1, 2, "float32", 1);
      const w = tf.randomNormal([C], 1, 0.3, "float32", 2), b = tf.randomNormal([C], 0, 0.3, "float32", 3);
      const plain = (a: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
        const { mean, variance } = tf.moments(a, -1, true);
        return tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, 1e-5))), ww), bb);
      };
      await same((a, ww, bb) => layerNorm(a, ww, bb, 1e-5), plain, [x, w, b], 1e-4);
      tf.dispose([x, w, b]);
      assert.equal(tf.getKernel(LAYER_NORM_KERNEL, backend) !== undefined, backend !== "cpu");
    });
  }
}

Deno.test("webgpu: layerNorm of more rows than one dispatch dimension holds (65,535 workgroups) equals cpu", async () => {
  const rows = 70001, C = 4;
  // every row well conditioned (variance ≈ 1.25), each one different
  const values = Float32Array.from({ length: rows * C }, (_, i) => (i % C) + 0.5 * Math.sin(Math.floor(i / C)));
  const on = async (backend: "cpu" | "webgpu") => {
    await useBackend(backend);
    const [x, w, b] = [tf.tensor2d(values, [rows, C]), tf.tensor1d([1, 2, 3, 4]), tf.tensor1d([0, 1, 0, -1])];
    const y = layerNorm(x, w, b, 1e-5);
    const out = await y.data();
    tf.dispose([x, w, b, y]);
    return out;
  };
  const cpu = await on("cpu"), gpu = await on("webgpu");
  await useBackend("wasm");
  let worst = 0;
  for (let i = 0; i < cpu.length; i++) worst = Math.max(worst, Math.abs(cpu[i] - gpu[i]));
  assert.ok(worst < 1e-4, `largest difference ${worst}`);
});
