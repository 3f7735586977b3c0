// deno-lint-ignore-file no-console
/**
 * `copra generate`: answer one question and show each thought decoded through the LM head.
 *
 * @module
 */

import type { Command } from "commander";
import { buildPrompt, type Method, specialIds, tokenizeRecord } from "@copra/curriculum";
import { generate, probeThought } from "@copra/infer";
import { type BackendName, disposeParams } from "@copra/model";
import { inferenceOptions, int } from "./options.ts";
import { loadForInference, thoughtsMode } from "./inference.ts";
import { fixed, table } from "./render.ts";

interface GenerateCli {
  ckpt: string;
  question: string;
  method?: Method;
  thoughts?: number | "auto";
  maxThoughts?: number;
  topK: number;
  maxNewTokens: number;
  backend: BackendName;
  json?: boolean;
}

async function generateCommand(cli: GenerateCli): Promise<void> {
  if (cli.question.trim() === "") throw new Error("--question is empty: give the question to answer");
  const { params, config, tokenizer, curriculum } = await loadForInference(cli.ckpt, cli.method, cli.backend);
  if (cli.topK > config.vocab_size) {
    disposeParams(params);
    throw new Error(`--top-k ${cli.topK} is more than the model's vocabulary (${config.vocab_size} tokens)`);
  }
  let thoughts: number | "auto" | undefined;
  try {
    thoughts = thoughtsMode(cli.thoughts, params, curriculum, cli.ckpt);
  } catch (error) {
    disposeParams(params);
    throw error;
  }
  const auto = thoughts === "auto";
  const ids = specialIds(tokenizer);
  const prompt = buildPrompt(
    tokenizeRecord(tokenizer, { question: cli.question, steps: [], answer: "" }),
    curriculum,
    ids,
    auto ? cli.maxThoughts : thoughts as number | undefined,
  );
  const thoughtRows: (string | number)[][] = [];
  const thoughtJson: { index: number; top: { id: number; text: string; probability: number }[]; stop?: number }[] = [];
  const [out] = await generate(params, config, [prompt], {
    eosId: ids.eos,
    maxNewTokens: cli.maxNewTokens,
    decode: (g) => tokenizer.decode(g, { skipSpecial: true }),
    ...(auto ? { switch: {} } : {}),
    onThought: async (t) => {
      if (cli.topK <= 0) return;
      const top = await probeThought(params, t.hidden, cli.topK);
      thoughtJson.push({
        index: t.index,
        top: top.map((x) => ({ id: x.id, text: tokenizer.decode([x.id]), probability: x.probability })),
        ...(auto ? { stop: t.stop } : {}),
      });
      thoughtRows.push([
        t.index,
        top.map((x) => `${JSON.stringify(tokenizer.decode([x.id]))} ${fixed(x.probability, 2)}`).join("  "),
        ...(auto ? [fixed(t.stop!, 2)] : []),
      ]);
    },
  });
  if (cli.json) {
    console.log(JSON.stringify({
      text: out.text,
      ids: out.ids,
      thoughts: out.thoughts,
      thoughtProbes: thoughtJson,
      method: curriculum.method,
    }));
    disposeParams(params);
    return;
  }
  if (thoughtRows.length > 0) {
    const head = ["thought", `top-${cli.topK} tokens through the LM head`, ...(auto ? ["P(stop)"] : [])];
    console.log(table(head, thoughtRows) + "\n");
  }
  console.log(out.text);
  console.log(
    `\n(${out.generatedTokens} tokens, ${out.thoughts} thoughts, ${fixed(out.ms, 0)} ms, method ${curriculum.method})`,
  );
  disposeParams(params);
}

/** Adds `copra generate` to the program. */
export function addGenerateCommand(p: Command): void {
  const [method, thoughts, maxThoughts, maxNewTokens, backend] = inferenceOptions(
    'thoughts (default: "auto" with a learned switch, else maxLatentStage·c); "auto": until the switch says stop',
  );
  p.command("generate")
    .description("answer one question; show each thought's top-k tokens")
    .requiredOption("--ckpt <dir>", "a run folder or a checkpoint folder")
    .requiredOption("--question <text>", "the question")
    .option("--top-k <n>", "tokens shown per thought (0: none)", int("--top-k"), 5)
    .addOption(method)
    .addOption(thoughts)
    .addOption(maxThoughts)
    .addOption(maxNewTokens)
    .addOption(backend)
    .option("--json", "print one JSON object: text, ids, thoughts and each thought's top-k")
    .action((o) => generateCommand(o as GenerateCli));
}
