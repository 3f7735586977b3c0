/**
 * `deno task bench tokenizer`: encodes the same ≥1 MB text with copra's GPT-2 tokenizer and with js-tiktoken's
 * `gpt2` encoding in one process (warm-up, several repetitions, median) and prints, as its last line, one JSON
 * object: `{"bench":"tokenizer","copra_mb_s":…,"tiktoken_mb_s":…,"ratio":…,"parity":…}` where ratio is
 * copra's throughput over tiktoken's and parity says the ids were identical.
 *
 * copra's piece cache is emptied before every timed repetition, so each one starts cold, like a first call. Most
 * pre-tokens of real text repeat (92% of this corpus's), so that figure is mostly the cache's; `copra_uncached_mb_s`
 * and `ratio_uncached` encode with the cache off (`{ cache: false }`: every piece merged afresh, as js-tiktoken
 * does), on the same text, which compares the merge itself.
 *
 * @module
 */

import { makeCorpus } from "../reference/corpus.ts";
import { loadGpt2, tiktokenGpt2 } from "../reference/gpt2.ts";
import { median } from "./util.ts";

/** Result line of the tokenizer benchmark. */
export interface TokenizerBenchResult {
  bench: "tokenizer";
  mb: number;
  repetitions: number;
  copra_mb_s: number;
  copra_uncached_mb_s: number;
  tiktoken_mb_s: number;
  ratio: number;
  ratio_uncached: number;
  parity: boolean;
}

/** Times `encode` on `text`: `repetitions` timed runs after one warm-up; returns the median seconds and the ids. */
function time(
  encode: () => number[],
  repetitions: number,
  before: () => void,
): { s: number; ids: number[] } {
  let ids = encode(); // warm-up (JIT)
  const seconds: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    before();
    const t0 = performance.now();
    ids = encode();
    seconds.push((performance.now() - t0) / 1000);
  }
  return { s: median(seconds), ids };
}

/** Runs the benchmark and returns its result line. */
export async function benchTokenizer(
  options: { bytes?: number; repetitions?: number } = {},
): Promise<TokenizerBenchResult> {
  const text = await makeCorpus(options.bytes ?? 1_100_000);
  const mb = new TextEncoder().encode(text).length / 1e6;
  const repetitions = options.repetitions ?? 5;
  let copra = await loadGpt2();
  const tiktoken = tiktokenGpt2();
  const ours = time(() => copra.encode(text), repetitions, () => {
    // A fresh tokenizer over the same model: an empty piece cache.
    copra = copra.withSpecialTokens([]);
  });
  const uncached = time(() => copra.encode(text, { cache: false }), repetitions, () => {});
  const theirs = time(() => tiktoken.encode(text, [], []), repetitions, () => {});
  const same = (ids: number[]) => ids.length === theirs.ids.length && ids.every((id, i) => id === theirs.ids[i]);
  const parity = same(ours.ids) && same(uncached.ids);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    bench: "tokenizer",
    mb: round(mb),
    repetitions,
    copra_mb_s: round(mb / ours.s),
    copra_uncached_mb_s: round(mb / uncached.s),
    tiktoken_mb_s: round(mb / theirs.s),
    ratio: round(theirs.s / ours.s),
    ratio_uncached: round(theirs.s / uncached.s),
    parity,
  };
}
