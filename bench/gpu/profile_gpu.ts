// deno-lint-ignore-file no-console
/**
 * Where a WebGPU training step spends GPU time, per program, from the GPU's own timestamps (issue 17, point 4):
 *
 * 1. the adapter, and whether it has `timestamp-query` (asked for here, on the bench's device only);
 * 2. the cost of one small dispatch (a chain of tiny adds, then one read);
 * 3. each matrix product of the step at its real shape, copra's tiled WGSL product against tfjs's own program
 *    (wall ms per product over ten products then one read; GPU ms and GFLOP/s of one product by timestamps);
 * 4. the training step (median wall ms) with either product;
 * 5. one step under `tf.profile`, every program timed by timestamps: GPU ms summed by kernel and by kernel and
 *    shape, most first.
 *
 *   deno run -A --unstable-webgpu profile_gpu.bundle.js [preset] [batch] [seq]
 *
 * Prints JSON lines.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { type PresetName, useBackend } from "@copra/model";
import { useTiledMatMulWebGpu } from "../../model/kernels/matmul_webgpu.ts";
import { trainRig } from "../rig.ts";

const [preset = "gpt2", batchText = "8", seqText = "256"] = Deno.args;
const batch = Number(batchText), seq = Number(seqText);

// Timestamps are for profiling only, so the library leaves them off; this bench's device asks for them.
const proto = (globalThis as unknown as { GPUAdapter: { prototype: GPUAdapter } }).GPUAdapter.prototype;
const requestDevice = proto.requestDevice;
let timestamps = false;
proto.requestDevice = function (this: GPUAdapter, descriptor?: GPUDeviceDescriptor) {
  const features = [...(descriptor?.requiredFeatures ?? [])];
  if (this.features.has("timestamp-query")) {
    features.push("timestamp-query");
    timestamps = true;
  }
  return requestDevice.call(this, { ...descriptor, requiredFeatures: features });
};
const info = await useBackend("webgpu");
console.log(JSON.stringify({ adapter: info.adapter, timestamps }));

const rig = trainRig(preset as PresetName);
const { config } = rig;

/** Milliseconds per call of `f` (n calls after one warm-up, then one 4-byte read). */
async function perCall(f: () => tf.Tensor, n: number): Promise<number> {
  const warm = f();
  await tf.sum(warm).data();
  warm.dispose();
  const t0 = performance.now();
  let last: tf.Tensor | undefined;
  for (let i = 0; i < n; i++) {
    last?.dispose();
    last = f();
  }
  const s = tf.sum(last!);
  await s.data();
  const ms = (performance.now() - t0) / n;
  tf.dispose([s, last!]);
  return ms;
}

// 2. one small dispatch
{
  const x = tf.ones([256]);
  const ms = await perCall(() => {
    let y = tf.add(x, 1);
    for (let i = 0; i < 499; i++) {
      const z = tf.add(y, 1);
      y.dispose();
      y = z;
    }
    return y;
  }, 4);
  x.dispose();
  console.log(JSON.stringify({ part: "dispatch", us_per_dispatch: Math.round((ms / 500) * 1000 * 10) / 10 }));
}

// copra's product as planned by default (several waves of workgroups before a product runs whole), with a
// plan that splits k only below one wave of 256 workgroups, and tfjs's own program
const VARIANTS: [string, boolean, number][] = [["copra", true, 1024], ["copra_fill256", true, 256], ["tfjs", false, 0]];

// 3. the step's products at their shapes (B·T rows, C = n_embd, V = vocab, H heads of D)
const BT = batch * seq, C = config.n_embd, V = config.vocab_size, H = config.n_head, D = C / H;
const products: [string, number[], number[], boolean, boolean][] = [
  ["lm head: h @ wte^T", [BT, C], [V, C], false, true],
  ["lm head grad dh: dlogits @ wte", [BT, V], [V, C], false, false],
  ["lm head grad dwte: dlogits^T @ h", [BT, V], [BT, C], true, false],
  ["qkv: x @ c_attn", [BT, C], [C, 3 * C], false, false],
  ["mlp up: x @ c_fc", [BT, C], [C, 4 * C], false, false],
  ["mlp down: h @ c_proj", [BT, 4 * C], [4 * C, C], false, false],
  ["mlp down grad dw: h^T @ dy", [BT, 4 * C], [BT, C], true, false],
  ["attn proj grad dw: x^T @ dy", [BT, C], [BT, C], true, false],
  ["attn scores: q @ k^T", [batch * H, seq, D], [batch * H, seq, D], false, true],
  ["attn values: p @ v", [batch * H, seq, seq], [batch * H, seq, D], false, false],
];
for (const [name, as, bs, ta, tb] of products) {
  const a = tf.randomNormal(as, 0, 0.02, "float32", 1), b = tf.randomNormal(bs, 0, 0.02, "float32", 2);
  const m = ta ? as[as.length - 1] : as[as.length - 2], k = ta ? as[as.length - 2] : as[as.length - 1];
  const n = tb ? bs[bs.length - 2] : bs[bs.length - 1];
  const flops = 2 * (as.length === 3 ? as[0] : 1) * m * n * k;
  const row: Record<string, unknown> = { part: "product", name, m, n, k };
  for (const [who, tiled, fill] of VARIANTS) {
    useTiledMatMulWebGpu(tiled, fill);
    const ms = await perCall(() => tf.matMul(a, b, ta, tb), 10);
    row[`${who}_ms`] = Math.round(ms * 100) / 100;
    if (timestamps) {
      // the GPU's own time for the product's programs (the wall figure above includes the host's share)
      const profile = await tf.profile(() => tf.matMul(a, b, ta, tb));
      const gpu = profile.kernels.reduce((sum, k) => sum + (Number(k.kernelTimeMs) || 0), 0);
      tf.dispose(profile.result as tf.Tensor);
      row[`${who}_gpu_ms`] = Math.round(gpu * 100) / 100;
      row[`${who}_gflops`] = Math.round(flops / gpu / 1e6);
    }
  }
  useTiledMatMulWebGpu(true);
  tf.dispose([a, b]);
  console.log(JSON.stringify(row));
}

// 4. the step, with each product
for (const [who, tiled, fill] of VARIANTS) {
  useTiledMatMulWebGpu(tiled, fill);
  const times: number[] = [];
  let loss = NaN;
  for (let i = 0; i < 5; i++) {
    const r = await rig.step(batch, seq);
    if (i >= 2) times.push(r.ms);
    loss = r.loss;
  }
  times.sort((x, y) => x - y);
  console.log(JSON.stringify({ part: "step", products: who, ms: Math.round(times[1] * 10) / 10, loss }));
}
useTiledMatMulWebGpu(true);

// 5. one step, every program timed
if (timestamps) {
  const profile = await tf.profile(async () => {
    await rig.step(batch, seq);
  });
  const byKernel = new Map<string, { ms: number; n: number }>();
  const byShape = new Map<string, { ms: number; n: number }>();
  let total = 0;
  for (const k of profile.kernels) {
    const ms = Number(k.kernelTimeMs) || 0;
    total += ms;
    const shape = `${k.name} ${JSON.stringify(k.inputShapes)}`;
    for (const [map, key] of [[byKernel, k.name], [byShape, shape]] as const) {
      const e = map.get(key) ?? { ms: 0, n: 0 };
      e.ms += ms;
      e.n += 1;
      map.set(key, e);
    }
  }
  const top = (map: Map<string, { ms: number; n: number }>, count: number) =>
    [...map].sort((x, y) => y[1].ms - x[1].ms).slice(0, count).map((
      [key, e],
    ) => [key, Math.round(e.ms * 100) / 100, e.n]);
  console.log(
    JSON.stringify({ part: "profile", kernels: profile.kernels.length, gpu_ms: Math.round(total * 10) / 10 }),
  );
  console.log(JSON.stringify({ part: "profile by kernel", top: top(byKernel, 30) }));
  console.log(JSON.stringify({ part: "profile by shape", top: top(byShape, 30) }));
}
rig.dispose();
