/**
 * The error base of every copra package: where a bad value came from (a file, or `"argument"`), which item and
 * field, the value, what is wrong, and what to do.
 *
 * @module
 */

/** What a {@link CopraError} says. */
export interface ErrorDetails {
  /** The file (path or name given by the caller) or `"argument"`; omitted for a setting without a source. */
  source?: string;
  /** Index of the item at fault in a data file, when there is one. */
  item?: number;
  /** The field, option, tensor name or line at fault. */
  field: string;
  /** The offending value (shown shortened); omitted when there is none to show. */
  value?: unknown;
  /** What is wrong, in a few words. */
  problem: string;
  /** What the caller can do about it. */
  hint?: string;
}

/**
 * A short, printable rendering of any value for an error message (JSON, cut at 80 characters).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatValue } from "@copra/core";
 * assert.equal(formatValue("x"), '"x"');
 * assert.equal(formatValue([1, 2]), "[1,2]");
 * assert.equal(formatValue("a".repeat(100)).length, 80);
 * ```
 */
export function formatValue(value: unknown): string {
  let text: string;
  if (typeof value === "string") text = JSON.stringify(value);
  else if (typeof value === "bigint") text = `${value}n`;
  else if (value === undefined) text = "undefined";
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * The details of a file that could not be read or written, for any package's error class: the path as source
 * and value, field `(file)`, and the system's reason.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CopraError, fileProblem } from "@copra/core";
 * const e = new CopraError(fileProblem("a.json", "read", new Error("No such file"), "check the path"));
 * assert.equal(e.message, 'a.json: (file): cannot be read: No such file (got "a.json"). check the path');
 * ```
 */
export function fileProblem(
  path: string,
  action: "read" | "written",
  error: unknown,
  hint?: string,
): ErrorDetails & { source: string; value: string } {
  const reason = error instanceof Error ? error.message : String(error);
  return { source: path, field: "(file)", value: path, problem: `cannot be ${action}: ${reason}`, hint };
}

/**
 * The details of a file whose text is not valid JSON, for any package's error class (its first 40 characters
 * shown).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CopraError, jsonProblem } from "@copra/core";
 * let error: unknown;
 * try {
 *   JSON.parse("{");
 * } catch (e) {
 *   error = e;
 * }
 * assert.match(new CopraError(jsonProblem("a.json", "{", error)).message, /^a\.json: \(file\): is not valid JSON: /);
 * ```
 */
export function jsonProblem(
  source: string,
  text: string,
  error: unknown,
): ErrorDetails & { source: string; value: string } {
  const reason = error instanceof Error ? error.message : String(error);
  return { source, field: "(file)", value: text.slice(0, 40), problem: `is not valid JSON: ${reason}` };
}

/**
 * The base of copra's errors. The message is `source: item i: field: problem (got value). hint`, each part only
 * when given; the parts are kept as properties.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CopraError } from "@copra/core";
 * const e = new CopraError({ source: "train.json", item: 3, field: "steps", problem: "must be an array", value: 7 });
 * assert.equal(e.message, "train.json: item 3: steps: must be an array (got 7)");
 * assert.equal(e.field, "steps");
 * ```
 */
export class CopraError extends Error {
  /** The file or `"argument"`, or undefined. */
  readonly source: string | undefined;
  /** Index of the item at fault, or null. */
  readonly item: number | null;
  /** The field at fault. */
  readonly field: string;
  /** The offending value. */
  readonly value: unknown;

  /** Builds the message from the details. */
  constructor(details: ErrorDetails) {
    const source = details.source === undefined ? "" : `${details.source}: `;
    const item = details.item === undefined ? "" : `item ${details.item}: `;
    const value = "value" in details && details.value !== undefined ? ` (got ${formatValue(details.value)})` : "";
    super(`${source}${item}${details.field}: ${details.problem}${value}${details.hint ? `. ${details.hint}` : ""}`);
    this.name = "CopraError";
    this.source = details.source;
    this.item = details.item ?? null;
    this.field = details.field;
    this.value = details.value;
  }
}
