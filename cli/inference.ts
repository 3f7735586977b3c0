/**
 * Loading a run or checkpoint folder for `copra eval` and `copra generate`.
 *
 * @module
 */

import { type CurriculumConfig, curriculumConfig, type Method } from "@copra/curriculum";
import {
  type BackendName,
  disposeParams,
  type GPT2Config,
  type GPT2Params,
  hasSwitch,
  nonFiniteParams,
  useBackend,
} from "@copra/model";
import type { Tokenizer } from "@copra/tokenizer";
import { latestCheckpoint, readCheckpoint } from "@copra/train";
import { readRunJson } from "./run_folder.ts";

/** Loads a run folder (latest checkpoint) or a checkpoint folder, with the run's curriculum if known. */
export async function loadForInference(
  ckpt: string,
  method?: Method,
  backend: BackendName = "wasm",
): Promise<{
  params: GPT2Params;
  config: GPT2Config;
  tokenizer: Tokenizer;
  curriculum: CurriculumConfig;
  path: string;
}> {
  const latest = await latestCheckpoint(ckpt);
  const path = latest?.path ?? ckpt;
  // A run folder, a checkpoint-N/ inside one (run.json one level up), or a model folder with its own run.json.
  const own = !latest && await Deno.stat(`${ckpt}/run.json`).then(() => true, () => false);
  const runFolder = latest || own ? ckpt : `${ckpt}/..`;
  const runJson = `${runFolder}/run.json`;
  let curriculumJson: Record<string, unknown> | null = null;
  try {
    // Inference needs only how the model was trained (a reproduction's run.json has no command-line options).
    curriculumJson = (await readRunJson(runFolder, ["curriculum"])).curriculum;
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

/**
 * The thoughts an inference command uses: `--thoughts` as given, else `"auto"` when the checkpoint has a learned
 * switch (and the method thinks), else undefined (maxLatentStage·c). `"auto"` without a switch is an error.
 */
export function thoughtsMode<T extends number | "hops" | "auto">(
  thoughts: T | undefined,
  params: GPT2Params,
  curriculum: CurriculumConfig,
  path: string,
): T | "auto" | undefined {
  const thinks = curriculum.method === "coconut" || curriculum.method === "no-curriculum";
  if (thoughts === "auto" && !hasSwitch(params)) {
    throw new Error(
      `--thoughts auto: ${path}/model.safetensors has no learned switch (coconut_switch.*); ` +
        "train one with copra train --switch, or give a number of thoughts",
    );
  }
  if (thoughts === "auto" && !thinks) {
    throw new Error(`--thoughts auto: method ${curriculum.method} has no continuous thoughts to stop`);
  }
  if (thoughts !== undefined) return thoughts;
  return hasSwitch(params) && thinks ? "auto" : undefined;
}
