/**
 * Turning a record and its stage into training token ids, labels and latent slots, and into inference prompts.
 *
 * Tokenization is piecewise, as in the official code: `question + "\n"`, each `step + "\n"`, `"### " + answer`
 * then `<eos>`. Labels are the ids themselves (the loss shifts them) except -100 on the question, the markers,
 * the thought slots and pauses. With `questionLossWeight` > 0 the question is learned too, at that weight.
 *
 * @module
 */

import type { Rng } from "@copra/random/browser";
import { COCONUT_TOKENS, END_OF_TEXT, type Tokenizer } from "@copra/tokenizer/browser";
import { type CurriculumConfig, CurriculumError } from "./schedule.ts";

/** Label of positions that do not count. */
const IGNORE = -100;

/** A record as the curriculum needs it: question, steps and answer. */
export interface Record3 {
  /** Question text. */
  question: string;
  /** Reasoning steps. */
  steps: readonly string[];
  /** Answer text. */
  answer: string;
  /**
   * For each step, every step text that would be just as right at that point (the step itself among them), e.g.
   * the nodes of a graph's next frontier. Only the `"frontier"` supervision reads it.
   */
  alternatives?: readonly (readonly string[])[];
}

/** A record's pieces, tokenized once (`question + "\n"`, `step + "\n"` each, `"### " + answer` + eos). */
export interface TokenizedRecord {
  /** Ids of `question + "\n"`. */
  question: number[];
  /** Ids of each `step + "\n"`. */
  steps: number[][];
  /** Ids of `"### " + answer`, then the end-of-text id. */
  answer: number[];
  /** For each step, the first token id of each of its `alternatives` (`alt + "\n"`), when the record has them. */
  alternatives?: number[][];
  /**
   * With `toolSpans`: for each step, which of its tokens a calculator wrote (the result and `>>` of each
   * `<<expression=result>>` span).
   */
  stepOutputs?: boolean[][];
}

/** Options of {@link tokenizeRecord}. */
export interface TokenizeRecordOptions {
  /**
   * Cut each step at its calculator spans (`<<expression=` | `result>>`) and tokenize the pieces one by one, so
   * that a tool's output starts on a token of its own, and record which tokens are outputs (`stepOutputs`).
   */
  toolSpans?: boolean;
}

/**
 * A step cut into pieces at its calculator spans, each marked whether a tool writes it: `"a <<48/2=24>> b"` →
 * `a <<48/2=` (model), `24>>` (tool), ` b` (model).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toolSpanPieces } from "@copra/curriculum";
 * assert.deepEqual(toolSpanPieces("<<48/2=24>>"), [{ text: "<<48/2=", output: false }, { text: "24>>", output: true }]);
 * assert.deepEqual(toolSpanPieces("no call"), [{ text: "no call", output: false }]);
 * ```
 */
export function toolSpanPieces(step: string): { text: string; output: boolean }[] {
  const pieces: { text: string; output: boolean }[] = [];
  const span = /<<[^<>=]*=([^<>]*>>)/g;
  let at = 0;
  for (const m of step.matchAll(span)) {
    const outputStart = m.index! + m[0].length - m[1].length;
    pieces.push({ text: step.slice(at, outputStart), output: false }, { text: m[1], output: true });
    at = m.index! + m[0].length;
  }
  if (at < step.length || pieces.length === 0) pieces.push({ text: step.slice(at), output: false });
  return pieces.filter((p) => p.text !== "");
}

/** The special-token ids the curriculum uses. */
export interface SpecialIds {
  /** `<|start-latent|>` (bot). */
  bot: number;
  /** `<|end-latent|>` (eot). */
  eot: number;
  /** `<|latent|>`: a thought slot. */
  latent: number;
  /** `<pause>`; absent when the vocabulary has none (as the official Coconut's has not): pause methods need it. */
  pause?: number;
  /** `<|endoftext|>`: eos and pad. */
  eos: number;
}

/** One training example. */
export interface Example {
  /** Token ids; thought slots hold the `<|latent|>` id until the model fills them. */
  ids: number[];
  /** Target ids, -100 where ignored (same length as ids; unshifted, as Hugging Face labels). */
  labels: number[];
  /** Position ids 0..n-1. */
  positionIds: number[];
  /** Indices of the continuous-thought slots (empty for methods without feedback). */
  latentPositions: number[];
  /** The stage the example was built for. */
  stage: number;
  /**
   * Loss weight of each label (same length as ids), present only when the question is learned too
   * (`questionLossWeight` > 0): that weight on the question, 1 on the learned tokens after it, 0 where ignored.
   */
  weights?: number[];
  /**
   * The learned switch's label of each thought slot (aligned with `latentPositions`): 1 on the last thought when
   * the answer follows it directly (no spoken step in between), else 0.
   */
  stopLabels?: number[];
  /**
   * Positions whose target is a set of ids (the `"frontier"` supervision): the loss there is −log Σ p(id) over
   * `ids`, and `labels` holds -100 at `position` (same indexing as `labels`: the id set of that position).
   */
  setTargets?: { position: number; ids: number[] }[];
}

/** An inference prompt: ids up to where generation starts. */
export interface Prompt {
  /** Token ids. */
  ids: number[];
  /** Position ids 0..n-1. */
  positionIds: number[];
  /** Indices of the continuous-thought slots. */
  latentPositions: number[];
}

/**
 * The special-token ids of a tokenizer. Throws a {@link CurriculumError} naming a missing token and how to add it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainWordLevel, COCONUT_TOKENS } from "@copra/tokenizer";
 * import { specialIds } from "@copra/curriculum";
 * const tok = trainWordLevel(["a b"]).withSpecialTokens(Object.values(COCONUT_TOKENS));
 * assert.equal(specialIds(tok).latent, tok.tokenId("<|latent|>"));
 * assert.throws(() => specialIds(trainWordLevel(["a"])), /withSpecialTokens/);
 * // The official Coconut vocabulary has no <pause>: fine for every method but the pause ones.
 * const official = trainWordLevel(["a b"]).withSpecialTokens(["<|start-latent|>", "<|end-latent|>", "<|latent|>"]);
 * assert.equal(specialIds(official).pause, undefined);
 * ```
 */
export function specialIds(tokenizer: Tokenizer): SpecialIds {
  const id = (token: string) => {
    try {
      return tokenizer.tokenId(token);
    } catch {
      throw new CurriculumError(
        "tokenizer",
        `has no ${token} token; add Coconut's tokens with tokenizer.withSpecialTokens(Object.values(COCONUT_TOKENS))`,
      );
    }
  };
  return {
    bot: id(COCONUT_TOKENS.startLatent),
    eot: id(COCONUT_TOKENS.endLatent),
    latent: id(COCONUT_TOKENS.latent),
    ...(tokenizer.specialTokens.some((t) => t.content === COCONUT_TOKENS.pause)
      ? { pause: id(COCONUT_TOKENS.pause) }
      : {}),
    eos: id(END_OF_TEXT),
  };
}

/** The `<pause>` id, for the methods that need it. */
function pauseId(ids: SpecialIds): number {
  if (ids.pause === undefined) {
    throw new CurriculumError(
      "tokenizer",
      `has no ${COCONUT_TOKENS.pause} token, which the pause methods need; add it with tokenizer.withSpecialTokens`,
    );
  }
  return ids.pause;
}

/**
 * The texts a record is tokenized from, exactly as {@link tokenizeRecord} cuts them: train a vocabulary on
 * these so that every piece, newlines and `###` included, is known.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordTexts } from "@copra/curriculum";
 * assert.deepEqual(recordTexts({ question: "Q?", steps: ["s"], answer: "A" }), ["Q?\n", "s\n", "### A"]);
 * ```
 */
export function recordTexts(record: Record3): string[] {
  return [record.question + "\n", ...record.steps.map((s) => s + "\n"), "### " + record.answer];
}

/**
 * Tokenizes a record piecewise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainWordLevel } from "@copra/tokenizer";
 * import { tokenizeRecord } from "@copra/curriculum";
 * const tok = trainWordLevel(["Q?\ns1\n### A"]);
 * const t = tokenizeRecord(tok, { question: "Q?", steps: ["s1"], answer: "A" });
 * assert.equal(tok.decode(t.question), "Q?\n");
 * assert.equal(tok.decode(t.answer), "### A<|endoftext|>");
 * const calc = trainWordLevel(["<<4*2=8>>\n"], { splitDigits: true });
 * const spans = tokenizeRecord(calc, { question: "Q?", steps: ["<<4*2=8>>"], answer: "8" }, { toolSpans: true });
 * assert.deepEqual(spans.stepOutputs, [[false, false, false, false, false, true, true, false]]); // 8>> from the tool
 * ```
 */
export function tokenizeRecord(
  tokenizer: Tokenizer,
  record: Record3,
  options: TokenizeRecordOptions = {},
): TokenizedRecord {
  const tokenized: TokenizedRecord = {
    question: tokenizer.encode(record.question + "\n"),
    steps: record.steps.map((s) => tokenizer.encode(s + "\n")),
    answer: [...tokenizer.encode("### " + record.answer), tokenizer.tokenId(END_OF_TEXT)],
  };
  if (options.toolSpans) {
    tokenized.steps = [];
    tokenized.stepOutputs = [];
    for (const step of record.steps) {
      const ids: number[] = [], outputs: boolean[] = [];
      for (const piece of [...toolSpanPieces(step), { text: "\n", output: false }]) {
        const part = tokenizer.encode(piece.text);
        ids.push(...part);
        outputs.push(...part.map(() => piece.output));
      }
      tokenized.steps.push(ids);
      tokenized.stepOutputs.push(outputs);
    }
  }
  if (record.alternatives) {
    if (record.alternatives.length !== record.steps.length) {
      throw new CurriculumError(
        "alternatives",
        `must list the equally right steps of each of the ${record.steps.length} steps`,
        record.alternatives.length,
      );
    }
    tokenized.alternatives = record.alternatives.map((alts, j) => {
      const first = tokenized.steps[j][0];
      const ids = [...new Set(alts.map((a) => tokenizer.encode(a + "\n")[0]))];
      if (!ids.includes(first)) {
        throw new CurriculumError(`alternatives[${j}]`, `must include the step itself (${record.steps[j]})`, alts);
      }
      return ids;
    });
  }
  return tokenized;
}

/**
 * Builds the training example of a tokenized record at a stage (see DESIGN.md §2):
 * - `coconut`, `no-curriculum`: `Q <bot> latent×n <eot> steps[k:] answer`, n = k·c for k ≤ max, else
 *   (padLatentToMax ? max : min(#steps, max))·c and no steps;
 * - `pause-as-thought`: the same with `<pause>` in the slots and no feedback;
 * - `no-thought`: `Q steps[k:] answer`; `cot`: `Q steps answer`; `no-cot`: `Q answer`;
 * - `pause-token`: `Q pause×pauseTokens answer`;
 * - `icot`: `Q cot-tokens[k·icotTokensPerStage (+ smoothing) :] answer` (smoothing draws from `rng`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { COCONUT_TOKENS, trainWordLevel } from "@copra/tokenizer";
 * import { buildExample, curriculumConfig, specialIds, tokenizeRecord } from "@copra/curriculum";
 * const tok = trainWordLevel(["Q\na\nb\n### A"]).withSpecialTokens(Object.values(COCONUT_TOKENS));
 * const record = tokenizeRecord(tok, { question: "Q", steps: ["a", "b"], answer: "A" });
 * const ex = buildExample(record, 1, curriculumConfig({ method: "coconut" }), specialIds(tok));
 * assert.equal(tok.decode(ex.ids), "Q\n<|start-latent|><|latent|><|end-latent|>b\n### A<|endoftext|>");
 * assert.deepEqual(ex.latentPositions, [3]);
 * assert.equal(tok.decode(ex.labels.filter((l) => l !== -100)), "b\n### A<|endoftext|>");
 * ```
 */
export function buildExample(
  record: TokenizedRecord,
  stage: number,
  config: CurriculumConfig,
  ids: SpecialIds,
  rng?: Rng,
): Example {
  if (!Number.isInteger(stage) || stage < 0) throw new CurriculumError("stage", "must be an integer ≥ 0", stage);
  const { question, steps, answer } = record;
  const max = config.maxLatentStage, c = config.thoughtsPerStep;
  const hidden: number[] = []; // ignored tokens after the question (markers, slots, pauses)
  let shown: number[] = []; // learned tokens before the answer
  let slots: "latent" | "pause" | null = null;
  // Next-step supervision: while steps remain, only the first of them is learned and the example ends there;
  // with "frontier" its first token is learned as the set of its alternatives.
  let tail = answer;
  let setIds: number[] | null = null;
  // Which learned tokens a tool writes (labels -100 with toolResults "input"), aligned with `shown`.
  let outputs: boolean[] = [];
  const tools = config.toolResults === "input";
  if (tools && !record.stepOutputs) {
    throw new CurriculumError(
      "stepOutputs",
      'toolResults "input" needs records tokenized with { toolSpans: true }',
      undefined,
    );
  }
  const outputsOf = (from: number, count: number) => tools ? record.stepOutputs!.slice(from, from + count).flat() : [];
  const supervised = (rest: readonly (readonly number[])[]): number[] => {
    const from = steps.length - rest.length;
    outputs = outputsOf(from, config.supervision === "rest" ? rest.length : Math.min(1, rest.length));
    if (config.supervision === "rest" || rest.length === 0) return rest.flat();
    tail = [];
    if (config.supervision === "frontier") {
      if (!record.alternatives) {
        throw new CurriculumError(
          "alternatives",
          "the \"frontier\" supervision needs each record's equally right steps (e.g. a symbolic graph's frontiers)",
          undefined,
        );
      }
      setIds = record.alternatives[steps.length - rest.length];
    }
    return [...rest[0]];
  };
  switch (config.method) {
    case "coconut":
    case "no-curriculum":
    case "pause-as-thought": {
      const [skip, n] = stage > max
        ? [steps.length, (config.padLatentToMax ? max : Math.min(steps.length, max)) * c]
        : [stage, stage * c];
      slots = config.method === "pause-as-thought" ? "pause" : "latent";
      hidden.push(ids.bot, ...new Array(n).fill(slots === "pause" ? pauseId(ids) : ids.latent), ids.eot);
      shown = supervised(steps.slice(skip));
      break;
    }
    case "no-thought":
      shown = supervised(steps.slice(stage > max ? steps.length : stage));
      break;
    case "cot":
      shown = steps.flat();
      outputs = outputsOf(0, steps.length);
      break;
    case "no-cot":
      break;
    case "pause-token":
      hidden.push(...new Array(config.pauseTokens).fill(pauseId(ids)));
      break;
    case "icot": {
      const cot = steps.flat();
      let removed = stage * config.icotTokensPerStage;
      if (config.icotSmoothing > 0 && stage > 0) {
        if (!rng) throw new CurriculumError("rng", "icot with removal smoothing needs a seeded Rng");
        removed += smoothingOffset(config.icotSmoothing, cot.length, rng);
      }
      shown = cot.slice(Math.min(removed, cot.length));
      outputs = outputsOf(0, steps.length).slice(Math.min(removed, cot.length));
      break;
    }
  }
  const tokens = [...question, ...hidden, ...shown, ...tail];
  const learnsQuestion = config.questionLossWeight > 0;
  const labels = [
    ...(learnsQuestion ? question : new Array(question.length).fill(IGNORE)),
    ...new Array(hidden.length).fill(IGNORE),
    ...shown.map((id, i) => (outputs[i] ? IGNORE : id)),
    ...tail,
  ];
  const latentPositions = slots === "latent"
    ? hidden.map((_, i) => question.length + i).filter((p) => tokens[p] === ids.latent)
    : [];
  const example: Example = { ids: tokens, labels, positionIds: tokens.map((_, i) => i), latentPositions, stage };
  if (latentPositions.length > 0) {
    const n = latentPositions.length, answers = shown.length === 0;
    example.stopLabels = latentPositions.map((_, i) => (answers && i === n - 1 ? 1 : 0));
  }
  if (setIds !== null) {
    const position = question.length + hidden.length; // the next step's first token
    labels[position] = IGNORE;
    example.setTargets = [{ position, ids: setIds }];
  }
  if (learnsQuestion) {
    example.weights = [
      ...new Array(question.length).fill(config.questionLossWeight),
      ...new Array(hidden.length).fill(0),
      ...new Array(shown.length + tail.length).fill(1),
    ];
  }
  return example;
}

/** An offset o ≥ 0 with P(o) ∝ e^(−λo), truncated at `limit` (Deng et al.'s removal smoothing). */
function smoothingOffset(lambda: number, limit: number, rng: Rng): number {
  const weights = Array.from({ length: limit + 1 }, (_, o) => Math.exp(-lambda * o));
  let x = rng.next() * weights.reduce((a, b) => a + b, 0);
  for (let o = 0; o < weights.length; o++) {
    x -= weights[o];
    if (x < 0) return o;
  }
  return limit;
}

/**
 * How many thoughts a Coconut-style prompt has at a stage: min(stage, maxLatentStage)·c — the count the
 * official code evaluates with during training (stage 0 is plain CoT between empty markers).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { curriculumConfig, thoughtsAtStage } from "@copra/curriculum";
 * const config = curriculumConfig({ method: "coconut", maxLatentStage: 3, thoughtsPerStep: 2 });
 * assert.deepEqual([0, 1, 3, 9].map((s) => thoughtsAtStage(config, s)), [0, 2, 6, 6]);
 * ```
 */
export function thoughtsAtStage(config: CurriculumConfig, stage: number): number {
  return Math.min(stage, config.maxLatentStage) * config.thoughtsPerStep;
}

/**
 * The inference prompt of a method: `Q <bot> latent×K <eot>` for Coconut (K = maxLatentStage·c, or `thoughts`
 * when given, e.g. by a learned switch), `Q <bot> pause×K <eot>` for pause-as-thought, `Q pause×pauseTokens` for
 * pause-token, and `Q` for the others.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { COCONUT_TOKENS, trainWordLevel } from "@copra/tokenizer";
 * import { buildPrompt, curriculumConfig, specialIds, tokenizeRecord } from "@copra/curriculum";
 * const tok = trainWordLevel(["Q\n"]).withSpecialTokens(Object.values(COCONUT_TOKENS));
 * const record = tokenizeRecord(tok, { question: "Q", steps: [], answer: "" });
 * const p = buildPrompt(record, curriculumConfig({ method: "coconut", maxLatentStage: 2 }), specialIds(tok));
 * assert.equal(tok.decode(p.ids), "Q\n<|start-latent|><|latent|><|latent|><|end-latent|>");
 * assert.deepEqual(p.latentPositions, [3, 4]);
 * ```
 */
export function buildPrompt(
  record: Pick<TokenizedRecord, "question">,
  config: CurriculumConfig,
  ids: SpecialIds,
  thoughts?: number,
): Prompt {
  const k = thoughts ?? config.maxLatentStage * config.thoughtsPerStep;
  if (!Number.isInteger(k) || k < 0) throw new CurriculumError("thoughts", "must be an integer ≥ 0", thoughts);
  const q = record.question;
  let tail: number[] = [];
  if (config.method === "coconut" || config.method === "no-curriculum") {
    tail = [ids.bot, ...new Array(k).fill(ids.latent), ids.eot];
  } else if (config.method === "pause-as-thought") tail = [ids.bot, ...new Array(k).fill(pauseId(ids)), ids.eot];
  else if (config.method === "pause-token") tail = new Array(config.pauseTokens).fill(pauseId(ids));
  const tokens = [...q, ...tail];
  const latentPositions = tokens.map((t, i) => (i >= q.length && t === ids.latent ? i : -1)).filter((i) => i >= 0);
  return { ids: tokens, positionIds: tokens.map((_, i) => i), latentPositions };
}
