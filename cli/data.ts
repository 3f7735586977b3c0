// deno-lint-ignore-file no-console
/**
 * `copra data generate|stats`.
 *
 * @module
 */

import type { Command } from "commander";
import {
  type DatasetKind,
  datasetStats,
  generateDataset,
  loadDataset,
  saveDataset,
  symbolicFromProsQA,
} from "@copra/data";
import { DEFAULT_TASK, int, oneOf, prosqaTask, range, taskOptions } from "./options.ts";
import { fixed, table } from "./render.ts";

/** Refuses an `--out` file that exists: copra never overwrites a file it may not have written. */
async function checkNewFile(out: string): Promise<void> {
  const exists = await Deno.lstat(out).then(() => true, (error) => {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  });
  if (exists) throw new Error(`--out ${out}: the file exists; copra does not overwrite it: pick a new file name`);
}

/** Adds `copra data generate|stats` to the program. */
export function addDataCommand(p: Command): void {
  const data = p.command("data").description("generate data sets and show their statistics");
  const generate = data.command("generate")
    .description("write a generated data set")
    .argument(
      "<kind>",
      "prosqa, prontoqa, arith or symbolic (graphs of number tokens; --nodes, --hops, --max-children)",
      oneOf("<kind>", ["prosqa", "prontoqa", "arith", "symbolic"] as const),
    )
    .requiredOption("--out <file>", "output JSON file")
    .option("--n <n>", "items", int("--n", 1), 1000)
    .option("--seed <n>", "seed", int("--seed", 0, 2 ** 32 - 1), 0)
    .option(
      "--small",
      `prosqa: the small graphs of the default task (${
        DEFAULT_TASK.nodes.join("–")
      } nodes, ${DEFAULT_TASK.minHops}–${DEFAULT_TASK.maxHops} hops)`,
    )
    .option("--chain <n>", "prontoqa: chain length (hops)", int("--chain", 1))
    .option("--steps <min,max>", "arith: steps per problem, e.g. 2,4", range("--steps"))
    .option(
      "--operands <min,max>",
      "arith: smallest and largest operand, e.g. 100,999 for products a small model cannot do itself",
      range("--operands"),
    );
  for (const option of taskOptions("prosqa")) generate.addOption(option);
  generate.action(async (kind: DatasetKind, o) => {
    // A flag of another kind is an error, not silently ignored.
    const applies: Record<DatasetKind, string[]> = {
      prosqa: ["small", "nodes", "hops", "balanceHops", "maxChildren", "optionDecoys", "matchDepth"],
      symbolic: ["nodes", "hops", "maxChildren"],
      prontoqa: ["chain"],
      arith: ["steps", "operands"],
    };
    const given = generate.options.filter((opt) => generate.getOptionValueSource(opt.attributeName()) === "cli");
    const foreign = given.find((opt) =>
      !["out", "n", "seed"].includes(opt.attributeName()) && !applies[kind].includes(opt.attributeName())
    );
    if (foreign) throw new Error(`${foreign.long} does not apply to ${kind} data`);
    await checkNewFile(o.out);
    const options: Record<string, unknown> = { n: o.n, seed: o.seed };
    if (kind === "prosqa") Object.assign(options, prosqaTask(o.small ? DEFAULT_TASK : {}, o));
    if (kind === "prontoqa" && o.chain !== undefined) options.hops = o.chain;
    if (kind === "symbolic") {
      if (o.nodes) options.nodes = o.nodes;
      if (o.hops) options.hops = o.hops;
      if (o.maxChildren) options.branching = o.maxChildren;
    }
    if (kind === "arith" && o.steps) options.steps = o.steps;
    if (kind === "arith" && o.operands) options.operands = o.operands;
    const items = generateDataset(kind, options as never);
    await saveDataset(o.out, items);
    console.log(`wrote ${items.length} ${kind} items to ${o.out}`);
  });
  data.command("convert")
    .description("convert ProsQA records (with their graph keys) to the symbolic token form")
    .argument("<file>", "ProsQA data, e.g. ../shared/data/prosqa_test.json")
    .requiredOption("--to <format>", "symbolic", oneOf("--to", ["symbolic"] as const))
    .requiredOption("--out <file>", "output JSON file")
    .option("--hops <min,max>", "keep only items whose shortest root→target path has this many hops", range("--hops"))
    .option("--seed <n>", "seed of id permutations and orders", int("--seed", 0, 2 ** 32 - 1), 0)
    .action(async (file: string, o) => {
      await checkNewFile(o.out);
      const items = symbolicFromProsQA(await loadDataset(file), { seed: o.seed, ...(o.hops ? { hops: o.hops } : {}) });
      if (items.length === 0) throw new Error(`${file}: no item has ${o.hops?.join("–")} hops; nothing to write`);
      await saveDataset(o.out, items);
      console.log(`wrote ${items.length} symbolic items to ${o.out}`);
    });
  data.command("stats")
    .description("statistics of a data file")
    .argument("<file>", "Coconut JSON data")
    .action(async (file: string) => {
      const s = datasetStats(await loadDataset(file));
      const rows: (string | number)[][] = [
        ["items", s.items, "", ""],
        ["steps", s.steps.min, fixed(s.steps.mean, 2), s.steps.max],
        ["question words", s.questionWords.min, fixed(s.questionWords.mean, 1), s.questionWords.max],
      ];
      for (const [k, v] of Object.entries(s.prosqa ?? {})) rows.push([`graph ${k}`, v.min, fixed(v.mean, 2), v.max]);
      console.log(table(["", "min", "mean", "max"], rows.map((r) => r.map(String))));
      console.log(
        `answers: ${s.answers.distinct} distinct; most frequent ${
          s.answers.top.map(([a, n]) => `${JSON.stringify(a)}×${n}`).join(", ")
        }`,
      );
      if (s.arithmetic) {
        console.log(`arithmetic steps that check out: ${fixed(s.arithmetic.validItems * 100, 1)}% of items`);
      }
    });
}
