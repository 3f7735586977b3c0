/**
 * Shared pieces of the benchmarks.
 *
 * @module
 */

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The first python3 on this machine that can import torch (Debian's is /usr/bin/python3), or null. */
export async function findTorchPython(): Promise<string | null> {
  for (const candidate of [Deno.env.get("COPRA_PYTHON"), "python3", "/usr/bin/python3"]) {
    if (!candidate) continue;
    try {
      const out = await new Deno.Command(candidate, { args: ["-c", "import torch"], stdout: "null", stderr: "null" })
        .output();
      if (out.code === 0) return candidate;
    } catch {
      // not installed
    }
  }
  return null;
}

/**
 * OPENBLAS_NUM_THREADS as the user started the benchmark, read when this module loads — before `enableBlas` sets it
 * to copra's own count in this process, whose environment every child inherits.
 */
const USER_BLAS_THREADS: string | undefined = (() => {
  try {
    return Deno.env.get("OPENBLAS_NUM_THREADS");
  } catch {
    return undefined; // no --allow-env for it
  }
})();

/**
 * The environment of a PyTorch reference run: with `threads` N, the BLAS pool PyTorch calls (OpenBLAS) pinned to N
 * threads as its intra-op threads are, so that "one thread" is one thread; with "default", the pool as the user's
 * environment leaves it ("0" is OpenBLAS's "not set": one thread per core).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { torchEnv } from "./util.ts";
 * assert.deepEqual(torchEnv(1), { OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" });
 * ```
 */
export function torchEnv(threads: number | "default"): Record<string, string> {
  if (threads === "default") return { OPENBLAS_NUM_THREADS: USER_BLAS_THREADS ?? "0" };
  return { OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
}

/**
 * Runs `bench/torch_gpt2.py <args>` with `python`: its last stdout line as JSON, or its last stderr line. With
 * `threads` (timing subcommands), the script gets `--threads N` (0 for "default") and the matching environment
 * ({@link torchEnv}); without, the BLAS pool is pinned to one thread.
 */
export async function runTorchReference(
  python: string,
  args: string[],
  threads?: number | "default",
): Promise<{ json: Record<string, unknown> } | { error: string }> {
  const script = new URL("./torch_gpt2.py", import.meta.url).pathname;
  const threadArgs = threads === undefined ? [] : ["--threads", threads === "default" ? "0" : String(threads)];
  const out = await new Deno.Command(python, {
    args: [script, ...args, ...threadArgs],
    env: torchEnv(threads ?? 1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lastLine = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim().split("\n").at(-1) ?? "";
  return out.code === 0 ? { json: JSON.parse(lastLine(out.stdout)) } : { error: lastLine(out.stderr) };
}

/** Per-kernel time of one call, from `tf.profile`: calls and milliseconds per kernel name, slowest first. */
export interface KernelProfile {
  /** Kernel calls in all. */
  kernels: number;
  /** Their summed time (ms); the rest of the wall time is JavaScript between kernels. */
  kernel_ms: number;
  /** The `top` slowest kernel names: [name, calls, ms]. */
  top: [string, number, number][];
}

/** Profiles one call of `step` (which should dispose what it makes) kernel by kernel. */
export async function kernelProfile(step: () => Promise<void>, top = 12): Promise<KernelProfile> {
  const tf = await import("@tensorflow/tfjs");
  const info = await tf.profile(async () => {
    await step();
    return [];
  });
  const byName = new Map<string, [number, number]>();
  let total = 0;
  const backend = tf.getBackend();
  for (const k of info.kernels) {
    // Custom-gradient scopes are recorded as well, around kernels that are recorded on their own: skip them.
    if (!tf.getKernel(k.name, backend)) continue;
    const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    const entry = byName.get(k.name) ?? [0, 0];
    entry[0]++;
    entry[1] += ms;
    byName.set(k.name, entry);
    total += ms;
  }
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    kernels: [...byName.values()].reduce((n, [c]) => n + c, 0),
    kernel_ms: round(total),
    top: [...byName].sort((a, b) => b[1][1] - a[1][1]).slice(0, top).map(([n, [c, ms]]) => [n, c, round(ms)]),
  };
}

/**
 * The figures every timed step benchmark line ends with (`paired.ts`'s `versusTorch`): copra's and PyTorch's median
 * milliseconds, their ratios (PyTorch's time over copra's: above 1, copra is faster), and context.
 */
export interface VersusTorch {
  copra_ms: number;
  /** PyTorch with one intra-op thread and a one-thread BLAS pool. */
  torch_ms: number | null;
  /** The median over rounds of each round's own ratio (its two blocks timed one after the other). */
  ratio_vs_torch: number | null;
  /** PyTorch as it starts by default (its intra-op threads + its BLAS pool, e.g. "1+2"). */
  torch_default_ms: number | null;
  torch_default_threads: string | null;
  /**
   * copra as `copra train` runs by default: data-parallel over every core (`bench/pooled.ts`); absent where copra's
   * default is one thread (one core, or the webgpu backend), and then copra_ms is its default.
   */
  copra_default_ms?: number;
  copra_default_threads?: number;
  /** PyTorch's default against copra's default, paired as `ratio_vs_torch`. */
  ratio_vs_torch_default: number | null;
  /** Rounds of paired blocks, and steps per block. */
  pairs: number;
  block: number;
  blas: string | null;
  profile?: KernelProfile;
  note?: string;
}
