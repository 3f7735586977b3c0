import assert from "node:assert/strict";
import { calculate } from "./mod.ts";

Deno.test("calculate: precedence, parentheses, unary minus, decimals — against hand-computed values", () => {
  const cases: [string, string][] = [
    ["48/2", "24"],
    ["2+3*4", "14"],
    ["(2+3)*4", "20"],
    ["10-4-3", "3"],
    ["100/10/5", "2"],
    ["-3*-2", "6"],
    ["1.5*4", "6"],
    ["7/2", "3.5"],
    ["1/3", "0.3333333333"],
    ["1234*5678", "7006652"],
    [" 12 × 3 ÷ 4 ", "9"],
  ];
  for (const [expression, expected] of cases) assert.equal(calculate(expression), expected, expression);
});

Deno.test("calculate: what it cannot read is an error with the position, never code", () => {
  assert.throws(() => calculate(""), /empty/);
  assert.throws(() => calculate("2+"), /position 3: a number or \( was expected/);
  assert.throws(() => calculate("(1+2"), /\) was expected/);
  assert.throws(() => calculate("1/0"), /division by zero/);
  assert.throws(() => calculate("Deno.exit(1)"), /position 1/);
  assert.throws(() => calculate("2)"), /"\)" was not expected/);
});
