/**
 * The part of tfjs's wasm backend that copra's own wasm kernels use (BLAS products, AdamW, Concat, SplitV, Slice,
 * Identity, UnsortedSegmentSum, GatherV2, the SIMD modules): allocating outputs, viewing tensors in the backend's memory, and
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
  /** A tensor's byte offset in the backend's memory (its values start there). */
  getMemoryOffset(dataId: tf.DataId): number;
  /** How many tensors hold a buffer. */
  refCount(dataId: tf.DataId): number;
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

/**
 * The index of the first tensor whose buffer another tensor also holds, or −1 when each is its buffer's only holder
 * (a kernel may then write it in place: AdamW's update, `assignValues`).
 */
export function firstShared(backend: unknown, tensors: readonly tf.TensorInfo[]): number {
  const heap = wasmHeap(backend);
  return tensors.findIndex((t) => heap.refCount(t.dataId) !== 1);
}

/** The byte offset of a tensor's values in the backend's memory (take it after every allocation of the call). */
export function heapOffset(heap: WasmHeap, t: tf.TensorInfo): number {
  return heap.getMemoryOffset(t.dataId); // (no view made: a kernel takes several per call)
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

/** A wasm kernel called directly (from inside another kernel, without the engine): its outputs as a list. */
export type DirectKernel = (backend: object, inputs: object, attrs?: object) => tf.TensorInfo[];

/**
 * The wasm kernels `names`, to compose a kernel of others without the engine's bookkeeping between them (the block
 * halves of `kernels/mlp.ts` and `kernels/attention_block.ts`); null where one of them is not registered.
 */
export function directKernels(names: readonly string[]): DirectKernel[] | null {
  const funcs = names.map((name) => tf.getKernel(name, "wasm")?.kernelFunc);
  if (funcs.some((f) => f === undefined)) return null;
  return (funcs as tf.KernelFunc[]).map((f) => (backend, inputs, attrs = {}) => {
    const out = f({
      inputs: inputs as tf.NamedTensorInfoMap,
      attrs: attrs as tf.NamedAttrMap,
      backend: backend as tf.KernelBackend,
    });
    return Array.isArray(out) ? out : [out];
  });
}

/** Frees the scratch outputs of a composed kernel (made by the kernels it called, not returned). */
export function freeScratch(backend: object, scratch: readonly tf.TensorInfo[]): void {
  const heap = wasmHeap(backend);
  for (const t of scratch) heap.disposeData(t.dataId);
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
