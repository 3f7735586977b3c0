// deno-lint-ignore-file no-console
/**
 * `copra data generate|stats`.
 *
 * @module
 */

import type { Command } from "commander";
import { type DatasetKind, datasetStats, generateDataset, loadDataset, saveDataset } from "@copra/data";
import { DEFAULT_TASK, graphOptions, int, oneOf, range } from "./options.ts";
import { fixed, table } from "./render.ts";

/** Adds `copra data generate|stats` to the program. */
export function addDataCommand(p: Command): void {
  const dataGraph = graphOptions("prosqa");
  const data = p.command("data").description("generate data sets and show their statistics");
  data.command("generate")
    .description("write a generated data set")
    .argument("<kind>", "prosqa, prontoqa or arith", oneOf("<kind>", ["prosqa", "prontoqa", "arith"] as const))
    .requiredOption("--out <file>", "output JSON file")
    .option("--n <n>", "items", int("--n", 1), 1000)
    .option("--seed <n>", "seed", int("--seed", 0, 2 ** 32 - 1), 0)
    .option("--min-hops <n>", "prosqa: shortest root→target path, at least", int("--min-hops", 1))
    .option("--max-hops <n>", "prosqa: … at most", int("--max-hops", 1))
    .option(
      "--small",
      `prosqa: the small graphs of the default task (${
        DEFAULT_TASK.nodes.join("–")
      } nodes, ${DEFAULT_TASK.minHops}–${DEFAULT_TASK.maxHops} hops)`,
    )
    .addOption(dataGraph[0])
    .addOption(dataGraph[1])
    .addOption(dataGraph[2])
    .option("--hops <n>", "prontoqa: chain length", int("--hops", 1))
    .option("--steps <min,max>", "arith: steps per problem, e.g. 2,4", range("--steps"))
    .action(async (kind: DatasetKind, o) => {
      const options: Record<string, unknown> = { n: o.n, seed: o.seed };
      if (kind === "prosqa") {
        Object.assign(options, o.small ? DEFAULT_TASK : {});
        if (o.minHops !== undefined) options.minHops = o.minHops;
        if (o.maxHops !== undefined) options.maxHops = o.maxHops;
        if (o.maxChildren !== undefined) options.maxChildren = o.maxChildren;
        if (o.balanceHops) options.balanceHops = true;
        if (o.optionDecoys !== undefined) options.optionDecoys = o.optionDecoys;
      }
      if (kind === "prontoqa" && o.hops !== undefined) options.hops = o.hops;
      if (kind === "arith" && o.steps) options.steps = o.steps;
      const items = generateDataset(kind, options as never);
      await saveDataset(o.out, items);
      console.log(`wrote ${items.length} ${kind} items to ${o.out}`);
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
