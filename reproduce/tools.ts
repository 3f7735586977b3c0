// deno-lint-ignore-file no-console
/**
 * `deno task reproduce --regime tools [--quick] [--only …] [--seeds …] [--runs DIR] [--docs DIR] [--fresh]`
 *
 * The calculator demonstration: arithmetic problems whose steps are calculator spans with large operands, the
 * same small model trained with the tool (its results are input, `--tool-results input`) and without it (the model
 * writes them), CoT from scratch and Coconut from each CoT. Each model answers the test items through a `Session`
 * — with the calculator for the tool runs — and `RESULTS-tools.md` reports accuracy, the share of right tool
 * inputs, and tokens + thoughts per answer. Finished runs are kept in `--runs` and reused.
 *
 * @module
 */

import { type CurriculumConfig, curriculumConfig } from "@copra/curriculum";
import { type CoconutItem, generateArithmetic, saveDataset } from "@copra/data";
import { calculator } from "@copra/infer";
import { disposeParams, type GPT2Params, useBackend } from "@copra/model";
import {
  buildTokenizer,
  type EpochMetrics,
  evaluateWithTools,
  modelConfigFor,
  readCheckpoint,
  TOOLS,
  TOOLS_QUICK,
  type ToolsRegime,
  train,
} from "@copra/train";
import { formatDuration, markdownTable, percent } from "./report.ts";
import {
  progressPrinter,
  recipeOptions,
  type ReproduceOptions,
  resultsFile,
  runFolder,
  startRunFolder,
} from "./progress.ts";

/** One trained model of the tools table. */
interface ToolsRun {
  label: string;
  seed: number;
  epochs: EpochMetrics[];
  trainSeconds: number;
  accuracy: number;
  rightCalls: number | null;
  calls: number;
  tokens: number;
  thoughts: number;
  /** A few answers, for the report. */
  examples: string[];
}

/** Where it reads and writes: the shared command-line options. */
export type ToolsOptions = ReproduceOptions;

/** Runs the calculator reproduction (see the module documentation). */
export async function reproduceTools(options: ToolsOptions): Promise<void> {
  const regime = options.quick ? TOOLS_QUICK : TOOLS;
  const runsDir = options.runsDir ?? (options.quick ? "runs/reproduce-tools-quick" : "runs/reproduce-tools");
  const docsDir = options.docsDir ?? (options.quick ? `${runsDir}/docs` : "docs");
  const started = performance.now();
  await useBackend("wasm");
  await Deno.mkdir(`${runsDir}/data`, { recursive: true });
  const trainItems = generateArithmetic({ n: regime.sizes.train, seed: 1, ...regime.task });
  const seen = new Set(trainItems.map((it) => it.question));
  const fresh = (items: CoconutItem[]) => items.filter((it) => !seen.has(it.question));
  const validItems = fresh(generateArithmetic({ n: regime.sizes.valid, seed: 2, ...regime.task }));
  const testItems = fresh(generateArithmetic({ n: regime.sizes.test, seed: 3, ...regime.task }));
  for (const [name, items] of Object.entries({ train: trainItems, valid: validItems, test: testItems })) {
    await saveDataset(`${runsDir}/data/${name}.json`, items);
  }
  const everything = [...trainItems, ...validItems, ...testItems];
  const tokenizer = buildTokenizer(everything, [], { splitDigits: true });
  console.log(
    `reproduce ${regime.name}: ${trainItems.length} train / ${validItems.length} held-out / ${testItems.length} ` +
      `test items; vocabulary ${tokenizer.vocabSize} (digits split)`,
  );

  const fingerprint = JSON.stringify({ ...regime, runs: undefined, name: undefined });
  const resultsPath = `${runsDir}/results.json`;
  if (options.fresh) await Deno.remove(resultsPath).catch(() => {});
  const rank = (r: ToolsRun) => regime.runs.findIndex((x) => x.label === r.label) * 1000 + r.seed;
  const { finished, add } = resultsFile<ToolsRun>(resultsPath, fingerprint, rank);
  for (const spec of regime.runs) {
    if (options.only && !options.only.has(spec.label)) continue;
    for (const seed of spec.seeds) {
      if (options.seeds && !options.seeds.has(seed)) continue;
      if ((await finished()).some((r) => r.label === spec.label && r.seed === seed)) {
        console.log(`${spec.label} seed ${seed}: done before, kept`);
        continue;
      }
      const curriculum: CurriculumConfig = curriculumConfig({
        method: spec.method,
        thoughtsPerStep: regime.recipe.thoughtsPerStep,
        maxLatentStage: regime.recipe.maxLatentStage,
        epochsPerStage: regime.recipe.epochsPerStage,
        optimizerReset: regime.recipe.optimizerReset,
        toolResults: spec.toolResults,
      });
      const model = modelConfigFor(regime.model.preset, tokenizer, everything, curriculum, regime.model.overrides);
      const out = runFolder(runsDir, spec.label, seed);
      await startRunFolder(out, {
        curriculum,
        preset: regime.model.preset,
        model,
        data: `deno task reproduce: ${regime.name}`,
      });
      const { cotEpochs, epochsPerStage, maxLatentStage } = regime.recipe;
      let initialParams: GPT2Params | undefined;
      if (spec.from) {
        const path = `${runFolder(runsDir, spec.from, seed)}/checkpoint-${cotEpochs - 1}`;
        initialParams = (await readCheckpoint(path).catch((error) => {
          throw new Error(
            `${spec.label} seed ${seed} starts from ${path} (${error.message}): train "${spec.from}" first`,
          );
        })).params;
      }
      const t0 = performance.now();
      const { metrics, params } = await train(trainItems, validItems, {
        curriculum,
        model,
        tokenizer,
        initialParams,
        firstEpoch: spec.from ? epochsPerStage : 0,
        epochs: spec.from ? epochsPerStage + (maxLatentStage + 1) * epochsPerStage : cotEpochs,
        ...recipeOptions(regime.recipe),
        seed,
        backend: "wasm",
        threads: options.threads,
        out,
        maxNewTokens: 40,
      }, progressPrinter(`${spec.label} s${seed}`, 50));
      const trainSeconds = (performance.now() - t0) / 1000;
      const scored = await evaluateWithTools(params, model, testItems, curriculum, tokenizer, {
        tools: spec.toolResults === "input" ? [calculator] : [],
        maxNewTokens: 48,
      });
      disposeParams(params);
      const result: ToolsRun = {
        label: spec.label,
        seed,
        epochs: metrics,
        trainSeconds,
        accuracy: scored.accuracy,
        rightCalls: scored.rightCalls,
        calls: scored.calls,
        tokens: scored.meanTokens,
        thoughts: scored.thoughts,
        examples: scored.turns.slice(0, 3).map((t) => t.text),
      };
      console.log(
        `${spec.label} s${seed}: test ${(result.accuracy * 100).toFixed(1)}%; ${formatDuration(trainSeconds)}`,
      );
      await add(result);
    }
  }
  await writeReport(regime, await finished(), {
    docsDir,
    runsDir,
    quick: options.quick,
    sizes: { train: trainItems.length, valid: validItems.length, test: testItems.length },
    vocabulary: tokenizer.vocabSize,
    example: testItems[0],
  });
  console.log(`\nwrote ${docsDir}/RESULTS-tools.md in ${formatDuration((performance.now() - started) / 1000)}`);
}

/** RESULTS-tools.md. */
async function writeReport(
  regime: ToolsRegime,
  runs: ToolsRun[],
  context: {
    docsDir: string;
    runsDir: string;
    quick: boolean;
    sizes: { train: number; valid: number; test: number };
    vocabulary: number;
    example: CoconutItem;
  },
): Promise<void> {
  const groups = new Map<string, ToolsRun[]>();
  for (const r of runs) groups.set(r.label, [...(groups.get(r.label) ?? []), r]);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
  const rc = regime.recipe, t = regime.task;
  const cpu = await Deno.readTextFile("/proc/cpuinfo").then((x) => x.match(/model name\s*:\s*(.*)/)?.[1], () => null);
  const lines = [
    `# ${regime.name} results${context.quick ? " (quick smoke run: sizes far too small to mean anything)" : ""}`,
    "",
    `Generated by \`deno task reproduce --regime tools${context.quick ? " --quick" : ""}\` on ${
      new Date().toISOString().slice(0, 10)
    }, ${cpu ?? Deno.build.arch}, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, tfjs wasm.`,
    "",
    "## Regime",
    "",
    `- Task: \`generateArithmetic\` with ${t.steps?.join("–")} calculator steps per problem and operands ` +
    `${
      t.operands?.join("–")
    }: ${context.sizes.train} training, ${context.sizes.valid} held-out, ${context.sizes.test} ` +
    `test problems, e.g. "${context.example.question}" → ${JSON.stringify(context.example.steps)}. A word-level ` +
    `vocabulary of ${context.vocabulary} tokens with every digit its own token.`,
    `- Model: ${JSON.stringify(regime.model.overrides)} on the \`${regime.model.preset}\` preset, from scratch.`,
    `- Runs: CoT for ${rc.cotEpochs} epochs; Coconut from that CoT through stages 1–${rc.maxLatentStage} and the final ` +
    `stage (c = ${rc.thoughtsPerStep}, ${rc.epochsPerStage} epoch each). "+ calc": the results after \`=\` in each ` +
    "`<<expression=result>>` are input (no loss), and at test time a calculator writes them; without it the model " +
    `writes them. Batch ${rc.batchSize}, AdamW lr ${rc.lr} (${rc.lrSchedule}), weight decay ${rc.weightDecay}.`,
    "",
    "## Table",
    "",
    "Every answer is one turn of a `Session` (greedy). Right tool inputs: calls whose expression is one of the " +
    "problem's own steps (each once), over all calls.",
    "",
    markdownTable(
      ["run", "seeds", "accuracy %", "right tool inputs %", "calls per answer", "tokens + thoughts", "training time"],
      [...groups].map(([label, g]) => {
        const right = g.map((r) => r.rightCalls).filter((x): x is number => x !== null);
        return [
          label,
          String(g.length),
          percent(g.map((r) => r.accuracy)),
          right.length ? percent(right) : "—",
          mean(g.map((r) => r.calls)).toFixed(2),
          `${mean(g.map((r) => r.tokens)).toFixed(1)} + ${mean(g.map((r) => r.thoughts)).toFixed(1)}`,
          formatDuration(mean(g.map((r) => r.trainSeconds))),
        ];
      }),
    ),
    "",
    "## Answers (first test problems)",
    "",
    ...runs.flatMap((r) => [`- ${r.label} s${r.seed}:`, ...r.examples.map((e) => `  \`${JSON.stringify(e)}\``)]),
    "",
    "## Commands",
    "",
    "```sh",
    `deno task reproduce --regime tools${
      context.quick ? " --quick" : ""
    }   # reuses finished runs in ${context.runsDir}`,
    `deno task copra chat --ckpt ${context.runsDir}/cot-calc-s0 --tools calc   # talk to the tool-using model`,
    "```",
    "",
  ];
  await Deno.mkdir(context.docsDir, { recursive: true });
  await Deno.writeTextFile(`${context.docsDir}/RESULTS-tools.md`, lines.join("\n"));
}
