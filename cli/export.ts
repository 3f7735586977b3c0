// deno-lint-ignore-file no-console
/**
 * `copra export`: hand a run to the official PyTorch Coconut code (`--to coconut`), or its weights to anything
 * that reads Hugging Face's GPT-2 (`--to hf`).
 *
 *   --to hf       <out>/config.json, model.safetensors, tokenizer.json, tokenizer_config.json
 *   --to coconut  <out>/hf/ (the above: model_id), <out>/<name>/checkpoint_<epochs done> (torch.save layout, the
 *                 official module's keys), <out>/data/{train,valid}.json, <out>/args.yaml (the official schema);
 *                 with --model-id openai-community/gpt2, no hf/: model_id names the hub's GPT-2 and the checkpoint
 *                 keeps exactly the rows of its vocabulary (50257, plus Coconut's three for coconut runs)
 *
 * Everything is written into a temporary folder beside `--out` and renamed into place at the end.
 *
 * @module
 */

import { resolve } from "node:path";
import type { Command } from "commander";
import { type CurriculumConfig, curriculumConfig } from "@copra/curriculum";
import { saveDataset } from "@copra/data";
import {
  disposeParams,
  GPT2_HUB_PRESETS,
  type GPT2Config,
  type GPT2Params,
  nonFiniteParams,
  type OfficialModule,
  officialModuleFor,
  officialStateDict,
  PRESETS,
  saveCheckpoint,
  useBackend,
  writeTorchCheckpoint,
} from "@copra/model";
import { COCONUT_TOKENS, saveTokenizerJson, type Tokenizer } from "@copra/tokenizer";
import { formatOfficialArgs, latestCheckpoint, readCheckpoint, readTrainingState, toOfficialArgs } from "@copra/train";
import { int, oneOf } from "./options.ts";
import { checkNewRunFolder, readRunJson } from "./run_folder.ts";
import { runCurriculum, runData, trainOptionsFrom } from "./train.ts";

interface ExportCli {
  ckpt: string;
  to: "coconut" | "hf";
  out: string;
  gpus: number;
  name?: string;
  at?: string;
  modelId?: string;
}

/** GPT-2's vocabulary: 50257 tokens, `<|endoftext|>` last; a few ids anyone can check against the hub's files. */
const GPT2_IDS: [string, number][] = [["Ġthe", 262], [",", 11], [".", 13], ["<|endoftext|>", 50256]];

/** The id of `token`, or null when the vocabulary has none. */
function idOf(tokenizer: Tokenizer, token: string): number | null {
  try {
    return tokenizer.tokenId(token);
  } catch {
    return null;
  }
}

/**
 * The rows of the official vocabulary when model_id is a GPT-2 hub id: GPT-2's 50257 tokens, then (Coconut runs,
 * which run.py resizes) the three Coconut tokens in the official order. Throws unless the run's model is that
 * architecture and its vocabulary GPT-2's with those tokens at those ids.
 */
function hubVocabRows(
  id: string,
  config: GPT2Config,
  tokenizer: Tokenizer,
  module: OfficialModule,
  path: string,
): number {
  const preset = PRESETS[GPT2_HUB_PRESETS[id]];
  const fields: (keyof GPT2Config)[] = [
    "n_embd",
    "n_layer",
    "n_head",
    "n_positions",
    "n_inner",
    "activation_function",
    "layer_norm_epsilon",
  ];
  const differs = fields.filter((f) => config[f] !== preset[f]);
  if (differs.length > 0) {
    throw new Error(
      `--model-id ${id}: ${path}/config.json differs from that model in ${
        differs.map((f) => `${f} (${config[f]} here, ${preset[f]} there)`).join(", ")
      }; leave --model-id out to ship the architecture in hf/`,
    );
  }
  const official = [COCONUT_TOKENS.startLatent, COCONUT_TOKENS.endLatent, COCONUT_TOKENS.latent];
  const gpt2 = GPT2_IDS.every(([token, id]) => idOf(tokenizer, token) === id) &&
    official.every((token, i) => idOf(tokenizer, token) === 50257 + i);
  if (!gpt2) {
    throw new Error(
      `--model-id ${id}: ${path}/tokenizer.json is not GPT-2's vocabulary with ${official.join(", ")} at ` +
        "50257–50259 (train with --tokenizer <GPT-2's files>); leave --model-id out to ship the vocabulary in hf/",
    );
  }
  return module === "coconut" ? 50260 : 50257;
}

/** `tokenizer_config.json`: Hugging Face's generic fast tokenizer reads `tokenizer.json` (BPE or word level). */
function tokenizerConfigJson(tokenizer: Tokenizer, config: GPT2Config): string {
  const has = (t: string) => tokenizer.specialTokens.some((s) => s.content === t);
  const json: Record<string, unknown> = {
    tokenizer_class: "PreTrainedTokenizerFast",
    model_max_length: config.n_positions,
    bos_token: "<|endoftext|>",
    eos_token: "<|endoftext|>",
    pad_token: "<|endoftext|>",
  };
  if (has("<unk>")) json.unk_token = "<unk>";
  return JSON.stringify(json, null, 2) + "\n";
}

/** Writes a Hugging Face GPT-2 folder (config, weights, tokenizer and its config) for a checkpoint into `dir`. */
async function writeHfFolder(dir: string, params: GPT2Params, config: GPT2Config, tokenizer: Tokenizer) {
  await saveCheckpoint(dir, params, config);
  await saveTokenizerJson(`${dir}/tokenizer.json`, tokenizer);
  await Deno.writeTextFile(`${dir}/tokenizer_config.json`, tokenizerConfigJson(tokenizer, config));
}

/** Runs `write` on a new folder beside `out`, then renames that folder to `out`; on failure removes it. */
async function writeFolder(out: string, write: (dir: string) => Promise<void>): Promise<void> {
  const temporary = `${out.replace(/\/+$/, "")}.${crypto.randomUUID().slice(0, 8)}.partial`;
  try {
    await Deno.mkdir(temporary);
    await write(temporary);
    await Deno.rename(temporary, out); // replaces `out` only when it is an empty folder (checked before)
  } catch (error) {
    await Deno.remove(temporary, { recursive: true }).catch(() => {});
    throw error;
  }
}

async function exportCommand(cli: ExportCli): Promise<void> {
  // 1. Every input checked before anything is written.
  await checkNewRunFolder(cli.out, "exports");
  if (cli.name !== undefined && !/^[\w.-]+$/.test(cli.name)) {
    throw new Error(`--name ${JSON.stringify(cli.name)}: use letters, digits, ".", "_" and "-" (it names a folder)`);
  }
  if (cli.modelId !== undefined && (cli.to !== "coconut" || !(cli.modelId in GPT2_HUB_PRESETS))) {
    throw new Error(
      cli.to !== "coconut"
        ? "--model-id goes with --to coconut"
        : `--model-id ${cli.modelId}: copra checks the architecture against GPT-2's hub ids only (${
          Object.keys(GPT2_HUB_PRESETS).join(", ")
        }); leave it out to ship the model's own folder as hf/`,
    );
  }
  if (cli.at !== undefined && !/^\/./.test(cli.at)) {
    throw new Error(`--at ${JSON.stringify(cli.at)}: must be an absolute path (args.yaml's paths are absolute)`);
  }
  if (!await Deno.stat(cli.ckpt).then((s) => s.isDirectory, () => false)) {
    throw new Error(`--ckpt ${cli.ckpt}: no such folder (a run folder, or one of its checkpoint-<epoch> folders)`);
  }
  const latest = await latestCheckpoint(cli.ckpt);
  const path = latest?.path ?? cli.ckpt;
  const runFolder = latest ? cli.ckpt : `${cli.ckpt}/..`;
  let curriculum: CurriculumConfig | null = null, options: Record<string, unknown> | null = null;
  if (cli.to === "coconut") {
    const run = await readRunJson(runFolder, ["curriculum"]);
    if (typeof run.options !== "object" || run.options === null || Array.isArray(run.options)) {
      throw new Error(
        `${runFolder}/run.json: has no "options" (a run of deno task reproduce, or an import without --args), so its ` +
          "recipe and data are unknown; --to coconut needs a run of copra train — --to hf exports the weights alone",
      );
    }
    curriculum = curriculumConfig(run.curriculum as Parameters<typeof curriculumConfig>[0]);
    options = run.options;
    if (officialModuleFor(curriculum.method) === null) {
      throw new Error(
        `${runFolder}/run.json: method ${curriculum.method} has no counterpart in the official Coconut code (it has ` +
          "coconut, cot, no-cot and no-thought); --to hf exports the weights alone",
      );
    }
  }
  await useBackend("wasm");
  const { params, config, tokenizer } = await readCheckpoint(path);
  try {
    const bad = await nonFiniteParams(params);
    if (bad.length > 0) {
      throw new Error(`${path}/model.safetensors: ${bad.slice(0, 3).join(", ")} hold NaN or infinite values`);
    }
    if (config.position_embedding_type !== "absolute") {
      throw new Error(
        `${path}/config.json: position_embedding_type "${config.position_embedding_type}": Hugging Face's GPT-2 ` +
          "(and the official Coconut code) has learned absolute positions only; train with --positions absolute",
      );
    }
    if (cli.to === "hf") {
      await writeFolder(cli.out, (dir) => writeHfFolder(dir, params, config, tokenizer));
      console.log(`exported ${path} → ${cli.out} (Hugging Face GPT-2: GPT2LMHeadModel.from_pretrained reads it)`);
      return;
    }

    // 2. --to coconut: the official run's folder.
    const saved = trainOptionsFrom(options!, `${runFolder}/run.json`);
    const { epochs } = runCurriculum(saved);
    const { trainItems, validItems } = await runData(saved);
    // No state.json: weights only (epoch 0). A damaged one is an error, not "weights only".
    const hasState = await Deno.stat(`${path}/state.json`).then(() => true, () => false);
    const state = hasState ? await readTrainingState(path) : null;
    const done = state ? state.epoch + 1 : 0;
    const name = cli.name ?? (resolve(runFolder).split("/").pop() || "copra");
    const at = (cli.at ?? resolve(cli.out)).replace(/\/+$/, "");
    const module = officialModuleFor(curriculum!.method)!;
    const rows = cli.modelId ? hubVocabRows(cli.modelId, config, tokenizer, module, path) : config.vocab_size;
    const checkpoint = `${name}/checkpoint_${done}`;
    const { args, differences } = toOfficialArgs(
      {
        curriculum: curriculum!,
        epochs,
        seed: saved.seed,
        lr: saved.lr,
        weightDecay: saved.weightDecay,
        batchSize: saved.batchSize,
        effectiveBatch: saved.effectiveBatch,
        lrSchedule: saved.lrSchedule,
        clipNorm: saved.clipNorm,
        switchWeight: saved.switch ?? 0,
      },
      {
        name,
        savePath: at,
        modelId: cli.modelId ?? `${at}/hf`,
        trainPath: `${at}/data/train.json`,
        valPath: `${at}/data/valid.json`,
        loadModelPath: `${at}/${checkpoint}`,
        resume: done,
        gpus: cli.gpus,
      },
    );
    if (rows < config.vocab_size) {
      differences.push(
        `vocabulary: ${cli.modelId}'s (${rows} ids); the run's ${config.vocab_size - rows} later ids (copra's ` +
          "<pause>, unused by this method) are left out",
      );
    }
    if (state === null) {
      differences.unshift(`${path} has no state.json (weights only): the official run starts at epoch 0`);
    }
    const command = `torchrun --nnodes 1 --nproc_per_node ${cli.gpus} run.py ${at}/args.yaml`;
    const yaml = formatOfficialArgs(args, [
      `Exported by copra from ${resolve(path)} (${done} of ${epochs} epochs done, method ${curriculum!.method}).`,
      `Run it from a checkout of facebookresearch/coconut:  ${command}`,
      "run.py finds checkpoint_" + done + " under save_path/name and continues from it.",
      ...(differences.length > 0
        ? ["What the official code does differently:", ...differences.map((d) => `- ${d}`)]
        : []),
    ]);
    await writeFolder(cli.out, async (dir) => {
      if (!cli.modelId) await writeHfFolder(`${dir}/hf`, params, config, tokenizer);
      await Deno.mkdir(`${dir}/${name}`);
      const sd = await officialStateDict(params, config, module, { vocabSize: rows });
      await Deno.writeFile(`${dir}/${checkpoint}`, writeTorchCheckpoint(sd));
      // The official loader reads copra's data format.
      await Deno.mkdir(`${dir}/data`);
      await saveDataset(`${dir}/data/train.json`, trainItems);
      await saveDataset(`${dir}/data/valid.json`, validItems);
      await Deno.writeTextFile(`${dir}/args.yaml`, yaml);
    });
    console.log(`exported ${path} → ${cli.out}`);
    console.log(`  args.yaml        the official schema (method ${curriculum!.method}, resume ${done} of ${epochs})`);
    console.log(`  ${checkpoint.padEnd(16)} ${module === "coconut" ? "Coconut" : "GPT2LMHeadModel"} state dict`);
    console.log(
      cli.modelId
        ? `  model_id         ${cli.modelId} (the hub's files on the GPU machine; ${rows} ids)`
        : `  hf/              model_id: config, weights, tokenizer (${tokenizer.vocabSize} ids)`,
    );
    console.log(`  data/            ${trainItems.length} training and ${validItems.length} validation items`);
    for (const d of differences) console.log(`  note: ${d}`);
    console.log(`run: ${command}`);
  } finally {
    disposeParams(params);
  }
}

/** Adds `copra export` to the program. */
export function addExportCommand(p: Command): void {
  p.command("export")
    .description("hand a run to the official PyTorch Coconut code (--to coconut) or to Hugging Face (--to hf)")
    .requiredOption("--ckpt <dir>", "run folder (its latest checkpoint) or checkpoint folder")
    .requiredOption("--to <target>", "coconut (the official code's run folder) or hf", oneOf("--to", ["coconut", "hf"]))
    .requiredOption("--out <dir>", "a new or empty folder")
    .option(
      "--gpus <n>",
      "--to coconut: GPUs of the official run (the run's batch is split across them)",
      int("--gpus", 1),
      1,
    )
    .option("--name <name>", "--to coconut: the official run's name (default: the run folder's)")
    .option(
      "--at <dir>",
      "--to coconut: where --out will be on the machine that runs the official code (default: here)",
    )
    .option(
      "--model-id <id>",
      "--to coconut: name GPT-2 on the Hugging Face hub (openai-community/gpt2) as model_id instead of shipping hf/ " +
        "(the run must be that architecture with GPT-2's vocabulary)",
    )
    .action((o) => exportCommand(o as ExportCli));
}
