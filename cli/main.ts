// deno-lint-ignore-file no-console
/**
 * The `copra` command: `train`, `eval`, `generate` and `data generate|stats`, each with `--help`.
 *
 *   deno task train                               # the default small ProsQA-style Coconut run
 *   deno task copra train --method cot --data train.json --eval-data valid.json
 *   deno task eval --ckpt runs/<name> --data ../shared/data/prosqa_test.json
 *   deno task copra generate --ckpt runs/<name> --question "…" --top-k 5
 *   deno task copra data generate prosqa --n 1000 --seed 1 --out train.json
 *   deno task copra data stats ../shared/data/prosqa_valid.json
 *
 * @module
 */

import { Command, Option } from "commander";
import {
  buildPrompt,
  type CurriculumConfig,
  curriculumConfig,
  type Method,
  METHOD_TRAITS,
  METHODS,
  type OptimizerReset,
  specialIds,
  tokenizeRecord,
} from "@copra/curriculum";
import {
  type CoconutItem,
  type DatasetKind,
  datasetStats,
  generateDataset,
  generateProsQA,
  loadDataset,
  PROSQA_CONCEPTS,
  PROSQA_PERSONS,
  saveDataset,
} from "@copra/data";
import { generate, probeThought } from "@copra/infer";
import {
  type BackendName,
  disposeParams,
  nonFiniteParams,
  parseConfigJson,
  type PresetName,
  PRESETS,
  useBackend,
} from "@copra/model";
import {
  buildTokenizer,
  COCONUT_NANO,
  type EpochMetrics,
  evaluate,
  exampleLength,
  latestCheckpoint,
  modelConfigFor,
  readCheckpoint,
  train,
  type TrainEvent,
} from "@copra/train";
import { COCONUT_TOKENS, loadGpt2Files, loadTokenizerJson, type Tokenizer } from "@copra/tokenizer";
import { applyOptionFile, givenOnCommandLine, int, num, oneOf, range } from "./options.ts";
import { fixed, formatSeconds, ProgressBar, table } from "./render.ts";
import { checkNewRunFolder, checkResumeFolder, readRunJson, writeRunJson } from "./run_folder.ts";

/**
 * The default task of `deno task train`: the Coconut-nano graphs of `@copra/train` (5–8 nodes, 2–3 hops).
 * The model and recipe defaults below come from the same regime.
 */
export const DEFAULT_TASK: { nodes: [number, number]; nodesMean: number; minHops: number; maxHops: number } = {
  nodes: COCONUT_NANO.task.nodes!,
  nodesMean: COCONUT_NANO.task.nodesMean!,
  minHops: COCONUT_NANO.task.minHops!,
  maxHops: COCONUT_NANO.task.maxHops!,
};
const RECIPE = COCONUT_NANO.recipe;

/** Options of `copra train` (also the keys of a `--config` JSON file). */
interface TrainCli {
  config?: string;
  tokenizer?: string;
  method: Method;
  preset: PresetName;
  data?: string;
  evalData?: string;
  trainItems: number;
  evalItems: number;
  epochs?: number;
  epochsPerStage: number;
  maxLatentStage: number;
  c: number;
  uniformProb: number;
  batchSize: number;
  effectiveBatch?: number;
  lr: number;
  weightDecay: number;
  clipNorm: number;
  backend: BackendName;
  seed: number;
  out?: string;
  resume?: boolean;
  maxNewTokens: number;
  init?: string;
  positions: "absolute" | "rotary";
  optimizerReset: OptimizerReset;
  firstEpoch?: number;
  nodes?: [number, number];
  hops?: [number, number];
  maxChildren?: number;
  balanceHops?: boolean;
  optionDecoys?: number;
  nLayer?: number;
  nEmbd?: number;
  nHead?: number;
  prefixSpace?: boolean;
  dropout?: number;
  lrSchedule: "constant" | "cosine";
  warmup: number;
  questionLoss: number;
  epochsPerDifficulty: number;
}

/** Options that may be given with `--resume` (the rest come back from the run's run.json). */
const RESUME_FLAGS = ["--out", "--resume", "--backend"];

/** Reads a JSON file for an option, naming the file on any failure. */
async function readJsonFile(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    throw new Error(`${what} ${file}: cannot be read: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new Error(`${what} ${file}: is not valid JSON (${(error as Error).message})`);
  }
}

/** The first item longer than `limit` tokens, as an error naming its file and index. */
function checkContext(
  groups: { file: string; items: readonly CoconutItem[]; offset: number }[],
  tokenizer: Tokenizer,
  curriculum: CurriculumConfig,
  limit: number,
  where: string,
): void {
  for (const { file, items, offset } of groups) {
    for (const [i, item] of items.entries()) {
      const n = exampleLength(tokenizer, item, curriculum);
      if (n > limit) {
        throw new Error(
          `${file}: item ${i + offset}: takes ${n} tokens with the curriculum's markers and thoughts, but the ` +
            `model's context is ${limit} positions (${where}); shorten or remove the item`,
        );
      }
    }
  }
}

async function trainCommand(cli: TrainCli, command: Command): Promise<void> {
  // 1. Every option, from the command line, a --config file or the resumed run's run.json, checked before any write.
  const values = cli as unknown as Record<string, unknown>;
  if (cli.config) {
    applyOptionFile(command, values, await readJsonFile(cli.config, "--config"), cli.config, ["config"]);
    cli.config = undefined;
  }
  const out = cli.out ?? `runs/${cli.method}-${new Date().toISOString().slice(0, 19).replaceAll(":", "-")}`;
  if (cli.resume) {
    const run = await checkResumeFolder(cli.out);
    const extra = givenOnCommandLine(command, values).filter((flag) => !RESUME_FLAGS.includes(flag));
    if (extra.length > 0) {
      throw new Error(
        `--resume continues the run with the options saved in ${out}/run.json; drop ${extra.join(", ")} ` +
          "(or start a new run in a new folder)",
      );
    }
    applyOptionFile(command, values, run.options, `${out}/run.json`, ["config", "resume", "out"]);
  } else {
    await checkNewRunFolder(out);
  }
  if (cli.data === undefined && cli.evalData !== undefined) {
    throw new Error("--eval-data needs --data (without --data both splits are generated)");
  }
  const nEmbd = cli.nEmbd ?? PRESETS[cli.preset].n_embd, nHead = cli.nHead ?? PRESETS[cli.preset].n_head;
  if (nEmbd % nHead !== 0) {
    throw new Error(`--n-head ${nHead} must divide the channels ${nEmbd} (--n-embd or preset ${cli.preset}'s n_embd)`);
  }
  if (cli.effectiveBatch !== undefined && cli.effectiveBatch < cli.batchSize) {
    throw new Error(`--effective-batch ${cli.effectiveBatch} must be ≥ --batch-size ${cli.batchSize}`);
  }
  const curriculum = curriculumConfig({
    method: cli.method,
    thoughtsPerStep: cli.c,
    maxLatentStage: cli.maxLatentStage,
    epochsPerStage: cli.epochsPerStage,
    uniformProb: cli.uniformProb,
    optimizerReset: cli.optimizerReset,
    questionLossWeight: cli.questionLoss,
    epochsPerDifficulty: cli.epochsPerDifficulty,
  });
  const epochs = cli.epochs ??
    (METHOD_TRAITS[cli.method].stages === "curriculum"
      ? (curriculum.maxLatentStage + 2) * curriculum.epochsPerStage // stages 0..max, then the final stage
      : curriculum.epochsPerStage * 2);
  if (cli.firstEpoch !== undefined && cli.firstEpoch >= epochs) {
    throw new Error(`--first-epoch ${cli.firstEpoch} must be below the number of epochs (${epochs})`);
  }

  // 2. Data: the given files, or a generated small ProsQA-style task.
  let trainItems: CoconutItem[], validItems: CoconutItem[], source: string;
  let groups: { file: string; items: readonly CoconutItem[]; offset: number }[];
  if (cli.data) {
    trainItems = await loadDataset(cli.data);
    const total = trainItems.length;
    validItems = cli.evalData ? await loadDataset(cli.evalData) : trainItems.splice(Math.floor(total * 0.9));
    if (trainItems.length === 0) {
      throw new Error(
        `${cli.data}: ${total} item${total === 1 ? "" : "s"}, and the held-out split (its last 10%) took ` +
          `${total === 1 ? "it" : "them all"}; give more items, or the held-out items with --eval-data`,
      );
    }
    if (validItems.length === 0) {
      throw new Error(`${cli.evalData ?? cli.data}: no held-out items; give more items or --eval-data`);
    }
    groups = [
      { file: cli.data, items: trainItems, offset: 0 },
      { file: cli.evalData ?? cli.data, items: validItems, offset: cli.evalData ? 0 : trainItems.length },
    ];
    source = cli.data;
  } else {
    const task = {
      ...DEFAULT_TASK,
      ...(cli.nodes ? { nodes: cli.nodes, nodesMean: (cli.nodes[0] + cli.nodes[1]) / 2 } : {}),
      ...(cli.hops ? { minHops: cli.hops[0], maxHops: cli.hops[1] } : {}),
      ...(cli.maxChildren ? { maxChildren: cli.maxChildren } : {}),
      ...(cli.balanceHops ? { balanceHops: true } : {}),
      ...(cli.optionDecoys ? { optionDecoys: cli.optionDecoys } : {}),
    };
    trainItems = generateProsQA({ n: cli.trainItems, seed: cli.seed, ...task });
    validItems = generateProsQA({ n: cli.evalItems, seed: cli.seed + 1_000_003, ...task });
    source = `generated ProsQA-style (${task.nodes.join("–")} nodes, ${task.minHops}–${task.maxHops} hops${
      cli.maxChildren ? `, ≤${cli.maxChildren} children per node` : ""
    }${cli.optionDecoys ? `, ≤${cli.optionDecoys} decoy parents per option` : ""})`;
    groups = [];
  }
  validItems = validItems.slice(0, cli.evalItems);

  // 3. Tokenizer and model: from the resumed run, the --init run, or built for the data.
  let tokenizer, model, initialParams, limit: string;
  const latest = cli.resume ? await latestCheckpoint(out) : null;
  if (latest) {
    // The trainer loads the weights and the state; here only the vocabulary and the configuration are needed.
    tokenizer = await loadTokenizerJson(`${latest.path}/tokenizer.json`);
    model = parseConfigJson(await Deno.readTextFile(`${latest.path}/config.json`), `${latest.path}/config.json`);
    limit = `n_positions of ${latest.path}`;
  } else if (cli.init) {
    const init = await readCheckpoint((await latestCheckpoint(cli.init))?.path ?? cli.init);
    tokenizer = init.tokenizer;
    model = init.config;
    initialParams = init.params;
    limit = `n_positions of --init ${cli.init}`;
  } else {
    tokenizer = cli.tokenizer
      ? (await loadTokenizer(cli.tokenizer)).withSpecialTokens(Object.values(COCONUT_TOKENS))
      : buildTokenizer([...trainItems, ...validItems], [...PROSQA_PERSONS, ...PROSQA_CONCEPTS], {
        addPrefixSpace: cli.prefixSpace,
      });
    // The context grows to fit the data, up to the preset's n_positions: a longer item is refused, not trained on.
    const cap = Math.max(PRESETS[cli.preset].n_positions, 512);
    checkContext(groups, tokenizer, curriculum, cap, `the most preset ${cli.preset} allows`);
    model = modelConfigFor(cli.preset, tokenizer, [...trainItems, ...validItems], curriculum, {
      position_embedding_type: cli.positions,
      ...(cli.nLayer ? { n_layer: cli.nLayer } : {}),
      ...(cli.nEmbd ? { n_embd: cli.nEmbd } : {}),
      ...(cli.nHead ? { n_head: cli.nHead } : {}),
      ...(cli.dropout !== undefined
        ? { resid_pdrop: cli.dropout, embd_pdrop: cli.dropout, attn_pdrop: cli.dropout }
        : {}),
    });
    // Room for the official ProsQA files' questions (≈300 tokens), so that `copra eval` runs on them too.
    if (model.n_positions < 512) model = { ...model, n_positions: 512 };
    limit = "";
  }
  if (limit !== "") checkContext(groups, tokenizer, curriculum, model.n_positions, limit);
  if (model.vocab_size !== tokenizer.vocabSize) {
    throw new Error(`model vocab_size ${model.vocab_size} ≠ the tokenizer's ${tokenizer.vocabSize} (${limit})`);
  }
  const backend = await useBackend(cli.backend);

  console.log(
    `copra train: ${cli.method} on ${source}; ${trainItems.length} train / ${validItems.length} held-out items`,
  );
  console.log(
    `model ${cli.preset} (${model.n_layer}×${model.n_embd}, vocab ${model.vocab_size}), ${epochs} epochs, backend ${cli.backend}${
      backend.blas ? " + OpenBLAS" : ""
    }, run ${out} (pid ${Deno.pid})`,
  );

  // 4. Train; run.json is written once the trainer has started (weights loaded, nothing left to check).
  let bar: ProgressBar | undefined;
  const render = (e: TrainEvent) => {
    if (e.type === "start") {
      writeRunJson(out, {
        curriculum: { ...curriculum },
        preset: cli.preset,
        model,
        data: source,
        evalData: cli.evalData ?? null,
        numerics: { backend: cli.backend, blas: backend.blas?.library ?? null },
        options: { ...values, out: undefined, resume: undefined, config: undefined },
      });
      if (e.removedPartials.length > 0) {
        console.log(`removed ${e.removedPartials.length} unfinished checkpoint folder(s) of a killed run`);
      }
      if (e.resumedFrom !== null) console.log(`resuming after epoch ${e.resumedFrom}`);
    }
    if (e.type === "epoch-start") bar = new ProgressBar(`epoch ${e.epoch} stage ${e.stage}`, 0);
    if (e.type === "step") {
      if (e.step === 0) bar = new ProgressBar(`epoch ${e.epoch}`, e.stepsPerEpoch);
      bar!.update(e.step + 1, `loss ${fixed(e.loss)} ${Math.round(e.tokensPerSecond)} tok/s`);
    }
    if (e.type === "evaluate" && e.done === e.total) bar?.finish();
    if (e.type === "epoch") console.log("\n" + epochTable([e.metrics]));
  };
  const { metrics, params } = await train(trainItems, validItems, {
    curriculum,
    model,
    tokenizer,
    epochs,
    batchSize: cli.batchSize,
    effectiveBatch: cli.effectiveBatch ?? cli.batchSize,
    lr: cli.lr,
    weightDecay: cli.weightDecay,
    clipNorm: cli.clipNorm > 0 ? cli.clipNorm : null,
    seed: cli.seed,
    backend: cli.backend,
    out,
    resume: cli.resume,
    maxNewTokens: cli.maxNewTokens,
    initialParams,
    firstEpoch: cli.firstEpoch,
    lrSchedule: cli.lrSchedule,
    warmupSteps: cli.warmup,
  }, render);
  disposeParams(params);
  if (metrics.length === 0) return;
  console.log("\n" + epochTable(metrics));
  printSummary(cli.method, metrics);
  console.log(`\nsaved under ${out} (checkpoint-<epoch>/, metrics.jsonl, run.json). Evaluate with:`);
  console.log(`  deno task eval --ckpt ${out} --data <file.json>`);
}

/** One row per epoch: stage, losses, held-out accuracy, tokens, thoughts, time. */
function epochTable(metrics: EpochMetrics[]): string {
  return table(
    ["epoch", "stage", "train loss", "val loss", "acc %", "paths %", "tokens", "thoughts", "time"],
    metrics.map((m) => [
      m.epoch,
      m.stage,
      fixed(m.trainLoss),
      fixed(m.valLoss),
      fixed(m.accuracy * 100, 1),
      m.validPaths == null ? "—" : fixed(m.validPaths * 100, 1),
      fixed(m.meanTokens, 1),
      m.thoughts,
      formatSeconds(m.seconds),
    ]),
  );
}

/** A tokenizer from a Hugging Face tokenizer.json, or from a folder holding GPT-2's encoder.json and vocab.bpe. */
async function loadTokenizer(path: string): Promise<Tokenizer> {
  if (path.endsWith(".json")) return await loadTokenizerJson(path);
  return await loadGpt2Files(`${path}/encoder.json`, `${path}/vocab.bpe`);
}

/** The final table: the last epoch's held-out figures, and the end of stage 0 (the CoT model) for comparison. */
function printSummary(method: string, metrics: EpochMetrics[]): void {
  const last = metrics.at(-1)!, first = metrics.filter((m) => m.stage === 0).at(-1);
  const rows: (string | number)[][] = [[
    method,
    `final (stage ${last.stage})`,
    fixed(last.accuracy * 100, 1),
    fixed(last.meanTokens, 1),
    last.thoughts,
  ]];
  if (first && first !== last) {
    rows.push([
      method,
      `end of stage 0 (CoT, epoch ${first.epoch})`,
      fixed(first.accuracy * 100, 1),
      fixed(first.meanTokens, 1),
      first.thoughts,
    ]);
  }
  console.log("\n" + table(["method", "model", "held-out acc %", "mean tokens", "thoughts"], rows));
  if (first && first !== last && first.meanTokens > 0) {
    console.log(
      `final-stage answers use ${
        fixed(last.meanTokens / first.meanTokens, 2)
      }× the generated tokens of the stage-0 CoT`,
    );
  }
}

interface EvalCli {
  ckpt: string;
  data: string;
  method?: Method;
  thoughts?: number;
  limit?: number;
  batchSize: number;
  maxNewTokens: number;
  backend: BackendName;
}

/** Loads a run folder (latest checkpoint) or a checkpoint folder, with the run's curriculum if known. */
async function loadForInference(ckpt: string, method?: Method, backend: BackendName = "wasm") {
  const latest = await latestCheckpoint(ckpt);
  const path = latest?.path ?? ckpt;
  const runFolder = latest ? ckpt : `${ckpt}/..`;
  const runJson = `${runFolder}/run.json`;
  let curriculumJson: Record<string, unknown> | null = null;
  try {
    curriculumJson = (await readRunJson(runFolder)).curriculum;
  } catch (error) {
    // A run.json that is there but damaged is an error even with --method; a missing one only without it.
    const present = await Deno.stat(runJson).then(() => true, () => false);
    if (present || !method) {
      throw new Error(
        present
          ? `${(error as Error).message}${method ? "" : "; or pass --method to say how the model was trained"}`
          : `${runJson}: not found or has no "curriculum"; pass --method to say how the model was trained`,
      );
    }
  }
  await useBackend(backend);
  const saved = await readCheckpoint(path);
  const bad = await nonFiniteParams(saved.params);
  if (bad.length > 0) {
    disposeParams(saved.params);
    throw new Error(
      `${path}/model.safetensors: ${bad.slice(0, 3).join(", ")}${bad.length > 3 ? ", …" : ""} hold NaN or infinite ` +
        "values (the run diverged); use an earlier checkpoint folder with --ckpt",
    );
  }
  const curriculum: CurriculumConfig = curriculumConfig(
    {
      ...curriculumJson,
      ...(method ? { method } : {}),
    } as Parameters<typeof curriculumConfig>[0],
  );
  return { ...saved, curriculum, path };
}

async function evalCommand(cli: EvalCli): Promise<void> {
  const all = await loadDataset(cli.data);
  if (all.length === 0) throw new Error(`${cli.data}: no items to evaluate (the file holds an empty array)`);
  const items = all.slice(0, cli.limit);
  const { params, config, tokenizer, curriculum, path } = await loadForInference(cli.ckpt, cli.method, cli.backend);
  const records = items.map((it) => tokenizeRecord(tokenizer, it));
  let unk = -1;
  try {
    unk = tokenizer.tokenId("<unk>");
  } catch {
    // a byte-level tokenizer has no unknown token
  }
  const unknown = records.filter((r) => r.question.includes(unk)).length;
  const bar = new ProgressBar("eval", items.length);
  const result = await evaluate(params, config, records, items, curriculum, specialIds(tokenizer), tokenizer, {
    batchSize: cli.batchSize,
    maxNewTokens: cli.maxNewTokens,
    thoughts: cli.thoughts,
    progress: (done) => bar.update(done, ""),
  });
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
    ]]),
  );
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

interface GenerateCli {
  ckpt: string;
  question: string;
  method?: Method;
  thoughts?: number;
  topK: number;
  maxNewTokens: number;
  backend: BackendName;
}

async function generateCommand(cli: GenerateCli): Promise<void> {
  if (cli.question.trim() === "") throw new Error("--question is empty: give the question to answer");
  const { params, config, tokenizer, curriculum } = await loadForInference(cli.ckpt, cli.method, cli.backend);
  if (cli.topK > config.vocab_size) {
    disposeParams(params);
    throw new Error(`--top-k ${cli.topK} is more than the model's vocabulary (${config.vocab_size} tokens)`);
  }
  const ids = specialIds(tokenizer);
  const prompt = buildPrompt(
    tokenizeRecord(tokenizer, { question: cli.question, steps: [], answer: "" }),
    curriculum,
    ids,
    cli.thoughts,
  );
  const thoughtRows: (string | number)[][] = [];
  const [out] = await generate(params, config, [prompt], {
    eosId: ids.eos,
    maxNewTokens: cli.maxNewTokens,
    decode: (g) => tokenizer.decode(g, { skipSpecial: true }),
    onThought: async (t) => {
      if (cli.topK <= 0) return;
      const top = await probeThought(params, t.hidden, cli.topK);
      thoughtRows.push([
        t.index,
        top.map((x) => `${JSON.stringify(tokenizer.decode([x.id]))} ${fixed(x.probability, 2)}`).join("  "),
      ]);
    },
  });
  if (thoughtRows.length > 0) {
    console.log(table(["thought", `top-${cli.topK} tokens through the LM head`], thoughtRows) + "\n");
  }
  console.log(out.text);
  console.log(
    `\n(${out.generatedTokens} tokens, ${out.thoughts} thoughts, ${fixed(out.ms, 0)} ms, method ${curriculum.method})`,
  );
  disposeParams(params);
}

/** The `--backend` option every command that runs the model takes. */
function backendOption(): Option {
  return new Option("--backend <backend>", "wasm, webgpu or cpu")
    .argParser(oneOf("--backend", ["wasm", "webgpu", "cpu"] as const))
    .default("wasm");
}

/** The ProsQA graph options shared by `train` and `data generate` (`generateProsQA`'s names), help prefixed. */
function graphOptions(prefix: string): [Option, Option, Option] {
  return [
    new Option("--balance-hops", `${prefix}: every hop count of the range equally often`),
    new Option("--max-children <n>", `${prefix}: most children per node (1: no branches)`)
      .argParser(int("--max-children", 1)),
    new Option("--option-decoys <n>", `${prefix}: up to n extra parents per option that the person cannot reach`)
      .argParser(int("--option-decoys")),
  ];
}

/** Builds the program (exported for tests). */
export function program(): Command {
  const p = new Command("copra").description("Coconut: continuous-thought language models in Deno")
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, "copra: ")) })
    .showHelpAfterError("(copra <command> --help lists the options)");
  const taskGraph = graphOptions("generated task"), dataGraph = graphOptions("prosqa");
  p.command("train")
    .description("train a method through its curriculum; without --data, on a generated small ProsQA-style task")
    .option("--config <file>", "JSON file with any of these options (camelCase keys)")
    .option("--method <method>", `one of ${METHODS.join(", ")}`, oneOf("--method", METHODS), "coconut")
    .option(
      "--preset <preset>",
      `model preset: ${Object.keys(PRESETS).join(", ")}`,
      oneOf("--preset", Object.keys(PRESETS) as PresetName[]),
      "nano",
    )
    .option("--n-layer <n>", "override the preset's number of blocks", int("--n-layer", 1))
    .option("--n-embd <n>", "override the preset's channels", int("--n-embd", 1))
    .option("--n-head <n>", "override the preset's attention heads", int("--n-head", 1))
    .option(
      "--dropout <p>",
      "dropout (residual, embedding and attention; GPT-2's presets: 0.1)",
      num("--dropout", { min: 0, below: 1 }),
      COCONUT_NANO.model.overrides.attn_pdrop,
    )
    .option("--prefix-space", "word-level vocabulary: a space before each line, so a step's first word matches")
    .option("--data <file>", "training data (Coconut JSON); default: generated")
    .option("--eval-data <file>", "held-out data; default: generated, or the last 10% of --data")
    .option("--train-items <n>", "generated training items", int("--train-items", 1), 6000)
    .option("--eval-items <n>", "held-out items evaluated each epoch", int("--eval-items", 1), 100)
    .option("--epochs <n>", "epochs (default: through every stage)", int("--epochs", 1))
    .option("--epochs-per-stage <n>", "epochs per curriculum stage", int("--epochs-per-stage", 1), 3)
    .option(
      "--max-latent-stage <n>",
      "last stage that removes one more step",
      int("--max-latent-stage"),
      RECIPE.maxLatentStage,
    )
    .option("--c <n>", "continuous thoughts per step", int("--c", 1), 1)
    .option(
      "--uniform-prob <p>",
      "probability of a uniformly drawn stage per example",
      num("--uniform-prob", { min: 0, max: 1 }),
      0,
    )
    .option(
      "--question-loss <w>",
      "weight of a language-model loss on question tokens (0: off, the paper)",
      num("--question-loss", { min: 0 }),
      0,
    )
    .option(
      "--epochs-per-difficulty <n>",
      "difficulty curriculum: level L (0, 1, …) of n epochs trains only items with ≤ fewest + L steps (0: off)",
      int("--epochs-per-difficulty"),
      0,
    )
    .option("--batch-size <n>", "examples per forward pass", int("--batch-size", 1), 16)
    .option("--effective-batch <n>", "examples per update (gradient accumulation)", int("--effective-batch", 1))
    .option("--lr <lr>", "learning rate", num("--lr", { above: 0 }), RECIPE.lr)
    .option(
      "--lr-schedule <kind>",
      "constant (official), or cosine: warm-up, then down to lr/10 at the last update",
      oneOf("--lr-schedule", ["constant", "cosine"] as const),
      RECIPE.lrSchedule,
    )
    .option("--warmup <n>", "warm-up updates of the cosine schedule", int("--warmup"), RECIPE.warmupSteps)
    .option("--weight-decay <wd>", "AdamW weight decay", num("--weight-decay", { min: 0 }), 0.01)
    .option("--clip-norm <x>", "gradient-norm clip (0: none)", num("--clip-norm", { min: 0 }), 1)
    .addOption(backendOption())
    .option("--seed <n>", "seed of data, initialisation and training", int("--seed", 0, 2 ** 32 - 1), 0)
    .option("--out <dir>", "run folder (default runs/<method>-<time>)")
    .option("--resume", "continue from the latest checkpoint in --out")
    .option("--init <dir>", "start from this run's or checkpoint's weights (e.g. a CoT run for Coconut)")
    .option(
      "--first-epoch <n>",
      "start the curriculum at this epoch (with --init from a CoT run: --epochs-per-stage starts at stage 1)",
      int("--first-epoch"),
    )
    .option(
      "--tokenizer <path>",
      "a tokenizer.json, or a folder with GPT-2's encoder.json + vocab.bpe (default: a word-level vocabulary of the data)",
    )
    .option("--max-new-tokens <n>", "generation limit during evaluation", int("--max-new-tokens", 1), 48)
    .option(
      "--positions <kind>",
      "absolute (GPT-2's learned table) or rotary (RoPE)",
      oneOf("--positions", ["absolute", "rotary"] as const),
      COCONUT_NANO.model.overrides.position_embedding_type,
    )
    .option(
      "--optimizer-reset <when>",
      "fresh AdamW moments every-epoch (official code), at stage-switch (paper) or never",
      oneOf("--optimizer-reset", ["every-epoch", "stage-switch", "never"] as const),
      RECIPE.optimizerReset,
    )
    .option("--nodes <min,max>", `generated task: nodes per graph (default ${DEFAULT_TASK.nodes})`, range("--nodes"))
    .option(
      "--hops <min,max>",
      `generated task: shortest root→target path (default ${DEFAULT_TASK.minHops},${DEFAULT_TASK.maxHops})`,
      range("--hops"),
    )
    .addOption(taskGraph[0])
    .addOption(taskGraph[1])
    .addOption(taskGraph[2])
    .action((o, command: Command) => trainCommand(o as TrainCli, command));
  p.command("eval")
    .description("score a checkpoint on a data file: accuracy, mean generated tokens incl. thoughts, latency")
    .requiredOption("--ckpt <dir>", "a run folder (its latest checkpoint) or a checkpoint folder")
    .requiredOption("--data <file>", "Coconut JSON data, e.g. ../shared/data/prosqa_test.json")
    .option("--method <method>", "override the run's method", oneOf("--method", METHODS))
    .option("--thoughts <n>", "thoughts per answer (default maxLatentStage·c)", int("--thoughts"))
    .option("--limit <n>", "only the first n items", int("--limit", 1))
    .option("--batch-size <n>", "answers generated together", int("--batch-size", 1), 32)
    .option("--max-new-tokens <n>", "generation limit", int("--max-new-tokens", 1), 128)
    .addOption(backendOption())
    .action((o) => evalCommand(o as EvalCli));
  p.command("generate")
    .description("answer one question; show each thought's top-k tokens")
    .requiredOption("--ckpt <dir>", "a run folder or a checkpoint folder")
    .requiredOption("--question <text>", "the question")
    .option("--method <method>", "override the run's method", oneOf("--method", METHODS))
    .option("--thoughts <n>", "thoughts (default maxLatentStage·c)", int("--thoughts"))
    .option("--top-k <n>", "tokens shown per thought (0: none)", int("--top-k"), 5)
    .option("--max-new-tokens <n>", "generation limit", int("--max-new-tokens", 1), 128)
    .addOption(backendOption())
    .action((o) => generateCommand(o as GenerateCli));
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
  return p;
}

if (import.meta.main) {
  try {
    await program().parseAsync(Deno.args, { from: "user" });
  } catch (error) {
    console.error(`copra: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}
