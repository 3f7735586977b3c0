import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../mod.ts";
import { matMulPlan } from "./matmul_webgpu.ts";

/** Deterministic operand values (no two equal rows or columns, so a swapped index shows). */
function values(n: number, salt: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + salt) + ((i * 7 + salt) % 5) * 0.1);
}

interface Case {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
}

/** The product of `c` on a backend, and how many programs its tiling ran with (0: tfjs's own kernel). */
async function productOn(backend: "cpu" | "webgpu", c: Case): Promise<{ shape: number[]; data: Float32Array }> {
  await useBackend(backend);
  const a = tf.tensor(values(c.a.reduce((x, y) => x * y, 1), 1), c.a);
  const b = tf.tensor(values(c.b.reduce((x, y) => x * y, 1), 2), c.b);
  const y = tf.matMul(a, b, c.transposeA, c.transposeB);
  const data = await y.data() as Float32Array;
  const shape = y.shape;
  tf.dispose([a, b, y]);
  return { shape, data };
}

// Shapes that take each tiling (128, 64), partial products along k, and tfjs's own kernel, with every pair of
// flags, edges that are not multiples of the tile, a shared dimension that is not a multiple of the slice depth
// (nor of the partial products' length), and batches that agree or broadcast one matrix.
const CASES: (Case & { tile: 0 | 64 | 128; splits: number })[] = [
  { a: [2100, 11], b: [11, 2050], transposeA: false, transposeB: false, tile: 128, splits: 1 },
  { a: [11, 2100], b: [2050, 11], transposeA: true, transposeB: true, tile: 128, splits: 1 },
  { a: [64, 130, 37], b: [64, 260, 37], transposeA: false, transposeB: true, tile: 128, splits: 1 },
  { a: [64, 37, 130], b: [37, 260], transposeA: true, transposeB: false, tile: 128, splits: 1 },
  { a: [300, 2000], b: [2000, 200], transposeA: false, transposeB: false, tile: 128, splits: 7 },
  { a: [2000, 300], b: [200, 2000], transposeA: true, transposeB: true, tile: 128, splits: 7 },
  { a: [300, 1001], b: [200, 1001], transposeA: false, transposeB: true, tile: 128, splits: 3 },
  { a: [3, 70, 600], b: [600, 65], transposeA: false, transposeB: false, tile: 128, splits: 2 },
  { a: [3, 70, 29], b: [3, 29, 65], transposeA: false, transposeB: false, tile: 64, splits: 1 },
  { a: [3, 29, 70], b: [3, 65, 29], transposeA: true, transposeB: true, tile: 64, splits: 1 },
  { a: [2, 3, 70, 29], b: [2, 3, 65, 29], transposeA: false, transposeB: true, tile: 64, splits: 1 },
  { a: [70, 29], b: [4, 29, 65], transposeA: false, transposeB: false, tile: 64, splits: 1 },
  { a: [4, 29, 70], b: [29, 65], transposeA: true, transposeB: false, tile: 64, splits: 1 },
  { a: [5, 9], b: [9, 7], transposeA: false, transposeB: false, tile: 0, splits: 1 },
];

Deno.test("the WebGPU product equals the cpu backend's for every tiling, flag pair and batch broadcast", async () => {
  for (const c of CASES) {
    const m = c.transposeA ? c.a[c.a.length - 1] : c.a[c.a.length - 2];
    const n = c.transposeB ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
    const k = c.transposeA ? c.a[c.a.length - 2] : c.a[c.a.length - 1];
    const batch = Math.max(c.a.slice(0, -2).reduce((x, y) => x * y, 1), c.b.slice(0, -2).reduce((x, y) => x * y, 1));
    const plan = matMulPlan({ batch, m, n, k });
    assert.deepEqual([plan.tile, plan.splits], [c.tile, c.splits], `plan of ${JSON.stringify(c)}`);
    const cpu = await productOn("cpu", c);
    const gpu = await productOn("webgpu", c);
    assert.deepEqual(gpu.shape, cpu.shape);
    // float32 sums of up to 2,000 terms in another order: relative to the entry's size
    let worst = 0;
    for (let i = 0; i < cpu.data.length; i++) {
      worst = Math.max(worst, Math.abs(cpu.data[i] - gpu.data[i]) / (1 + Math.abs(cpu.data[i])));
    }
    assert.ok(worst < 1e-5, `${JSON.stringify(c)}: largest relative difference ${worst}`);
  }
  await useBackend("wasm");
});

Deno.test("the WebGPU product keeps tfjs's kernel for small outputs, runs several waves whole, else splits k", () => {
  const plan = (m: number, n: number, k: number, batch = 1) => {
    const p = matMulPlan({ batch, m, n, k });
    return [p.tile, p.splits, p.chunk];
  };
  // GPT-2 124M at B·T = 2048
  assert.deepEqual(plan(2048, 50257, 768), [128, 1, 768]); // the LM head: 6,288 tiles
  assert.deepEqual(plan(2048, 768, 50257), [128, 11, 4576]); // its input gradient: 96 tiles, k split in 11
  assert.deepEqual(plan(768, 768, 2048), [128, 8, 256]); // a weight's gradient: 36 tiles
  assert.deepEqual(plan(2048, 2304, 768), [128, 3, 256]); // the qkv product: 288 tiles
  assert.deepEqual(plan(256, 256, 64, 96), [128, 1, 64]); // attention scores, B·H = 96: k too short to split
  assert.deepEqual(plan(256, 64, 256, 96), [64, 1, 256]); // attention's values: 192 big tiles, k too short
  assert.deepEqual(plan(1, 50257, 768), [0, 1, 768]); // one position's logits
  // a plan for fewer workgroups splits less
  assert.deepEqual(matMulPlan({ batch: 1, m: 2048, n: 2304, k: 768 }, 256), { tile: 128, splits: 1, chunk: 768 });
});
