/**
 * Matrix products on the WebGPU backend (internal to the model package): a register-tiled WGSL product that
 * replaces tfjs's `BatchMatMul` on `webgpu` for every product with enough output to fill a GPU.
 *
 * tfjs's own program tiles 32×32 outputs per workgroup, 4×4 per thread, and falls back to one scalar load per
 * multiply-add whenever an operand is transposed or the output width is not a multiple of 4 — GPT-2's LM head
 * (50,257 columns, `wte` read transposed) and every gradient product take that path. This one tiles 128×128
 * (64×64 when that leaves too few workgroups for the GPU's cores): 256 threads, each keeping an 8×8 (4×4)
 * block of sums in registers, with both operands staged through workgroup memory in 8-deep slices laid out so
 * that every thread reads them as `vec4`s. Transposed operands are read in place (the flags choose the load
 * pattern; the loads stay coalesced either way), the edges are bounds-checked at the loads, and the batch is
 * the third dispatch dimension (a batch of 1 broadcasts). A product with a long shared dimension and too few
 * output tiles to fill the GPU (the LM head's input gradient, k = 50,257; the weights' gradients, k = B·T)
 * is split along k into partial products, summed by one more pass.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { runEntries, type WebGpuRunner } from "./webgpu_program.ts";

/** Outputs per workgroup side for the two tilings (threads are always 16×16). */
const TILES = [128, 64] as const;
/** The depth of one slice of the shared dimension. */
const BK = 8;
/** Below this many outputs per batch entry tfjs's own programs (split-K, reduce, small tiles) are kept. */
const MIN_OUTPUTS = 64 * 64;

/** What a product needs to know: shapes as tfjs's `BatchMatMul` sees them. */
export interface ProductShape {
  /** Entries of the batch (the broadcast of both operands' leading dimensions). */
  batch: number;
  /** Rows of the result. */
  m: number;
  /** Columns of the result. */
  n: number;
  /** The shared dimension. */
  k: number;
}

/** How {@link registerMatMulWebGpu}'s kernel runs a product. */
export interface MatMulPlan {
  /** Outputs per workgroup side (128 or 64), or 0 where tfjs's own program is kept. */
  tile: 0 | 128 | 64;
  /** Partial products along k (1: none), summed afterwards. */
  splits: number;
  /** The k entries of each partial product (a multiple of the slice depth). */
  chunk: number;
}

/**
 * Workgroups a product should have before it runs whole: several waves of a large GPU (an H200 holds ~264 of
 * these 256-thread workgroups at once), so that the last, partly filled wave costs little.
 */
const FILL = 1024;
let fill = FILL;
/** The least k a partial product is given. */
const MIN_CHUNK = 256;

/**
 * How a product is run: 128-wide tiles where they make several waves of workgroups; below that, 128-wide tiles
 * over partial products along k when k is long enough to split; else 128-wide tiles if they at least fill the
 * GPU once, 64-wide tiles if not. tfjs's own program is kept for a small output (where its split-K or small
 * tiles fill the GPU better) and for a product with fewer than 16 rows or columns (one position's logits, which
 * tfjs runs as a vector product).
 *
 * @example
 * ```ts ignore
 * matMulPlan({ batch: 1, m: 2048, n: 50257, k: 768 }); // { tile: 128, splits: 1, chunk: 768 }: GPT-2's LM head
 * ```
 */
export function matMulPlan({ batch, m, n, k }: ProductShape, workgroups: number = fill): MatMulPlan {
  const whole = (tile: 0 | 128 | 64): MatMulPlan => ({ tile, splits: 1, chunk: Math.ceil(k / BK) * BK });
  if (m * n < MIN_OUTPUTS || m < 16 || n < 16) return whole(0);
  const tiles = batch * Math.ceil(m / TILES[0]) * Math.ceil(n / TILES[0]);
  if (tiles >= workgroups) return whole(128);
  const splits = Math.min(Math.ceil(workgroups / tiles), Math.floor(k / MIN_CHUNK));
  if (splits < 2) return whole(tiles >= workgroups / 4 ? 128 : 64);
  const chunk = Math.ceil(k / splits / BK) * BK;
  return { tile: 128, splits: Math.ceil(k / chunk), chunk };
}

/** The WGSL of one tiling and pair of transpose flags (inputs `A`, `B`; output `result`). */
export function matMulSource(tile: 128 | 64, transposeA: boolean, transposeB: boolean): string {
  const T = tile / 16; // outputs per thread per side: 8 or 4
  const G = T / 4; // vec4 groups per side: 2 or 1
  const L = (tile * BK) / 256; // values each thread loads per operand per slice: 4 or 2
  const V = tile / 4; // vec4s per row of a slice
  const sums: string[] = [];
  const fmas: string[] = [];
  const stores: string[] = [];
  for (let g = 0; g < G; g++) {
    for (let i = 0; i < 4; i++) {
      for (let h = 0; h < G; h++) {
        const acc = `c${g * 4 + i}_${h}`;
        sums.push(`var ${acc} = vec4<f32>(0.0);`);
        fmas.push(`${acc} = fma(vec4<f32>(a${g}[${i}]), b${h}, ${acc});`);
        const row = `row0 + ${g * 64 + i}`;
        for (let j = 0; j < 4; j++) {
          stores.push(`store(${row}, col0 + ${h * 64 + j}, ${acc}[${j}]);`);
        }
      }
    }
  }
  const readsA = Array.from({ length: G }, (_, g) => `let a${g} = As[kk * ${V} + ${g * 16} + ty];`).join("\n");
  const readsB = Array.from({ length: G }, (_, h) => `let b${h} = Bs[kk * ${V} + ${h * 16} + tx];`).join("\n");
  // Loads: consecutive threads take consecutive addresses of the operand as it lies in memory.
  const loadA = transposeA
    ? `{ // A is K×M: a thread takes ${L} neighbouring rows m of one k
        let k = t / ${tile / L};
        let m = (t % ${tile / L}) * ${L};
        for (var c = 0; c < ${L}; c++) {
          As[k * ${V} + (m + c) / 4][(m + c) % 4] = loadA(k0 + k, row0tile + m + c);
        }
      }`
    : `{ // A is M×K: a thread takes ${L} neighbouring k of one row m
        let m = t / ${BK / L};
        let k = (t % ${BK / L}) * ${L};
        for (var c = 0; c < ${L}; c++) {
          As[(k + c) * ${V} + m / 4][m % 4] = loadA(k0 + k + c, row0tile + m);
        }
      }`;
  const loadB = transposeB
    ? `{ // B is N×K: a thread takes ${L} neighbouring k of one column n
        let n = t / ${BK / L};
        let k = (t % ${BK / L}) * ${L};
        for (var c = 0; c < ${L}; c++) {
          Bs[(k + c) * ${V} + n / 4][n % 4] = loadB(k0 + k + c, col0tile + n);
        }
      }`
    : `{ // B is K×N: a thread takes ${L} neighbouring columns n of one k
        let k = t / ${tile / L};
        let n = (t % ${tile / L}) * ${L};
        for (var c = 0; c < ${L}; c++) {
          Bs[k * ${V} + (n + c) / 4][(n + c) % 4] = loadB(k0 + k, col0tile + n + c);
        }
      }`;
  return `
    var<workgroup> As : array<vec4<f32>, ${BK * V}>;
    var<workgroup> Bs : array<vec4<f32>, ${BK * V}>;
    var<private> offA : i32;
    var<private> offB : i32;
    var<private> offC : i32;

    fn loadA(k : i32, m : i32) -> f32 {
      if (m < uniforms.M && k < uniforms.K) {
        return A[offA + ${transposeA ? "k * uniforms.M + m" : "m * uniforms.K + k"}];
      }
      return 0.0;
    }

    fn loadB(k : i32, n : i32) -> f32 {
      if (n < uniforms.N && k < uniforms.K) {
        return B[offB + ${transposeB ? "n * uniforms.K + k" : "k * uniforms.N + n"}];
      }
      return 0.0;
    }

    fn store(row : i32, col : i32, v : f32) {
      if (row < uniforms.M && col < uniforms.N) {
        result[offC + row * uniforms.N + col] = v;
      }
    }

    fn main() {
      let t = i32(localIndex);
      let tx = i32(localId.x);
      let ty = i32(localId.y);
      // the third dimension runs over the partial products of each batch entry: z = split·batch + b
      let b = i32(workgroupId.z) % uniforms.batch;
      let split = i32(workgroupId.z) / uniforms.batch;
      offA = select(b, 0, uniforms.batchA == 1) * uniforms.M * uniforms.K;
      offB = select(b, 0, uniforms.batchB == 1) * uniforms.K * uniforms.N;
      offC = i32(workgroupId.z) * uniforms.M * uniforms.N;
      let kBegin = split * uniforms.chunk;
      let row0tile = i32(workgroupId.y) * ${tile};
      let col0tile = i32(workgroupId.x) * ${tile};
      let row0 = row0tile + ty * 4;
      let col0 = col0tile + tx * 4;
      ${sums.join("\n      ")}
      // the same trip count in every workgroup (barriers inside); the last split loads zeros past K
      for (var step = 0; step < uniforms.chunk; step += ${BK}) {
        let k0 = kBegin + step;
        ${loadA}
        ${loadB}
        workgroupBarrier();
        for (var kk = 0; kk < ${BK}; kk++) {
          ${readsA}
          ${readsB}
          ${fmas.join("\n          ")}
        }
        workgroupBarrier();
      }
      ${stores.join("\n      ")}
    }`;
}

/** The program object tfjs-backend-webgpu compiles and dispatches. */
class MatMulProgram {
  readonly variableNames: string[] = ["A", "B"];
  readonly uniforms = "M : i32, N : i32, K : i32, batchA : i32, batchB : i32, batch : i32, chunk : i32,";
  readonly outputShape: number[];
  readonly dispatchLayout = { x: [2], y: [1], z: [0] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [16, 16, 1];
  readonly shaderKey: string;
  readonly #source: string;

  constructor(shape: ProductShape, tile: 128 | 64, splits: number, transposeA: boolean, transposeB: boolean) {
    this.outputShape = [splits * shape.batch, shape.m, shape.n];
    this.dispatch = [Math.ceil(shape.n / tile), Math.ceil(shape.m / tile), splits * shape.batch];
    this.shaderKey = `copra_matmul_${tile}_${transposeA}_${transposeB}`;
    this.#source = matMulSource(tile, transposeA, transposeB);
  }

  getUserCode(): string {
    return this.#source;
  }
}

let registered = false;
let enabled = true;

/**
 * Turns the tiled product on or off (on by default), and sets the workgroups a product should have before it
 * runs whole (see {@link matMulPlan}) — for benchmarks that time it against tfjs's own program and itself.
 *
 * @example
 * ```ts ignore
 * useTiledMatMulWebGpu(false); // tfjs's BatchMatMul from here on
 * ```
 */
export function useTiledMatMulWebGpu(on: boolean, workgroups: number = FILL): void {
  enabled = on;
  fill = workgroups;
}

/**
 * Replaces tfjs's `BatchMatMul` on webgpu by one that runs {@link matMulSource}'s program for products with
 * enough output ({@link matMulPlan}) and tfjs's own kernel for the rest (once).
 */
export function registerMatMulWebGpu(): void {
  if (registered) return;
  const original = tf.getKernel("BatchMatMul", "webgpu");
  if (original === undefined) return;
  registered = true;
  tf.unregisterKernel("BatchMatMul", "webgpu");
  tf.registerKernel({
    kernelName: "BatchMatMul",
    backendName: "webgpu",
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
      const ra = a.shape.length, rb = b.shape.length;
      const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
      const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
      const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
      const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
      const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
      const batchA = outerA.reduce((x, y) => x * y, 1), batchB = outerB.reduce((x, y) => x * y, 1);
      // Only batches that agree or where one side is a single matrix; tfjs handles other broadcasts.
      const simple = a.dtype === "float32" && b.dtype === "float32" && k === kb &&
        (batchA === batchB ? outerA.length === outerB.length : batchA === 1 || batchB === 1);
      if (!simple || !enabled || k === 0) return original.kernelFunc(args);
      const batch = Math.max(batchA, batchB);
      const shape = { batch, m, n, k };
      const { tile, splits, chunk } = matMulPlan(shape);
      if (tile === 0) return original.kernelFunc(args);
      const backend = args.backend as WebGpuRunner;
      let out = backend.runWebGPUProgram(
        new MatMulProgram(shape, tile, splits, transposeA, transposeB),
        [a, b],
        "float32",
        [m, n, k, batchA, batchB, batch, chunk].map((v) => ({ type: "int32", data: [v] })),
      );
      if (splits > 1) {
        const parts = out;
        out = runEntries(backend, {
          key: "matmul_splits",
          inputs: { parts },
          shape: [batch, m, n],
          uniforms: [{ name: "splits", type: "i32", value: splits }],
          body: `var sum = 0.0;
            for (var p = 0; p < uniforms.splits; p++) {
              sum = sum + parts[p * uniforms.size + index];
            }
            result[index] = sum;`,
        });
        backend.disposeData(parts.dataId);
      }
      // The program writes [batch, m, n]; the result keeps the operands' leading dimensions.
      const outer = outerA.length >= outerB.length ? outerA : outerB;
      return { dataId: out.dataId, shape: [...outer, m, n], dtype: "float32" };
    },
  });
}
