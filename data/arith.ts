/**
 * Arithmetic word problems in the GSM8k-Aug format: the steps are calculator annotations `<<a op b=c>>`, the
 * answer the final number. Plus an evaluator that checks such steps (also on the real GSM8k files).
 *
 * @module
 */

import { Rng } from "@copra/random/browser";
import { DataError } from "./errors.ts";
import type { CoconutItem } from "./format.ts";
import { checkCount } from "./prosqa.ts";

/** The four operations. */
export type ArithOp = "+" | "-" | "*" | "/";

/** Options of {@link generateArithmetic}. */
export interface ArithOptions {
  /** Number of items. */
  n: number;
  /** Seed; the same seed and options give the same items. */
  seed: number;
  /** Fewest and most steps per problem. Default [2, 4]. */
  steps?: [number, number];
  /** Smallest and largest operand (and starting amount). Default [2, 20]. */
  operands?: [number, number];
  /** Operations to use. Default all four. */
  ops?: ArithOp[];
}

const PEOPLE = ["Ava", "Ben", "Chloe", "Dev", "Emma", "Finn", "Grace", "Hugo", "Ines", "Jonah", "Kira", "Leo"];
const THINGS = ["apple", "marble", "sticker", "book", "coin", "shell", "card", "pencil", "stamp", "cookie"];

/**
 * Generates arithmetic word problems: a starting amount, then one sentence per step (buy/find more, give away,
 * multiply, share equally); each step is `<<previous op operand=result>>`. Results stay non-negative integers
 * (subtraction never goes below zero, division is always exact).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkSteps, generateArithmetic } from "@copra/data";
 * const items = generateArithmetic({ n: 3, seed: 1, steps: [2, 2] });
 * for (const item of items) {
 *   assert.equal(item.steps.length, 2);
 *   assert.equal(checkSteps(item.steps, item.answer).ok, true);
 * }
 * ```
 */
export function generateArithmetic(options: ArithOptions): CoconutItem[] {
  checkCount("n", options.n, 0);
  const [minSteps, maxSteps] = options.steps ?? [2, 4];
  const [lo, hi] = options.operands ?? [2, 20];
  const ops = options.ops ?? ["+", "-", "*", "/"];
  if (!Number.isInteger(minSteps) || minSteps < 1 || !Number.isInteger(maxSteps) || maxSteps < minSteps) {
    throw new DataError("argument", null, "steps", "need integers 1 ≤ min ≤ max", options.steps);
  }
  if (!Number.isInteger(lo) || lo < 1 || !Number.isInteger(hi) || hi < lo) {
    throw new DataError("argument", null, "operands", "need integers 1 ≤ min ≤ max", options.operands);
  }
  if (ops.length === 0 || ops.some((op) => !["+", "-", "*", "/"].includes(op))) {
    throw new DataError("argument", null, "ops", 'must be a non-empty list of "+", "-", "*", "/"', ops);
  }
  const rng = new Rng(options.seed);
  const between = (a: number, b: number) => a + rng.int(b - a + 1);
  return Array.from({ length: options.n }, () => {
    const who = PEOPLE[rng.int(PEOPLE.length)], thing = THINGS[rng.int(THINGS.length)];
    let value = between(lo, hi);
    const sentences = [`${who} has ${value} ${thing}s.`];
    const steps: string[] = [];
    const count = between(minSteps, maxSteps);
    while (steps.length < count) {
      const op = ops[rng.int(ops.length)];
      let operand = between(lo, hi), result: number, sentence: string;
      if (op === "+") {
        result = value + operand;
        sentence = rng.next() < 0.5 ? `${who} buys ${operand} more.` : `${who} finds ${operand} more ${thing}s.`;
      } else if (op === "-") {
        if (value < lo) continue;
        operand = between(lo, Math.min(hi, value));
        result = value - operand;
        sentence = rng.next() < 0.5 ? `${who} gives ${operand} away.` : `${who} loses ${operand} ${thing}s.`;
      } else if (op === "*") {
        result = value * operand;
        sentence = `Then the number of ${thing}s ${who} has becomes ${operand} times as large.`;
      } else {
        const divisors = [...Array(hi - lo + 1).keys()].map((k) => k + lo).filter((d) => value % d === 0);
        if (divisors.length === 0) continue;
        operand = divisors[rng.int(divisors.length)];
        result = value / operand;
        sentence = `${who} shares them equally among ${operand} friends and keeps one share.`;
      }
      steps.push(`<<${value}${op}${operand}=${result}>>`);
      sentences.push(sentence);
      value = result;
    }
    return {
      question: `${sentences.join(" ")} How many ${thing}s does ${who} have now?`,
      steps,
      answer: String(value),
    };
  });
}

/** What {@link checkSteps} found. */
export interface StepCheck {
  /** Every step parses, its expression evaluates to its stated result, and the last result is the answer. */
  ok: boolean;
  /** The evaluated value of each step (NaN where it did not parse). */
  values: number[];
  /** Human-readable problems, one per defect. */
  problems: string[];
}

/**
 * Checks calculator-annotation steps `<<expression=result>>`: each expression (numbers, + − × ÷, parentheses)
 * must evaluate to its result (to 1e-6, or to the result's own rounding), and the last result must equal the
 * answer (commas ignored).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkSteps } from "@copra/data";
 * assert.equal(checkSteps(["<<30/100*2000=600>>", "<<2000-600=1400>>"], "1400").ok, true);
 * assert.deepEqual(checkSteps(["<<2+2=5>>"], "5").problems, ["step 0: 2+2 is 4, not 5"]);
 * ```
 */
export function checkSteps(steps: readonly string[], answer: string): StepCheck {
  const values: number[] = [];
  const problems: string[] = [];
  steps.forEach((step, i) => {
    const m = /^<<(.+)=([^=]+)>>$/.exec(step.trim());
    if (!m) {
      problems.push(`step ${i}: not of the form <<expression=result>>`);
      values.push(NaN);
      return;
    }
    const value = evaluateExpression(m[1]);
    values.push(value);
    const stated = Number(m[2].replaceAll(",", ""));
    if (Number.isNaN(value)) problems.push(`step ${i}: cannot evaluate ${m[1]}`);
    else if (!close(value, m[2].replaceAll(",", ""))) problems.push(`step ${i}: ${m[1]} is ${value}, not ${stated}`);
  });
  const last = steps.length > 0 ? /=([^=]+)>>$/.exec(steps.at(-1)!.trim())?.[1] : undefined;
  if (last === undefined || Number(last.replaceAll(",", "")) !== Number(answer.replaceAll(",", ""))) {
    problems.push(`the last result ${last} is not the answer ${answer}`);
  }
  return { ok: problems.length === 0, values, problems };
}

/** Whether `value` matches a stated result, exactly to 1e-6 or to the stated number of decimals. */
function close(value: number, stated: string): boolean {
  const target = Number(stated);
  if (Number.isNaN(target)) return false;
  if (Math.abs(value - target) <= 1e-6 * Math.max(1, Math.abs(target))) return true;
  const decimals = stated.includes(".") ? stated.split(".")[1].length : 0;
  return Math.abs(value - target) <= 0.5 * 10 ** -decimals + 1e-9;
}

/**
 * Evaluates an arithmetic expression of numbers, `+ - * /`, unary minus and parentheses (no `eval`); NaN when
 * it does not parse.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluateExpression } from "@copra/data";
 * assert.equal(evaluateExpression("2+3*(4-1)/.5"), 20);
 * assert.ok(Number.isNaN(evaluateExpression("2+")));
 * ```
 */
export function evaluateExpression(expression: string): number {
  const tokens = expression.replaceAll(",", "").match(/\d*\.?\d+(?:e[+-]?\d+)?|[-+*/()]|\S/g) ?? [];
  let at = 0;
  const peek = () => tokens[at];
  const number = (): number => {
    const t = tokens[at++];
    if (t === "(") {
      const v = sum();
      return tokens[at++] === ")" ? v : NaN;
    }
    if (t === "-") return -number();
    if (t === "+") return number();
    return t !== undefined && /^\d*\.?\d+/.test(t) ? Number(t) : NaN;
  };
  const product = (): number => {
    let v = number();
    while (peek() === "*" || peek() === "/") v = tokens[at++] === "*" ? v * number() : v / number();
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (peek() === "+" || peek() === "-") v = tokens[at++] === "+" ? v + product() : v - product();
    return v;
  };
  const value = sum();
  return at === tokens.length ? value : NaN;
}
