import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { MASKED_SOFTMAX_KERNEL } from "./attention_webgpu.ts";
import { attention, useBackend } from "../mod.ts";
import { same } from "../testdata/autodiff.ts";

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`${backend}: attention (with mask and dropout multiplier) equals autodiff of softmax(q·kᵀ·s + bias)·v`, async () => {
    await useBackend(backend);
    const [B, H, T, K, D] = [2, 2, 3, 5, 4];
    const q = tf.randomNormal([B, H, T, D], 0, 1, "float32", 1);
    const k = tf.randomNormal([B, H, K, D], 0, 1, "float32", 2);
    const v = tf.randomNormal([B, H, K, D], 0, 1, "float32", 3);
    const bias = tf.mul(
      tf.sub(tf.cast(tf.greater(tf.randomUniform([B, 1, T, K], 0, 1, "float32", 4), 0.3), "float32"), 1),
      1e9,
    );
    const keep = tf.mul(tf.cast(tf.greater(tf.randomUniform([B, H, T, K], 0, 1, "float32", 5), 0.2), "float32"), 1.25);
    const plain = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.matMul(tf.mul(tf.softmax(tf.add(tf.mul(tf.matMul(a, b, false, true), 0.5), bias), -1), keep), c);
    await same((a, b, c) => attention(a, b, c, bias, 0.5, keep), plain, [q, k, v], 1e-5);
    tf.dispose([q, k, v, bias, keep]);
  });
}

// Without dropout, webgpu runs the softmax and its gradient as WGSL passes (attention_webgpu.ts), wasm as SIMD row
// loops (fused.wat; 5 and 150 keys leave a tail past its 4 lanes).
for (const backend of ["cpu", "wasm", "webgpu"] as const) {
  // keys below and above the 64 threads a WebGPU row kernel gives each row
  for (const [maskBatch, K] of [[1, 5], [2, 5], [2, 150]]) {
    Deno.test(`${backend}: attention without dropout, mask batch ${maskBatch}, ${K} keys, equals autodiff`, async () => {
      await useBackend(backend);
      const [B, H, T, D] = [2, 3, 4, 4];
      const q = tf.randomNormal([B, H, T, D], 0, 1, "float32", 6);
      const k = tf.randomNormal([B, H, K, D], 0, 1, "float32", 7);
      const v = tf.randomNormal([B, H, K, D], 0, 1, "float32", 8);
      // a causal-like mask that differs between the batch's rows when it has two
      const bias = tf.tensor4d(
        Array.from({ length: maskBatch * T * K }, (_, i) => {
          const [b, t, j] = [Math.floor(i / (T * K)), Math.floor(i / K) % T, i % K];
          return j > t + (K > 64 ? K - 10 : 1) + b ? -1e9 : 0; // past the 64th key too when there are more
        }),
        [maskBatch, 1, T, K],
      );
      const plain = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.matMul(tf.softmax(tf.add(tf.mul(tf.matMul(a, b, false, true), 0.7), bias), -1), c);
      await same((a, b, c) => attention(a, b, c, bias, 0.7), plain, [q, k, v], 1e-5);
      tf.dispose([q, k, v, bias]);
      assert.equal(tf.getKernel(MASKED_SOFTMAX_KERNEL, backend) !== undefined, backend !== "cpu");
    });
  }
}
