/**
 * tfjs's `Concat`, `SplitV` and `Slice` on the wasm backend as strided copies inside the backend's memory
 * (`copy.wat`: `count` runs of `run` bytes, one wasm call per input or output) instead of tfjs-wasm's JavaScript: its
 * `Slice` first copies the whole input out of the heap (`readSync`) and its `Concat` and copra's earlier `SplitV` set
 * one `subarray` per row. A Coconut step runs them at every pass: the KV cache grows by `Concat`, each pass's chunk,
 * mask and positions are `Slice`s, and their gradients `SplitV`s. Pure copies: the same bytes as tfjs's kernels.
 * Strings keep tfjs's kernels. Internal to the model package.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { heapOffset, replaceWasmKernel, type WasmHeap, wasmHeap, wasmModule } from "../wasm_heap.ts";
import { COPY_WASM } from "./copy_wasm_bytes.ts";

/** The module's export (byte offsets into the backend's memory). */
interface CopyModule {
  copy_runs(dst: number, src: number, count: number, run: number, dstStride: number, srcStride: number): void;
}

/** A tensor's byte offset in the backend's memory and its bytes per element. */
function place(heap: WasmHeap, t: tf.TensorInfo): { at: number; bytes: number } {
  return { at: heapOffset(heap, t), bytes: tf.util.bytesPerElement(t.dtype) };
}

let registered = false;

/** Replaces the wasm backend's `Concat`, `SplitV` and `Slice` (once). */
export function registerCopyWasm(): void {
  if (registered) return;
  registered = true;
  const module = wasmModule<CopyModule>(COPY_WASM);
  if (!module) return; // an engine without bulk memory: tfjs's kernels stay
  /** `count` runs of `run` bytes, run i from src + i·srcStride to dst + i·dstStride. */
  const copyRuns = (
    heap: WasmHeap,
    dst: number,
    src: number,
    count: number,
    run: number,
    dstStride: number,
    srcStride: number,
  ): void => {
    if (count > 0 && run > 0) module(heap).copy_runs(dst, src, count, run, dstStride, srcStride);
  };

  replaceWasmKernel("Concat", (original) => (args) => {
    const inputs = Object.values(args.inputs as Record<string, tf.TensorInfo>); // a list: indices in order
    if (inputs.length === 0 || inputs[0].dtype === "string") return original.kernelFunc(args);
    const axis = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, inputs[0].shape)[0];
    const shapes = inputs.map((t) => t.shape);
    tf.backend_util.assertParamsConsistent(shapes, axis);
    const heap = wasmHeap(args.backend);
    const out = heap.makeOutput(tf.backend_util.computeOutShape(shapes, axis), inputs[0].dtype);
    // (B, inner_i) blocks side by side: input i's rows go to column offset Σ inner_j (j < i) of each output row
    const outer = tf.util.sizeFromShape(inputs[0].shape.slice(0, axis));
    const inner = inputs.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)));
    const row = inner.reduce((a, b) => a + b, 0);
    const { at, bytes } = place(heap, out); // offsets after the allocation (which may move the memory)
    let column = 0;
    inputs.forEach((t, i) => {
      copyRuns(heap, at + column * bytes, place(heap, t).at, outer, inner[i] * bytes, row * bytes, inner[i] * bytes);
      column += inner[i];
    });
    return out;
  });

  replaceWasmKernel("SplitV", (original) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === "string") return original.kernelFunc(args);
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
    const heap = wasmHeap(args.backend);
    const outs = sizes.map((size) => heap.makeOutput(x.shape.map((d, i) => (i === ax ? size : d)), x.dtype));
    const outer = tf.util.sizeFromShape(x.shape.slice(0, ax));
    const inner = tf.util.sizeFromShape(x.shape.slice(ax + 1));
    const { at, bytes } = place(heap, x), row = x.shape[ax] * inner * bytes;
    let column = 0;
    outs.forEach((out, j) => {
      const run = sizes[j] * inner * bytes;
      copyRuns(heap, place(heap, out).at, at + column, outer, run, run, row);
      column += run;
    });
    return outs;
  });

  replaceWasmKernel("Slice", (original) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === "string") return original.kernelFunc(args);
    const attrs = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
    const heap = wasmHeap(args.backend);
    const out = heap.makeOutput(size, x.dtype);
    if (tf.util.sizeFromShape(size) === 0) return out;
    const strides = [...tf.util.computeStrides(x.shape), 1];
    // the axes after the last one the slice cuts are whole: from there on each run is contiguous
    let cut = x.shape.length - 1;
    while (cut >= 0 && size[cut] === x.shape[cut]) cut--;
    const src = place(heap, x), dst = place(heap, out), bytes = src.bytes;
    const first = begin.reduce((sum, b, i) => sum + b * strides[i], 0);
    if (cut <= 0) {
      // one run: the whole tensor, or rows begin[0]… of it
      copyRuns(heap, dst.at, src.at + first * bytes, 1, tf.util.sizeFromShape(size) * bytes, 0, 0);
      return out;
    }
    const run = size[cut] * strides[cut] * bytes; // (the axes after `cut` are whole)
    // axes 0 … cut−2 walked here, axis cut−1 as the runs of one call
    const count = size[cut - 1], srcStride = strides[cut - 1] * bytes;
    let written = 0;
    const walk = (axis: number, offset: number): void => {
      if (axis === cut - 1) {
        copyRuns(heap, dst.at + written, src.at + offset * bytes, count, run, run, srcStride);
        written += count * run;
        return;
      }
      for (let i = 0; i < size[axis]; i++) walk(axis + 1, offset + i * strides[axis]);
    };
    walk(0, first);
    return out;
  });
}
