/**
 * A packed product's columns split over helper threads (internal to `@copra/model`; the public side is
 * `packTransposedThreads` in `model/packed.ts`). Decoding's LM head reads all of B's panels for every token — at
 * batch 1 a product bound by one core's memory bandwidth — so each helper (`packed_worker.ts`, a Deno worker) keeps a
 * range of whole panels in its own wasm memory and computes those columns while the main thread computes the first
 * range. Every entry is the same sum in the same order as on one thread (`gemm.wat` sums each column by itself), so
 * the product is the same bit for bit. Jobs go through `Atomics` on one shared buffer per helper: control words,
 * then the rows in, then the helper's columns out.
 *
 * @module
 */

/** Control word: the job's number (the main thread increments it; −1 stops the helper). */
export const JOB = 0;
/** Control word: the number of the last job done (the helper writes it). */
export const DONE = 1;
/** Control word: the job's rows. */
export const ROWS = 2;
/** Control word: the main thread's `gemm.wat` build (0 `"simd"`, 1 `"simd-fma"`). */
export const BUILD = 3;
/** Control word: 0 when the last job succeeded, 1 when it threw. */
export const STATUS = 4;
/** How long the main thread waits for a helper before it gives up on it. */
const WAIT_MS = 30_000;

/** The message that starts a helper. */
export interface HelperInit {
  /** Control words (8 int32), then `capacity·K` floats of rows in, then `capacity·n` floats out. */
  sab: SharedArrayBuffer;
  /** The helper's panels (K·8 floats each), copied into its memory. */
  panels: Float32Array;
  /** The products' inner dimension. */
  K: number;
  /** The helper's columns. */
  n: number;
  /** Most rows per job. */
  capacity: number;
}

/** What a helper answers once: ready, or why not. */
export type PackedHelperMessage = { type: "ready" } | { type: "error"; message: string };

/** One helper: its worker, its buffer's views, its columns. */
interface Helper {
  worker: Worker;
  ctrl: Int32Array;
  shared: Float32Array;
  /** First column, and how many. */
  from: number;
  n: number;
  /** The last job's number. */
  seq: number;
}

/** Columns of B per thread: whole groups of four panels (`gemm.wat`'s one-row loop takes four at a time). */
export function splitColumns(N: number, threads: number): number[] {
  const groups = Math.ceil(N / 32), cuts = [0];
  for (let t = 1; t < threads; t++) cuts.push(Math.min(N, Math.round((t * groups) / threads) * 32));
  cuts.push(N);
  return cuts;
}

/** A packed weight's helpers, for `CopraTimesPacked`. */
export class PackedSplit {
  readonly #helpers: Helper[];
  readonly #K: number;
  /** Most rows a job takes; larger products run on the main thread alone. */
  readonly capacity: number;
  /** The main thread's columns: 0 … `n0` − 1. */
  readonly n0: number;
  #closed = false;

  private constructor(helpers: Helper[], K: number, capacity: number, n0: number) {
    this.#helpers = helpers;
    this.#K = K;
    this.capacity = capacity;
    this.n0 = n0;
  }

  /**
   * Starts a helper for each column range after the first (`cuts` from {@link splitColumns}) over B's panels
   * (`panels`, K·8 floats per panel) and waits until each is ready; null where no helper can start here (no
   * `Worker`, `SharedArrayBuffer` or `Atomics.wait` on this thread — a browser's page —, or no permission to read the
   * worker's module): then the product stays on one thread.
   */
  static async start(panels: Float32Array, K: number, cuts: number[], capacity: number): Promise<PackedSplit | null> {
    if (!canStart()) return null;
    const helpers: Helper[] = [];
    const split = new PackedSplit(helpers, K, capacity, cuts[1]);
    try {
      const ready: Promise<void>[] = [];
      for (let t = 1; t + 1 < cuts.length; t++) {
        const from = cuts[t], n = cuts[t + 1] - from;
        const sab = new SharedArrayBuffer(32 + capacity * (K + n) * 4);
        const worker = new Worker(WORKER_URL, { type: "module" });
        helpers.push({ worker, ctrl: new Int32Array(sab, 0, 8), shared: new Float32Array(sab, 32), from, n, seq: 0 });
        ready.push(
          new Promise<void>((resolve, reject) => {
            worker.onmessage = (e: MessageEvent<PackedHelperMessage>) =>
              e.data.type === "ready" ? resolve() : reject(new Error(`packed product helper: ${e.data.message}`));
            worker.onerror = (e: ErrorEvent) => {
              e.preventDefault();
              reject(new Error(`packed product helper failed to start: ${e.message}`));
            };
          }),
        );
        const own = panels.slice((from / 8) * K * 8, Math.ceil((from + n) / 8) * K * 8);
        worker.postMessage({ sab, panels: own, K, n, capacity } satisfies HelperInit, [own.buffer]);
      }
      await Promise.all(ready);
    } catch (error) {
      split.close();
      throw error;
    }
    return split;
  }

  /** Hands the rows `a` (M·K floats, M ≤ capacity) to every helper, with the main thread's build. */
  start(a: Float32Array, M: number, build: number): void {
    for (const h of this.#helpers) {
      h.shared.set(a.subarray(0, M * this.#K));
      Atomics.store(h.ctrl, ROWS, M);
      Atomics.store(h.ctrl, BUILD, build);
      Atomics.store(h.ctrl, JOB, ++h.seq);
      Atomics.notify(h.ctrl, JOB);
    }
  }

  /** Waits for every helper's columns and writes them into `c` (M rows, row stride `ldc`). */
  finish(c: Float32Array, M: number, ldc: number): void {
    const out = this.capacity * this.#K;
    for (const [i, h] of this.#helpers.entries()) {
      if (Atomics.load(h.ctrl, DONE) !== h.seq && Atomics.wait(h.ctrl, DONE, h.seq - 1, WAIT_MS) === "timed-out") {
        throw new Error(`packed product helper ${i + 1} did not answer within ${WAIT_MS / 1000} s`);
      }
      if (Atomics.load(h.ctrl, STATUS) !== 0) throw new Error(`packed product helper ${i + 1} failed on a job`);
      for (let r = 0; r < M; r++) c.set(h.shared.subarray(out + r * h.n, out + (r + 1) * h.n), r * ldc + h.from);
    }
  }

  /** Stops the helpers (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const h of this.#helpers) {
      Atomics.store(h.ctrl, JOB, -1);
      Atomics.notify(h.ctrl, JOB);
      h.worker.terminate();
    }
  }
}

const WORKER_URL = new URL("./packed_worker.ts", import.meta.url);

/** Whether helpers can start on this thread. */
function canStart(): boolean {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (!deno || typeof Worker === "undefined" || typeof SharedArrayBuffer === "undefined") return false;
  if (WORKER_URL.protocol !== "file:") return true; // a remote module: Deno's import permissions decide
  return deno.permissions.querySync({ name: "read", path: WORKER_URL }).state === "granted";
}

/** The helpers of each packed weight, by its panels' data id. */
export const packedSplits: WeakMap<object, PackedSplit> = new WeakMap();
