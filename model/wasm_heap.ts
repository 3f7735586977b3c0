/**
 * The part of tfjs's wasm backend that copra's own wasm kernels use (BLAS products, AdamW, SplitV, Identity,
 * UnsortedSegmentSum, GatherV2, the SIMD modules): allocating outputs, viewing tensors in the backend's memory, and
 * running copra's own wasm modules on that memory, and swapping one of tfjs's wasm kernels for copra's own. Not in
 * tfjs's public types, hence this one declaration. Internal to `@copra/model`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { wasmOnMemory } from "./wasm_module.ts";

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

/** The byte offset of a tensor's values in the backend's memory (take it after every allocation of the call). */
export function heapOffset(heap: WasmHeap, t: tf.TensorInfo): number {
  return heap.typedArrayFromHeap(t).byteOffset;
}

/**
 * One of copra's wasm modules (base64 bytes importing `env.memory`) as a function from a backend to the module's
 * exports, typed `T`, instantiated on that backend's memory once per memory; or null where the engine cannot run the
 * module (no SIMD, no relaxed SIMD).
 */
export function wasmModule<T>(base64: string): ((heap: WasmHeap) => T) | null {
  const onMemory = wasmOnMemory<T>(base64);
  return onMemory && ((heap) => onMemory(heap.wasm.asm.memory!));
}

/** Swaps a wasm kernel for copra's own; `make` gets tfjs's original, for the cases it still serves. */
export function replaceWasmKernel(name: string, make: (original: tf.KernelConfig) => tf.KernelFunc): void {
  const original = tf.getKernel(name, "wasm");
  if (!original) return;
  tf.unregisterKernel(name, "wasm");
  // tfjs's setup binds the original's wasm functions, which the cases it still serves need
  tf.registerKernel({
    kernelName: name,
    backendName: "wasm",
    kernelFunc: make(original),
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
  });
}
