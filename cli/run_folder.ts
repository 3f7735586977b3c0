/**
 * The `--out` folder of `copra train`: checked before anything is written (a new or empty folder for a new run,
 * the run itself for `--resume`), and `run.json` written atomically once the run has really started.
 *
 * @module
 */

import { writeFileAtomicSync } from "@copra/core";

/** What a run's `run.json` holds. */
export interface RunJson {
  /** The curriculum the run trains with. */
  curriculum: Record<string, unknown>;
  /** The command's options, as `--config` keys. */
  options: Record<string, unknown>;
  /** Anything else (model, data, numerics). */
  [key: string]: unknown;
}

/** Entries of a folder (folders marked with a slash), sorted; null when it does not exist. */
async function entries(dir: string): Promise<string[] | null> {
  try {
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) names.push(e.isDirectory ? `${e.name}/` : e.name);
    return names.sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    if (error instanceof Deno.errors.NotADirectory) throw new Error(`--out ${dir}: is a file, not a folder`);
    throw error;
  }
}

/** Throws unless this process may write into `dir` (the tasks grant writing under runs/ only). */
async function checkWritable(dir: string): Promise<void> {
  const status = await Deno.permissions.query({ name: "write", path: dir });
  if (status.state !== "granted") {
    throw new Error(
      `--out ${dir}: this process may not write there (deno task train may write under runs/ only); pick ` +
        `--out runs/<name>, or run cli/main.ts with deno run --allow-write=<folder>`,
    );
  }
}

/**
 * Checks `--out` for a new run (or an export, an import): it must not exist yet or be an empty folder, so that no
 * file of another run, or of the user, is ever overwritten, appended to or deleted.
 */
export async function checkNewRunFolder(out: string, purpose = "trains a new run"): Promise<void> {
  const found = await entries(out);
  if (found !== null && found.length > 0) {
    const shown = found.slice(0, 5).join(", ") + (found.length > 5 ? `, … (${found.length} entries)` : "");
    const resume = found.includes("run.json") && purpose === "trains a new run"
      ? "to continue that run add --resume; "
      : "";
    throw new Error(
      `--out ${out}: the folder is not empty (${shown}); copra ${purpose} only into a new or empty folder: ` +
        `${resume}otherwise pick a new --out`,
    );
  }
  await checkWritable(out);
}

/** Reads and checks the `run.json` of a run being resumed (or evaluated). */
export async function readRunJson(
  out: string,
  needs: readonly ("curriculum" | "options")[] = ["curriculum", "options"],
): Promise<RunJson> {
  const file = `${out}/run.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      const folder = await entries(out);
      throw new Error(
        folder === null
          ? `--out ${out}: no such folder; --resume continues a run that exists (check the path, or drop --resume)`
          : `${file}: missing, so ${out} is not a copra run (or its run never started); drop --resume to start a ` +
            "new run in a new folder",
      );
    }
    throw new Error(`${file}: cannot be read: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: is not valid JSON (${(error as Error).message}); the file is damaged`);
  }
  const run = json as Partial<RunJson>;
  for (const key of needs) {
    if (key === "options" && run?.options === undefined && run?.imported !== undefined) {
      throw new Error(
        `${file}: imported without --args, so it holds weights only (eval, generate, chat); to train on, import ` +
          "the checkpoint again with the official run's args.yaml (copra import --args)",
      );
    }
    if (typeof run?.[key] !== "object" || run[key] === null || Array.isArray(run[key])) {
      throw new Error(`${file}: "${key}": missing or not an object; the file is damaged`);
    }
  }
  return run as RunJson;
}

/** Checks `--out` for `--resume`: the run's folder with its `run.json`. Returns that `run.json`. */
export async function checkResumeFolder(out: string | undefined): Promise<RunJson> {
  if (out === undefined) throw new Error("--resume needs --out <the run's folder>");
  const run = await readRunJson(out);
  await checkWritable(out);
  return run;
}

/** Writes `<out>/run.json` atomically (a temporary file renamed into place). */
export function writeRunJson(out: string, run: Omit<RunJson, "options"> & { options?: RunJson["options"] }): void {
  writeFileAtomicSync(`${out}/run.json`, JSON.stringify(run, null, 1) + "\n");
}
