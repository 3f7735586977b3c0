/**
 * Scoring a model that calls tools: each item is one turn of a `Session` (thoughts, spoken steps, calculator calls
 * whose results are fed back), scored on the answer, on whether each tool call asked for the right expression,
 * and on tokens and thoughts per answer.
 *
 * @module
 */

import { type CurriculumConfig, METHOD_TRAITS, specialIds } from "@copra/curriculum/browser";
import { type CoconutItem, isCorrect } from "@copra/data/browser";
import { Session, type SessionEvent, type Tool } from "@copra/infer/browser";
import type { GPT2Config, GPT2Params } from "@copra/model/browser";
import type { Tokenizer } from "@copra/tokenizer/browser";

/** One turn, scored. */
export interface ToolTurnScore {
  /** What the model said, tool results included (`<<48/2=24>>`). */
  text: string;
  /** Whether the answer after `###` is right. */
  correct: boolean;
  /** Tool calls made. */
  calls: number;
  /** Calls whose input is the expression of one of the item's steps (each step matched once). */
  rightCalls: number;
  /** Tokens the model spoke (tool results not counted). */
  tokens: number;
  /** Thoughts used. */
  thoughts: number;
}

/**
 * Scores one turn's events against its item: the answer, and each call's input against the expressions of the
 * item's calculator steps (`<<expression=result>>`, spaces ignored, each matched once).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scoreToolTurn } from "@copra/train";
 * const item = { question: "q", steps: ["<<48/2=24>>"], answer: "24" };
 * const score = scoreToolTurn([
 *   { type: "token", id: 1, text: "<<48/2=" },
 *   { type: "tool_call", name: "calc", input: "48/2" },
 *   { type: "tool_result", name: "calc", output: "24" },
 *   { type: "token", id: 2, text: "\n### 24" },
 *   { type: "turn_end", reason: "eos", thoughts: 0 },
 * ], item);
 * assert.deepEqual([score.correct, score.calls, score.rightCalls, score.text], [true, 1, 1, "<<48/2=24>>\n### 24"]);
 * ```
 */
export function scoreToolTurn(events: readonly SessionEvent[], item: CoconutItem): ToolTurnScore {
  let text = "", calls = 0, rightCalls = 0, tokens = 0, thoughts = 0;
  const squash = (s: string) => s.replaceAll(/\s+/g, "");
  const expected = item.steps.flatMap((s) => [...s.matchAll(/<<([^<>=]*)=/g)].map((m) => squash(m[1])));
  for (const e of events) {
    if (e.type === "token") {
      text += e.text;
      tokens++;
    } else if (e.type === "tool_call") {
      calls++;
      const at = expected.indexOf(squash(e.input));
      if (at >= 0) {
        rightCalls++;
        expected.splice(at, 1);
      }
    } else if (e.type === "tool_result") text += `${e.output}>>`;
    else if (e.type === "turn_end") thoughts = e.thoughts;
  }
  return { text, correct: isCorrect(text, item.answer), calls, rightCalls, tokens, thoughts };
}

/** What {@link evaluateWithTools} measured. */
export interface ToolEvaluation {
  /** Exact-match accuracy. */
  accuracy: number;
  /** Right tool inputs / tool calls (null without calls). */
  rightCalls: number | null;
  /** Tool calls per answer. */
  calls: number;
  /** Spoken tokens per answer. */
  meanTokens: number;
  /** Thoughts per answer. */
  thoughts: number;
  /** Each item's score. */
  turns: ToolTurnScore[];
}

/**
 * Answers each item in a fresh session with the given tools (one turn, greedy), and scores the turns with
 * {@link scoreToolTurn}. Methods with thoughts use maxLatentStage·c of them, or the learned switch with
 * `thoughts: "auto"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { curriculumConfig } from "@copra/curriculum";
 * import { generateArithmetic } from "@copra/data";
 * import { calculator } from "@copra/infer";
 * import { disposeParams, initParams, useBackend } from "@copra/model";
 * import { buildTokenizer, evaluateWithTools, modelConfigFor } from "@copra/train";
 * await useBackend("cpu");
 * const items = generateArithmetic({ n: 2, seed: 1, steps: [1, 1] });
 * const curriculum = curriculumConfig({ method: "cot" });
 * const tok = buildTokenizer(items, [], { splitDigits: true });
 * const config = modelConfigFor("nano", tok, items, curriculum, { n_layer: 1, n_embd: 24, n_head: 2 });
 * const params = initParams(config);
 * const result = await evaluateWithTools(params, config, items, curriculum, tok, { tools: [calculator], maxNewTokens: 4 });
 * assert.equal(result.turns.length, 2);
 * disposeParams(params);
 * ```
 */
export async function evaluateWithTools(
  params: GPT2Params,
  config: GPT2Config,
  items: readonly CoconutItem[],
  curriculum: CurriculumConfig,
  tokenizer: Tokenizer,
  options: { tools: Tool[]; maxNewTokens: number; thoughts?: number | "auto"; maxThoughts?: number },
): Promise<ToolEvaluation> {
  const thinks = METHOD_TRAITS[curriculum.method].feedsHiddenStates;
  const fixed = thinks ? curriculum.maxLatentStage * curriculum.thoughtsPerStep : 0;
  const vocabulary = {
    encode: (text: string) => tokenizer.encode(text),
    decode: (ids: number[]) => tokenizer.decode(ids, { skipSpecial: true }),
    ids: specialIds(tokenizer),
  };
  const turns: ToolTurnScore[] = [];
  for (const item of items) {
    const session = new Session(params, config, vocabulary, {
      thoughts: options.thoughts ?? fixed,
      maxThoughts: options.maxThoughts ?? fixed,
      maxNewTokens: options.maxNewTokens,
      tools: options.tools,
      topK: 0,
    });
    const events: SessionEvent[] = [];
    try {
      for await (const e of session.turn(item.question)) events.push(e);
    } finally {
      session.dispose();
    }
    turns.push(scoreToolTurn(events, item));
  }
  const n = Math.max(turns.length, 1);
  const calls = turns.reduce((s, t) => s + t.calls, 0);
  return {
    accuracy: turns.filter((t) => t.correct).length / n,
    rightCalls: calls > 0 ? turns.reduce((s, t) => s + t.rightCalls, 0) / calls : null,
    calls: calls / n,
    meanTokens: turns.reduce((s, t) => s + t.tokens, 0) / n,
    thoughts: turns.reduce((s, t) => s + t.thoughts, 0) / n,
    turns,
  };
}
