import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../mod.ts";
import { matMulTile } from "./matmul_webgpu.ts";

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

// Shapes that take each tiling (128, 64) and tfjs's own kernel, with every pair of flags, edges that are not
// multiples of the tile, a shared dimension that is not a multiple of the slice depth, and batches that agree
// or broadcast one matrix.
const CASES: (Case & { tile: 0 | 64 | 128 })[] = [
  { a: [2100, 11], b: [11, 2050], transposeA: false, transposeB: false, tile: 128 },
  { a: [11, 2100], b: [2050, 11], transposeA: true, transposeB: true, tile: 128 },
  { a: [64, 130, 37], b: [64, 260, 37], transposeA: false, transposeB: true, tile: 128 },
  { a: [64, 37, 130], b: [37, 260], transposeA: true, transposeB: false, tile: 128 },
  { a: [3, 70, 29], b: [3, 29, 65], transposeA: false, transposeB: false, tile: 64 },
  { a: [3, 29, 70], b: [3, 65, 29], transposeA: true, transposeB: true, tile: 64 },
  { a: [2, 3, 70, 29], b: [2, 3, 65, 29], transposeA: false, transposeB: true, tile: 64 },
  { a: [70, 29], b: [4, 29, 65], transposeA: false, transposeB: false, tile: 64 },
  { a: [4, 29, 70], b: [29, 65], transposeA: true, transposeB: false, tile: 64 },
  { a: [5, 9], b: [9, 7], transposeA: false, transposeB: false, tile: 0 },
];

Deno.test("the WebGPU product equals the cpu backend's for every tiling, flag pair and batch broadcast", async () => {
  for (const c of CASES) {
    const m = c.transposeA ? c.a[c.a.length - 1] : c.a[c.a.length - 2];
    const n = c.transposeB ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
    const k = c.transposeA ? c.a[c.a.length - 2] : c.a[c.a.length - 1];
    const batch = Math.max(c.a.slice(0, -2).reduce((x, y) => x * y, 1), c.b.slice(0, -2).reduce((x, y) => x * y, 1));
    assert.equal(matMulTile({ batch, m, n, k }), c.tile, `tiling of ${JSON.stringify(c)}`);
    const cpu = await productOn("cpu", c);
    const gpu = await productOn("webgpu", c);
    assert.deepEqual(gpu.shape, cpu.shape);
    let worst = 0;
    for (let i = 0; i < cpu.data.length; i++) worst = Math.max(worst, Math.abs(cpu.data[i] - gpu.data[i]));
    assert.ok(worst < 1e-4, `${JSON.stringify(c)}: largest difference ${worst}`);
  }
  await useBackend("wasm");
});

Deno.test("the WebGPU product keeps tfjs's kernel for small outputs and picks the larger tile when it fills the GPU", () => {
  assert.equal(matMulTile({ batch: 1, m: 2048, n: 50257, k: 768 }), 128); // GPT-2's LM head
  assert.equal(matMulTile({ batch: 1, m: 768, n: 768, k: 2048 }), 64); // a weight's gradient: 36 big tiles
  assert.equal(matMulTile({ batch: 96, m: 256, n: 256, k: 64 }), 128); // attention scores, B·H = 96
  assert.equal(matMulTile({ batch: 1, m: 1, n: 50257, k: 768 }), 0); // one position's logits
});
