// deno-lint-ignore-file no-console
/**
 * `copra train`: options checked before any write, the run folder, data, tokenizer and model, then the trainer
 * with its events rendered.
 *
 * @module
 */

import { Command, Option } from "commander";
import {
  type CurriculumConfig,
  curriculumConfig,
  type Method,
  METHOD_TRAITS,
  METHODS,
  type OptimizerReset,
} from "@copra/curriculum";
import {
  type CoconutItem,
  generateProsQA,
  isSymbolic,
  loadDataset,
  PROSQA_CONCEPTS,
  PROSQA_PERSONS,
} from "@copra/data";
import { type BackendName, disposeParams, parseConfigJson, type PresetName, PRESETS, useBackend } from "@copra/model";
import {
  buildTokenizer,
  COCONUT_NANO,
  exampleLength,
  latestCheckpoint,
  modelConfigFor,
  readCheckpoint,
  train,
  type TrainEvent,
} from "@copra/train";
import { COCONUT_TOKENS, loadGpt2Files, loadTokenizerJson, type Tokenizer } from "@copra/tokenizer";
import {
  applyOptionFile,
  backendOption,
  DEFAULT_TASK,
  givenOnCommandLine,
  int,
  num,
  oneOf,
  prosqaTask,
  type TaskFlags,
  taskOptions,
} from "./options.ts";
import { epochTable, fixed, printSummary, ProgressBar } from "./render.ts";
import { checkNewRunFolder, checkResumeFolder, writeRunJson } from "./run_folder.ts";

const RECIPE = COCONUT_NANO.recipe;

/** Options of `copra train` (also the keys of a `--config` JSON file). */
export interface TrainCli extends TaskFlags {
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
  padLatentToMax?: boolean;
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
  nLayer?: number;
  nEmbd?: number;
  nHead?: number;
  prefixSpace?: boolean;
  dropout?: number;
  lrSchedule: "constant" | "cosine";
  warmup: number;
  questionLoss: number;
  toolResults: "learn" | "input";
  splitDigits?: boolean;
  supervision: "rest" | "next-step" | "frontier";
  epochsPerDifficulty: number;
  switch?: number;
  threads?: number;
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

/** The curriculum of a run's options, and its epochs (default: through every stage). */
export function runCurriculum(cli: TrainCli): { curriculum: CurriculumConfig; epochs: number } {
  const curriculum = curriculumConfig({
    method: cli.method,
    thoughtsPerStep: cli.c,
    maxLatentStage: cli.maxLatentStage,
    epochsPerStage: cli.epochsPerStage,
    uniformProb: cli.uniformProb,
    padLatentToMax: cli.padLatentToMax ?? false,
    optimizerReset: cli.optimizerReset,
    questionLossWeight: cli.questionLoss,
    toolResults: cli.toolResults,
    epochsPerDifficulty: cli.epochsPerDifficulty,
    supervision: cli.supervision,
  });
  const epochs = cli.epochs ??
    (METHOD_TRAITS[cli.method].stages === "curriculum"
      ? (curriculum.maxLatentStage + 2) * curriculum.epochsPerStage // stages 0..max, then the final stage
      : curriculum.epochsPerStage * 2);
  return { curriculum, epochs };
}

/**
 * The complete options of a run from its saved `run.json` options (the rest at their defaults), checked as
 * `copra train` checks them; `file` names the source in errors.
 */
export function trainOptionsFrom(saved: Record<string, unknown>, file: string): TrainCli {
  const program = new Command();
  addTrainCommand(program);
  const command = program.commands.find((c) => c.name() === "train")!;
  const values: Record<string, unknown> = { ...command.opts() };
  applyOptionFile(command, values, saved, file, ["config", "resume", "out"]);
  return values as unknown as TrainCli;
}

/** The items a run trains and evaluates on: `--data` (held-out split: `--eval-data` or its last 10%), or generated. */
export async function runData(cli: TrainCli): Promise<{
  trainItems: CoconutItem[];
  validItems: CoconutItem[];
  groups: { file: string; items: readonly CoconutItem[]; offset: number }[];
  source: string;
}> {
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
    const task = prosqaTask(DEFAULT_TASK, cli);
    trainItems = generateProsQA({ n: cli.trainItems, seed: cli.seed, ...task });
    validItems = generateProsQA({ n: cli.evalItems, seed: cli.seed + 1_000_003, ...task });
    source = `generated ProsQA-style (${task.nodes!.join("–")} nodes, ${task.minHops}–${task.maxHops} hops${
      cli.maxChildren ? `, ≤${cli.maxChildren} children per node` : ""
    }${cli.optionDecoys ? `, ≤${cli.optionDecoys} decoy parents per option` : ""}${
      cli.matchDepth ? ", depth-matched negatives" : ""
    })`;
    groups = [];
  }
  validItems = validItems.slice(0, cli.evalItems);
  return { trainItems, validItems, groups, source };
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

export async function trainCommand(cli: TrainCli, command: Command): Promise<void> {
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
    // Runs saved before --threads existed trained on one thread: resume them so, to end on the same weights.
    if ((run.options as Record<string, unknown>).threads === undefined) cli.threads = 1;
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
  const { curriculum, epochs } = runCurriculum(cli);
  if (cli.switch !== undefined && !METHOD_TRAITS[cli.method].feedsHiddenStates) {
    throw new Error(`--switch: method ${cli.method} has no continuous thoughts to stop (use coconut or no-curriculum)`);
  }
  if (cli.firstEpoch !== undefined && cli.firstEpoch >= epochs) {
    throw new Error(`--first-epoch ${cli.firstEpoch} must be below the number of epochs (${epochs})`);
  }

  // 2. Data: the given files, or a generated small ProsQA-style task.
  const { trainItems, validItems, groups, source } = await runData(cli);
  if (cli.supervision === "frontier") {
    for (const { file, items, offset } of groups) {
      const i = items.findIndex((it) => !Array.isArray(it.frontiers));
      if (i >= 0) {
        throw new Error(
          `${file}: item ${i + offset}: has no "frontiers" key, which --supervision frontier learns from; use ` +
            "graph data that lists them (copra data generate symbolic, data convert --to symbolic)",
        );
      }
    }
    if (groups.length === 0) {
      throw new Error("--supervision frontier needs --data with frontiers (copra data generate symbolic)");
    }
  }

  // Symbolic graphs: a step's node must be the token the question names it with (" 7", not "7").
  const symbolic = trainItems.every(isSymbolic);
  if (cli.splitDigits && cli.prefixSpace) {
    throw new Error("--split-digits and --prefix-space cannot be combined (Hugging Face would space every digit)");
  }
  if (cli.splitDigits && (cli.tokenizer || cli.init)) {
    throw new Error(
      `--split-digits shapes the vocabulary copra builds; ${cli.tokenizer ? "--tokenizer" : "--init"} brings its own`,
    );
  }
  const prefixSpace = cli.prefixSpace ?? (symbolic && !cli.splitDigits);
  if (prefixSpace && cli.prefixSpace === undefined) values.prefixSpace = true; // recorded in run.json

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
        addPrefixSpace: prefixSpace,
        splitDigits: cli.splitDigits,
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
  // Default: every core, at most 8 and at least two examples per shard (more threads cost more than they give).
  const threads = cli.threads ??
    (cli.backend === "webgpu"
      ? 1
      : Math.max(1, Math.min(navigator.hardwareConcurrency, 8, Math.floor(cli.batchSize / 2))));
  if (threads > 1 && cli.backend === "webgpu") {
    throw new Error(`--threads ${threads}: the webgpu backend trains on one thread (its GPU); use --threads 1`);
  }
  const backend = await useBackend(cli.backend);

  console.log(
    `copra train: ${cli.method} on ${source}; ${trainItems.length} train / ${validItems.length} held-out items`,
  );
  console.log(
    `model ${cli.preset} (${model.n_layer}×${model.n_embd}, vocab ${model.vocab_size}), ${epochs} epochs, backend ${cli.backend}${
      backend.products === "blas" ? " + OpenBLAS" : backend.products ? ` (${backend.products} products)` : ""
    }, ${threads} thread${threads === 1 ? "" : "s"}, run ${out} (pid ${Deno.pid})`,
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
        numerics: {
          backend: cli.backend,
          blas: backend.blas?.library ?? null,
          products: backend.products ?? null,
          threads,
        },
        // The thread count is kept (a resumed run is bitwise the same only with the same count).
        options: { ...values, threads, out: undefined, resume: undefined, config: undefined },
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
    switchWeight: cli.switch ?? 0,
    threads,
  }, render);
  disposeParams(params);
  if (metrics.length === 0) return;
  console.log("\n" + epochTable(metrics));
  printSummary(cli.method, metrics);
  console.log(`\nsaved under ${out} (checkpoint-<epoch>/, metrics.jsonl, run.json). Evaluate with:`);
  console.log(`  deno task eval --ckpt ${out} --data <file.json>`);
}

/**
 * A tokenizer from a Hugging Face tokenizer.json, or a folder holding one (a Hugging Face model folder), or a
 * folder holding GPT-2's encoder.json and vocab.bpe.
 */
export async function loadTokenizer(path: string): Promise<Tokenizer> {
  if (path.endsWith(".json")) return await loadTokenizerJson(path);
  const json = `${path}/tokenizer.json`;
  if (await Deno.stat(json).then((s) => s.isFile, () => false)) return await loadTokenizerJson(json);
  return await loadGpt2Files(`${path}/encoder.json`, `${path}/vocab.bpe`);
}

/** Adds `copra train` to the program. */
export function addTrainCommand(p: Command): void {
  const command = p.command("train")
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
    .option(
      "--prefix-space",
      "word-level vocabulary: a space before each line, so a step's first word matches (on for symbolic graph data)",
    )
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
      "--pad-latent-to-max",
      "after the last stage, maxLatentStage·c thoughts even for items with fewer steps (the official ProsQA setting)",
    )
    .option(
      "--uniform-prob <p>",
      "probability of a uniformly drawn stage per example",
      num("--uniform-prob", { min: 0, max: 1 }),
      0,
    )
    .option(
      "--tool-results <how>",
      "calculator results in the steps (<<a*b=c>>): learn them (paper), or take them as input from a tool",
      oneOf("--tool-results", ["learn", "input"] as const),
      "learn",
    )
    .option("--split-digits", "word-level vocabulary: every digit its own token (numbers never seen still encode)")
    .option(
      "--question-loss <w>",
      "weight of a language-model loss on question tokens (0: off, the paper)",
      num("--question-loss", { min: 0 }),
      0,
    )
    .option(
      "--supervision <what>",
      "after the thoughts, learn the rest (paper), only the next step while steps remain (next-step), or that " +
        "step's first token as the set of its frontier (frontier; graph data with frontiers)",
      oneOf("--supervision", ["rest", "next-step", "frontier"] as const),
      "rest",
    )
    .option(
      "--epochs-per-difficulty <n>",
      "difficulty curriculum: level L (0, 1, …) of n epochs trains only items with ≤ fewest + L steps (0: off)",
      int("--epochs-per-difficulty"),
      0,
    )
    .addOption(
      new Option(
        "--switch [weight]",
        "train the learned switch (stop/continue on each thought) jointly, its loss at this weight (default 1)",
      ).preset("1").argParser(num("--switch", { min: 0 })),
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
    .option(
      "--threads <n>",
      "threads computing each batch's gradients (Deno workers; default: every core up to 8, with at least 2 examples " +
        "per thread; 1 on webgpu). A run is bitwise reproducible for a given count",
      int("--threads", 1, 256),
    )
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
    );
  for (const option of taskOptions("generated task")) command.addOption(option);
  command.action((o, cmd: Command) => trainCommand(o as TrainCli, cmd));
}
