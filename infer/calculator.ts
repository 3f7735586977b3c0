/**
 * The reference tool: a calculator for GSM8k-style spans (`<<48/2=` → `24`). It parses + − × ÷, parentheses,
 * unary minus and decimals itself — nothing is evaluated as code.
 *
 * @module
 */

import type { Tool } from "./session.ts";

/**
 * The value of an arithmetic expression (`+ - * /`, parentheses, unary minus, decimals), or an error naming the
 * position that could not be read. Results are rounded to 10 significant digits and printed without a trailing
 * `.0` (as GSM8k writes them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { calculate } from "@copra/infer";
 * assert.equal(calculate("48/2"), "24");
 * assert.equal(calculate("-(3 + 4) * 2.5"), "-17.5");
 * assert.throws(() => calculate("2 ** 3"), /position 3/);
 * ```
 */
export function calculate(expression: string): string {
  const text = expression.replaceAll(" ", "").replaceAll("×", "*").replaceAll("÷", "/");
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`cannot read "${expression}" at position ${i + 1}: ${what}`);
  };
  const number = (): number => {
    const m = text.slice(i).match(/^\d+(\.\d+)?|^\.\d+/);
    if (!m) fail("a number or ( was expected");
    i += m![0].length;
    return Number(m![0]);
  };
  const factor = (): number => {
    if (text[i] === "-") {
      i++;
      return -factor();
    }
    if (text[i] === "(") {
      i++;
      const v = sum();
      if (text[i] !== ")") fail(") was expected");
      i++;
      return v;
    }
    return number();
  };
  const product = (): number => {
    let v = factor();
    while (text[i] === "*" || text[i] === "/") {
      const op = text[i++];
      const w = factor();
      if (op === "/" && w === 0) fail("division by zero");
      v = op === "*" ? v * w : v / w;
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (text[i] === "+" || text[i] === "-") {
      const op = text[i++];
      const w = product();
      v = op === "+" ? v + w : v - w;
    }
    return v;
  };
  if (text === "") fail("the expression is empty");
  const value = sum();
  if (i < text.length) fail(`"${text[i]}" was not expected`);
  return String(Number(value.toPrecision(10)));
}

/**
 * The calculator as a session tool (name `calc`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { calculator } from "@copra/infer";
 * assert.equal(await calculator.run("6*7", new AbortController().signal), "42");
 * ```
 */
export const calculator: Tool = {
  name: "calc",
  run: (input: string) => Promise.resolve(calculate(input)),
};
