/**
 * Reading and writing files with errors that name the path (internal to the model package).
 *
 * @module
 */

import { fileProblem, writeFileAtomic } from "@copra/core";
import { ModelError } from "./errors.ts";

/** Reads a file; a failure becomes a {@link ModelError} naming the path (shared with the optimizer state). */
export async function readFile<T>(
  path: string,
  convert: (bytes: Uint8Array) => T,
  hint = "a checkpoint folder holds config.json and model.safetensors",
): Promise<T> {
  try {
    return convert(await Deno.readFile(path));
  } catch (error) {
    throw new ModelError(fileProblem(path, "read", error, hint));
  }
}

/** Writes bytes atomically (`@copra/core`), a failure as a {@link ModelError} naming the file. */
export async function writeModelFile(path: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(path, bytes);
  } catch (error) {
    throw new ModelError(
      fileProblem(path, "written", error, "check that the folder exists and may be written (--allow-write)"),
    );
  }
}
