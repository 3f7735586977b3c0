/**
 * The part of tfjs's wasm backend that copra's own wasm kernels use (BLAS products, AdamW, SplitV, Identity,
 * UnsortedSegmentSum): allocating outputs and viewing tensors in the backend's memory. Not in tfjs's public
 * types, hence this one declaration. Internal to `@copra/model`.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";

/** The wasm backend, as the kernels see it. */
export interface WasmHeap {
  /** A new output tensor in wasm memory (may grow the memory: take views after every allocation). */
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A view of a tensor's values in wasm memory (Int32Array for int32 and bool tensors). */
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array;
  /** One more reference to a tensor's buffer. */
  incRef(dataId: tf.DataId): void;
  /** Frees a tensor made with `makeOutput` that is not returned (scratch). */
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  /** The Emscripten module: its exports hold the backend's memory. */
  wasm: { asm: { memory?: WebAssembly.Memory } };
}

/** The kernel's backend as a {@link WasmHeap}. */
export function wasmHeap(backend: unknown): WasmHeap {
  return backend as WasmHeap;
}
