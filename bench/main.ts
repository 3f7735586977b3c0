// deno-lint-ignore-file no-console
/**
 * `deno task bench [name…] [--preset P] [--backend B] [--steps N] [--rounds N] [--profile]`: runs the named benchmarks
 * (all when none is named). `--profile` adds a per-kernel profile of one step to train-step and coconut-step; `--rounds`
 * runs each benchmark N times and combines the lines (`rounds.ts`). Each prints one JSON object per line; when all run, a table of the headline figures follows and is
 * written to `bench/latest.md` (date, machine, figures) for copying into `bench/RESULTS.md`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { BACKEND_NAMES, type BackendName, type PresetName, PRESETS as MODEL_PRESETS } from "@copra/model";
import { integerIn } from "../cli/options.ts";
import { benchCheckpointTorch } from "./checkpoint_torch.ts";
import { benchCoconutStep } from "./coconut_step.ts";
import { benchDecode } from "./decode.ts";
import { benchGenerate } from "./generate.ts";
import { benchProducts } from "./products.ts";
import { benchSession } from "./session.ts";
import { benchTokenizer } from "./tokenizer.ts";
import { benchTrainStep } from "./train_step.ts";
import { benchTrainThreads } from "./train_threads.ts";
import { benchTrainTime } from "./train_time.ts";
import { HEADLINES } from "./headlines.ts";
import { combineRounds } from "./rounds.ts";

const PRESETS = Object.keys(MODEL_PRESETS) as PresetName[];

const USAGE =
  `usage: deno task bench [name…] [--preset P] [--backend B] [--steps N] [--batch N] [--rounds N] [--profile]
  names: tokenizer, coconut-step, checkpoint-torch, generate, decode, session, products, train-threads, train-step,
         train-time (deno task train itself, twice: several minutes)
         (all when none is named; then a table is printed and written to bench/latest.md)
  --preset   train-step's model: ${PRESETS.join(", ")} (default tiny)
  --backend  train-step's backend: ${BACKEND_NAMES.join(", ")} (default wasm)
  --steps    timed steps (coconut-step, products, train-threads, train-step)
  --batch    train-step's batch (default 16)
  --rounds   run each benchmark N times and report medians, each ratio the median of the rounds' own ratios
             (default 1; on a machine whose speed drifts, 3 or more)
  --profile  add a per-kernel profile of one step (train-step, coconut-step)`;

/** Exits with one message (and the usage) on a bad command line. */
function usage(message: string): never {
  console.error(`bench: ${message}\n${USAGE}`);
  Deno.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      preset: { type: "string" },
      backend: { type: "string" },
      steps: { type: "string" },
      batch: { type: "string" },
      rounds: { type: "string" },
      profile: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
} catch (error) {
  usage(error instanceof Error ? error.message : String(error));
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  Deno.exit(0);
}
/** A whole number ≥ 1 written in decimal digits, or undefined when the option is absent. */
function count(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = integerIn(text, 1, Number.MAX_SAFE_INTEGER);
  return n ?? usage(`--${name} ${JSON.stringify(text)}: expected a whole number ≥ 1`);
}
const steps = count("steps", values.steps);
const batch = count("batch", values.batch);
const rounds = count("rounds", values.rounds) ?? 1;
if (values.preset !== undefined && !(PRESETS as readonly string[]).includes(values.preset)) {
  usage(`--preset ${JSON.stringify(values.preset)}: expected one of ${PRESETS.join(", ")}`);
}
if (values.backend !== undefined && !(BACKEND_NAMES as readonly string[]).includes(values.backend)) {
  usage(`--backend ${JSON.stringify(values.backend)}: expected one of ${BACKEND_NAMES.join(", ")}`);
}

const BENCHES: Record<string, () => Promise<object>> = {
  "tokenizer": () => benchTokenizer(),
  "coconut-step": () => benchCoconutStep({ steps, profile: values.profile }),
  "checkpoint-torch": () => benchCheckpointTorch(),
  "generate": () => benchGenerate(),
  "decode": () => benchDecode(),
  "session": () => benchSession(),
  "products": () => benchProducts({ steps }),
  "train-threads": () => benchTrainThreads({ steps }),
  "train-step": () =>
    benchTrainStep({
      preset: values.preset as PresetName | undefined,
      backend: values.backend as BackendName | undefined,
      steps,
      batch,
      profile: values.profile,
    }),
  "train-time": () => benchTrainTime(),
};

const names = positionals.length > 0 ? positionals : Object.keys(BENCHES);
const unknown = names.find((name) => !BENCHES[name]);
if (unknown !== undefined) usage(`unknown benchmark ${JSON.stringify(unknown)}`);
const results: Record<string, Record<string, unknown>> = {};
for (const name of names) {
  const lines: Record<string, unknown>[] = [];
  for (let r = 0; r < rounds; r++) {
    try {
      lines.push((await BENCHES[name]()) as Record<string, unknown>);
    } catch (error) {
      // one line naming the benchmark, not a stack (the lines printed so far stand)
      console.error(`bench: ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
      Deno.exit(1);
    }
  }
  results[name] = combineRounds(lines);
  console.log(JSON.stringify(results[name]));
}

if (positionals.length === 0) {
  let cpu: string | undefined;
  try {
    cpu = (await Deno.readTextFile("/proc/cpuinfo")).match(/model name\s*:\s*(.*)/)?.[1];
  } catch {
    // not Linux, or not permitted (Deno asks for --allow-all for /proc): ask lscpu (the task may run programs)
    try {
      const out = await new Deno.Command("lscpu", { stdout: "piped", stderr: "null" }).output();
      cpu = new TextDecoder().decode(out.stdout).match(/Model name:\s*(.*)/)?.[1]?.trim();
    } catch {
      // no lscpu: the architecture will do
    }
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
