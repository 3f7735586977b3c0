/**
 * Scoring a model on items: greedy generation through each method's prompt, exact-match accuracy, tokens and
 * thoughts per answer, latency, and for ProsQA items the reasoning-path and first-step classes.
 *
 * @module
 */

import { buildPrompt, type CurriculumConfig, type SpecialIds, type TokenizedRecord } from "@copra/curriculum/browser";
import {
  classifyFirstStep,
  classifyPath,
  type CoconutItem,
  type FirstStepClass,
  hasGraphKeys,
  isCorrect,
  type PathClass,
} from "@copra/data/browser";
import { generate } from "@copra/infer/browser";
import type { GPT2Config, GPT2Params } from "@copra/model/browser";
import type { Tokenizer } from "@copra/tokenizer/browser";
import type { GenerateLane } from "./parallel.ts";

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Prompts per generation batch. */
  batchSize: number;
  /** Generation limit. */
  maxNewTokens: number;
  /**
   * Thoughts in Coconut-style prompts (default maxLatentStage·c): a number; `"hops"` — each item's own step count
   * × c (its true hop count on graph tasks; items are batched by that count); or `"auto"` — as many as the
   * checkpoint's learned switch wants, at most `maxThoughts`.
   */
  thoughts?: number | "hops" | "auto";
  /** With `thoughts: "auto"`: the most thoughts per item. Default maxLatentStage·c. */
  maxThoughts?: number;
  /** Called after each batch. */
  progress?: (done: number, total: number) => void;
  /**
   * More places to generate batches (the workers of a `GradientPool`: its `lanes()`): batches are
   * handed in order to whichever of the main thread and the lanes is free. The results are those of the main
   * thread alone (the same batches, the same arithmetic); `msPerAnswer` stays per batch.
   */
  lanes?: readonly GenerateLane[];
}

/** What {@link evaluate} measured. */
export interface Evaluation {
  /** Exact-match accuracy. */
  accuracy: number;
  /** Mean generated tokens per answer (thoughts excluded). */
  meanTokens: number;
  /** Thoughts per answer. */
  thoughts: number;
  /** The generated texts. */
  outputs: string[];
  /** Mean wall-clock milliseconds per answer (batch time / batch size). */
  msPerAnswer: number;
  /**
   * For ProsQA items (with graph keys): the share of outputs in each {@link PathClass}, and `validPaths`, the
   * share whose written steps are a valid path from the root to the target (correct or longer path). Null for
   * other data.
   */
  paths: Partial<Record<PathClass, number>> | null;
  /** Share of outputs with a valid reasoning path (ProsQA items), or null. */
  validPaths: number | null;
  /** For ProsQA items: the share of outputs whose first written step is of each {@link FirstStepClass}, or null. */
  firstSteps: Partial<Record<FirstStepClass, number>> | null;
  /** Per number of reasoning steps (hops on graph tasks), ascending: items, accuracy, mean thoughts used. */
  byHops: { hops: number; items: number; accuracy: number; thoughts: number }[];
}

/**
 * Greedy generation on items: accuracy, mean generated tokens, thoughts per answer, latency.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { curriculumConfig, specialIds, tokenizeRecord } from "@copra/curriculum";
 * import { generateProsQA } from "@copra/data";
 * import { disposeParams, initParams, useBackend } from "@copra/model";
 * import { buildTokenizer, evaluate, modelConfigFor } from "@copra/train";
 * await useBackend("cpu");
 * const items = generateProsQA({ n: 2, seed: 1, nodes: [5, 6], nodesMean: 5.5, minHops: 2, maxHops: 2 });
 * const curriculum = curriculumConfig({ method: "cot" });
 * const tok = buildTokenizer(items);
 * const config = modelConfigFor("nano", tok, items, curriculum, { n_layer: 1, n_embd: 24, n_head: 2 });
 * const params = initParams(config, { seed: 0 });
 * const records = items.map((it) => tokenizeRecord(tok, it));
 * const result = await evaluate(params, config, records, items, curriculum, specialIds(tok), tok, {
 *   batchSize: 2,
 *   maxNewTokens: 4,
 * });
 * assert.equal(result.outputs.length, 2); // an untrained model: accuracy near 0, paths classified
 * assert.ok(result.paths !== null && result.meanTokens <= 4);
 * disposeParams(params);
 * ```
 */
export async function evaluate(
  params: GPT2Params,
  config: GPT2Config,
  records: TokenizedRecord[],
  items: readonly CoconutItem[],
  curriculum: CurriculumConfig,
  ids: SpecialIds,
  tokenizer: Tokenizer,
  options: EvaluateOptions,
): Promise<Evaluation> {
  const { batchSize, maxNewTokens } = options;
  let correct = 0, tokens = 0, thoughts = 0, ms = 0, done = 0;
  const outputs = new Array<string>(records.length);
  // Batches of items with the same number of thoughts, in order (one group unless thoughts are per item).
  const auto = options.thoughts === "auto";
  const thoughtsOf = (i: number): number | undefined =>
    options.thoughts === "hops"
      ? records[i].steps.length * curriculum.thoughtsPerStep
      : options.thoughts === "auto"
      ? options.maxThoughts
      : options.thoughts;
  const used = new Array<number>(records.length).fill(0), right = new Array<boolean>(records.length).fill(false);
  const groups = new Map<number | undefined, number[]>();
  for (let i = 0; i < records.length; i++) {
    const k = thoughtsOf(i);
    const group = groups.get(k);
    if (group) group.push(i);
    else groups.set(k, [i]);
  }
  // The batches, in order; each lane (the main thread first) takes the next one when it is free.
  const jobs: { k: number | undefined; batch: number[] }[] = [];
  for (const [k, members] of groups) {
    for (let b = 0; b < members.length; b += batchSize) jobs.push({ k, batch: members.slice(b, b + batchSize) });
  }
  const local: GenerateLane = { generate: (prompts, opts) => generate(params, config, prompts, opts) };
  const lanes = [local, ...(options.lanes ?? [])];
  const laneOptions = { eosId: ids.eos, maxNewTokens, ...(auto ? { switch: {} } : {}) };
  let next = 0;
  const work = async (lane: GenerateLane) => {
    while (next < jobs.length) {
      const { k, batch } = jobs[next++];
      const prompts = batch.map((i) => buildPrompt(records[i], curriculum, ids, k));
      const t0 = performance.now();
      const results = await lane.generate(prompts, laneOptions);
      ms += performance.now() - t0;
      for (const [j, r] of results.entries()) {
        const i = batch[j];
        outputs[i] = tokenizer.decode(r.ids, { skipSpecial: true });
        right[i] = isCorrect(outputs[i], items[i].answer);
        if (right[i]) correct++;
        tokens += r.generatedTokens;
        thoughts += r.thoughts;
        used[i] = r.thoughts;
      }
      done += batch.length;
      options.progress?.(done, records.length);
    }
  };
  await Promise.all(lanes.map(work));
  const n = Math.max(records.length, 1);
  /** The share of outputs in each class. */
  const shares = <K extends string>(classify: (item: CoconutItem, text: string) => K) => {
    const out: Partial<Record<K, number>> = {};
    for (const [i, text] of outputs.entries()) {
      const kind = classify(items[i], text);
      out[kind] = (out[kind] ?? 0) + 1 / n;
    }
    return out;
  };
  const scored = items.slice(0, records.length);
  const graphs = records.length > 0 && scored.every(hasGraphKeys);
  const paths = graphs ? shares(classifyPath) : null;
  const validPaths = paths ? (paths["correct-path"] ?? 0) + (paths["longer-path"] ?? 0) : null;
  const firstSteps = graphs && scored.every((it) => it.neg_target !== undefined) ? shares(classifyFirstStep) : null;
  const hopCounts = [...new Set(records.map((r) => r.steps.length))].sort((a, b) => a - b);
  const byHops = hopCounts.map((hops) => {
    const members = records.flatMap((r, i) => (r.steps.length === hops ? [i] : []));
    return {
      hops,
      items: members.length,
      accuracy: members.filter((i) => right[i]).length / members.length,
      thoughts: members.reduce((sum, i) => sum + used[i], 0) / members.length,
    };
  });
  return {
    byHops,
    accuracy: correct / n,
    meanTokens: tokens / n,
    thoughts: thoughts / n,
    outputs,
    msPerAnswer: ms / n,
    paths,
    validPaths,
    firstSteps,
  };
}
