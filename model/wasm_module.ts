/**
 * One of copra's wasm modules (base64 bytes importing `env.memory`), compiled once and instantiated on a given memory:
 * tfjs's wasm backend's (`wasm_heap.ts`) or a helper thread's own (`kernels/packed_worker.ts`, which does not load
 * tfjs). Internal to `@copra/model`.
 *
 * @module
 */

/**
 * The module's exports, typed `T`, on a memory (instantiated once per memory); or null where the engine cannot run
 * the module (no SIMD, no relaxed SIMD).
 */
export function wasmOnMemory<T>(base64: string): ((memory: WebAssembly.Memory) => T) | null {
  const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
  if (!WebAssembly.validate(bytes)) return null;
  const module = new WebAssembly.Module(bytes);
  const instances = new WeakMap<WebAssembly.Memory, T>();
  return (memory) => {
    let exports = instances.get(memory);
    if (!exports) {
      exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as T;
      instances.set(memory, exports);
    }
    return exports;
  };
}
