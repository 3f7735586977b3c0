import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { crossEntropy, useBackend } from "../mod.ts";
import { XENT_GRAD_KERNEL } from "./xent_webgpu.ts";

/** The gradient of the weighted cross-entropy of fixed logits on a backend, and whether the fused kernel ran. */
async function gradientOn(backend: "cpu" | "webgpu"): Promise<{ values: Float32Array; fused: boolean }> {
  await useBackend(backend);
  const [B, T, V] = [2, 3, 37];
  const values = Float32Array.from({ length: B * T * V }, (_, i) => Math.sin(i * 1.7) * 3);
  const labels = tf.tensor2d([[4, -100, 36], [0, 17, 17]], [B, T], "int32"); // one ignored position
  const weights = tf.tensor2d([[1, 5, 0.5], [2, 1, 3]], [B, T]);
  const logits = tf.tensor3d(values, [B, T, V]);
  let fused = false;
  const g = tf.grad((x: tf.Tensor) => {
    fused = tf.getKernel(XENT_GRAD_KERNEL, tf.getBackend()) !== undefined;
    return tf.mul(crossEntropy(x as tf.Tensor3D, labels, weights), 3); // dy = 3
  })(logits);
  const out = await g.data() as Float32Array;
  tf.dispose([labels, weights, logits, g]);
  return { values: out, fused };
}

Deno.test("the WebGPU cross-entropy gradient kernel matches the cpu backend's composite gradient", async () => {
  const cpu = await gradientOn("cpu");
  const gpu = await gradientOn("webgpu");
  await useBackend("wasm");
  assert.equal(cpu.fused, false);
  assert.equal(gpu.fused, true, "the webgpu backend runs the kernel");
  let worst = 0;
  for (let i = 0; i < cpu.values.length; i++) worst = Math.max(worst, Math.abs(cpu.values[i] - gpu.values[i]));
  assert.ok(worst < 1e-6, `largest difference ${worst}`);
  // the ignored position's row (b0, t1) has no gradient; a labelled entry is p·w − w < 0
  assert.ok(gpu.values.slice(37, 74).every((v) => v === 0));
  assert.ok(gpu.values[4] < 0 && gpu.values[5] > 0);
});
