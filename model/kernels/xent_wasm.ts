/**
 * Softmax cross-entropy on the wasm backend (internal to the model package), in wasm SIMD (`xent.wat`) over the
 * backend's memory: the forward's log-sum-exp of each row, and the gradient exp(x − lse)·w − w at the label in one
 * pass. The composites they replace (`loss.ts`: max, difference, exp, sum, log; then exp, product, scatter,
 * difference) make about ten passes over the N×V logits with tfjs's scalar `exp` — for a GPT-2 vocabulary
 * (V = 50,257) most of a small model's training step. Rows of weight 0 (positions without a label) are skipped:
 * their log-sum-exp is 0 and their gradient zeros.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { heapOffset as at, wasmHeap, wasmModule } from "../wasm_heap.ts";
import { XENT_WASM } from "./xent_wasm_bytes.ts";
import { XENT_GRAD_KERNEL } from "./xent_webgpu.ts";

/** The forward kernel's name (inputs x (N,V) float32, w (N) float32; output lse (N,1), 0 where w is 0). */
export const ROW_LSE_KERNEL = "CopraRowLogSumExp";

/** The module's exports: byte offsets into the backend's memory. */
interface Xent {
  row_stats(x: number, w: number, rows: number, V: number, out: number): void;
  softmax_scaled(x: number, lse: number, w: number, rows: number, V: number, dx: number): void;
}

let registered = false;

/** Registers both kernels for the wasm backend (once), where the engine has wasm SIMD. */
export function registerXentWasm(): void {
  if (registered) return;
  registered = true;
  const xent = wasmModule<Xent>(XENT_WASM);
  if (!xent) return; // no wasm SIMD: the composites stay
  tf.registerKernel({
    kernelName: ROW_LSE_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend }) => {
      const { x, w } = inputs as Record<string, tf.TensorInfo>;
      const [N, V] = x.shape;
      const heap = wasmHeap(backend);
      const out = heap.makeOutput([N, 1], "float32");
      const stats = heap.makeOutput([2 * N], "float32"); // (max, Σ e^(x − max)) per row
      try {
        // offsets taken after the allocations, which may grow the memory
        xent(heap).row_stats(at(heap, x), at(heap, w), N, V, at(heap, stats));
        const s = heap.typedArrayFromHeap(stats), lse = heap.typedArrayFromHeap(out);
        for (let r = 0; r < N; r++) lse[r] = s[2 * r] + Math.log(s[2 * r + 1]);
      } finally {
        heap.disposeData(stats.dataId, true);
      }
      return out;
    },
  });
  tf.registerKernel({
    kernelName: XENT_GRAD_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend }) => {
      const { x, lse, labels, w } = inputs as Record<string, tf.TensorInfo>;
      const [N, V] = x.shape;
      const heap = wasmHeap(backend);
      const dx = heap.makeOutput(x.shape, "float32");
      xent(heap).softmax_scaled(at(heap, x), at(heap, lse), at(heap, w), N, V, at(heap, dx));
      const d = heap.typedArrayFromHeap(dx),
        label = heap.typedArrayFromHeap(labels),
        weight = heap.typedArrayFromHeap(w);
      for (let r = 0; r < N; r++) {
        const j = label[r];
        if (j >= 0 && j < V) d[r * V + j] -= weight[r];
      }
      return dx;
    },
  });
}
