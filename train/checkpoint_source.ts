/**
 * Opening a checkpoint without a file system: from a URL (a folder served over HTTP), from `File`s a user picked (a
 * checkpoint folder or a whole run folder), or from bytes in memory. The same files as {@link readCheckpoint} reads
 * from a path — `config.json`, `model.safetensors` (with the learned switch when the run trained one) and
 * `tokenizer.json` — plus the run's `run.json` for how the model was trained, when it is there.
 *
 * @module
 */

import { type CurriculumConfig, curriculumConfig, type Method, METHOD_TRAITS } from "@copra/curriculum/browser";
import {
  CHECKPOINT_FILES,
  disposeParams,
  type GPT2Config,
  type GPT2Params,
  paramsFromSafetensors,
  parseConfigJson,
  parseSafetensors,
} from "@copra/model/browser";
import { parseTokenizerJson, type Tokenizer } from "@copra/tokenizer/browser";
import { RunError } from "./errors.ts";

/** One file's content: what a browser hands over (`File`, `Blob`), bytes, or text. */
export type FileContent = Blob | ArrayBuffer | Uint8Array | string;

/**
 * Where a checkpoint comes from: the URL of its folder (files fetched from there), a list of `File`s (e.g. an
 * `<input type="file" webkitdirectory>`'s `files`; paths are taken from `webkitRelativePath`), or a map from file
 * name (or relative path) to content.
 */
export type CheckpointSource = string | URL | Iterable<File> | Record<string, FileContent>;

/** What {@link openCheckpoint} returns. */
export interface OpenedCheckpoint {
  /** The weights (dispose them with `disposeParams` when done). */
  params: GPT2Params;
  /** The model's configuration. */
  config: GPT2Config;
  /** The run's tokenizer. */
  tokenizer: Tokenizer;
  /** How the model was trained (from `run.json`), or null when no `run.json` came with it. */
  curriculum: CurriculumConfig | null;
  /** Where the weights came from, for messages: a URL, or the folder's relative path. */
  source: string;
}

/**
 * Opens a checkpoint from a URL, picked `File`s or bytes. From a run folder's files it takes the latest
 * `checkpoint-N/` and the run's `run.json`; from a URL it reads `run.json` beside the files or one folder up.
 * A missing or damaged file is a {@link RunError} naming it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { disposeParams, gpt2Config, initParams, paramsToSafetensors } from "@copra/model";
 * import { stringifyTokenizer, trainWordLevel } from "@copra/tokenizer";
 * import { openCheckpoint } from "@copra/train";
 * const tokenizer = trainWordLevel(["1 2 [Q] 2"]);
 * const config = gpt2Config("nano", { vocab_size: tokenizer.vocabSize, n_layer: 1 });
 * const params = initParams(config, { seed: 0 });
 * const opened = await openCheckpoint({
 *   "config.json": JSON.stringify(config),
 *   "model.safetensors": await paramsToSafetensors(params),
 *   "tokenizer.json": stringifyTokenizer(tokenizer),
 *   "run.json": JSON.stringify({ curriculum: { method: "coconut", thoughtsPerStep: 2 } }),
 * });
 * assert.equal(opened.config.n_layer, 1);
 * assert.equal(opened.curriculum?.thoughtsPerStep, 2);
 * disposeParams(params);
 * disposeParams(opened.params);
 * ```
 */
export async function openCheckpoint(source: CheckpointSource): Promise<OpenedCheckpoint> {
  const files = typeof source === "string" || source instanceof URL
    ? await fromUrl(new URL(source, (globalThis as { location?: { href: string } }).location?.href))
    : fromFiles(
      isIterable(source) ? [...source] : Object.entries(source).map(([name, content]) => ({ name, content })),
    );
  const text = async (name: string) => {
    const content = await files.read(name);
    return typeof content === "string" ? content : new TextDecoder().decode(content);
  };
  const where = (name: string) => files.label(name);
  const config = parseConfigJson(await text(CHECKPOINT_FILES.config), where(CHECKPOINT_FILES.config));
  const tokenizer = parseTokenizerJson(await text("tokenizer.json"), where("tokenizer.json"));
  const curriculum = files.hasRun() ? parseRun(await files.readRun(), files.runLabel()) : null;
  const bytes = await files.read(CHECKPOINT_FILES.weights);
  const weights = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const params = paramsFromSafetensors(
    parseSafetensors(weights, where(CHECKPOINT_FILES.weights)),
    config,
    where(CHECKPOINT_FILES.weights),
  );
  if (config.vocab_size < tokenizer.vocabSize) {
    disposeParams(params);
    throw new RunError(
      where(CHECKPOINT_FILES.config),
      "vocab_size",
      `is smaller than the tokenizer's ${tokenizer.vocabSize} tokens`,
      config.vocab_size,
      "config.json and tokenizer.json come from different runs; pick one checkpoint folder",
    );
  }
  return { params, config, tokenizer, curriculum, source: files.origin };
}

/** The files of one checkpoint, however they came. */
interface FileSet {
  origin: string;
  label(name: string): string;
  read(name: string): Promise<Uint8Array | string>;
  hasRun(): boolean;
  readRun(): Promise<string>;
  runLabel(): string;
}

function isIterable(value: unknown): value is Iterable<File> {
  return typeof (value as Iterable<File>)[Symbol.iterator] === "function";
}

async function contentBytes(content: FileContent): Promise<Uint8Array | string> {
  if (typeof content === "string" || content instanceof Uint8Array) return content;
  if (content instanceof ArrayBuffer) return new Uint8Array(content);
  return new Uint8Array(await content.arrayBuffer());
}

/** Files by relative path; a run folder's latest `checkpoint-N/` wins over loose files. */
function fromFiles(list: ({ name: string; content: FileContent } | File)[]): FileSet {
  const byPath = new Map<string, FileContent>();
  for (const entry of list) {
    if ("content" in entry) byPath.set(entry.name, entry.content);
    else byPath.set((entry as File & { webkitRelativePath?: string }).webkitRelativePath || entry.name, entry);
  }
  // Paths relative to the folder the user picked: drop the picked folder's own name when every path has it.
  const paths = [...byPath.keys()];
  const first = paths[0]?.split("/")[0];
  const strip = paths.length > 0 && paths.every((p) => p.includes("/") && p.split("/")[0] === first);
  const files = new Map<string, FileContent>();
  for (const [path, content] of byPath) files.set(strip ? path.slice(first!.length + 1) : path, content);
  let dir = "";
  let best = -1;
  for (const path of files.keys()) {
    const m = /^(?:(.*)\/)?checkpoint-(\d+)\/model\.safetensors$/.exec(path);
    if (m && Number(m[2]) > best && !m[1]?.includes("/")) {
      best = Number(m[2]);
      dir = `${m[1] ? `${m[1]}/` : ""}checkpoint-${m[2]}/`;
    }
  }
  const origin = strip ? `${first}/${dir}` : dir || "(files)";
  const runPath = files.has("run.json") ? "run.json" : null;
  return {
    origin,
    label: (name) => `${strip ? `${first}/` : ""}${dir}${name}`,
    read: (name) => {
      const content = files.get(`${dir}${name}`);
      if (content === undefined) {
        throw new RunError(
          `${strip ? `${first}/` : ""}${dir}${name}`,
          "(file)",
          "is missing",
          undefined,
          "pick a checkpoint folder (config.json, model.safetensors, tokenizer.json) or a run folder with checkpoint-N/",
        );
      }
      return contentBytes(content);
    },
    hasRun: () => runPath !== null,
    readRun: async () => {
      const content = await contentBytes(files.get(runPath!)!);
      return typeof content === "string" ? content : new TextDecoder().decode(content);
    },
    runLabel: () => `${strip ? `${first}/` : ""}run.json`,
  };
}

/** Files fetched from a folder's URL; run.json beside them or one folder up (a run's checkpoint-N/). */
async function fromUrl(base: URL): Promise<FileSet> {
  const folder = new URL(base.href.endsWith("/") ? base.href : `${base.href}/`);
  const get = async (url: URL): Promise<Response | null> => {
    try {
      const response = await fetch(url);
      if (response.ok) return response;
      await response.body?.cancel();
      return null;
    } catch {
      return null;
    }
  };
  let run: { url: URL; text: string } | null = null;
  for (const url of [new URL("run.json", folder), new URL("../run.json", folder)]) {
    const response = await get(url);
    if (response) {
      run = { url, text: await response.text() };
      break;
    }
  }
  return {
    origin: folder.href,
    label: (name) => new URL(name, folder).href,
    read: async (name) => {
      const url = new URL(name, folder);
      const response = await get(url);
      if (!response) {
        throw new RunError(url.href, "(file)", "could not be fetched", undefined, "check the checkpoint folder's URL");
      }
      return new Uint8Array(await response.arrayBuffer());
    },
    hasRun: () => run !== null,
    readRun: () => Promise.resolve(run!.text),
    runLabel: () => run!.url.href,
  };
}

function parseRun(text: string, source: string): CurriculumConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RunError(source, "(file)", `is not valid JSON (${(error as Error).message})`, undefined, "");
  }
  const curriculum = (json as { curriculum?: unknown } | null)?.curriculum;
  const method = (curriculum as { method?: unknown } | undefined)?.method;
  if (
    typeof curriculum !== "object" || curriculum === null || typeof method !== "string" || !(method in METHOD_TRAITS)
  ) {
    throw new RunError(
      source,
      "curriculum.method",
      `must name a method (${Object.keys(METHOD_TRAITS).join(", ")})`,
      method,
      "run.json is written by copra train; leave it out to open the weights without it",
    );
  }
  return curriculumConfig({ ...(curriculum as Partial<CurriculumConfig>), method: method as Method });
}
