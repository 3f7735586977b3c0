/**
 * `deno task bench generate`: per-answer latency of greedy generation on ProsQA-style items — Coconut with 6
 * thoughts against CoT on the same model — and KV-cached decoding against recomputing the prefix for every
 * token (what the official code does) at 128 new tokens.
 *
 * The model is the `nano` preset with random weights and GPT-2's tokenizer (vocabulary 50,261). So that the comparison does not depend on
 * what a particular model learned, each run generates exactly as many tokens as the item's reference output
 * needs: CoT writes the steps and the answer, Coconut only the answer after its thoughts (`<eos>` is set to an
 * id the model never emits, and the token limit to the reference length). Prints one JSON line:
 * `{"bench":"generate","coconut_ms":…,"cot_ms":…,"cot_over_coconut":…,"cached_ms":…,"recompute_ms":…,
 * "recompute_over_cached":…}`.
 *
 * @module
 */

import { buildPrompt, curriculumConfig, specialIds, tokenizeRecord } from "@copra/curriculum";
import { generateProsQA } from "@copra/data";
import { generate } from "@copra/infer";
import { disposeParams, initParams, useBackend } from "@copra/model";
import { COCONUT_TOKENS } from "@copra/tokenizer";
import { loadGpt2 } from "../reference/gpt2.ts";
import { modelConfigFor } from "@copra/train";
import { median } from "./util.ts";

/** The result line. */
export interface GenerateBenchResult {
  bench: "generate";
  items: number;
  coconut_ms: number;
  cot_ms: number;
  cot_over_coconut: number;
  cached_ms: number;
  recompute_ms: number;
  recompute_over_cached: number;
  cot_tokens: number;
  coconut_tokens: number;
}

/** Runs the benchmark. */
export async function benchGenerate(options: { items?: number } = {}): Promise<GenerateBenchResult> {
  await useBackend("wasm");
  const items = generateProsQA({ n: options.items ?? 20, seed: 7, minHops: 3, maxHops: 6 });
  // GPT-2's own tokenizer, as in the paper (ProsQA CoT answers are ~49 GPT-2 tokens there).
  const tokenizer = (await loadGpt2()).withSpecialTokens(Object.values(COCONUT_TOKENS));
  const coconut = curriculumConfig({ method: "coconut", maxLatentStage: 6 });
  const cot = curriculumConfig({ method: "cot" });
  const config = modelConfigFor("nano", tokenizer, items, coconut, { n_positions: 512 });
  const params = initParams(config, { seed: 0 });
  const ids = specialIds(tokenizer);
  const never = { eosId: -1 };
  const time = async (f: () => Promise<unknown>) => {
    const t0 = performance.now();
    await f();
    return performance.now() - t0;
  };
  const cotMs: number[] = [], coconutMs: number[] = [];
  let cotTokens = 0, coconutTokens = 0;
  for (const item of items) {
    const record = tokenizeRecord(tokenizer, item);
    const answer = record.answer.length; // "### answer" + <eos>
    const steps = record.steps.flat().length;
    const cotPrompt = buildPrompt(record, cot, ids), coconutPrompt = buildPrompt(record, coconut, ids);
    await generate(params, config, [cotPrompt], { ...never, maxNewTokens: 2 }); // warm-up of this shape
    cotMs.push(await time(() => generate(params, config, [cotPrompt], { ...never, maxNewTokens: steps + answer })));
    coconutMs.push(await time(() => generate(params, config, [coconutPrompt], { ...never, maxNewTokens: answer })));
    cotTokens += steps + answer;
    coconutTokens += answer;
  }
  // Cached against recomputed decoding, 128 new tokens after a ProsQA question.
  const prompt = buildPrompt(tokenizeRecord(tokenizer, items[0]), cot, ids);
  const cached: number[] = [], recompute: number[] = [];
  for (let r = 0; r < 3; r++) {
    cached.push(await time(() => generate(params, config, [prompt], { ...never, maxNewTokens: 128 })));
    recompute.push(await time(() => generate(params, config, [prompt], { ...never, maxNewTokens: 128, cache: false })));
  }
  disposeParams(params);
  const round = (x: number) => Math.round(x * 100) / 100;
  const [coMs, ctMs, caMs, reMs] = [median(coconutMs), median(cotMs), median(cached), median(recompute)];
  return {
    bench: "generate",
    items: items.length,
    coconut_ms: round(coMs),
    cot_ms: round(ctMs),
    cot_over_coconut: round(ctMs / coMs),
    cached_ms: round(caMs),
    recompute_ms: round(reMs),
    recompute_over_cached: round(reMs / caMs),
    cot_tokens: round(cotTokens / items.length),
    coconut_tokens: round(coconutTokens / items.length),
  };
}
