/**
 * `deno task bench products`: where the wasm backend's matrix products should run. Every products path this
 * process has (`blas` when OpenBLAS loads, `simd-fma`, `simd`, `tfjs`; see `ProductsPath`) is timed in the same
 * run, turn by turn so that a busy machine slows them alike: the tiny preset's training update (batch 16 × 64) and
 * each distinct product of that update. Prints
 * `{"bench":"products","train_step_ms":{path: ms},"ratio_vs_blas":{path: ratio},"products":[…]}` — medians, and
 * ratios of a path's time to the OpenBLAS path's (issue 17's goal for the default path without OpenBLAS: ≤ 1.5).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { availableProducts, type ProductsPath, useBackend, useProducts } from "@copra/model";
import { trainRig } from "./rig.ts";
import { median } from "./util.ts";

/** One product's timing on every path. */
export interface ProductTiming {
  /** Shapes of the operands as stored, and the transpose flags. */
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
  /** Median milliseconds per path. */
  ms: Partial<Record<ProductsPath, number>>;
  /** GFLOP/s per path. */
  gflops: Partial<Record<ProductsPath, number>>;
}

/** The result line. */
export interface ProductsResult {
  bench: "products";
  paths: ProductsPath[];
  train_step_ms: Partial<Record<ProductsPath, number>>;
  ratio_vs_blas: Partial<Record<ProductsPath, number>> | null;
  products: ProductTiming[];
}

/** The products of the tiny preset's update (batch 16 × 64: 1024 rows, C 128, 4 heads, V 256), as tfjs calls them. */
const SHAPES: [number[], number[], boolean, boolean][] = [
  [[1024, 128], [128, 384], false, false], // qkv
  [[1024, 128], [512, 128], false, true], // dx of the MLP's second layer
  [[1024, 512], [1024, 128], true, false], // its weight gradient
  [[1024, 128], [128, 512], false, false], // MLP up
  [[64, 64, 32], [64, 64, 32], false, true], // attention scores
  [[64, 64, 64], [64, 64, 32], false, false], // attention-weighted values
  [[1024, 128], [256, 128], false, true], // LM head (tied wte)
  [[1, 1024], [1024, 128], false, false], // column sums (bias gradients)
];

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Runs the benchmark. */
export async function benchProducts(options: { steps?: number } = {}): Promise<ProductsResult> {
  await useBackend("wasm");
  const paths = availableProducts();
  const rounds = options.steps ?? 9;

  const products: ProductTiming[] = [];
  for (const [sa, sb, ta, tb] of SHAPES) {
    const a = tf.randomNormal(sa, 0, 1, "float32", 1), b = tf.randomNormal(sb, 0, 1, "float32", 2);
    const M = ta ? sa[sa.length - 1] : sa[sa.length - 2], K = ta ? sa[sa.length - 2] : sa[sa.length - 1];
    const N = tb ? sb[sb.length - 2] : sb[sb.length - 1];
    const flops = 2 * (sa.length === 3 ? sa[0] : 1) * M * N * K;
    const times = new Map<ProductsPath, number[]>(paths.map((p) => [p, []]));
    for (let r = 0; r < rounds + 1; r++) {
      for (const path of paths) {
        useProducts(path);
        const reps = path === "tfjs" ? 1 : 5;
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) tf.matMul(a, b, ta, tb).dispose();
        if (r > 0) times.get(path)!.push((performance.now() - t0) / reps);
      }
    }
    a.dispose();
    b.dispose();
    const ms: ProductTiming["ms"] = {}, gflops: ProductTiming["gflops"] = {};
    for (const [path, xs] of times) {
      ms[path] = round(median(xs), 3);
      gflops[path] = round(flops / median(xs) / 1e6, 1);
    }
    products.push({ a: sa, b: sb, transposeA: ta, transposeB: tb, ms, gflops });
  }

  const rig = trainRig("tiny");
  const stepTimes = new Map<ProductsPath, number[]>(paths.map((p) => [p, []]));
  for (let r = 0; r < rounds + 2; r++) {
    for (const path of paths) {
      useProducts(path);
      const { ms } = await rig.step(16, 64);
      if (r >= 2) stepTimes.get(path)!.push(ms);
    }
  }
  rig.dispose();
  const train_step_ms: ProductsResult["train_step_ms"] = {};
  for (const [path, xs] of stepTimes) train_step_ms[path] = round(median(xs), 1);
  const blas = train_step_ms.blas;
  const ratio_vs_blas = blas === undefined
    ? null
    : Object.fromEntries(paths.map((p) => [p, round(train_step_ms[p]! / blas, 2)]));
  useProducts(paths[0]);
  return { bench: "products", paths, train_step_ms, ratio_vs_blas, products };
}
