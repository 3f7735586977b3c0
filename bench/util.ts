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
