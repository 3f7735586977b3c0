import assert from "node:assert/strict";
import type { SessionEvent } from "@copra/infer";
import { scoreToolTurn } from "./mod.ts";

const item = { question: "q", steps: ["<<340*639=217260>>", "<<217260/255=852>>"], answer: "852" };
const turn = (...events: SessionEvent[]) => [...events, { type: "turn_end", reason: "eos", thoughts: 2 } as const];

Deno.test("scoreToolTurn: right and wrong calls, each gold step matched once, tool results in the text", () => {
  const good = scoreToolTurn(
    turn(
      { type: "token", id: 1, text: "<<340 * 639=" },
      { type: "tool_call", name: "calc", input: "340 * 639" },
      { type: "tool_result", name: "calc", output: "217260" },
      { type: "token", id: 2, text: "\n<<217260/255=" },
      { type: "tool_call", name: "calc", input: "217260/255" },
      { type: "tool_result", name: "calc", output: "852" },
      { type: "token", id: 3, text: "\n### 852" },
    ),
    item,
  );
  assert.deepEqual(good, {
    text: "<<340 * 639=217260>>\n<<217260/255=852>>\n### 852",
    correct: true,
    calls: 2,
    rightCalls: 2,
    tokens: 3,
    thoughts: 2,
  });
  // The same expression twice counts once; a wrong expression not at all; the answer is wrong.
  const bad = scoreToolTurn(
    turn(
      { type: "tool_call", name: "calc", input: "340*639" },
      { type: "tool_call", name: "calc", input: "340*639" },
      { type: "tool_call", name: "calc", input: "639/255" },
      { type: "token", id: 3, text: "### 2" },
    ),
    item,
  );
  assert.deepEqual([bad.correct, bad.calls, bad.rightCalls], [false, 3, 1]);
});
