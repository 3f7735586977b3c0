/**
 * Option parsing for the `copra` command: parsers that name the option, the value and the allowed range, and
 * `--config` files checked key by key against the command's own options (a misspelt key names the nearest one).
 *
 * @module
 */

import { type Command, InvalidArgumentError, Option } from "commander";
import { METHODS } from "@copra/curriculum";
import type { ProsQAOptions } from "@copra/data";
import { BACKEND_NAMES } from "@copra/model";
import { COCONUT_NANO } from "@copra/train";

/**
 * `text` as an integer in [min, max] when it is written in decimal digits (an optional minus sign; not "0x10", "1e2",
 * "2.0" or ""), else null. The one rule for every whole-number option of copra's commands and scripts.
 */
export function integerIn(text: string, min: number, max: number): number | null {
  const trimmed = text.trim();
  if (!/^-?[0-9]+$/.test(trimmed)) return null;
  const n = Number(trimmed);
  return n >= min && n <= max ? n : null;
}

/** An integer option in [min, max] (see {@link integerIn}). */
export const int = (name: string, min = 0, max = Number.MAX_SAFE_INTEGER): (value: string) => number => (value) => {
  const n = integerIn(value, min, max);
  if (n === null) {
    const rule = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
    throw new InvalidArgumentError(`${name} must be ${rule} (got ${value})`);
  }
  return n;
};

/** Bounds of a {@link num} option; `above` and `below` are exclusive, `min` and `max` inclusive. */
export interface NumRange {
  /** Smallest value allowed. */
  min?: number;
  /** The value must be greater than this. */
  above?: number;
  /** Largest value allowed. */
  max?: number;
  /** The value must be less than this. */
  below?: number;
}

/** A finite number option within `range`. */
export const num = (name: string, range: NumRange = {}): (value: string) => number => (value) => {
  const n = Number(value);
  const ok = value.trim() !== "" && Number.isFinite(n) &&
    (range.min === undefined || n >= range.min) && (range.above === undefined || n > range.above) &&
    (range.max === undefined || n <= range.max) && (range.below === undefined || n < range.below);
  if (!ok) throw new InvalidArgumentError(`${name} must be ${describe(range)} (got ${value})`);
  return n;
};

function describe(r: NumRange): string {
  const low = r.min !== undefined ? `[${r.min}` : r.above !== undefined ? `(${r.above}` : null;
  const high = r.max !== undefined ? `${r.max}]` : r.below !== undefined ? `${r.below})` : null;
  if (low && high) return `a number in ${low}, ${high}`;
  if (r.min !== undefined) return `a number ≥ ${r.min}`;
  if (r.above !== undefined) return `a number > ${r.above}`;
  if (r.max !== undefined) return `a number ≤ ${r.max}`;
  if (r.below !== undefined) return `a number < ${r.below}`;
  return "a finite number";
}

/** Two positive integers `min,max` with min ≤ max (also accepts a JSON array from a config file). */
export const range = (name: string): (value: string) => [number, number] => (value) => {
  const parts = value.split(",").map((s) => integerIn(s, 1, Number.MAX_SAFE_INTEGER));
  if (parts.length !== 2 || parts[0] === null || parts[1] === null || parts[0] > parts[1]) {
    throw new InvalidArgumentError(`${name} must be two positive integers min,max with min ≤ max (got ${value})`);
  }
  return [parts[0], parts[1]];
};

/** One of the allowed strings. */
export const oneOf = <T extends string>(name: string, allowed: readonly T[]): (value: string) => T => (value) => {
  if (!allowed.includes(value as T)) {
    throw new InvalidArgumentError(`${name} must be one of ${allowed.join(", ")} (got ${value})`);
  }
  return value as T;
};

/** Levenshtein distance (for "did you mean"). */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The candidate closest to `word` (case-insensitive edit distance). */
export function nearest(word: string, candidates: readonly string[]): string {
  let best = candidates[0], distance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < distance) [best, distance] = [c, d];
  }
  return best;
}

/**
 * Applies a parsed `--config` file (or a run's saved options) to a command's option values: every key must be
 * one of the command's options (camelCase), every value passes that option's own parser. Options given on the
 * command line win over the file's. `skip` lists keys taken as they are (e.g. `out` and `resume`).
 */
export function applyOptionFile(
  command: Command,
  values: Record<string, unknown>,
  json: unknown,
  file: string,
  skip: readonly string[] = [],
): void {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error(`${file}: must be a JSON object of ${command.name()} options (camelCase keys, e.g. {"lr": 0.001})`);
  }
  const options = new Map<string, Option>(command.options.map((o) => [o.attributeName(), o]));
  for (const [key, raw] of Object.entries(json)) {
    if (skip.includes(key)) continue;
    const option = options.get(key);
    if (!option) {
      throw new Error(
        `${file}: "${key}" is not an option of copra ${command.name()}; did you mean "${
          nearest(key, [...options.keys()])
        }"? (keys are the long options in camelCase)`,
      );
    }
    if (command.getOptionValueSource(key) === "cli") continue;
    if (raw === null || raw === undefined) continue;
    let value: unknown;
    if (option.isBoolean()) {
      if (typeof raw !== "boolean") {
        throw new Error(`${file}: "${key}" must be true or false (got ${JSON.stringify(raw)})`);
      }
      value = raw;
    } else {
      const text = Array.isArray(raw)
        ? raw.join(",")
        : typeof raw === "string" || typeof raw === "number"
        ? String(raw)
        : null;
      if (text === null) throw new Error(`${file}: "${key}" must be a string or a number (got ${JSON.stringify(raw)})`);
      try {
        value = option.parseArg ? option.parseArg(text, undefined) : text;
      } catch (error) {
        throw new Error(`${file}: "${key}": ${(error as Error).message}`);
      }
    }
    values[key] = value;
  }
}

/** The long flags the user gave on the command line (e.g. `["--epochs"]`), of those in `values`. */
export function givenOnCommandLine(command: Command, values: Record<string, unknown>): string[] {
  return command.options.filter((o) =>
    command.getOptionValueSource(o.attributeName()) === "cli" &&
    o.attributeName() in values
  ).map((o) => o.long!);
}

/**
 * The default task of `deno task train`: the Coconut-nano graphs of `@copra/train` (5–8 nodes, 2–3 hops).
 * The model and recipe defaults below come from the same regime.
 */
export const DEFAULT_TASK: { nodes: [number, number]; nodesMean: number; minHops: number; maxHops: number } = {
  nodes: COCONUT_NANO.task.nodes!,
  nodesMean: COCONUT_NANO.task.nodesMean!,
  minHops: COCONUT_NANO.task.minHops!,
  maxHops: COCONUT_NANO.task.maxHops!,
};

/** The `--backend` option every command that runs the model takes. */
export function backendOption(): Option {
  return new Option("--backend <backend>", "wasm, webgpu or cpu")
    .argParser(oneOf("--backend", BACKEND_NAMES))
    .default("wasm");
}

/** The ProsQA task flags, as parsed. */
export interface TaskFlags {
  /** `--nodes min,max`. */
  nodes?: [number, number];
  /** `--hops min,max`. */
  hops?: [number, number];
  /** `--balance-hops`. */
  balanceHops?: boolean;
  /** `--max-children n`. */
  maxChildren?: number;
  /** `--option-decoys n`. */
  optionDecoys?: number;
  /** `--match-depth`. */
  matchDepth?: boolean;
}

/**
 * The ProsQA task flags, declared once for `train` (its generated task) and `data generate prosqa`, so that the
 * same flags give the same items in both (`generateProsQA`'s options; see {@link prosqaTask}).
 */
export function taskOptions(prefix: string): Option[] {
  return [
    new Option("--nodes <min,max>", `${prefix}: nodes per graph (default task: ${DEFAULT_TASK.nodes})`)
      .argParser(range("--nodes")),
    new Option(
      "--hops <min,max>",
      `${prefix}: shortest root→target path (default task: ${DEFAULT_TASK.minHops},${DEFAULT_TASK.maxHops})`,
    ).argParser(range("--hops")),
    new Option("--balance-hops", `${prefix}: every hop count of the range equally often`),
    new Option("--max-children <n>", `${prefix}: most children per node (1: no branches)`)
      .argParser(int("--max-children", 1)),
    new Option("--option-decoys <n>", `${prefix}: up to n extra parents per option that the person cannot reach`)
      .argParser(int("--option-decoys")),
    new Option("--match-depth", `${prefix}: the negative option as deep as the target (closes the depth shortcut)`),
  ];
}

/** `generateProsQA` options: `base` with the task flags applied (the mean node count follows `--nodes`). */
export function prosqaTask(
  base: Omit<ProsQAOptions, "n" | "seed">,
  flags: TaskFlags,
): Omit<ProsQAOptions, "n" | "seed"> {
  return {
    ...base,
    ...(flags.nodes ? { nodes: flags.nodes, nodesMean: (flags.nodes[0] + flags.nodes[1]) / 2 } : {}),
    ...(flags.hops ? { minHops: flags.hops[0], maxHops: flags.hops[1] } : {}),
    ...(flags.maxChildren ? { maxChildren: flags.maxChildren } : {}),
    ...(flags.balanceHops ? { balanceHops: true } : {}),
    ...(flags.optionDecoys ? { optionDecoys: flags.optionDecoys } : {}),
    ...(flags.matchDepth ? { matchDepth: true } : {}),
  };
}

/**
 * The options `eval` and `generate` share after their own: `--method`, `--thoughts` (a count, `auto`, and with
 * `perItem` also `hops`), `--max-thoughts`, `--max-new-tokens`, `--backend`.
 */
export function inferenceOptions(thoughtsHelp: string, perItem = false): Option[] {
  const count = int("--thoughts");
  const words = perItem ? ' or "hops" or "auto"' : ' or "auto"';
  const thoughts = (value: string): number | "hops" | "auto" => {
    if (perItem && value === "hops") return "hops";
    if (value === "auto") return "auto";
    try {
      return count(value);
    } catch (error) {
      throw new InvalidArgumentError(`${(error as Error).message}${words}`);
    }
  };
  return [
    new Option("--method <method>", "override the run's method").argParser(oneOf("--method", METHODS)),
    new Option("--thoughts <n>", thoughtsHelp).argParser(thoughts),
    new Option(
      "--max-thoughts <n>",
      "with the learned switch (--thoughts auto): the most thoughts (default maxLatentStage·c)",
    ).argParser(int("--max-thoughts", 1)),
    new Option("--max-new-tokens <n>", "generation limit").argParser(int("--max-new-tokens", 1)).default(128),
    backendOption(),
  ];
}
