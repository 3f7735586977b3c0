/**
 * File reading and all-or-nothing writing with errors that name the path.
 *
 * @module
 */

import { fileProblem, writeFileAtomic } from "@copra/core";
import { TokenizerError } from "./errors.ts";

/**
 * Reads a UTF-8 text file; a missing or unreadable file becomes a {@link TokenizerError} naming the path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTextFile, writeTextFileAtomic } from "@copra/tokenizer";
 * const path = `${await Deno.makeTempDir()}/note.txt`;
 * await writeTextFileAtomic(path, "all or nothing");
 * assert.equal(await readTextFile(path), "all or nothing");
 * await Deno.remove(path);
 * ```
 */
export async function readTextFile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new TokenizerError(
      fileProblem(path, "read", error, "check the path and that the process may read it (--allow-read)"),
    );
  }
}

/**
 * Writes a text file all at once: the text goes to a temporary file beside the target, which is then renamed
 * over it, so a crash or a full disk never leaves a half-written file at `path`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTextFile, writeTextFileAtomic } from "@copra/tokenizer";
 * const path = `${await Deno.makeTempDir()}/note.txt`;
 * await writeTextFileAtomic(path, "all or nothing");
 * assert.equal(await readTextFile(path), "all or nothing");
 * await Deno.remove(path);
 * ```
 */
export async function writeTextFileAtomic(path: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(path, text);
  } catch (error) {
    throw new TokenizerError(
      fileProblem(
        path,
        "written",
        error,
        "check that the folder exists and that the process may write there (--allow-write)",
      ),
    );
  }
}
