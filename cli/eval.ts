// deno-lint-ignore-file no-console
/**
 * `copra eval`: score a checkpoint on a data file.
 *
 * @module
 */

import type { Command } from "commander";
import { type Method, METHOD_TRAITS, specialIds, tokenizeRecord } from "@copra/curriculum";
import { loadDataset } from "@copra/data";
import { type BackendName, disposeParams } from "@copra/model";
import { evaluate, type Evaluation, GradientPool } from "@copra/train";
import { inferenceOptions, int } from "./options.ts";
import { loadForInference, thoughtsMode } from "./inference.ts";
import { fixed, ProgressBar, table } from "./render.ts";

interface EvalCli {
  ckpt: string;
  data: string;
  method?: Method;
  thoughts?: number | "hops" | "auto";
  maxThoughts?: number;
  limit?: number;
  batchSize: number;
  maxNewTokens: number;
  backend: BackendName;
  threads?: number;
}

async function evalCommand(cli: EvalCli): Promise<void> {
  const all = await loadDataset(cli.data);
  if (all.length === 0) throw new Error(`${cli.data}: no items to evaluate (the file holds an empty array)`);
  const items = all.slice(0, cli.limit);
  // Default: every core, at most 8 and at most one per batch; the GPU backend answers on one thread.
  const batches = Math.ceil(items.length / cli.batchSize);
  const threads = cli.threads ??
    (cli.backend === "webgpu" ? 1 : Math.max(1, Math.min(navigator.hardwareConcurrency, 8, batches)));
  if (threads > 1 && cli.backend === "webgpu") {
    throw new Error(`--threads ${threads}: the webgpu backend answers on one thread (its GPU); use --threads 1`);
  }
  const { params, config, tokenizer, curriculum, path } = await loadForInference(cli.ckpt, cli.method, cli.backend);
  const records = items.map((it) => tokenizeRecord(tokenizer, it));
  let unk = -1;
  try {
    unk = tokenizer.tokenId("<unk>");
  } catch {
    // a byte-level tokenizer has no unknown token
  }
  const unknown = records.filter((r) => r.question.includes(unk)).length;
  let thoughts: number | "hops" | "auto" | undefined;
  try {
    thoughts = thoughtsMode(cli.thoughts, params, curriculum, path);
  } catch (error) {
    disposeParams(params);
    throw error;
  }
  let pool: GradientPool | null = null;
  try {
    pool = threads > 1 ? await GradientPool.start(threads, config, params, { backend: cli.backend }) : null;
  } catch (error) {
    disposeParams(params);
    throw error;
  }
  const bar = new ProgressBar(`eval (${threads} thread${threads === 1 ? "" : "s"})`, items.length);
  let result: Evaluation;
  try {
    result = await evaluate(params, config, records, items, curriculum, specialIds(tokenizer), tokenizer, {
      batchSize: cli.batchSize,
      maxNewTokens: cli.maxNewTokens,
      thoughts,
      maxThoughts: cli.maxThoughts,
      progress: (done) => bar.update(done, ""),
      lanes: pool?.lanes(),
    });
  } finally {
    pool?.close();
  }
  bar.finish();
  console.log(
    table([
      "checkpoint",
      "data",
      "method",
      "items",
      "accuracy %",
      "mean tokens",
      "thoughts",
      "tokens+thoughts",
      "ms/answer",
      "thoughts by",
    ], [[
      path,
      cli.data,
      curriculum.method,
      items.length,
      fixed(result.accuracy * 100, 1),
      fixed(result.meanTokens, 1),
      fixed(result.thoughts, 1),
      fixed(result.meanTokens + result.thoughts, 1),
      fixed(result.msPerAnswer, 1),
      thoughts === "auto" ? "switch" : thoughts === "hops" ? "hop count" : "fixed",
    ]]),
  );
  if (result.byHops.length > 1) {
    console.log(table(
      ["steps (hops)", "items", "accuracy %", "thoughts"],
      result.byHops.map((h) => [h.hops, h.items, fixed(h.accuracy * 100, 1), fixed(h.thoughts, 2)]),
    ));
  }
  /** A class → share table, largest first. */
  const shareTable = (title: string, shares: Partial<Record<string, number>>) =>
    table(
      [title, "share %"],
      Object.entries(shares).sort((a, b) => b[1]! - a[1]!).map(([kind, share]) => [kind, fixed(share! * 100, 1)]),
    );
  // Path tables only where answers write steps: for a method that thinks silently they would read "0% valid".
  const writesSteps = METHOD_TRAITS[curriculum.method].writesSteps;
  if (result.paths && writesSteps) {
    console.log(shareTable("reasoning path", result.paths));
    console.log(`valid paths (correct or longer path to the target): ${fixed(result.validPaths! * 100, 1)}%`);
  }
  if (result.firstSteps && writesSteps) console.log(shareTable("first step", result.firstSteps));
  if (unknown > 0) console.log(`note: ${unknown} questions contain words outside the run's vocabulary (<unk>)`);
  disposeParams(params);
}

/** Adds `copra eval` to the program. */
export function addEvalCommand(p: Command): void {
  const [method, thoughts, maxThoughts, maxNewTokens, backend] = inferenceOptions(
    'thoughts per answer (default: "auto" with a learned switch, else maxLatentStage·c); "hops": each item\'s own ' +
      'step count × c; "auto": until the learned switch says stop',
    true,
  );
  p.command("eval")
    .description("score a checkpoint on a data file: accuracy, mean generated tokens incl. thoughts, latency")
    .requiredOption("--ckpt <dir>", "a run folder (its latest checkpoint) or a checkpoint folder")
    .requiredOption("--data <file>", "Coconut JSON data, e.g. ../shared/data/prosqa_test.json")
    .option("--limit <n>", "only the first n items", int("--limit", 1))
    .option("--batch-size <n>", "answers generated together", int("--batch-size", 1), 32)
    .addOption(method)
    .addOption(thoughts)
    .addOption(maxThoughts)
    .addOption(maxNewTokens)
    .addOption(backend)
    .option(
      "--threads <n>",
      "threads answering batches (default: every core, at most 8 and one per batch; 1 on webgpu). The answers are " +
        "the same for any count",
      int("--threads", 1, 256),
    )
    .action((o) => evalCommand(o as EvalCli));
}
