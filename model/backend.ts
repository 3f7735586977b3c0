/**
 * Choosing the TensorFlow.js backend: `wasm` (default on CPU, SIMD), `webgpu`, or `cpu` (the plain-JS
 * reference), with the fixes copra needs on each, and a report of what was actually obtained.
 *
 * - wasm lacks `UnsortedSegmentSum` (the gradient of `gather`, i.e. of the embedding lookup): a small JS kernel
 *   is registered for it.
 * - webgpu: tfjs's own factory breaks under Deno (it reads the adapter info after `requestDevice` and passes a
 *   feature name inside an array), so copra registers its own: adapter info first, feature names as strings,
 *   the adapter's own limits requested (GPT-2's 154 MB embedding exceeds the 128 MiB default binding size).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { WebGPUBackend } from "@tensorflow/tfjs-backend-webgpu";
import type { BlasInfo } from "./blas.ts";
import { enableWasmGemm } from "./kernels/gemm.ts";
import { registerAdamWAllKernel, registerAdamWKernel } from "./kernels/adamw_wasm.ts";
import { registerXentWasm } from "./kernels/xent_wasm.ts";
import { registerFusedWasm } from "./kernels/fused_wasm.ts";
import { registerCausalWasm } from "./kernels/causal.ts";
import { registerMlpWasm } from "./kernels/mlp.ts";
import { registerFlatWasm } from "./flat.ts";
import { registerAttentionWasm } from "./kernels/attention_block.ts";
import { registerCopyWasm } from "./kernels/copy_wasm.ts";
import { registerAdamWWebGpu } from "./kernels/adamw_webgpu.ts";
import { registerAttentionWebGpu } from "./kernels/attention_webgpu.ts";
import { registerGeluWebGpu } from "./kernels/gelu_webgpu.ts";
import { registerLayerNormWebGpu } from "./kernels/layer_norm_webgpu.ts";
import { registerMatMulWebGpu } from "./kernels/matmul_webgpu.ts";
import { registerXentGradWebGpu } from "./kernels/xent_webgpu.ts";
import { availableProducts, type ProductsPath, productsPath, useProducts } from "./products.ts";
import { ModelError } from "./errors.ts";
import { shareSavedTensors } from "./saved_tensors.ts";
import { host } from "./host.ts";
import { replaceWasmKernel, wasmHeap } from "./wasm_heap.ts";

/** The backends copra supports. */
export type BackendName = "wasm" | "webgpu" | "cpu";

/**
 * Every {@link BackendName}, the default (wasm) first: for command lines that offer them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BACKEND_NAMES } from "@copra/model";
 * assert.deepEqual(BACKEND_NAMES, ["wasm", "webgpu", "cpu"]);
 * ```
 */
export const BACKEND_NAMES: readonly BackendName[] = ["wasm", "webgpu", "cpu"];

/** What {@link useBackend} obtained. */
export interface BackendInfo {
  /** The backend now active. */
  backend: BackendName;
  /** wasm: whether the SIMD build runs. */
  simd?: boolean;
  /** wasm: threads in use (tfjs runs one under Deno). */
  threads?: number;
  /** wasm: the BLAS library matrix products run in (see `enableBlas`), or null for tfjs's own kernel. */
  blas?: BlasInfo | null;
  /**
   * wasm: where matrix products run — `"blas"` (OpenBLAS, see `blas`), `"simd-fma"` or `"simd"` (copra's wasm
   * SIMD kernel: the default without OpenBLAS) or `"tfjs"` (tfjs's own kernel). See {@link ProductsPath}.
   */
  products?: ProductsPath;
  /** webgpu: what the adapter says of itself. */
  adapter?: { vendor: string; architecture: string; device: string; description: string };
  /** webgpu: the limits requested from the adapter. */
  limits?: { maxBufferSize: number; maxStorageBufferBindingSize: number };
}

/** Options of {@link useBackend}. */
export interface UseBackendOptions {
  /**
   * wasm: folder (URL, with a trailing slash) holding tfjs's `.wasm` files. Default under Deno: the npm package's
   * folder; a browser must give it.
   */
  wasmPaths?: string;
  /**
   * wasm: run matrix products in the system's OpenBLAS when it is there and FFI is permitted (`--allow-ffi`).
   * Default true. Once enabled it stays enabled for the process.
   */
  blas?: boolean;
  /**
   * wasm: where matrix products run (see {@link ProductsPath}). Default: the fastest available — `"blas"` when
   * OpenBLAS loaded, else `"simd-fma"` where the engine has relaxed SIMD, else `"simd"`, else `"tfjs"`. A path that
   * is not available is an error.
   */
  products?: ProductsPath;
}

let prodMode = false;
let webgpuInfo: BackendInfo | undefined;

/**
 * Makes `name` the active tfjs backend and reports what it got. Throws a {@link ModelError} when the backend
 * cannot start (no WebGPU adapter, say).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { useBackend } from "@copra/model";
 * const info = await useBackend("cpu");
 * assert.equal(info.backend, "cpu");
 * ```
 */
export async function useBackend(name: BackendName = "wasm", options: UseBackendOptions = {}): Promise<BackendInfo> {
  if (!prodMode) {
    tf.enableProdMode();
    prodMode = true;
  }
  shareSavedTensors();
  if (name === "cpu") {
    await setOrThrow("cpu");
    return { backend: "cpu" };
  }
  if (name === "wasm") {
    registerWasmFixes();
    const wantsBlas = options.blas !== false && (options.products === undefined || options.products === "blas");
    const loaded = wantsBlas ? host()?.enableBlas() ?? null : null;
    enableWasmGemm();
    if (!isInitialized("wasm")) {
      const folder = options.wasmPaths ?? host()?.wasmFolder();
      if (folder === undefined) {
        throw new ModelError({
          source: "argument",
          field: "wasmPaths",
          value: undefined,
          problem: "the wasm backend needs the folder of tfjs's .wasm files",
          hint: "in a browser, serve tfjs-backend-wasm's dist/*.wasm and pass its URL (ending in /) as wasmPaths",
        });
      }
      host()?.checkWasmFiles(folder);
      setWasmPaths(folder);
    }
    await setOrThrow("wasm");
    const available = availableProducts();
    const fastestFirst: ProductsPath[] = wantsBlas ? ["blas", "simd-fma", "simd"] : ["simd-fma", "simd"];
    useProducts(options.products ?? fastestFirst.find((p) => available.includes(p)) ?? "tfjs");
    const blas = productsPath() === "blas" ? loaded : null;
    const simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) as boolean;
    const threads = (await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT")) ? navigator.hardwareConcurrency : 1;
    return { backend: "wasm", simd, threads, blas, products: productsPath() };
  }
  if (name === "webgpu") {
    registerWebGpu();
    await setOrThrow("webgpu");
    return webgpuInfo!;
  }
  throw new ModelError({
    source: "argument",
    field: "backend",
    value: name,
    problem: "unknown backend",
    hint: 'choose "wasm", "webgpu" or "cpu"',
  });
}

async function setOrThrow(name: BackendName): Promise<void> {
  let ok = false;
  let reason = "";
  try {
    ok = await tf.setBackend(name);
  } catch (error) {
    reason = error instanceof Error ? error.message : String(error);
  }
  if (!ok || tf.getBackend() !== name) {
    throw new ModelError({
      source: "argument",
      field: "backend",
      value: name,
      problem: `the ${name} backend could not start${reason ? `: ${reason}` : ""}`,
      hint: name === "webgpu"
        ? 'WebGPU needs an adapter (Deno: --unstable-webgpu or "unstable": ["webgpu"]; Linux: Mesa or Vulkan drivers)'
        : "check that the tfjs packages are installed",
    });
  }
}

let wasmFixed = false;

/** Registers the kernels the wasm backend lacks. */
function registerWasmFixes(): void {
  if (wasmFixed) return;
  wasmFixed = true;
  registerCopyWasm(); // Concat, SplitV, Slice: before the kernels composed of them
  registerFlatWasm();
  registerGatherV2();
  registerIdentity();
  registerAdamWKernel();
  registerXentWasm();
  registerFusedWasm();
  registerMlpWasm(); // composed of the fused kernels: after them
  registerAdamWAllKernel(); // with the fused global norm: after it
  registerCausalWasm();
  registerAttentionWasm(); // composed of the fused kernels, the causal product, Concat and SplitV: after them
  if (tf.getKernel("UnsortedSegmentSum", "wasm") !== undefined) return;
  tf.registerKernel({
    kernelName: "UnsortedSegmentSum",
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs, backend }) => {
      // out[segmentIds[i], ...] += x[i, ...], where segmentIds' shape is a prefix of x's.
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const numSegments = (attrs as { numSegments: number }).numSegments;
      const wasm = wasmHeap(backend);
      const inner = x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1);
      const out = wasm.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
      const dst = wasm.typedArrayFromHeap(out);
      dst.fill(0);
      const src = wasm.typedArrayFromHeap(x);
      const ids = wasm.typedArrayFromHeap(segmentIds);
      for (let i = 0; i < ids.length; i++) {
        const seg = ids[i];
        if (seg < 0 || seg >= numSegments) continue;
        const from = i * inner, to = seg * inner;
        for (let j = 0; j < inner; j++) dst[to + j] += src[from + j];
      }
      return out;
    },
  });
}

/**
 * Replaces the wasm backend's GatherV2 (index arithmetic per element: 9 ms to look up 1,024 rows of 128, 118 ms for
 * GPT-2's 2,048 rows of 768) by row copies on the wasm heap, for gathers without batch dimensions. An index outside
 * the axis is an error, as on the cpu backend, instead of a read past the table.
 */
function registerGatherV2(): void {
  replaceWasmKernel("GatherV2", (original) => (args) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims: number };
    if (batchDims !== 0 || x.dtype === "string") return original.kernelFunc(args);
    const wasm = wasmHeap(args.backend);
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const size = x.shape[ax];
    const outer = x.shape.slice(0, ax).reduce((a, b) => a * b, 1);
    const inner = x.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
    for (const index of wasm.typedArrayFromHeap(indices)) {
      if (!(index >= 0 && index < size)) {
        throw new Error(`GatherV2: the index value ${index} is not in [0, ${size - 1}]`);
      }
    }
    const out = wasm.makeOutput([...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)], x.dtype);
    // Views taken after the allocation (which may grow the wasm memory).
    const src = wasm.typedArrayFromHeap(x), ids = wasm.typedArrayFromHeap(indices), dst = wasm.typedArrayFromHeap(out);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < ids.length; i++) {
        const from = (o * size + (ids[i] as number)) * inner;
        dst.set(src.subarray(from, from + inner), (o * ids.length + i) * inner);
      }
    }
    return out;
  });
}

/**
 * Replaces the wasm backend's Identity (a copy) by a shared reference, as the cpu backend does: tensors are
 * immutable, and the engine clones every tensor a custom gradient saves (~100 copies per training step).
 */
function registerIdentity(): void {
  replaceWasmKernel("Identity", (original) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === "string") return original.kernelFunc(args);
    wasmHeap(args.backend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
}

let webgpuRegistered = false;

/** Replaces tfjs's WebGPU backend factory with one that works under Deno. */
function registerWebGpu(): void {
  if (webgpuRegistered) return;
  webgpuRegistered = true;
  registerXentGradWebGpu();
  registerGeluWebGpu();
  registerAttentionWebGpu();
  registerAdamWWebGpu();
  registerLayerNormWebGpu();
  registerMatMulWebGpu();
  if (tf.findBackendFactory("webgpu") !== null) tf.removeBackend("webgpu");
  tf.registerBackend("webgpu", async () => {
    const gpu = (navigator as unknown as { gpu?: GPU }).gpu;
    const adapter = await gpu?.requestAdapter({ powerPreference: "high-performance" });
    if (!adapter) {
      throw new ModelError({
        source: "argument",
        field: "backend",
        value: "webgpu",
        problem: "navigator.gpu gave no WebGPU adapter",
        hint: "Deno needs --unstable-webgpu and a GPU or Mesa/Vulkan drivers; use --backend wasm otherwise",
      });
    }
    // Read the adapter's description before requestDevice (Deno invalidates it afterwards).
    const info = adapter.info;
    const adapterInfo = {
      vendor: info?.vendor ?? "",
      architecture: info?.architecture ?? "",
      device: info?.device ?? "",
      description: info?.description ?? "",
    };
    const limits = adapter.limits;
    const requiredLimits: Record<string, number> = {
      maxBufferSize: limits.maxBufferSize,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    };
    // Feature names go as plain strings; timestamp queries are only for profiling and are left off.
    const requiredFeatures: GPUFeatureName[] = [];
    if (adapter.features.has("bgra8unorm-storage")) requiredFeatures.push("bgra8unorm-storage");
    const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
    webgpuInfo = {
      backend: "webgpu",
      adapter: adapterInfo,
      limits: { maxBufferSize: limits.maxBufferSize, maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize },
    };
    // tfjs's type for the adapter info is the DOM's GPUAdapterInfo; a plain record with the same fields works.
    return new WebGPUBackend(device, adapterInfo as unknown as GPUAdapterInfo);
  }, 0);
}

// Importing the wasm and webgpu packages registers both backends above the plain-JS cpu backend, and both
// start asynchronously, so any tensor made before `useBackend()` would throw "backend not yet initialized".
// Re-register them below cpu: tfjs then starts on cpu by itself, and `useBackend()` switches explicitly.
lowerPriority("wasm");
registerWebGpu();

function lowerPriority(name: string): void {
  const factory = tf.findBackendFactory(name);
  if (factory === null || isInitialized(name)) return;
  tf.removeBackend(name);
  tf.registerBackend(name, factory, 0);
}

/**
 * Whether a backend already has a running instance. (tf.findBackend would start one as a side effect, and an
 * asynchronous start left pending makes every later tensor operation throw.)
 */
function isInitialized(name: string): boolean {
  const engine = tf.engine() as unknown as { registry?: Record<string, unknown> };
  return engine.registry?.[name] !== undefined;
}
