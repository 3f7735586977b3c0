/**
 * The part of tfjs's wasm backend that copra's own wasm kernels use (BLAS products, AdamW, SplitV, Identity,
 * UnsortedSegmentSum, GatherV2, the SIMD modules): allocating outputs, viewing tensors in the backend's memory, and
 * running copra's own wasm modules on that memory. Not in tfjs's public types, hence this one declaration.
 * Internal to `@copra/model`.
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

/** The compiled module of base64 wasm bytes, or null where the engine cannot run it (no SIMD, no relaxed SIMD). */
export function compileWasm(base64: string): WebAssembly.Module | null {
  const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
  return WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
}

const instances = new WeakMap<WebAssembly.Module, WeakMap<WebAssembly.Memory, WebAssembly.Exports>>();

/** The exports of `module` instantiated on the backend's memory (its `env.memory` import), once per memory. */
export function wasmExports(module: WebAssembly.Module, heap: WasmHeap): WebAssembly.Exports {
  const memory = heap.wasm.asm.memory!;
  let perMemory = instances.get(module);
  if (!perMemory) instances.set(module, perMemory = new WeakMap());
  let found = perMemory.get(memory);
  if (!found) perMemory.set(memory, found = new WebAssembly.Instance(module, { env: { memory } }).exports);
  return found;
}
