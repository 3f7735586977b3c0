/**
 * The Coconut data format: a JSON array of `{question, steps, answer}` records; extra keys (ProsQA's
 * `idx_to_symbol, edges, root, target, neg_target`, …) are kept for analysis.
 *
 * @module
 */

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
 * ```ts ignore
 * import { loadDataset } from "@copra/data";
 * const items = await loadDataset("../shared/data/prosqa_valid.json");
 * ```
 */
export async function loadDataset(path: string): Promise<CoconutItem[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new DataError(path, null, "(file)", `cannot be read: ${(error as Error).message}`);
  }
  return parseDataset(text, path);
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
  const temporary = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeTextFile(temporary, JSON.stringify(items, null, 1) + "\n");
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw new DataError(path, null, "(file)", `cannot be written: ${(error as Error).message}`);
  }
}
