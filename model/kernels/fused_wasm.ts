/**
 * The GPT block's fused row and elementwise kernels on the wasm backend (internal to the model package), in wasm
 * SIMD (`fused.wat`) over the backend's memory, registered under the names of their WGSL twins so that
 * `layer_norm.ts`, `attention.ts` and `gelu.ts` take one path for both:
 * - `CopraLayerNorm` (x, w, b; eps) and `CopraLayerNormGrads` (dy, x, w; eps → dx and dy·x̂, one pass for both);
 *   `CopraLayerNormGradsSummed` (the same pass → dx, dw, db: the parameters' gradients summed in it; wasm only);
 * - `CopraMaskedSoftmax` (x, bias; scale) and `CopraSoftmaxGrad` (dp, s; scale);
 * - `CopraGelu` (x → y, s: GELU's value and gate in one pass; webgpu has the gate alone, `CopraGeluSigmoid`) and
 *   `CopraGeluGrad` (dy, x, s);
 * - `CopraColumnSums` (t → Σ over every axis but the last; wasm only);
 * - `CopraGlobalNorm` (g0…gN → √Σ g², summed in float64: AdamW's gradient norm in one call; wasm only);
 * - `CopraRope` (x, cos, sin; sign → rotary positions applied, or with sign −1 their gradient; wasm only);
 * - `CopraAffine` (x (…,C), w, b → x·w + b: the product where `products.ts` sends it, x's leading axes as rows, the
 *   bias added in place; wasm only) and `CopraAffineGrad` (dy, x, w → dx, dw, db in one call);
 * - `CopraSplitHeads` and `CopraMergeHeads` (attention's head split and merge, `heads.ts`; wasm only);
 * - tfjs's own `ArgMax` over the last axis of float32 numbers (greedy decoding's token choice over the vocabulary),
 *   one SIMD pass per row instead of tfjs-wasm's scalar loop; other axes and types keep tfjs's kernel;
 * - and tfjs's own `Add` and `Multiply` of two float32 tensors of the same shape (backprop's gradient sums, the residual
 *   stream, dropout), one SIMD pass without XNNPACK's per-call set-up; broadcasts and other types keep tfjs's kernels.
 * On CPU each composite they replace is 6–11 tfjs kernel calls and as many passes over the tensor, and at the small
 * sizes of a decoded token or of copra's small models the calls' host overhead (~10 µs each) is most of a step.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { heapOffset as at, replaceWasmKernel, wasmHeap, wasmModule } from "../wasm_heap.ts";
import { FUSED_WASM } from "./fused_wasm_bytes.ts";
import { MASKED_SOFTMAX_KERNEL, SOFTMAX_GRAD_KERNEL } from "./attention_webgpu.ts";
import { GELU_A, GELU_GRAD_KERNEL, GELU_K, GELU_KERNEL } from "./gelu_webgpu.ts";
import { LAYER_NORM_GRADS_KERNEL, LAYER_NORM_KERNEL } from "./layer_norm_webgpu.ts";
import { MERGE_HEADS_KERNEL, registerHeadsGradients, SPLIT_HEADS_KERNEL } from "./heads.ts";

/** Sums over every axis but the last (input t (…,C); output (C)): the biases' and LayerNorm's parameter gradients. */
export const COLUMN_SUMS_KERNEL = "CopraColumnSums";

/**
 * LayerNorm's gradients in one call (inputs dy, x (…,C), w (C); attr eps; outputs dx (…,C), dw (C), db (C)): dw and
 * db the column sums of dy·x̂ and dy, the same numbers as `CopraLayerNormGrads` followed by two `CopraColumnSums`.
 */
export const LAYER_NORM_GRADS_SUMMED_KERNEL = "CopraLayerNormGradsSummed";

/** x (B,H,T,D), cos and sin (B|1,1,T,D); attr sign (1 forward, −1 the gradient) → x rotated (`rope.ts`). */
export const ROPE_KERNEL = "CopraRope";

/** x (…,C), w (C,M), b (M) → x·w + b (…,M): the same numbers as a product, then an add, in one kernel call. */
export const AFFINE_KERNEL = "CopraAffine";
/** affine's gradient in one call (inputs dy (…,M), x (…,C), w (C,M); outputs dx (…,C), dw (C,M), db (M)). */
export const AFFINE_GRAD_KERNEL = "CopraAffineGrad";

/** The L2 norm of all inputs together (`g0` … `g{n−1}`, float32; output a float32 scalar), summed in float64. */
export const GLOBAL_NORM_KERNEL = "CopraGlobalNorm";

/**
 * a·b with transpose flags through the wasm `BatchMatMul` kernel (products.ts's dispatcher: OpenBLAS, copra's SIMD
 * kernel or tfjs's), called directly from inside another kernel; looked up per call, as the dispatcher may be
 * installed after these kernels.
 */
export function wasmProduct(
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  backend: object,
): tf.TensorInfo {
  return tf.getKernel("BatchMatMul", "wasm")!.kernelFunc({
    inputs: { a, b },
    attrs: { transposeA, transposeB },
    backend: backend as tf.KernelBackend,
  }) as tf.TensorInfo;
}

/** The module's exports: byte offsets into the backend's memory, then sizes and constants. */
interface Fused {
  layer_norm(x: number, w: number, b: number, rows: number, C: number, eps: number, y: number): void;
  layer_norm_grad(
    dy: number,
    x: number,
    w: number,
    rows: number,
    C: number,
    eps: number,
    dx: number,
    dyx: number,
    db: number,
    acc: number,
  ): void;
  masked_softmax(
    x: number,
    bias: number,
    rows: number,
    K: number,
    H: number,
    T: number,
    biasBatch: number,
    scale: number,
    s: number,
  ): void;
  softmax_grad(dp: number, s: number, rows: number, K: number, scale: number, ds: number): void;
  gelu(x: number, n: number, k: number, a: number, s: number, y: number): void;
  gelu_grad(dy: number, x: number, s: number, n: number, k: number, a: number, dx: number): void;
  column_sums(t: number, rows: number, C: number, out: number): void;
  argmax(x: number, rows: number, n: number, out: number): void;
  add_same(a: number, b: number, out: number, n: number): void;
  mul_same(a: number, b: number, out: number, n: number): void;
  sum_squares(t: number, n: number): number;
  add_rows(c: number, b: number, rows: number, N: number): void;
  rope(
    x: number,
    cos: number,
    sin: number,
    B: number,
    H: number,
    T: number,
    D: number,
    tb: number,
    sign: number,
    y: number,
  ): void;
  heads(
    tok: number,
    head: number,
    B: number,
    T: number,
    H: number,
    D: number,
    stride: number,
    offset: number,
    toHeads: number,
  ): void;
}

let registered = false;

/** Registers the kernels for the wasm backend (once), where the engine has wasm SIMD. */
export function registerFusedWasm(): void {
  if (registered) return;
  registered = true;
  const fused = wasmModule<Fused>(FUSED_WASM);
  if (!fused) return; // no wasm SIMD: the composites stay
  // Offsets (`at`) are taken after every allocation of the call, which may grow (and move) the memory.
  const register = (kernelName: string, kernelFunc: tf.KernelFunc) =>
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc });
  const last = (t: tf.TensorInfo) => t.shape[t.shape.length - 1] ?? 1;
  const rows = (t: tf.TensorInfo) => last(t) === 0 ? 0 : tf.util.sizeFromShape(t.shape) / last(t);

  register(LAYER_NORM_KERNEL, ({ inputs, attrs, backend }) => {
    const { x, w, b } = inputs as Record<string, tf.TensorInfo>;
    const heap = wasmHeap(backend);
    const y = heap.makeOutput(x.shape, "float32");
    const { eps } = attrs as { eps: number };
    fused(heap).layer_norm(at(heap, x), at(heap, w), at(heap, b), rows(x), last(x), eps, at(heap, y));
    return y;
  });
  // LayerNorm's gradients, one row pass: dx with dy·x̂ per row (the WGSL twin's outputs), or with dy·x̂ and dy summed
  // over the rows in the same pass (the weight's and bias's gradients).
  const layerNormGrads = (summed: boolean): tf.KernelFunc => ({ inputs, attrs, backend }) => {
    const { dy, x, w } = inputs as Record<string, tf.TensorInfo>;
    const heap = wasmHeap(backend);
    const sums = summed ? [last(x)] : x.shape;
    const dx = heap.makeOutput(x.shape, "float32"), dw = heap.makeOutput(sums, "float32");
    const db = summed ? heap.makeOutput(sums, "float32") : undefined;
    const { eps } = attrs as { eps: number };
    fused(heap).layer_norm_grad(
      at(heap, dy),
      at(heap, x),
      at(heap, w),
      rows(x),
      last(x),
      eps,
      at(heap, dx),
      at(heap, dw),
      db ? at(heap, db) : 0,
      summed ? 1 : 0,
    );
    return db ? [dx, dw, db] : [dx, dw];
  };
  register(LAYER_NORM_GRADS_KERNEL, layerNormGrads(false));
  register(LAYER_NORM_GRADS_SUMMED_KERNEL, layerNormGrads(true));
  register(MASKED_SOFTMAX_KERNEL, ({ inputs, attrs, backend }) => {
    const { x, bias } = inputs as Record<string, tf.TensorInfo>;
    const [, H, T, K] = x.shape;
    const heap = wasmHeap(backend);
    const s = heap.makeOutput(x.shape, "float32");
    const { scale } = attrs as { scale: number };
    fused(heap).masked_softmax(at(heap, x), at(heap, bias), rows(x), K, H, T, bias.shape[0], scale, at(heap, s));
    return s;
  });
  register(SOFTMAX_GRAD_KERNEL, ({ inputs, attrs, backend }) => {
    const { dp, s } = inputs as Record<string, tf.TensorInfo>;
    const heap = wasmHeap(backend);
    const ds = heap.makeOutput(dp.shape, "float32");
    const { scale } = attrs as { scale: number };
    fused(heap).softmax_grad(at(heap, dp), at(heap, s), rows(dp), last(dp), scale, at(heap, ds));
    return ds;
  });
  register(GELU_KERNEL, ({ inputs, backend }) => {
    const { x } = inputs as Record<string, tf.TensorInfo>;
    const heap = wasmHeap(backend);
    const y = heap.makeOutput(x.shape, "float32"), s = heap.makeOutput(x.shape, "float32");
    fused(heap).gelu(at(heap, x), tf.util.sizeFromShape(x.shape), GELU_K, GELU_A, at(heap, s), at(heap, y));
    return [y, s];
  });
  register(GELU_GRAD_KERNEL, ({ inputs, backend }) => {
    const { dy, x, s } = inputs as Record<string, tf.TensorInfo>;
    const heap = wasmHeap(backend);
    const dx = heap.makeOutput(x.shape, "float32");
    const n = tf.util.sizeFromShape(x.shape);
    fused(heap).gelu_grad(at(heap, dy), at(heap, x), at(heap, s), n, GELU_K, GELU_A, at(heap, dx));
    return dx;
  });
  replaceWasmKernel("ArgMax", (argMax) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis } = args.attrs as { axis: number }; // tf.argMax's axis as given (negative counts from the end)
    const rank = x.shape.length;
    if (x.dtype !== "float32" || rank === 0 || (axis !== rank - 1 && axis !== -1) || last(x) === 0) {
      return argMax.kernelFunc(args);
    }
    const heap = wasmHeap(args.backend);
    const out = heap.makeOutput(x.shape.slice(0, -1), "int32");
    fused(heap).argmax(at(heap, x), rows(x), last(x), at(heap, out));
    return out;
  });
  // tfjs's own `Add` and `Multiply` for two float32 tensors of one shape (the gradients' sums in backprop, the
  // residual stream, dropout): one SIMD pass without XNNPACK's per-call set-up; broadcasting and other types keep
  // tfjs's kernels. The same numbers: IEEE float32 arithmetic element by element either way.
  for (const [name, op] of [["Add", "add_same"], ["Multiply", "mul_same"]] as const) {
    replaceWasmKernel(name, (original) => (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const n = tf.util.sizeFromShape(a.shape);
      if (a.dtype !== "float32" || b.dtype !== "float32" || !tf.util.arraysEqual(a.shape, b.shape) || n === 0) {
        return original.kernelFunc(args);
      }
      const heap = wasmHeap(args.backend);
      const out = heap.makeOutput(a.shape, "float32");
      fused(heap)[op](at(heap, a), at(heap, b), at(heap, out), n);
      return out;
    });
  }
  register(COLUMN_SUMS_KERNEL, ({ inputs, backend }) => {
    const { t } = inputs as Record<string, tf.TensorInfo>;
    const heap = wasmHeap(backend);
    const out = heap.makeOutput([last(t)], "float32");
    fused(heap).column_sums(at(heap, t), rows(t), last(t), at(heap, out));
    return out;
  });
  register(ROPE_KERNEL, ({ inputs, attrs, backend }) => {
    const { x, cos, sin } = inputs as Record<string, tf.TensorInfo>;
    const { sign } = attrs as unknown as { sign: number };
    const [B, H, T, D] = x.shape;
    const heap = wasmHeap(backend);
    const y = heap.makeOutput(x.shape, "float32");
    fused(heap).rope(at(heap, x), at(heap, cos), at(heap, sin), B, H, T, D, cos.shape[0], sign, at(heap, y));
    return y;
  });
  // The affine layer's products go through the wasm BatchMatMul kernel registered now (products.ts's dispatcher:
  // OpenBLAS, copra's SIMD kernel or tfjs's), with x and dy read as (N,C) and (N,M) matrices in place (the same memory
  // under a 2-D shape); outputs are fresh, so the bias goes in place.
  const matrix = (t: tf.TensorInfo): tf.TensorInfo => ({ ...t, shape: [rows(t), last(t)] });
  register(AFFINE_KERNEL, ({ inputs, backend }) => {
    const { x, w, b } = inputs as Record<string, tf.TensorInfo>;
    const y = wasmProduct(matrix(x), w, false, false, backend);
    const heap = wasmHeap(backend);
    fused(heap).add_rows(at(heap, y), at(heap, b), rows(y), last(y));
    return { ...y, shape: [...x.shape.slice(0, -1), last(y)] };
  });
  register(AFFINE_GRAD_KERNEL, ({ inputs, backend }) => {
    // affine's composite gradient in one call: dy·wᵀ, xᵀ·dy (by transpose flags) and dy's column sums
    const { dy, x, w } = inputs as Record<string, tf.TensorInfo>;
    const dx = wasmProduct(matrix(dy), w, false, true, backend);
    const dw = wasmProduct(matrix(x), matrix(dy), true, false, backend);
    const heap = wasmHeap(backend);
    const db = heap.makeOutput([last(dy)], "float32");
    fused(heap).column_sums(at(heap, dy), rows(dy), last(dy), at(heap, db));
    return [{ ...dx, shape: x.shape }, dw, db];
  });
  register(GLOBAL_NORM_KERNEL, ({ inputs, backend }) => {
    const heap = wasmHeap(backend);
    const out = heap.makeOutput([], "float32");
    let sum = 0; // float64, tensor after tensor in input order (g0, g1, …: names keep their insertion order)
    for (const g of Object.values(inputs as Record<string, tf.TensorInfo>)) {
      sum += fused(heap).sum_squares(at(heap, g), tf.util.sizeFromShape(g.shape));
    }
    heap.typedArrayFromHeap(out)[0] = Math.sqrt(sum);
    return out;
  });
  registerHeadsGradients(); // backend-independent: each of the two kernels below is the other's gradient
  register(SPLIT_HEADS_KERNEL, ({ inputs, attrs, backend }) => {
    const { x } = inputs as Record<string, tf.TensorInfo>;
    const { parts, heads } = attrs as unknown as { parts: number; heads: number };
    const [B, T, W] = x.shape, C = W / parts, D = C / heads;
    const heap = wasmHeap(backend);
    const outs = Array.from({ length: parts }, () => heap.makeOutput([B, heads, T, D], "float32"));
    for (let j = 0; j < parts; j++) fused(heap).heads(at(heap, x), at(heap, outs[j]), B, T, heads, D, W, j * C, 1);
    return outs;
  });
  register(MERGE_HEADS_KERNEL, ({ inputs, attrs, backend }) => {
    const { parts } = attrs as unknown as { parts: number };
    const xs = Array.from({ length: parts }, (_, j) => (inputs as Record<string, tf.TensorInfo>)[`x${j}`]);
    const [B, H, T, D] = xs[0].shape, W = parts * H * D;
    const heap = wasmHeap(backend);
    const y = heap.makeOutput([B, T, W], "float32");
    for (let j = 0; j < parts; j++) fused(heap).heads(at(heap, y), at(heap, xs[j]), B, T, H, D, W, j * H * D, 0);
    return y;
  });
}
