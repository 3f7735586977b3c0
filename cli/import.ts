// deno-lint-ignore-file no-console
/**
 * `copra import --from coconut`: a checkpoint of the official PyTorch Coconut code (`checkpoint_<epoch>`, the
 * `torch.save` of its module's state dict) into a copra run folder that `eval`, `generate`, `chat` and the
 * browser page read, and — with the run's `args.yaml` — that `train --resume` continues.
 *
 * The file is read by copra's restricted pickle reader: it accepts the few globals a state dict of tensors names
 * and refuses anything else, so a checkpoint never runs code.
 *
 * @module
 */

import { basename, dirname, resolve } from "node:path";
import type { Command } from "commander";
import { type CurriculumConfig, curriculumConfig, stageOfEpoch } from "@copra/curriculum";
import { loadDataset } from "@copra/data";
import {
  AdamW,
  disposeParams,
  GPT2_HUB_PRESETS,
  type GPT2Config,
  gpt2Config,
  type GPT2Params,
  nonFiniteParams,
  officialModuleOf,
  officialSizes,
  paramsFromOfficial,
  parseConfigJson,
  type PresetName,
  readTorchCheckpoint,
  resizeVocab,
  type TorchTensor,
  useBackend,
} from "@copra/model";
import { Rng } from "@copra/random";
import { COCONUT_TOKENS, type Tokenizer } from "@copra/tokenizer";
import { fromOfficialArgs, type OfficialArgs, parseOfficialArgs, writeCheckpoint } from "@copra/train";
import { int, oneOf } from "./options.ts";
import { checkNewRunFolder, writeRunJson } from "./run_folder.ts";
import { loadTokenizer } from "./train.ts";

interface ImportCli {
  from: "coconut";
  args?: string;
  model?: string;
  tokenizer?: string;
  data?: string;
  evalData?: string;
  gpus: number;
  out: string;
}

const isFile = (path: string) => Deno.stat(path).then((s) => s.isFile, () => false);

/** The official tokens the code adds (in its order), when a vocabulary lacks them. */
function withCoconutTokens(tokenizer: Tokenizer): Tokenizer {
  const have = new Set(tokenizer.specialTokens.map((t) => t.content));
  const missing = [COCONUT_TOKENS.startLatent, COCONUT_TOKENS.endLatent, COCONUT_TOKENS.latent].filter((t) =>
    !have.has(t)
  );
  return missing.length > 0 ? tokenizer.withSpecialTokens(missing) : tokenizer;
}

/**
 * The architecture and the vocabulary: `--model` (a Hugging Face folder: config.json, tokenizer.json), else the
 * args' model_id when it is such a folder, else a GPT-2 hub id with `--tokenizer`.
 */
async function modelSource(
  cli: ImportCli,
  args: OfficialArgs | null,
): Promise<{ config: GPT2Config | PresetName; tokenizer: Tokenizer; from: string }> {
  // model_id as written (beside args.yaml, or here), else the hf/ of a copra export copied elsewhere since.
  let folder = cli.model;
  if (folder === undefined && args) {
    const beside = dirname(cli.args!);
    for (const candidate of [resolve(beside, args.model_id), args.model_id, resolve(beside, "hf")]) {
      if (await isFile(`${candidate}/config.json`)) {
        folder = candidate;
        break;
      }
    }
  }
  if (folder !== undefined) {
    const configPath = `${folder}/config.json`;
    if (!await isFile(configPath)) {
      throw new Error(`${configPath}: missing; --model (or model_id) must be a Hugging Face model folder`);
    }
    const config = parseConfigJson(await Deno.readTextFile(configPath), configPath);
    const tokenizer = cli.tokenizer ? await loadTokenizer(cli.tokenizer) : await loadTokenizer(folder);
    return { config, tokenizer, from: folder };
  }
  const hub = args ? GPT2_HUB_PRESETS[args.model_id] : undefined;
  if (hub === undefined) {
    throw new Error(
      args
        ? `${cli.args}: model_id "${args.model_id}" is neither a folder here nor a GPT-2 hub id; give --model <the ` +
          "Hugging Face folder of that model (config.json, tokenizer.json)>"
        : "give --model <Hugging Face folder: config.json, tokenizer.json>, or --args with the run's args.yaml",
    );
  }
  if (!cli.tokenizer) {
    throw new Error(
      `model_id ${args!.model_id}: copra downloads nothing; give --tokenizer <folder with GPT-2's encoder.json + ` +
        "vocab.bpe, or a tokenizer.json>",
    );
  }
  return { config: hub, tokenizer: await loadTokenizer(cli.tokenizer), from: args!.model_id };
}

/** A data path of args.yaml: relative to the file, else to the working folder; `--data` overrides. */
async function dataPath(given: string | undefined, args: OfficialArgs, key: "train_path" | "val_path", file: string) {
  if (given !== undefined) return given;
  // As written (beside args.yaml, or here), else in the data/ of a copra export copied elsewhere since.
  const beside = dirname(file);
  for (const path of [resolve(beside, args[key]), args[key], resolve(beside, "data", basename(args[key]))]) {
    if (await isFile(path)) return path;
  }
  throw new Error(
    `${file}: ${key} "${args[key]}": no such file (looked beside args.yaml, here and in its data/); give ` +
      `${key === "train_path" ? "--data" : "--eval-data"} <file>`,
  );
}

async function importCommand(file: string, cli: ImportCli): Promise<void> {
  // 1. Every input read and checked before anything is written.
  await checkNewRunFolder(cli.out, "imports");
  const epochMatch = /checkpoint_(\d+)$/.exec(file);
  const argsText = cli.args === undefined ? null : await Deno.readTextFile(cli.args).catch((error) => {
    throw new Error(`--args ${cli.args}: cannot be read (${(error as Error).message})`);
  });
  const args = argsText === null ? null : parseOfficialArgs(argsText, cli.args!);
  if (args && !epochMatch) {
    throw new Error(`${file}: not named checkpoint_<epoch> as run.py names them, so the epoch to resume is unknown`);
  }
  const done = epochMatch ? Number(epochMatch[1]) : 0;
  if (args && done === 0) throw new Error(`${file}: checkpoint_0 is not an epoch the official code saves`);
  if (args && done > args.num_epochs) {
    throw new Error(`${file}: epoch ${done} is past num_epochs ${args.num_epochs} of ${cli.args}`);
  }
  // The file's bytes are not kept: only the tensors read from them, until the parameters are built.
  let tensors: Map<string, TorchTensor> | null = readTorchCheckpoint(
    await Deno.readFile(file).catch((error) => {
      throw new Error(`${file}: cannot be read (${(error as Error).message})`);
    }),
    file,
  );
  const module = officialModuleOf(tensors.keys());
  const official = args ? fromOfficialArgs(args, cli.gpus) : null;
  if (official && (module === "coconut") !== (official.curriculum.method === "coconut")) {
    throw new Error(
      `${file}: holds a ${module === "coconut" ? "Coconut" : "plain GPT-2"} state dict, but ${cli.args} trains ` +
        `method ${official.curriculum.method}: check that the file belongs to that run`,
    );
  }
  const curriculum: CurriculumConfig = official?.curriculum ??
    curriculumConfig({ method: module === "coconut" ? "coconut" : "cot" });
  const source = await modelSource(cli, args);
  const sizes = officialSizes(tensors, file);
  let config: GPT2Config = typeof source.config === "string"
    ? gpt2Config(source.config, { vocab_size: sizes.vocab_size, n_positions: sizes.n_positions })
    : { ...source.config, vocab_size: sizes.vocab_size };
  // The official code adds its three tokens to every vocabulary; only Coconut runs grow the weights for them.
  const tokenizer = withCoconutTokens(source.tokenizer);
  const grow = module === "causallm" && tokenizer.vocabSize > sizes.vocab_size;
  if (tokenizer.vocabSize !== sizes.vocab_size && !grow) {
    throw new Error(
      `${file}: ${sizes.vocab_size} token embeddings, but the vocabulary of ${source.from} has ${tokenizer.vocabSize} ` +
        "ids (with Coconut's three tokens): give the tokenizer the run used (--tokenizer or --model)",
    );
  }
  let items: { train: number; valid: number } | null = null;
  let data: { train: string; valid: string } | null = null;
  if (args) {
    data = {
      train: await dataPath(cli.data, args, "train_path", cli.args!),
      valid: await dataPath(cli.evalData, args, "val_path", cli.args!),
    };
    items = { train: (await loadDataset(data.train)).length, valid: (await loadDataset(data.valid)).length };
  }
  await useBackend("wasm");
  const params: GPT2Params = paramsFromOfficial(tensors, config, file);
  tensors = null; // the values now live in the parameters
  try {
    const bad = await nonFiniteParams(params);
    if (bad.length > 0) throw new Error(`${file}: ${bad.slice(0, 3).join(", ")} hold NaN or infinite values`);
    if (grow) {
      // A plain causal LM of the official code keeps GPT-2's rows; copra's vocabulary has the three tokens, whose
      // rows are copied from "<<" as the official code does for Coconut (cot never produces or reads them).
      config = resizeVocab(params, config, tokenizer.vocabSize, { initFrom: tokenizer.encode("<<")[0] });
    }

    // 2. The run folder: checkpoint-<epoch> (0-based: the official checkpoint_N is after N epochs), run.json.
    const epoch = Math.max(0, done - 1);
    const recipe = official?.recipe;
    const state = args
      ? { epoch, stage: stageOfEpoch(curriculum, epoch), rng: new Rng(args.seed).state(), metrics: [], seed: args.seed }
      : null;
    await Deno.mkdir(cli.out, { recursive: true });
    // A fresh AdamW: the official checkpoint holds no optimizer moments (its default resets them every epoch).
    const optimizer = recipe ? new AdamW(params, { lr: recipe.lr, weightDecay: recipe.weightDecay }) : null;
    try {
      await writeCheckpoint(cli.out, epoch, params, config, tokenizer, optimizer, state);
    } finally {
      optimizer?.dispose();
    }
    const options = args && recipe && data && items
      ? {
        method: curriculum.method,
        preset: typeof source.config === "string" ? source.config : "gpt2",
        nLayer: config.n_layer,
        nEmbd: config.n_embd,
        nHead: config.n_head,
        dropout: config.resid_pdrop,
        positions: "absolute",
        data: data.train,
        evalData: data.valid,
        evalItems: items.valid,
        epochs: args.num_epochs,
        epochsPerStage: curriculum.epochsPerStage,
        maxLatentStage: curriculum.maxLatentStage,
        c: curriculum.thoughtsPerStep,
        uniformProb: curriculum.uniformProb,
        padLatentToMax: curriculum.padLatentToMax,
        optimizerReset: curriculum.optimizerReset,
        batchSize: recipe.batchSize,
        effectiveBatch: recipe.effectiveBatch,
        lr: recipe.lr,
        lrSchedule: "constant",
        weightDecay: recipe.weightDecay,
        clipNorm: 0,
        seed: args.seed,
        threads: 1,
        maxNewTokens: /gsm/.test(args.val_path) ? 64 : 128,
      }
      : null;
    writeRunJson(cli.out, {
      curriculum: { ...curriculum },
      model: config,
      data: data?.train ?? null,
      evalData: data?.valid ?? null,
      imported: { from: "coconut", file: resolve(file), args: cli.args ? resolve(cli.args) : null, epochsDone: done },
      ...(options ? { options } : {}),
    });
    console.log(`imported ${file} (${module === "coconut" ? "Coconut" : "GPT2LMHeadModel"}) → ${cli.out}`);
    console.log(`  checkpoint-${epoch}/  weights, config, tokenizer (${tokenizer.vocabSize} ids) from ${source.from}`);
    if (args) {
      console.log(`  method ${curriculum.method}, ${done} of ${args.num_epochs} epochs done; AdamW starts fresh`);
      for (const d of official!.differences) console.log(`  note: ${d}`);
      console.log(`continue: deno task train --resume --out ${cli.out}`);
    } else {
      console.log("  weights only (no --args): eval, generate and chat read it; train --resume needs the args.yaml");
    }
  } finally {
    disposeParams(params);
  }
}

/** Adds `copra import` to the program. */
export function addImportCommand(p: Command): void {
  p.command("import")
    .description("read a checkpoint of the official PyTorch Coconut code into a copra run folder")
    .argument("<checkpoint>", "the official run's checkpoint_<epoch> file")
    .requiredOption(
      "--from <source>",
      "coconut (the official code's torch.save checkpoint)",
      oneOf("--from", ["coconut"]),
    )
    .requiredOption("--out <dir>", "the new run folder (new or empty)")
    .option("--args <file>", "the official run's args.yaml: curriculum, recipe and data, so train --resume continues")
    .option("--model <dir>", "Hugging Face folder of model_id (config.json, tokenizer.json); default: model_id")
    .option("--tokenizer <path>", "tokenizer.json, or a folder with GPT-2's encoder.json + vocab.bpe (hub model_id)")
    .option("--data <file>", "training data (default: train_path of --args)")
    .option("--eval-data <file>", "validation data (default: val_path of --args)")
    .option(
      "--gpus <n>",
      "GPUs the official run used (examples per update = batch × accumulation × GPUs)",
      int("--gpus", 1),
      1,
    )
    .action((file: string, o) => importCommand(file, o as ImportCli));
}
