// deno-lint-ignore-file no-console
/**
 * `deno task reproduce [--quick] [--regime coconut-nano|balanced|payoff|payoff-branching|tools] [--budget K] [--only cot,coconut] [--seeds 0,1] [--runs DIR] [--docs DIR] [--prosqa FILE] [--fresh]`
 *
 * `--regime payoff` (chains) and `--regime payoff-branching` (graphs with branch points) run the symbolic-graph
 * tables of `./payoff.ts` instead, `--budget K` with K times their epochs; `--regime tools` the calculator
 * demonstration of `./tools.ts`.
 *
 * Regenerates the Coconut-nano data, trains every method of Coconut-nano (`REGIMES` of @copra/train, or `COCONUT_NANO_QUICK`) with equal
 * budgets, scores each model on the in-distribution test set, a test set with more hops than training, and the
 * released ProsQA test set, and writes `RESULTS.md` with the table, the paper's orderings checked, and two SVG
 * plots. Finished runs are kept in `--runs` (default `runs/reproduce`, `runs/reproduce-quick` for `--quick`)
 * and reused when the regime is unchanged, so an interrupted reproduction continues where it stopped. `--only` and
 * `--seeds` pick runs, e.g. to use both cores with two processes (`--seeds 1` beside `--seeds 0`); the report always
 * covers every finished run.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { integerIn } from "../cli/options.ts";
import { curriculumConfig, specialIds, thoughtsAtStage, tokenizeRecord } from "@copra/curriculum";
import {
  type CoconutItem,
  generateProsQA,
  loadDataset,
  PROSQA_CONCEPTS,
  PROSQA_PERSONS,
  saveDataset,
  shortcutAudit,
} from "@copra/data";
import { disposeParams, type GPT2Params, useBackend } from "@copra/model";
import {
  buildTokenizer,
  COCONUT_NANO_QUICK,
  evaluate,
  extraEpochsOf,
  type GenerateLane,
  modelConfigFor,
  PAYOFF_REGIMES,
  readCheckpoint,
  type Regime,
  REGIMES,
  train,
} from "@copra/train";
import type { Tokenizer } from "@copra/tokenizer";
import type { CurriculumConfig } from "@copra/curriculum";
import type { GPT2Config } from "@copra/model";

import {
  auditTable,
  checkOrderings,
  formatDuration,
  markdownTable,
  meanAccuracy,
  resultsTable,
  rowName,
  type RunResult,
  type Score,
} from "./report.ts";
import { lineChart, scatterChart } from "./svg.ts";
import { type PayoffOptions, reproducePayoff } from "./payoff.ts";
import { reproduceTools } from "./tools.ts";
import { progressPrinter, recipeOptions, runFolder, startRunFolder, withScoringLanes } from "./progress.ts";

/** The command line; a malformed one (an unknown option, a missing value) is one message and exit code 2. */
function commandLine() {
  try {
    return parseArgs({
      args: Deno.args,
      options: {
        quick: { type: "boolean" },
        regime: { type: "string" },
        only: { type: "string" },
        seeds: { type: "string" },
        runs: { type: "string" },
        docs: { type: "string" },
        prosqa: { type: "string" },
        fresh: { type: "boolean" },
        threads: { type: "string" },
        budget: { type: "string" },
      },
    });
  } catch (error) {
    console.error(`deno task reproduce: ${(error as Error).message}`);
    Deno.exit(2);
  }
}
const { values } = commandLine();

/** A whole-number option written in decimal digits (not "0x10", "1e2" or "2.0"), within [min, max]; else exit 2. */
function wholeNumber(option: string, value: string | undefined, fallback: number, max: number, what = ""): number {
  if (value === undefined) return fallback;
  const n = integerIn(value, 1, max);
  if (n === null) {
    console.error(`${option} ${JSON.stringify(value)}: expected a whole number from 1 to ${max}${what}`);
    Deno.exit(2);
  }
  return n;
}

// Threads training each run: 1 by default (the documented tables' numerics; other counts round differently).
// Scoring uses every core whatever this is (its answers do not depend on the count).
const threads = wholeNumber("--threads", values.threads, 1, 256);

const regimeName = values.regime ?? "coconut-nano";
// The symbolic-graph table (payoff.ts) and the calculator demonstration (tools.ts) have their own runs and reports.
const OWN_REPORTS: Record<string, (options: PayoffOptions) => Promise<void>> = {
  ...Object.fromEntries(Object.keys(PAYOFF_REGIMES).map((name) => [name, reproducePayoff])),
  tools: reproduceTools,
};
if (!(regimeName in REGIMES) && !(regimeName in OWN_REPORTS)) {
  console.error(
    `--regime ${JSON.stringify(regimeName)}: unknown; known: ${
      [...Object.keys(REGIMES), ...Object.keys(OWN_REPORTS)].join(", ")
    }`,
  );
  Deno.exit(2);
}
// --budget K multiplies a payoff table's epochs (its runs and report get a -xK suffix).
const budget = wholeNumber("--budget", values.budget, 1, 1000, " (a multiple of the epochs)");
if (values.budget !== undefined && !(regimeName in PAYOFF_REGIMES)) {
  console.error(
    `--budget: only the payoff regimes (${Object.keys(PAYOFF_REGIMES).join(", ")}) take it; ` +
      `--regime ${JSON.stringify(regimeName)} has its budget fixed`,
  );
  Deno.exit(2);
}
// A folder given outside what the task may write is one message before anything is written, not a stack trace later.
for (const [option, path] of [["--runs", values.runs], ["--docs", values.docs]] as const) {
  if (path !== undefined && Deno.permissions.querySync({ name: "write", path }).state !== "granted") {
    console.error(
      `${option} ${JSON.stringify(path)}: not writable under this task's permissions (deno task reproduce may write ` +
        `runs/ and docs/); give a folder under those, or run reproduce/main.ts with --allow-write for it`,
    );
    Deno.exit(2);
  }
}
if (regimeName in OWN_REPORTS) {
  await OWN_REPORTS[regimeName]({
    regime: regimeName,
    budget,
    quick: values.quick === true,
    runsDir: values.runs,
    docsDir: values.docs,
    only: values.only ? new Set(values.only.split(",")) : null,
    seeds: values.seeds ? new Set(values.seeds.split(",").map(Number)) : null,
    fresh: values.fresh === true,
    threads,
  });
  Deno.exit(0);
}
const regime: Regime = values.quick ? COCONUT_NANO_QUICK : REGIMES[regimeName];
// The default regime writes docs/RESULTS.md; another writes docs/RESULTS-<name>.md (plots likewise).
const suffix = values.quick || regimeName === "coconut-nano" ? "" : `-${regimeName}`;
const runsDir = values.runs ?? (values.quick ? "runs/reproduce-quick" : `runs/reproduce${suffix}`);
const docsDir = values.docs ?? (values.quick ? `${runsDir}/docs` : "docs");
const prosqaPath = values.prosqa ?? new URL("../../shared/data/prosqa_test.json", import.meta.url).pathname;
const only = values.only ? new Set(values.only.split(",")) : null;
const onlySeeds = values.seeds ? new Set(values.seeds.split(",").map(Number)) : null;
const started = performance.now();

await useBackend("wasm");
await Deno.mkdir(`${runsDir}/data`, { recursive: true });

// --- data: generated splits (test and OOD items whose question also occurs in training are dropped) ---
const gen = (n: number, seed: number, options: Regime["task"]) => generateProsQA({ n, seed, ...options });
const trainItems = gen(regime.sizes.train, 1, regime.task);
const seen = new Set(trainItems.map((it) => it.question));
const fresh = (items: CoconutItem[]) => items.filter((it) => !seen.has(it.question));
const validItems = fresh(gen(regime.sizes.valid, 2, regime.task));
const testItems = fresh(gen(regime.sizes.test, 3, regime.task));
const oodItems = fresh(gen(regime.sizes.ood, 4, regime.ood));
for (const [name, items] of Object.entries({ train: trainItems, valid: validItems, test: testItems, ood: oodItems })) {
  await saveDataset(`${runsDir}/data/${name}.json`, items);
}
let prosqaItems: CoconutItem[] | null = null;
try {
  prosqaItems = (await loadDataset(prosqaPath)).slice(0, regime.sizes.prosqa);
} catch {
  console.log(`(no ${prosqaPath}: the ProsQA test column stays empty)`);
}
const tokenizer = buildTokenizer(
  [...trainItems, ...validItems, ...testItems, ...oodItems],
  [...PROSQA_PERSONS, ...PROSQA_CONCEPTS],
);
/** Every item a model will see (its n_positions must cover the longest). */
const everything = [...trainItems, ...validItems, ...testItems, ...oodItems, ...(prosqaItems ?? [])];
console.log(
  `reproduce ${regime.name}: ${trainItems.length} train / ${validItems.length} held-out / ${testItems.length} test / ` +
    `${oodItems.length} OOD items; vocabulary ${tokenizer.vocabSize}; CoT ${regime.recipe.cotEpochs} epochs, then ` +
    `${extraEpochsOf(regime)} epochs per method`,
);

// --- every run (reused when its result exists for this exact regime) ---
const fingerprint = JSON.stringify({ ...regime, runs: undefined, name: undefined });
const resultsPath = `${runsDir}/results.json`;
if (values.fresh) await Deno.remove(resultsPath).catch(() => {});
/** The runs results.json holds for this regime (others', e.g. a parallel `--seeds 1`, included); [] if none. */
async function finishedRuns(): Promise<RunResult[]> {
  const saved: { fingerprint: string; runs: RunResult[] } | null = await Deno.readTextFile(resultsPath)
    .then(JSON.parse, () => null);
  return saved?.fingerprint === fingerprint ? saved.runs : [];
}
const key = (r: RunResult) => `${rowName(r)}/${r.seed}`;
/** Runs in the regime's order (method, then seed), later entries replacing earlier ones of the same key. */
const merge = (...runs: RunResult[]): RunResult[] => regimeOrder([...new Map(runs.map((r) => [key(r), r])).values()]);

for (const spec of regime.runs) {
  const name = spec.label ?? spec.method;
  if (only && !only.has(name)) continue;
  for (const seed of spec.seeds) {
    if (onlySeeds && !onlySeeds.has(seed)) continue;
    if ((await finishedRuns()).some((r) => rowName(r) === name && r.seed === seed)) {
      console.log(`${name} seed ${seed}: done before, kept`);
      continue;
    }
    const result = await trainAndScore(spec, seed);
    const runs = merge(...await finishedRuns(), result);
    await Deno.writeTextFile(resultsPath, JSON.stringify({ fingerprint, runs }, null, 1) + "\n");
  }
}

// The report covers every finished run of this regime, including those of parallel processes.
const results = await finishedRuns();
await writeReport(results);
console.log(`\n${resultsTable(results, `${regime.ood.minHops}-hop OOD`)}`);
console.log(
  `\nwrote ${docsDir}/RESULTS${suffix}.md and its plots in ${formatDuration((performance.now() - started) / 1000)}`,
);

/** Runs in the regime's order (method, then seed), so the report does not depend on which finished first. */
function regimeOrder(runs: RunResult[]): RunResult[] {
  const rank = (r: RunResult) => regime.runs.findIndex((x) => (x.label ?? x.method) === rowName(r)) * 1000 + r.seed;
  return runs.sort((a, b) => rank(a) - rank(b));
}

/** Trains one row of the regime (a method, or an audit variant) with one seed, then scores it on every test set. */
async function trainAndScore(spec: Regime["runs"][number], seed: number): Promise<RunResult> {
  const { method, label } = spec;
  const name = label ?? method;
  // CoT, and the audit rows, train from scratch through both phases.
  const scratch = method === "cot" || spec.fromScratch === true;
  const curriculum = curriculumConfig({
    method: method as CurriculumConfig["method"],
    thoughtsPerStep: regime.recipe.thoughtsPerStep,
    maxLatentStage: regime.recipe.maxLatentStage,
    epochsPerStage: regime.recipe.epochsPerStage,
    optimizerReset: regime.recipe.optimizerReset,
  });
  const overrides = { ...regime.model.overrides, ...(spec.nLayer ? { n_layer: spec.nLayer } : {}) };
  let model = modelConfigFor(regime.model.preset, tokenizer, everything, curriculum, overrides);
  if (model.n_positions < 512) model = { ...model, n_positions: 512 };
  const out = runFolder(runsDir, name, seed);
  await startRunFolder(out, {
    curriculum,
    preset: regime.model.preset,
    model,
    data: `deno task reproduce: ${regime.name}`,
  });
  // CoT from scratch through both phases; every other method from the CoT checkpoint at the end of phase one,
  // starting its curriculum at stage 1 (epoch numbers are the curriculum's: epochsPerStage … ).
  const { cotEpochs, epochsPerStage } = regime.recipe;
  const extra = extraEpochsOf(regime);
  let initialParams: GPT2Params | undefined;
  if (!scratch) {
    const path = `${runsDir}/cot-s${seed}/checkpoint-${cotEpochs - 1}`;
    try {
      initialParams = (await readCheckpoint(path)).params;
    } catch (error) {
      throw new Error(
        `${method} seed ${seed} starts from ${path}, which could not be read (${(error as Error).message}): ` +
          `train cot seed ${seed} first (run without --only, or with --fresh)`,
      );
    }
  }
  const t0 = performance.now();
  const { metrics, params } = await train(trainItems, validItems, {
    curriculum,
    model,
    tokenizer,
    initialParams,
    firstEpoch: scratch ? 0 : epochsPerStage,
    epochs: scratch ? cotEpochs + extra : epochsPerStage + extra,
    ...recipeOptions(regime.recipe),
    seed,
    backend: "wasm",
    threads,
    out,
    maxNewTokens: 48,
  }, progressPrinter(`${name} s${seed}`));
  const trainSeconds = (performance.now() - t0) / 1000;
  const thoughts = thoughtsAtStage(curriculum, regime.recipe.maxLatentStage + 1);
  const result: RunResult = await withScoringLanes(model, params, async (lanes) => {
    const score = (items: CoconutItem[]) => scoreOn(params, model, curriculum, items, thoughts, tokenizer, lanes);
    return {
      method,
      ...(label ? { label } : {}),
      ...(spec.fromScratch ? { fromScratch: true } : {}),
      seed,
      epochs: metrics,
      trainSeconds,
      test: await score(testItems),
      ood: await score(oodItems),
      prosqa: prosqaItems ? await score(prosqaItems) : null,
    };
  });
  disposeParams(params);
  console.log(
    `${name} s${seed}: test ${(result.test.accuracy * 100).toFixed(1)}%, OOD ${
      (result.ood.accuracy * 100).toFixed(1)
    }%, ProsQA ${result.prosqa ? (result.prosqa.accuracy * 100).toFixed(1) + "%" : "—"}; trained in ${
      formatDuration(trainSeconds)
    }`,
  );
  return result;
}

/** Greedy decoding on a set: accuracy, valid paths, tokens, thoughts, latency. */
async function scoreOn(
  params: GPT2Params,
  model: GPT2Config,
  curriculum: CurriculumConfig,
  items: CoconutItem[],
  thoughts: number,
  tok: Tokenizer,
  lanes: GenerateLane[],
): Promise<Score> {
  const records = items.map((it) => tokenizeRecord(tok, it));
  const r = await evaluate(params, model, records, items, curriculum, specialIds(tok), tok, {
    batchSize: 32,
    maxNewTokens: 64,
    thoughts,
    lanes,
  });
  return {
    items: items.length,
    accuracy: r.accuracy,
    validPaths: r.validPaths,
    tokens: r.meanTokens,
    // Pause tokens sit in the prompt where thoughts would be: count them as thoughts (same number of passes).
    thoughts: curriculum.method === "pause-as-thought" ? thoughts : r.thoughts,
    msPerAnswer: r.msPerAnswer,
  };
}

/** RESULTS.md and the plots. */
async function writeReport(runs: RunResult[]): Promise<void> {
  await Deno.mkdir(`${docsDir}/results`, { recursive: true });
  // Global epochs: CoT's own, and for the others the CoT phase followed by their curriculum epochs.
  const { cotEpochs, epochsPerStage: E, maxLatentStage } = regime.recipe;
  const globalEpoch = (r: RunResult, m: { epoch: number }) =>
    r.method === "cot" || r.fromScratch ? m.epoch : cotEpochs + m.epoch - E;
  const markers = [
    { x: cotEpochs - 0.5, label: "stage 1" },
    ...Array.from({ length: maxLatentStage }, (_, k) => ({
      x: cotEpochs + (k + 1) * E - 0.5,
      label: k + 2 > maxLatentStage ? "final" : `stage ${k + 2}`,
    })),
  ];
  const curves = [...new Set(runs.map(rowName))].map((method) => {
    const group = runs.filter((r) => rowName(r) === method);
    const n = Math.min(...group.map((r) => r.epochs.length));
    return {
      name: method,
      points: Array.from({ length: n }, (_, e) =>
        [
          globalEpoch(group[0], group[0].epochs[e]),
          group.reduce((a, r) => a + r.epochs[e].accuracy, 0) / group.length,
        ] as [number, number]),
    };
  });
  await Deno.writeTextFile(
    `${docsDir}/results/accuracy${suffix}.svg`,
    lineChart(curves, {
      title: "held-out accuracy per epoch (mean over seeds)",
      xLabel: "epoch",
      yLabel: "accuracy",
      yRange: [0, 1],
      markers,
    }),
  );
  const means = meanAccuracy(runs);
  const points = [...means].map(([method, acc]) => {
    const group = runs.filter((r) => rowName(r) === method);
    const accs = group.map((r) => r.test.accuracy);
    return {
      label: method,
      x: group.reduce((a, r) => a + r.test.tokens + r.test.thoughts, 0) / group.length,
      y: acc,
      yError: (Math.max(...accs) - Math.min(...accs)) / 2,
    };
  });
  await Deno.writeTextFile(
    `${docsDir}/results/tokens${suffix}.svg`,
    scatterChart(points, {
      title: "generated tokens (incl. thoughts) vs accuracy, in-distribution test",
      xLabel: "tokens + thoughts per answer",
      yLabel: "accuracy",
    }),
  );

  const cpu = await Deno.readTextFile("/proc/cpuinfo").then((t) => t.match(/model name\s*:\s*(.*)/)?.[1], () => null);
  const checks = checkOrderings(means);
  const t = regime.task, o = regime.ood, rc = regime.recipe;
  const lines = [
    `# ${regime.name} results${values.quick ? " (quick smoke run: sizes far too small to mean anything)" : ""}`,
    "",
    `Generated by \`deno task reproduce${values.quick ? " --quick" : suffix ? ` --regime ${regimeName}` : ""}\` on ${
      new Date().toISOString().slice(0, 10)
    }, ` +
    `${
      cpu ?? Deno.build.arch
    }, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, tfjs wasm backend. ` +
    `Everything below is measured; the search that chose this regime is logged in [REGIME.md](REGIME.md).`,
    "",
    "## Regime",
    "",
    `- Task: ProsQA-style graphs from \`generateProsQA\` with ${t.nodes?.join("–")} nodes (mean ${t.nodesMean}), ` +
    `${t.minHops}–${t.maxHops} hops; ${trainItems.length} training items, ${validItems.length} held-out items ` +
    `evaluated after every epoch, ${testItems.length} test items (seeds 1, 2, 3; test questions seen in training ` +
    `dropped). OOD: ${oodItems.length} items with ${
      o.minHops === o.maxHops ? o.minHops : `${o.minHops}–${o.maxHops}`
    } hops and ${o.nodes?.join("–")} nodes ` +
    `(seed 4). ProsQA test: the first ${prosqaItems?.length ?? 0} items of the released \`prosqa_test.json\`.`,
    `- Model: \`${regime.model.preset}\` preset with ${JSON.stringify(regime.model.overrides)}, word-level ` +
    `vocabulary of ${tokenizer.vocabSize} tokens, trained from scratch.`,
    `- Recipe (equal budgets): CoT from scratch for ${rc.cotEpochs} epochs; from that checkpoint (same seed) every ` +
    `method trains ${extraEpochsOf(regime)} more epochs — latent methods through stages 1–${rc.maxLatentStage} and ` +
    `the final stage, ${rc.epochsPerStage} epoch${
      rc.epochsPerStage === 1 ? "" : "s"
    } each, c = ${rc.thoughtsPerStep}; the \`cot\` row continues CoT. ` +
    `Batch ${rc.batchSize}, AdamW lr ${rc.lr} (${
      rc.lrSchedule === "cosine" ? `cosine after ${rc.warmupSteps} warm-up updates, to lr/10 over each run` : "constant"
    }), weight decay ${rc.weightDecay}, clip ${rc.clipNorm}, optimizer ` +
    `reset ${rc.optimizerReset}. Training time: the method's own epochs (CoT: both phases).`,
    "",
    "## Table",
    "",
    "Accuracy: exact match of the answer sentence, greedy decoding. Valid paths: written steps that chain from the " +
    "subject to the right option along edges of the graph (correct or longer path; only for methods whose answers write " +
    "steps). Tokens: generated tokens " +
    "(+ continuous thoughts or pause tokens). ± is half the range over seeds.",
    "",
    resultsTable(runs, `${o.minHops}-hop OOD`),
    "",
    `![held-out accuracy per epoch](results/accuracy${suffix}.svg)`,
    "",
    `![tokens vs accuracy](results/tokens${suffix}.svg)`,
    "",
    "## The paper's orderings at this scale",
    "",
    markdownTable(
      ["claim (paper, ProsQA)", "here", "in-distribution accuracy"],
      checks.map((c) => [c.claim, c.holds === null ? "—" : c.holds ? "holds" : "does not hold", c.detail]),
    ),
    "",
    '("≈" and "close": within 3 points; "<": by more than 3 points; "≥": not below by more than 3 points.) What ' +
    "the numbers mean is discussed in [REGIME.md](REGIME.md#what-the-table-says).",
    "",
    "## Shortcut audit",
    "",
    "How often a surface feature of the graph picks the right option without following an edge from the subject " +
    "(`shortcutAudit`; % right, ties count ½). Rows labelled (audit) in the table above are No-CoT models with fewer " +
    "blocks trained the whole budget from scratch: what one pass of that depth gets.",
    "",
    auditTable([["ID test", shortcutAudit(testItems)], [`${o.minHops}-hop OOD`, shortcutAudit(oodItems)]]),
    "",
    "## Per-epoch held-out accuracy",
    "",
    "Global epochs (the CoT phase is epochs 0–" + (cotEpochs - 1) + "); `(k)` is the stage.",
    "",
    markdownTable(
      ["method", "seed", ...Array.from({ length: cotEpochs + extraEpochsOf(regime) }, (_, e) => `e${e}`)],
      runs.map((r) => {
        const cells = new Array<string>(cotEpochs + extraEpochsOf(regime)).fill("");
        for (const m of r.epochs) cells[globalEpoch(r, m)] = `${(m.accuracy * 100).toFixed(0)} (${m.stage})`;
        return [rowName(r), String(r.seed), ...cells];
      }),
    ),
    "",
    "## Commands",
    "",
    "```sh",
    `deno task reproduce${
      values.quick ? " --quick" : suffix ? ` --regime ${regimeName}` : ""
    }   # everything above; reuses finished runs in ${runsDir}`,
    `deno task eval --ckpt ${runsDir}/coconut-s0 --data ${runsDir}/data/test.json   # one model, one set`,
    "```",
    "",
  ];
  await Deno.writeTextFile(`${docsDir}/RESULTS${suffix}.md`, lines.join("\n"));
}
