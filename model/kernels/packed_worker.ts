/**
 * A helper thread of a split packed product (`packed_split.ts`): it holds a column range of B's panels in a wasm
 * memory of its own and, for each job, multiplies the rows the main thread wrote into their shared buffer by them,
 * writing its columns back into the buffer. Jobs come through `Atomics` on the buffer's control words, not messages,
 * so that a decoded token does not wait for the event loop: between jobs the thread sleeps in `Atomics.wait` (a
 * spin of 0.3 or 3 ms before it measured no faster per token, and would hold a core). Internal to `@copra/model`.
 *
 * @module
 */

import { wasmOnMemory } from "../wasm_module.ts";
import { GEMM_FMA_WASM, GEMM_WASM } from "./gemm_wasm.ts";
import { BUILD, DONE, type HelperInit, JOB, type PackedHelperMessage, ROWS, STATUS } from "./packed_split.ts";

/** `gemm.wat`'s export for packed panels (byte offsets, leading dimensions in elements). */
type GemmPacked = (M: number, N: number, K: number, a: number, lda: number, p: number, c: number, ldc: number) => void;

const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<HelperInit>) => void) | null;
  postMessage(message: PackedHelperMessage): void;
  close(): void;
};

scope.onmessage = (e: MessageEvent<HelperInit>) => {
  scope.onmessage = null;
  const { sab, panels, K, n, capacity } = e.data;
  let run: (M: number, build: number) => void;
  try {
    // the wasm memory: the panels, then one block of rows in, then their product out (float32 each)
    const aAt = panels.length, cAt = aAt + capacity * K;
    const memory = new WebAssembly.Memory({ initial: Math.ceil(((cAt + capacity * n) * 4 + 64) / 65536) });
    const heap = new Float32Array(memory.buffer);
    heap.set(panels);
    // both builds ("simd" 0, "simd-fma" 1): each job names the main thread's, for the same bits
    const builds = [GEMM_WASM, GEMM_FMA_WASM].map((base64) =>
      wasmOnMemory<{ gemm_packed: GemmPacked }>(base64)?.(memory).gemm_packed ?? null
    );
    const shared = new Float32Array(sab, 32);
    run = (M, build) => {
      const gemm = builds[build];
      if (!gemm) throw new Error(`no gemm build ${build} in this engine`);
      heap.set(shared.subarray(0, M * K), aAt);
      gemm(M, n, K, aAt * 4, K, 0, cAt * 4, n);
      shared.set(heap.subarray(cAt, cAt + M * n), capacity * K);
    };
  } catch (error) {
    scope.postMessage({ type: "error", message: error instanceof Error ? error.message : String(error) });
    return;
  }
  scope.postMessage({ type: "ready" });

  const ctrl = new Int32Array(sab, 0, 8);
  let seq = 0;
  for (;;) {
    Atomics.wait(ctrl, JOB, seq); // returns at once when the job word has moved on
    const next = Atomics.load(ctrl, JOB);
    if (next < 0) break; // stop
    seq = next;
    try {
      run(Atomics.load(ctrl, ROWS), Atomics.load(ctrl, BUILD));
      Atomics.store(ctrl, STATUS, 0);
    } catch {
      Atomics.store(ctrl, STATUS, 1);
    }
    Atomics.store(ctrl, DONE, seq);
    Atomics.notify(ctrl, DONE);
  }
  scope.close();
};
