// deno-lint-ignore-file no-console
/**
 * `deno task bench [name…] [--preset P] [--backend B] [--steps N]`: runs the named benchmarks (all when none is
 * named). Each prints one JSON object per line; the last line is the last benchmark's result.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { BackendName, PresetName } from "../model/mod.ts";
import { benchCheckpointTorch } from "./checkpoint_torch.ts";
import { benchCoconutStep } from "./coconut_step.ts";
import { benchGenerate } from "./generate.ts";
import { benchTokenizer } from "./tokenizer.ts";
import { benchTrainStep } from "./train_step.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    preset: { type: "string" },
    backend: { type: "string" },
    steps: { type: "string" },
    batch: { type: "string" },
  },
});

const BENCHES: Record<string, () => Promise<object>> = {
  "tokenizer": () => benchTokenizer(),
  "coconut-step": () => benchCoconutStep({ steps: values.steps ? Number(values.steps) : undefined }),
  "checkpoint-torch": () => benchCheckpointTorch(),
  "generate": () => benchGenerate(),
  "train-step": () =>
    benchTrainStep({
      preset: values.preset as PresetName | undefined,
      backend: values.backend as BackendName | undefined,
      steps: values.steps ? Number(values.steps) : undefined,
      batch: values.batch ? Number(values.batch) : undefined,
    }),
};

const names = positionals.length > 0 ? positionals : Object.keys(BENCHES);
for (const name of names) {
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`unknown benchmark ${JSON.stringify(name)}; known: ${Object.keys(BENCHES).join(", ")}`);
    Deno.exit(2);
  }
  console.log(JSON.stringify(await bench()));
}
