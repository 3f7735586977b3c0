/**
 * Writing a file all at once: into a temporary file beside it, then renamed into place, so that a crash or an
 * error never leaves a half-written file (or a damaged old one) behind.
 *
 * @module
 */

/**
 * Writes `data` (bytes or text) to `path` atomically: a temporary file in the same folder, renamed into place; on
 * failure the temporary file is removed and the error rethrown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileAtomic } from "@copra/core";
 * const path = `${await Deno.makeTempDir()}/a.json`;
 * await writeFileAtomic(path, '{"ok": true}\n');
 * assert.equal(await Deno.readTextFile(path), '{"ok": true}\n');
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(temporary, data);
    else await Deno.writeFile(temporary, data);
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}

/**
 * The same, synchronously (for a caller that cannot await, such as an event handler).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileAtomicSync } from "@copra/core";
 * const path = `${Deno.makeTempDirSync()}/b.txt`;
 * writeFileAtomicSync(path, "x");
 * assert.equal(Deno.readTextFileSync(path), "x");
 * ```
 */
export function writeFileAtomicSync(path: string, data: Uint8Array | string): void {
  const temporary = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    if (typeof data === "string") Deno.writeTextFileSync(temporary, data);
    else Deno.writeFileSync(temporary, data);
    Deno.renameSync(temporary, path);
  } catch (error) {
    try {
      Deno.removeSync(temporary);
    } catch {
      // nothing was written
    }
    throw error;
  }
}
