/**
 * The Coconut data format: a JSON array of `{question, steps, answer}` records; extra keys (ProsQA's
 * `idx_to_symbol, edges, root, target, neg_target`, …) are kept for analysis.
 *
 * @module
 */

import { writeFileAtomic } from "@copra/core";
import { DataError } from "./errors.ts";

/** One training or evaluation record. */
export interface CoconutItem {
  /** The question text (non-empty). */
  question: string;
  /** The reasoning steps, in order (may be empty). */
  steps: string[];
  /** The answer text. */
  answer: string;
  /** Graph of ProsQA/ProntoQA items: node names by index. */
  idx_to_symbol?: string[];
  /** Graph edges [from, to] as node indices. */
  edges?: [number, number][];
  /** Index of the queried person. */
  root?: number;
  /** Index of the correct answer concept. */
  target?: number;
  /** Index of the wrong option. */
  neg_target?: number;
  /** Any other keys of the source file. */
  [key: string]: unknown;
}

/**
 * Validates parsed JSON as a Coconut data set. Every defect names the file, the item index and the field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateDataset } from "@copra/data";
 * const items = validateDataset([{ question: "2+2?", steps: ["<<2+2=4>>"], answer: "4" }], "mini.json");
 * assert.equal(items[0].answer, "4");
 * assert.throws(() => validateDataset([{ question: "", steps: [], answer: "x" }], "bad.json"), /bad.json: item 0: question: must be a non-empty string/);
 * ```
 */
export function validateDataset(json: unknown, source = "argument"): CoconutItem[] {
  if (!Array.isArray(json)) {
    throw new DataError(
      source,
      null,
      "(top level)",
      "expected a JSON array of {question, steps, answer} records",
      typeof json,
    );
  }
  json.forEach((raw, i) => {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      throw new DataError(source, i, "(item)", "expected an object with question, steps and answer", raw);
    }
    const item = raw as Record<string, unknown>;
    if (typeof item.question !== "string" || item.question.trim() === "") {
      throw new DataError(source, i, "question", "must be a non-empty string", item.question);
    }
    if (!Array.isArray(item.steps)) throw new DataError(source, i, "steps", "must be an array of strings", item.steps);
    item.steps.forEach((s, j) => {
      if (typeof s !== "string") throw new DataError(source, i, `steps[${j}]`, "must be a string", s);
    });
    if (typeof item.answer !== "string") {
      throw new DataError(source, i, "answer", "must be a string", item.answer);
    }
    if (item.edges !== undefined) {
      const n = Array.isArray(item.idx_to_symbol) ? item.idx_to_symbol.length : Infinity;
      const ok = Array.isArray(item.edges) &&
        item.edges.every((e) =>
          Array.isArray(e) && e.length === 2 && e.every((v) => Number.isInteger(v) && v >= 0 && v < n)
        );
      if (!ok) throw new DataError(source, i, "edges", "must be [from, to] pairs of node indices", item.edges);
    }
  });
  return json as CoconutItem[];
}

/**
 * Parses and validates the text of a data file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDataset } from "@copra/data";
 * assert.throws(() => parseDataset("{", "x.json"), /x.json: \(file\): is not valid JSON/);
 * assert.equal(parseDataset('[{"question": "q", "steps": [], "answer": "a"}]').length, 1);
 * ```
 */
export function parseDataset(text: string, source = "argument"): CoconutItem[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DataError(source, null, "(file)", `is not valid JSON: ${(error as Error).message}`);
  }
  return validateDataset(json, source);
}

/**
 * Reads a data file (e.g. `../shared/data/prosqa_valid.json`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadDataset } from "@copra/data";
 * const path = `${await Deno.makeTempDir()}/mini.json`;
 * await Deno.writeTextFile(path, '[{"question": "2+2?", "steps": ["<<2+2=4>>"], "answer": "4"}]');
 * assert.equal((await loadDataset(path))[0].answer, "4");
 * await assert.rejects(loadDataset(`${path}.missing`), /mini\.json\.missing: \(file\): cannot be read/);
 * ```
 */
export async function loadDataset(path: string): Promise<CoconutItem[]> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    throw new DataError(path, null, "(file)", `cannot be read: ${(error as Error).message}`);
  }
  return parseDataset(decodeUtf8(bytes, path), path);
}

/**
 * Decodes a data file's bytes as UTF-8 text, refusing what would otherwise slip through as U+FFFD or NUL
 * characters: invalid UTF-8 (the byte offset is named), UTF-16 (with or without a byte-order mark). A UTF-8
 * byte-order mark is accepted and dropped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeUtf8 } from "@copra/data";
 * assert.equal(decodeUtf8(new Uint8Array([0xef, 0xbb, 0xbf, 0x5b, 0x5d]), "a.json"), "[]");
 * assert.throws(() => decodeUtf8(new Uint8Array([0x5b, 0xff, 0x5d]), "b.json"), /b.json: \(file\): is not UTF-8: an invalid byte sequence starts at byte offset 1 \(byte 0xff\)/);
 * assert.throws(() => decodeUtf8(new Uint8Array([0xff, 0xfe, 0x5b, 0]), "c.json"), /c.json: \(file\): is UTF-16/);
 * ```
 */
export function decodeUtf8(bytes: Uint8Array, path: string): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new DataError(
      path,
      null,
      "(file)",
      "is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8, e.g. iconv -f UTF-16 -t UTF-8",
    );
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new DataError(
      path,
      null,
      "(file)",
      `holds a NUL byte at byte offset ${nul} (UTF-16 text without a byte-order mark?); save it as UTF-8 JSON`,
    );
  }
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(start));
  } catch {
    const at = firstInvalidUtf8(bytes, start);
    throw new DataError(
      path,
      null,
      "(file)",
      `is not UTF-8: an invalid byte sequence starts at byte offset ${at} (byte 0x${
        bytes[at].toString(16).padStart(2, "0")
      }); save the file as UTF-8`,
    );
  }
}

/** The offset where the first invalid UTF-8 sequence starts. */
function firstInvalidUtf8(bytes: Uint8Array, from: number): number {
  let i = from;
  while (i < bytes.length) {
    const b = bytes[i];
    const [n, low, high] = b < 0x80
      ? [0, 0, 0]
      : b >= 0xc2 && b <= 0xdf
      ? [1, 0x80, 0xbf]
      : b === 0xe0
      ? [2, 0xa0, 0xbf]
      : b === 0xed
      ? [2, 0x80, 0x9f]
      : b >= 0xe1 && b <= 0xef
      ? [2, 0x80, 0xbf]
      : b === 0xf0
      ? [3, 0x90, 0xbf]
      : b >= 0xf1 && b <= 0xf3
      ? [3, 0x80, 0xbf]
      : b === 0xf4
      ? [3, 0x80, 0x8f]
      : [-1, 0, 0];
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      const [lo, hi] = k === 1 ? [low, high] : [0x80, 0xbf];
      if (c === undefined || c < lo || c > hi) return i;
    }
    i += n + 1;
  }
  return bytes.length - 1;
}

/**
 * Writes a data set as JSON, all at once (temporary file + rename).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadDataset, saveDataset } from "@copra/data";
 * const path = `${await Deno.makeTempDir()}/d.json`;
 * await saveDataset(path, [{ question: "q", steps: ["s"], answer: "a" }]);
 * assert.equal((await loadDataset(path))[0].steps[0], "s");
 * ```
 */
export async function saveDataset(path: string, items: readonly CoconutItem[]): Promise<void> {
  validateDataset(items as unknown[], "argument");
  try {
    await writeFileAtomic(path, JSON.stringify(items, null, 1) + "\n");
  } catch (error) {
    throw new DataError(path, null, "(file)", `cannot be written: ${(error as Error).message}`);
  }
}
