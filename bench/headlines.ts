/**
 * The headline figures of each benchmark's result line, for the table `deno task bench` prints and writes to
 * `bench/latest.md`: [what copra did, the reference, the ratio].
 *
 * @module
 */

/** A step benchmark's copra cell: one thread, and copra's default (data-parallel) where it differs. */
function copraCell(r: Record<string, unknown>, what: string): string {
  const all = r.copra_default_ms === undefined
    ? ""
    : `; ${r.copra_default_ms} ms on ${r.copra_default_threads} threads`;
  return `${r.copra_ms} ms${what} (1 thread${all})`;
}

/** A step benchmark's reference and ratio cells: PyTorch on one thread, then as it starts by default. */
function versusTorchCells(r: Record<string, unknown>): [string, string] {
  return [
    `torch ${r.torch_ms ?? "—"} ms (1 thread); ${r.torch_default_ms ?? "—"} ms (default, ${
      r.torch_default_threads ?? "—"
    } threads)`,
    `${r.ratio_vs_torch ?? "—"}; default ${r.ratio_vs_torch_default ?? "—"}`,
  ];
}

/** The headline figure of each benchmark: [what copra did, the reference, the ratio]. */
export const HEADLINES: Record<string, (r: Record<string, unknown>) => [string, string, string]> = {
  "tokenizer": (
    r,
  ) => [
    `${r.copra_mb_s} MB/s (${r.copra_uncached_mb_s} uncached)`,
    `js-tiktoken ${r.tiktoken_mb_s} MB/s`,
    `${r.ratio} (uncached ${r.ratio_uncached}; parity ${r.parity})`,
  ],
  "train-step": (
    r,
  ) => [
    copraCell(r, ` ${r.backend}${r.blas ? " + BLAS" : ""}`),
    ...versusTorchCells(r),
  ],
  "coconut-step": (r) => [copraCell(r, ""), ...versusTorchCells(r)],
  "products": (r) => {
    const ms = r.train_step_ms as Record<string, number>, ratio = r.ratio_vs_blas as Record<string, number> | null;
    const paths = Object.keys(ms).filter((p) => p !== "blas");
    return [
      `tiny step ${paths.map((p) => `${p} ${ms[p]} ms`).join(", ")}`,
      ms.blas === undefined ? "no OpenBLAS here" : `OpenBLAS ${ms.blas} ms`,
      ratio ? paths.map((p) => `${p} ${ratio[p]}`).join(", ") : "—",
    ];
  },
  "generate": (r) => [
    `Coconut ${r.coconut_ms} ms, cached ${r.cached_ms} ms`,
    `CoT ${r.cot_ms} ms, recomputed ${r.recompute_ms} ms`,
    `CoT/Coconut ${r.cot_over_coconut}, recompute/cached ${r.recompute_over_cached}`,
  ],
  "session": (r) => [
    `new turn ${r.turn_ms} ms after ${r.history_positions} positions (early turns ${r.early_turn_ms} ms)`,
    `recomputing the history ${r.recompute_ms} ms`,
    `recompute/turn ${r.recompute_over_turn}`,
  ],
  "decode": (r) => [
    `${r.batch1_ms} ms/token at batch 1, ${r.batch32_ms} at batch 32 (1 thread); ${r.default_batch1_ms ?? "—"} / ${
      r.default_batch32_ms ?? "—"
    } (head on ${r.default_threads ?? "—"} threads; ${r.products ?? r.blas ?? "—"})`,
    `torch ${r.torch_batch1_ms ?? "—"} / ${r.torch_batch32_ms ?? "—"} (1 thread); ${
      r.torch_default_batch1_ms ?? "—"
    } / ${r.torch_default_batch32_ms ?? "—"} (default, ${r.torch_default_threads ?? "—"} threads)`,
    `${r.ratio_batch1 ?? "—"} / ${r.ratio_batch32 ?? "—"}; default ${r.ratio_default_batch1 ?? "—"} / ${
      r.ratio_default_batch32 ?? "—"
    }`,
  ],
  "train-threads": (r) => [
    `${r.threads_ms} ms per update on ${r.threads} threads`,
    `${r.one_thread_ms} ms on one thread`,
    `${r.speedup}×`,
  ],
  "train-time": (r) => {
    const pct = (x: unknown) => typeof x === "number" ? `${Math.round(x * 1000) / 10}%` : "—";
    return [
      `deno task train, default path: ${r.default_s} s (held-out ${pct(r.default_heldout)}; ${r.default_products})`,
      r.openblas_s === null
        ? "no OpenBLAS here"
        : `with OpenBLAS: ${r.openblas_s} s (held-out ${pct(r.openblas_heldout)})`,
      r.default_over_openblas === null ? "—" : `default/OpenBLAS ${r.default_over_openblas}×`,
    ];
  },
  "checkpoint-torch": (
    r,
  ) => [`loads in torch: ${r.loads_in_torch}`, "PyTorch reference", `max abs diff ${r.max_abs_diff}`],
};
