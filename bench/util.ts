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

/** Runs `bench/torch_gpt2.py <args>` with `python`: its last stdout line as JSON, or its last stderr line. */
export async function runTorchReference(
  python: string,
  args: string[],
): Promise<{ json: Record<string, unknown> } | { error: string }> {
  const script = new URL("./torch_gpt2.py", import.meta.url).pathname;
  const out = await new Deno.Command(python, { args: [script, ...args], stdout: "piped", stderr: "piped" }).output();
  const lastLine = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim().split("\n").at(-1) ?? "";
  return out.code === 0 ? { json: JSON.parse(lastLine(out.stdout)) } : { error: lastLine(out.stderr) };
}

/** The PyTorch reference's `torch_ms` for a step command (`train-step …`, `coconut-step …`), or why there is none. */
export async function torchStepMs(args: string[]): Promise<{ torchMs: number | null; note?: string }> {
  const python = await findTorchPython();
  if (python === null) return { torchMs: null, note: "no python3 with torch found: PyTorch reference skipped" };
  const result = await runTorchReference(python, args);
  return "json" in result
    ? { torchMs: result.json.torch_ms as number }
    : { torchMs: null, note: `PyTorch reference failed: ${result.error}` };
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

/** The figures every timed benchmark line ends with: copra's and PyTorch's milliseconds, their ratio, and context. */
export interface VersusTorch {
  copra_ms: number;
  torch_ms: number | null;
  ratio_vs_torch: number | null;
  blas: string | null;
  profile?: KernelProfile;
  note?: string;
}

/** Rounds and compares copra's median time with the PyTorch reference's (ratio: torch / copra, higher is better). */
export function versusTorch(
  copraMs: number,
  torch: { torchMs: number | null; note?: string },
  blas: string | null,
  profile?: KernelProfile,
): VersusTorch {
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    copra_ms: round(copraMs),
    torch_ms: torch.torchMs === null ? null : round(torch.torchMs),
    ratio_vs_torch: torch.torchMs === null ? null : Math.round((torch.torchMs / copraMs) * 1000) / 1000,
    blas,
    ...(profile ? { profile } : {}),
    ...(torch.note ? { note: torch.note } : {}),
  };
}
