// deno-lint-ignore-file no-console
/**
 * `deno task reproduce --regime payoff|payoff-branching [--budget K] [--quick] [--only …] [--seeds …] [--runs DIR]
 * [--docs DIR] [--fresh]`
 *
 * The payoff table: symbolic graphs deeper than a 2-block model can search in one pass (`payoff`: chains of 8–10
 * nodes; `payoff-branching`: 14–18 nodes with branch points, where a written step must choose). Generates the splits
 * (training, held-out, in-distribution test, deeper OOD test; test questions seen in training dropped), trains CoT
 * from scratch and every other method from that CoT with equal budgets (the audit rows from scratch), scores each
 * model in distribution and OOD — latent methods with the true hop count, a fixed maximum, and the learned switch —
 * and writes `RESULTS-<regime>.md` with the shortcut audit and the superposition picture (two SVGs). Finished runs are
 * kept in `--runs` and reused while the regime is unchanged. `--budget K` multiplies every run's epochs (the papers'
 * budget is ≈ 75× this machine's); its runs and report carry a `-xK` suffix, so the measured tables stay as they are.
 *
 * @module
 */

import { type CurriculumConfig, curriculumConfig, METHOD_TRAITS, specialIds, tokenizeRecord } from "@copra/curriculum";
import { type CoconutItem, generateSymbolic, saveDataset, shortcutAudit, type SymbolicItem } from "@copra/data";
import { disposeParams, type GPT2Config, type GPT2Params, hasSwitch, useBackend } from "@copra/model";
import {
  buildTokenizer,
  distancesFrom,
  type EpochMetrics,
  evaluate,
  type Evaluation,
  latestCheckpoint,
  modelConfigFor,
  PAYOFF_REGIMES,
  type PayoffRegime,
  quickPayoff,
  readCheckpoint,
  scaleBudget,
  superposition,
  type ThoughtProfile,
  train,
} from "@copra/train";
import type { Tokenizer } from "@copra/tokenizer";
import { auditTable, formatDuration, markdownTable, meanSpread, percent } from "./report.ts";
import { graphPanels, stackedBarChart } from "./svg.ts";
import {
  progressPrinter,
  recipeOptions,
  type ReproduceOptions,
  resultsFile,
  runFolder,
  startRunFolder,
  withScoringLanes,
} from "./progress.ts";

/** Scores of one model on one split under one way of choosing the number of thoughts. */
interface PayoffScore {
  accuracy: number;
  tokens: number;
  thoughts: number;
  byHops: Evaluation["byHops"];
}

/** One trained model of the payoff table. */
interface PayoffRun {
  label: string;
  method: string;
  seed: number;
  epochs: EpochMetrics[];
  trainSeconds: number;
  /** Per split: "fixed" (maxLatentStage·c, or the method's own prompt), "hops" and "switch" where they apply. */
  test: Record<string, PayoffScore>;
  ood: Record<string, PayoffScore>;
}

/** Where it reads and writes: the shared command-line options, plus which payoff regime and its budget. */
export interface PayoffOptions extends ReproduceOptions {
  /** A name of `PAYOFF_REGIMES` ("payoff" unless given). */
  regime?: string;
  /** Multiple of the regime's epochs (`--budget`; 1 unless given). */
  budget?: number;
}

/**
 * The regime, report name and default folders of a payoff reproduction: `--budget K` runs go to their own folder
 * and report (`-xK`), `--quick` ones under `runs/…-quick` with the report beside them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { payoffPlan } from "./payoff.ts";
 * const plan = payoffPlan({ regime: "payoff-branching", budget: 10, quick: false });
 * assert.equal(plan.stem, "payoff-branching-x10");
 * assert.equal(plan.runsDir, "runs/reproduce-payoff-branching-x10");
 * assert.equal(plan.regime.recipe.epochsPerStage, 10);
 * ```
 */
export function payoffPlan(
  options: Pick<PayoffOptions, "regime" | "budget" | "quick" | "runsDir" | "docsDir">,
): { regime: PayoffRegime; stem: string; command: string; runsDir: string; docsDir: string } {
  const name = options.regime ?? "payoff";
  const base = PAYOFF_REGIMES[name];
  if (!base) {
    throw new RangeError(
      `--regime ${JSON.stringify(name)}: not a payoff regime; known: ${Object.keys(PAYOFF_REGIMES)}`,
    );
  }
  const budget = options.budget ?? 1;
  const regime = scaleBudget(options.quick ? quickPayoff(base) : base, budget);
  const stem = budget === 1 ? name : `${name}-x${budget}`;
  const command = `deno task reproduce --regime ${name}${budget === 1 ? "" : ` --budget ${budget}`}${
    options.quick ? " --quick" : ""
  }`;
  const runsDir = options.runsDir ?? `runs/reproduce-${stem}${options.quick ? "-quick" : ""}`;
  const docsDir = options.docsDir ?? (options.quick ? `${runsDir}/docs` : "docs");
  return { regime, stem, command, runsDir, docsDir };
}

/** Runs the payoff reproduction (see the module documentation). */
export async function reproducePayoff(options: PayoffOptions): Promise<void> {
  const { regime, stem, command, runsDir, docsDir } = payoffPlan(options);
  const started = performance.now();
  await useBackend("wasm");
  await Deno.mkdir(`${runsDir}/data`, { recursive: true });

  // --- data ---
  const trainItems = generateSymbolic({ n: regime.sizes.train, seed: 1, ...regime.task });
  const seen = new Set(trainItems.map((it) => it.question));
  const fresh = (items: SymbolicItem[]) => items.filter((it) => !seen.has(it.question));
  const validItems = fresh(generateSymbolic({ n: regime.sizes.valid, seed: 2, ...regime.task }));
  const testItems = fresh(generateSymbolic({ n: regime.sizes.test, seed: 3, ...regime.task }));
  const oodItems = fresh(generateSymbolic({ n: regime.sizes.ood, seed: 4, ...regime.ood }));
  for (
    const [name, items] of Object.entries({ train: trainItems, valid: validItems, test: testItems, ood: oodItems })
  ) {
    await saveDataset(`${runsDir}/data/${name}.json`, items);
  }
  const everything = [...trainItems, ...validItems, ...testItems, ...oodItems];
  const tokenizer = buildTokenizer(everything, [], { addPrefixSpace: true });
  console.log(
    `reproduce ${regime.name}: ${trainItems.length} train / ${validItems.length} held-out / ${testItems.length} test / ` +
      `${oodItems.length} OOD items; vocabulary ${tokenizer.vocabSize}`,
  );

  // --- runs ---
  const fingerprint = JSON.stringify({ ...regime, runs: undefined, name: undefined });
  const resultsPath = `${runsDir}/results.json`;
  if (options.fresh) await Deno.remove(resultsPath).catch(() => {});
  const labelOf = (r: PayoffRegime["runs"][number]) => r.label ?? r.method;
  const rank = (r: PayoffRun) => regime.runs.findIndex((x) => labelOf(x) === r.label) * 1000 + r.seed;
  const { finished, add } = resultsFile<PayoffRun>(resultsPath, fingerprint, rank);
  for (const spec of regime.runs) {
    const label = labelOf(spec);
    if (options.only && !options.only.has(label)) continue;
    for (const seed of spec.seeds) {
      if (options.seeds && !options.seeds.has(seed)) continue;
      if ((await finished()).some((r) => r.label === label && r.seed === seed)) {
        console.log(`${label} seed ${seed}: done before, kept`);
        continue;
      }
      const result = await trainAndScore(regime, spec, seed, runsDir, tokenizer, everything, {
        trainItems,
        validItems,
        testItems,
        oodItems,
      }, options.threads);
      await add(result);
    }
  }

  // --- the superposition picture, from the first Coconut model ---
  const runs = await finished();
  let picture: { profile: ThoughtProfile[]; svgs: string[] } | null = null;
  let pictureSeed: number | null = null;
  const coconuts = runs.filter((r) => r.method === "coconut");
  if (coconuts.length > 0) {
    // The picture of the Coconut model that learned the task best (in-distribution, fixed thoughts).
    pictureSeed = coconuts.reduce((a, b) => (b.test.fixed.accuracy > a.test.fixed.accuracy ? b : a)).seed;
    picture = await drawPicture(regime, `${runsDir}/coconut-s${pictureSeed}`, testItems, tokenizer, docsDir, stem);
  }
  await writeReport(regime, runs, {
    stem,
    command,
    docsDir,
    runsDir,
    quick: options.quick,
    audit: { test: shortcutAudit(testItems), ood: shortcutAudit(oodItems) },
    sizes: { train: trainItems.length, valid: validItems.length, test: testItems.length, ood: oodItems.length },
    vocabulary: tokenizer.vocabSize,
    picture: picture && { ...picture, seed: pictureSeed! },
  });
  console.log(`\nwrote ${docsDir}/RESULTS-${stem}.md in ${formatDuration((performance.now() - started) / 1000)}`);
}

/** The curriculum of a method in the regime. */
function curriculumOf(regime: PayoffRegime, method: string): CurriculumConfig {
  return curriculumConfig({
    method: method as CurriculumConfig["method"],
    thoughtsPerStep: regime.recipe.thoughtsPerStep,
    maxLatentStage: regime.recipe.maxLatentStage,
    epochsPerStage: regime.recipe.epochsPerStage,
    optimizerReset: regime.recipe.optimizerReset,
    uniformProb: METHOD_TRAITS[method as CurriculumConfig["method"]].mixesStages ? regime.recipe.uniformProb : 0,
    supervision: regime.recipe.supervision,
  });
}

/** Trains one run (CoT from scratch; the others from the CoT checkpoint, or from scratch) and scores it. */
async function trainAndScore(
  regime: PayoffRegime,
  spec: PayoffRegime["runs"][number],
  seed: number,
  runsDir: string,
  tokenizer: Tokenizer,
  everything: CoconutItem[],
  data: { trainItems: SymbolicItem[]; validItems: SymbolicItem[]; testItems: SymbolicItem[]; oodItems: SymbolicItem[] },
  threads: number,
): Promise<PayoffRun> {
  const label = spec.label ?? spec.method;
  const curriculum = curriculumOf(regime, spec.method);
  const overrides = { ...regime.model.overrides, ...(spec.nLayer ? { n_layer: spec.nLayer } : {}) };
  const model = modelConfigFor(regime.model.preset, tokenizer, everything, curriculum, overrides);
  const out = runFolder(runsDir, label, seed);
  await startRunFolder(out, {
    curriculum,
    preset: regime.model.preset,
    model,
    data: `deno task reproduce: ${regime.name}`,
  });
  const { cotEpochs, epochsPerStage, maxLatentStage } = regime.recipe;
  const extra = (maxLatentStage + 1) * epochsPerStage;
  const fromCot = spec.method !== "cot" && !spec.fromScratch;
  let initialParams: GPT2Params | undefined;
  if (fromCot) {
    const path = `${runsDir}/cot-s${seed}/checkpoint-${cotEpochs - 1}`;
    try {
      initialParams = (await readCheckpoint(path)).params;
    } catch (error) {
      throw new Error(
        `${label} seed ${seed} starts from ${path}, which could not be read (${(error as Error).message}): ` +
          `train cot seed ${seed} first (run without --only)`,
      );
    }
  }
  const thinks = METHOD_TRAITS[spec.method].feedsHiddenStates;
  const t0 = performance.now();
  const { metrics, params } = await train(data.trainItems, data.validItems, {
    curriculum,
    model,
    tokenizer,
    initialParams,
    firstEpoch: fromCot ? epochsPerStage : 0,
    epochs: fromCot ? epochsPerStage + extra : cotEpochs + extra,
    ...recipeOptions(regime.recipe),
    switchWeight: thinks ? regime.recipe.switchWeight : 0,
    seed,
    backend: "wasm",
    threads,
    out,
    maxNewTokens: 16,
  }, progressPrinter(`${label} s${seed}`, 50));
  const trainSeconds = (performance.now() - t0) / 1000;
  const result: PayoffRun = await withScoringLanes(model, params, async (lanes) => {
    const score = async (items: SymbolicItem[], thoughts: number | "hops" | "auto" | undefined, max?: number) => {
      const records = items.map((it) => tokenizeRecord(tokenizer, it));
      const r = await evaluate(params, model, records, items, curriculum, specialIds(tokenizer), tokenizer, {
        batchSize: 32,
        maxNewTokens: 16,
        thoughts,
        maxThoughts: max,
        lanes,
      });
      return { accuracy: r.accuracy, tokens: r.meanTokens, thoughts: r.thoughts, byHops: r.byHops };
    };
    const result: PayoffRun = { label, method: spec.method, seed, epochs: metrics, trainSeconds, test: {}, ood: {} };
    const fixed = maxLatentStage * regime.recipe.thoughtsPerStep;
    result.test.fixed = await score(data.testItems, thinks || spec.method === "pause-as-thought" ? fixed : undefined);
    result.ood.fixed = await score(data.oodItems, thinks || spec.method === "pause-as-thought" ? fixed : undefined);
    if (thinks) {
      result.test.hops = await score(data.testItems, "hops");
      result.ood.hops = await score(data.oodItems, "hops");
      if (hasSwitch(params)) {
        result.test.switch = await score(data.testItems, "auto", regime.recipe.maxThoughtsOod);
        result.ood.switch = await score(data.oodItems, "auto", regime.recipe.maxThoughtsOod);
      }
    }
    return result;
  });
  disposeParams(params);
  console.log(
    `${label} s${seed}: test ${(result.test.fixed.accuracy * 100).toFixed(1)}%, OOD ${
      (result.ood.fixed.accuracy * 100).toFixed(1)
    }%; trained in ${formatDuration(trainSeconds)}`,
  );
  return result;
}

/** The superposition profile of a Coconut run on the test items, and its two SVGs (written under docs/results). */
async function drawPicture(
  regime: PayoffRegime,
  runDir: string,
  items: SymbolicItem[],
  tokenizer: Tokenizer,
  docsDir: string,
  stem: string,
): Promise<{ profile: ThoughtProfile[]; svgs: string[] }> {
  const latest = await latestCheckpoint(runDir);
  const { params, config } = await readCheckpoint(latest!.path);
  const curriculum = curriculumOf(regime, "coconut");
  const records = items.map((it) => tokenizeRecord(tokenizer, it));
  const { profile, items: pictures } = await superposition(
    params,
    config as GPT2Config,
    records,
    items,
    curriculum,
    specialIds(tokenizer),
    tokenizer,
  );
  disposeParams(params);
  await Deno.mkdir(`${docsDir}/results`, { recursive: true });
  const kinds = ["frontier", "later", "earlier", "unreachable", "other"] as const;
  const bars = stackedBarChart(
    profile.map((p) => ({ label: `${p.index} (${p.items})`, values: kinds.map((k) => p[k]) })),
    ["frontier (distance ⌊k/c⌋+1)", "reachable later", "reached before", "unreachable", "not a node"],
    {
      title: "where each continuous thought's probe mass goes (test items, thoughts = hop count)",
      xLabel: "thought k (items)",
      yLabel: "share of probability",
      yRange: [0, 1],
    },
  );
  await Deno.writeTextFile(`${docsDir}/results/superposition-${stem}.svg`, bars);
  // One item, the first with the most hops: its thoughts painted on its graph, columns by depth from a source.
  const deepest = Math.max(...items.map((it) => it.steps.length));
  const i = items.findIndex((it) => it.steps.length === deepest);
  const item = items[i];
  const sources = [...new Set(item.edges.map(([a]) => a))].filter((v) => !item.edges.some(([, b]) => b === v));
  const layer = new Map<number, number>();
  for (const s of sources) {
    for (const [v, d] of distancesFrom(s, item.edges)) layer.set(v, Math.min(d, layer.get(v) ?? d));
  }
  const graph = graphPanels(
    {
      edges: item.edges,
      layer,
      marked: new Map([[item.root, "root"], [item.target, "answer"], [item.neg_target, "other option"]]),
    },
    pictures[i].nodes.map((values, k) => ({ title: `thought ${k}`, values })),
    `test item ${i}: "${item.question}"`,
  );
  await Deno.writeTextFile(`${docsDir}/results/superposition-item-${stem}.svg`, graph);
  return { profile, svgs: [`results/superposition-${stem}.svg`, `results/superposition-item-${stem}.svg`] };
}

/** RESULTS-<stem>.md. */
async function writeReport(
  regime: PayoffRegime,
  runs: PayoffRun[],
  context: {
    stem: string;
    command: string;
    docsDir: string;
    runsDir: string;
    quick: boolean;
    audit: { test: ReturnType<typeof shortcutAudit>; ood: ReturnType<typeof shortcutAudit> };
    sizes: { train: number; valid: number; test: number; ood: number };
    vocabulary: number;
    picture: { profile: ThoughtProfile[]; svgs: string[]; seed: number } | null;
  },
): Promise<void> {
  const groups = new Map<string, PayoffRun[]>();
  for (const r of runs) groups.set(r.label, [...(groups.get(r.label) ?? []), r]);
  const cell = (group: PayoffRun[], split: "test" | "ood", how: string) => {
    const scores = group.map((r) => r[split][how]).filter((s): s is PayoffScore => s !== undefined);
    return scores.length ? percent(scores.map((s) => s.accuracy)) : "—";
  };
  const thoughtsCell = (group: PayoffRun[], split: "test" | "ood", how: string) => {
    const scores = group.map((r) => r[split][how]).filter((s): s is PayoffScore => s !== undefined);
    return scores.length ? meanSpread(scores.map((s) => s.thoughts)).mean.toFixed(2) : "—";
  };
  const rc = regime.recipe, t = regime.task, o = regime.ood;
  const main = markdownTable(
    [
      "method",
      "seeds",
      "ID accuracy %",
      "ID tokens + thoughts",
      "OOD accuracy %",
      "ID, thoughts = hops",
      "OOD, thoughts = hops",
      "ID, switch (thoughts)",
      "OOD, switch (thoughts)",
      "training time",
    ],
    [...groups].map(([label, group]) => [
      label,
      String(group.length),
      cell(group, "test", "fixed"),
      `${meanSpread(group.map((r) => r.test.fixed.tokens)).mean.toFixed(1)} + ${thoughtsCell(group, "test", "fixed")}`,
      cell(group, "ood", "fixed"),
      cell(group, "test", "hops"),
      cell(group, "ood", "hops"),
      group[0].test.switch ? `${cell(group, "test", "switch")} (${thoughtsCell(group, "test", "switch")})` : "—",
      group[0].ood.switch ? `${cell(group, "ood", "switch")} (${thoughtsCell(group, "ood", "switch")})` : "—",
      formatDuration(meanSpread(group.map((r) => r.trainSeconds)).mean),
    ]),
  );
  const switchRows = runs.filter((r) => r.test.switch).flatMap((r) =>
    (["test", "ood"] as const).flatMap((split) =>
      r[split].switch!.byHops.map((h) => {
        const truth = r[split].hops?.byHops.find((x) => x.hops === h.hops);
        const fixed = r[split].fixed.byHops.find((x) => x.hops === h.hops);
        return [
          `${r.label} s${r.seed}`,
          split === "test" ? "ID" : "OOD",
          String(h.hops),
          String(h.items),
          `${(h.accuracy * 100).toFixed(1)} (${h.thoughts.toFixed(2)})`,
          truth ? `${(truth.accuracy * 100).toFixed(1)} (${truth.thoughts.toFixed(2)})` : "—",
          fixed ? `${(fixed.accuracy * 100).toFixed(1)} (${fixed.thoughts.toFixed(2)})` : "—",
        ];
      })
    )
  );
  const a = context.audit;
  const cpu = await Deno.readTextFile("/proc/cpuinfo").then((t) => t.match(/model name\s*:\s*(.*)/)?.[1], () => null);
  const lines = [
    `# ${regime.name} results${context.quick ? " (quick smoke run: sizes far too small to mean anything)" : ""}`,
    "",
    `Generated by \`${context.command}\` on ${new Date().toISOString().slice(0, 10)}, ${
      cpu ?? Deno.build.arch
    }, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, tfjs wasm. ` +
    "Everything below is measured; the search behind the regime is logged in [REGIME.md](REGIME.md#payoff-regime).",
    "",
    "## Regime",
    "",
    `- Task: symbolic graphs (\`generateSymbolic\`: every node one token, edges listed then the query, negative ` +
    `option as deep as the target on a disjoint side) with ${t.nodes?.join("–")} nodes and ${t.hops?.join("–")} hops${
      t.branching ? ` (at most ${t.branching} children per node)` : ""
    }: ` +
    `${context.sizes.train} training, ${context.sizes.valid} held-out, ${context.sizes.test} test items; OOD: ` +
    `${context.sizes.ood} items with ${o.hops?.join("–")} hops and ${o.nodes?.join("–")} nodes. Vocabulary ` +
    `${context.vocabulary} tokens (prefix space: a step's node is the question's token).`,
    `- Model: ${JSON.stringify(regime.model.overrides)} on the \`${regime.model.preset}\` preset, from scratch.`,
    `- Recipe (equal budgets): CoT from scratch for ${rc.cotEpochs} epochs; from that checkpoint every method trains ` +
    `${
      (rc.maxLatentStage + 1) * rc.epochsPerStage
    } more epochs (latent methods: stages 1–${rc.maxLatentStage} and the ` +
    `final stage, c = ${rc.thoughtsPerStep}, uniform stage mixing ${rc.uniformProb}, supervision "${rc.supervision}", ` +
    `learned switch at loss weight ${rc.switchWeight}); audit rows train the whole budget from scratch. Batch ` +
    `${rc.batchSize}, AdamW lr ${rc.lr} (${rc.lrSchedule}, ${rc.warmupSteps} warm-up updates), weight decay ` +
    `${rc.weightDecay}, clip ${rc.clipNorm}, optimizer reset ${rc.optimizerReset}.`,
    "",
    "## Table",
    "",
    `Accuracy: exact match of the answer node, greedy decoding. "ID" is the in-distribution test; latent methods ` +
    `answer after ${
      rc.maxLatentStage * rc.thoughtsPerStep
    } thoughts in the first columns, after each item's true hop ` +
    `count × c in the "thoughts = hops" columns, and where their learned switch stops (at most ${rc.maxThoughtsOod}) ` +
    "in the switch columns. ± is half the range over seeds.",
    "",
    main,
    "",
    "## The learned switch, per hop count",
    "",
    "Accuracy % (mean thoughts) with the switch, with the true count, and with the fixed maximum.",
    "",
    switchRows.length
      ? markdownTable(["run", "split", "hops", "items", "switch", "true count", "fixed"], switchRows)
      : "(no run with a switch yet)",
    "",
    "## Shortcut audit",
    "",
    "How often a surface feature picks the right option without following an edge from the root (`shortcutAudit`; " +
    "% right, ties count ½). The No-CoT rows with 1 and 2 blocks trained from scratch are in the table above.",
    "",
    auditTable([["ID test", a.test], ["OOD test", a.ood]]),
    "",
    "## The superposition picture",
    "",
    context.picture
      ? [
        `For the Coconut model that learned the task best (seed ${context.picture.seed}), each thought decoded ` +
        "through the LM head on the test items (thoughts = hop " +
        `count × c): with c = ${regime.recipe.thoughtsPerStep} thoughts per step, thought k stands in for step ⌊k/c⌋, ` +
        "so its frontier is the nodes at distance ⌊k/c⌋+1 from the root. The share of probability on that frontier, on nodes reachable later, on " +
        "nodes reached before, on nodes the root cannot reach, and on tokens that are no node.",
        "",
        markdownTable(
          ["thought", "items", "frontier", "later", "earlier", "unreachable", "not a node"],
          context.picture.profile.map((p) => [
            String(p.index),
            String(p.items),
            ...[p.frontier, p.later, p.earlier, p.unreachable, p.other].map((v) => v.toFixed(3)),
          ]),
        ),
        "",
        ...context.picture.svgs.map((svg) => `![superposition](${svg})\n`),
      ].join("\n")
      : "(no Coconut run yet)",
    "",
    "## Per-epoch held-out accuracy",
    "",
    markdownTable(
      ["run", "seed", "epochs: accuracy % (stage)"],
      runs.map((r) => [
        r.label,
        String(r.seed),
        r.epochs.map((m) => `${(m.accuracy * 100).toFixed(0)} (${m.stage})`).join(", "),
      ]),
    ),
    "",
    "## Commands",
    "",
    "```sh",
    `${context.command}   # reuses finished runs in ${context.runsDir}`,
    `deno task eval --ckpt ${context.runsDir}/coconut-s0 --data ${context.runsDir}/data/ood.json --thoughts auto`,
    "```",
    "",
  ];
  await Deno.mkdir(context.docsDir, { recursive: true });
  await Deno.writeTextFile(`${context.docsDir}/RESULTS-${context.stem}.md`, lines.join("\n"));
}
