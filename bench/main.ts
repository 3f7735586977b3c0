// deno-lint-ignore-file no-console
/**
 * `deno task bench [name…] [--preset P] [--backend B] [--steps N] [--profile]`: runs the named benchmarks (all when none is
 * named). `--profile` adds a per-kernel profile of one step to train-step and coconut-step. Each prints one JSON object per line; when all run, a table of the headline figures follows and is
 * written to `bench/latest.md` (date, machine, figures) for copying into `bench/RESULTS.md`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { BackendName, PresetName } from "@copra/model";
import { benchCheckpointTorch } from "./checkpoint_torch.ts";
import { benchCoconutStep } from "./coconut_step.ts";
import { benchDecode } from "./decode.ts";
import { benchGenerate } from "./generate.ts";
import { benchProducts } from "./products.ts";
import { benchSession } from "./session.ts";
import { benchTokenizer } from "./tokenizer.ts";
import { benchTrainStep } from "./train_step.ts";
import { benchTrainThreads } from "./train_threads.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    preset: { type: "string" },
    backend: { type: "string" },
    steps: { type: "string" },
    batch: { type: "string" },
    profile: { type: "boolean" },
  },
});

const BENCHES: Record<string, () => Promise<object>> = {
  "tokenizer": () => benchTokenizer(),
  "coconut-step": () =>
    benchCoconutStep({ steps: values.steps ? Number(values.steps) : undefined, profile: values.profile }),
  "checkpoint-torch": () => benchCheckpointTorch(),
  "generate": () => benchGenerate(),
  "decode": () => benchDecode(),
  "session": () => benchSession(),
  "products": () => benchProducts({ steps: values.steps ? Number(values.steps) : undefined }),
  "train-threads": () => benchTrainThreads({ steps: values.steps ? Number(values.steps) : undefined }),
  "train-step": () =>
    benchTrainStep({
      preset: values.preset as PresetName | undefined,
      backend: values.backend as BackendName | undefined,
      steps: values.steps ? Number(values.steps) : undefined,
      batch: values.batch ? Number(values.batch) : undefined,
      profile: values.profile,
    }),
};

const names = positionals.length > 0 ? positionals : Object.keys(BENCHES);
const results: Record<string, Record<string, unknown>> = {};
for (const name of names) {
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`unknown benchmark ${JSON.stringify(name)}; known: ${Object.keys(BENCHES).join(", ")}`);
    Deno.exit(2);
  }
  results[name] = (await bench()) as Record<string, unknown>;
  console.log(JSON.stringify(results[name]));
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
const HEADLINES: Record<string, (r: Record<string, unknown>) => [string, string, string]> = {
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
    `${r.copra_ms} ms (${r.backend}${r.blas ? " + BLAS" : ""})`,
    ...versusTorchCells(r),
  ],
  "coconut-step": (r) => [`${r.copra_ms} ms`, ...versusTorchCells(r)],
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
    `${r.batch1_ms} ms/token at batch 1, ${r.batch32_ms} at batch 32`,
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
  "checkpoint-torch": (
    r,
  ) => [`loads in torch: ${r.loads_in_torch}`, "PyTorch reference", `max abs diff ${r.max_abs_diff}`],
};

if (positionals.length === 0) {
  let cpu: string | undefined;
  try {
    cpu = (await Deno.readTextFile("/proc/cpuinfo")).match(/model name\s*:\s*(.*)/)?.[1];
  } catch {
    // not Linux, or not permitted (Deno asks for --allow-all for /proc): the architecture will do
  }
  const machine = `${cpu ?? Deno.build.arch}, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}`;
  const rows = Object.entries(results).map(([name, r]) =>
    `| ${new Date().toISOString().slice(0, 10)} | ${name} | ${HEADLINES[name](r).join(" | ")} |`
  );
  const table = [
    `Machine: ${machine}`,
    "",
    "| date | bench | copra | reference | ratio |",
    "|---|---|---|---|---|",
    ...rows,
  ].join("\n");
  console.log("\n" + table);
  await Deno.writeTextFile(new URL("./latest.md", import.meta.url), table + "\n");
}
