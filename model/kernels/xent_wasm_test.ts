import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { crossEntropy, useBackend } from "../mod.ts";
import { isCurrent, WAT_MODULES } from "./wat_build.ts";
import { ROW_LSE_KERNEL } from "./xent_wasm.ts";
import { XENT_GRAD_KERNEL } from "./xent_webgpu.ts";

Deno.test("the shipped xent bytes are those of xent.wat (run `deno task build-wasm` after editing it)", async () => {
  assert.ok(await isCurrent(WAT_MODULES.xent), "xent_wasm_bytes.ts is stale");
});

/** Logits with every kind of row: small and large values, a −∞ entry, a vocabulary that is not a multiple of 4. */
function logits(B: number, T: number, V: number): tf.Tensor3D {
  const values = Float32Array.from({ length: B * T * V }, (_, i) => Math.sin(i * 1.3) * (i % 7 === 0 ? 60 : 3));
  values[5] = -Infinity;
  return tf.tensor3d(values, [B, T, V]);
}

/** crossEntropy's value and gradient on a backend (dy = 2), and whether the wasm kernels were there. */
async function on(backend: "cpu" | "wasm", V: number): Promise<{ value: number; grad: Float32Array; fused: boolean }> {
  await useBackend(backend);
  const x = logits(2, 3, V);
  const labels = tf.tensor2d([[4, -100, V - 1], [0, 17, 17]], [2, 3], "int32"); // one ignored position
  const weights = tf.tensor2d([[1, 5, 0.5], [0, 1, 3]], [2, 3]); // and one of weight 0
  const value = crossEntropy(x, labels, weights);
  const g = tf.grad((t: tf.Tensor) => tf.mul(crossEntropy(t as tf.Tensor3D, labels, weights), 2))(x);
  const result = {
    value: (await value.data())[0],
    grad: await g.data() as Float32Array,
    fused: tf.getKernel(ROW_LSE_KERNEL, backend) !== undefined && tf.getKernel(XENT_GRAD_KERNEL, backend) !== undefined,
  };
  tf.dispose([x, labels, weights, value, g]);
  return result;
}

for (const V of [37, 1003]) {
  Deno.test(`wasm's SIMD cross-entropy (V = ${V}) equals the cpu backend's composite, value and gradient`, async () => {
    const cpu = await on("cpu", V), wasm = await on("wasm", V);
    assert.equal(cpu.fused, false);
    assert.equal(wasm.fused, true, "the wasm backend runs the kernels");
    assert.ok(Number.isFinite(wasm.value));
    assert.ok(Math.abs(cpu.value - wasm.value) <= 1e-5 * Math.abs(cpu.value), `value ${wasm.value} vs ${cpu.value}`);
    let worst = 0;
    for (let i = 0; i < cpu.grad.length; i++) worst = Math.max(worst, Math.abs(cpu.grad[i] - wasm.grad[i]));
    assert.ok(worst < 1e-6, `largest gradient difference ${worst}`);
    // the ignored position (b0, t1) and the position of weight 0 (b1, t0) have no gradient
    assert.ok(wasm.grad.slice(V, 2 * V).every((v) => v === 0));
    assert.ok(wasm.grad.slice(3 * V, 4 * V).every((v) => v === 0));
  });
}

Deno.test("wasm's log-sum-exp is within float32 rounding of a float64 reference on wide rows", async () => {
  await useBackend("wasm");
  const N = 3, V = 50257;
  const values = Float32Array.from({ length: N * V }, (_, i) => Math.fround(Math.cos(i * 0.37) * (1 + (i % 11))));
  const x = tf.tensor2d(values, [N, V]), w = tf.ones([N]);
  const lse = tf.engine().runKernel(ROW_LSE_KERNEL, { x, w }) as tf.Tensor;
  const got = await lse.data();
  tf.dispose([x, w, lse]);
  for (let r = 0; r < N; r++) {
    const row = values.subarray(r * V, (r + 1) * V);
    const m = row.reduce((a, b) => Math.max(a, b), -Infinity);
    const want = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    assert.ok(Math.abs(got[r] - want) <= 2e-6 * Math.abs(want), `row ${r}: ${got[r]} vs ${want}`);
  }
});

Deno.test("wasm's log-sum-exp and its gradient stay NaN on a row with a NaN logit, wherever it sits", async () => {
  await useBackend("wasm");
  // V = 27: six vectors of four and a tail of three. The NaN sits first, in the body, in the last vector, in the tail.
  const V = 27, at = [0, 9, 23, 25];
  const values = Float32Array.from({ length: (at.length + 1) * V }, (_, i) => Math.cos(i) * 5);
  at.forEach((j, r) => values[r * V + j] = NaN);
  const x = tf.tensor2d(values, [at.length + 1, V]), w = tf.ones([at.length + 1]);
  const labels = tf.tensor1d([1, 2, 3, 4, 5], "int32");
  const lse = tf.engine().runKernel(ROW_LSE_KERNEL, { x, w }) as tf.Tensor;
  const dx = tf.engine().runKernel(XENT_GRAD_KERNEL, { x, lse, labels, w }) as tf.Tensor;
  const [l, d] = [await lse.data(), await dx.data()];
  at.forEach((j, r) => {
    assert.ok(Number.isNaN(l[r]), `row ${r} (NaN at ${j}): log-sum-exp ${l[r]}`);
    assert.ok(d.slice(r * V, (r + 1) * V).every(Number.isNaN), `row ${r}: gradient not all NaN`);
  });
  assert.ok(Number.isFinite(l[at.length]), "the clean row stays finite");
  tf.dispose([x, w, labels, lse, dx]);
});
