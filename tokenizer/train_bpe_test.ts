import assert from "node:assert/strict";
import { BYTE_ORDER, BYTE_TO_CHAR, parseTokenizerJson, preTokenize, stringifyTokenizer, trainBpe } from "./mod.ts";
import { TokenizerError } from "./mod.ts";
import { readCorpus } from "../reference/gpt2.ts";

/**
 * The textbook algorithm, written independently of the trainer: recount every adjacent pair over all words at
 * each step, merge the most frequent (ties: left token, then right token, by code units).
 */
function naiveMerges(texts: string[], merges: number, minFrequency: number): [string, string][] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const p of preTokenize(t)) counts.set(p, (counts.get(p) ?? 0) + 1);
  let words = [...counts].map(([p, c]) => ({
    symbols: [...new TextEncoder().encode(p)].map((b) => BYTE_TO_CHAR[b]),
    count: c,
  }));
  const out: [string, string][] = [];
  while (out.length < merges) {
    const pairs = new Map<string, { pair: [string, string]; count: number }>();
    for (const w of words) {
      for (let i = 0; i + 1 < w.symbols.length; i++) {
        const pair: [string, string] = [w.symbols[i], w.symbols[i + 1]];
        const key = JSON.stringify(pair);
        const entry = pairs.get(key) ?? { pair, count: 0 };
        entry.count += w.count;
        pairs.set(key, entry);
      }
    }
    const best = [...pairs.values()].sort((a, b) =>
      b.count - a.count || (a.pair[0] < b.pair[0] ? -1 : a.pair[0] > b.pair[0] ? 1 : 0) ||
      (a.pair[1] < b.pair[1] ? -1 : a.pair[1] > b.pair[1] ? 1 : 0)
    )[0];
    if (!best || best.count < minFrequency) {
      break;
    }
    out.push(best.pair);
    words = words.map((w) => {
      const s: string[] = [];
      for (let i = 0; i < w.symbols.length; i++) {
        if (w.symbols[i] === best.pair[0] && w.symbols[i + 1] === best.pair[1]) {
          s.push(best.pair[0] + best.pair[1]);
          i++;
        } else s.push(w.symbols[i]);
      }
      return { symbols: s, count: w.count };
    });
  }
  return out;
}

Deno.test("trainBpe: hand-worked example", () => {
  // Pre-tokens: "low"×2, " lower", " lowest", " low". Pair counts: (l,o)=5, (o,w)=5 → tie, "l" < "o";
  // then (lo,w)=5; then (Ġ,low)=3; then, of (Ġlow,e)=2, (e,r)=1, (e,s)=1, (s,t)=1, the first.
  const tok = trainBpe(["low lower lowest", "low low"], { vocabSize: 260, specialTokens: [] });
  assert.deepEqual(tok.model.merges, [["l", "o"], ["lo", "w"], ["Ġ", "low"], [
    "Ġlow",
    "e",
  ]]);
  assert.deepEqual(tok.encode("low lowest"), [257, 259, tok.tokenId("s"), tok.tokenId("t")]);
  // The first 256 ids are GPT-2's byte tokens.
  assert.deepEqual(tok.model.tokens.slice(0, 256), BYTE_ORDER.map((b) => BYTE_TO_CHAR[b]));
});

Deno.test("trainBpe equals the naive reference trainer on real text", async () => {
  const corpus = (await readCorpus()).slice(0, 30_000);
  const texts = corpus.split("\n\n");
  const tok = trainBpe(texts, { vocabSize: 700, specialTokens: ["<|endoftext|>"] });
  const merges = tok.model.merges;
  assert.equal(merges.length, 700 - 256 - 1);
  assert.deepEqual(merges, naiveMerges(texts, merges.length, 2));
  assert.equal(tok.tokenId("<|endoftext|>"), 699);
  assert.equal(tok.vocabSize, 700);
});

Deno.test("trainBpe is deterministic, compresses, round-trips and saves", async () => {
  const corpus = await readCorpus();
  const a = trainBpe([corpus], { vocabSize: 1000 });
  const b = trainBpe([corpus], { vocabSize: 1000 });
  assert.equal(stringifyTokenizer(a), stringifyTokenizer(b));
  const ids = a.encode(corpus);
  assert.ok(ids.length < new TextEncoder().encode(corpus).length * 0.6, `compression: ${ids.length} tokens`);
  assert.equal(a.decode(ids), corpus);
  assert.deepEqual(parseTokenizerJson(stringifyTokenizer(a)).encode(corpus), ids);
});

Deno.test("trainBpe stops early when no pair is frequent enough", () => {
  const tok = trainBpe(["ab ab cd"], { vocabSize: 300, specialTokens: [] });
  // Pre-tokens "ab", " ab", " cd": only (a,b) occurs twice, so minFrequency 2 stops after one merge.
  assert.equal(tok.vocabSize, 257);
  // With minFrequency 1, the pairs seen once follow: (c,d), then (Ġ,ab) before (Ġ,cd) since "ab" < "cd".
  const all = trainBpe(["ab ab cd"], { vocabSize: 300, specialTokens: [], minFrequency: 1 });
  assert.deepEqual(all.model.merges, [["a", "b"], ["c", "d"], ["Ġ", "ab"], ["Ġ", "cd"]]);
});

Deno.test("trainBpe refuses invalid options", () => {
  const field = (name: string) => (e: unknown) => e instanceof TokenizerError && e.field === name;
  assert.throws(() => trainBpe(["x"], { vocabSize: 256 }), field("vocabSize")); // 256 + <|endoftext|>
  assert.throws(() => trainBpe(["x"], { vocabSize: 300.5 }), field("vocabSize"));
  assert.throws(() => trainBpe(["x"], { vocabSize: 300, minFrequency: 0 }), field("minFrequency"));
  assert.throws(() => trainBpe(["x"], { vocabSize: 300, specialTokens: ["<a>", "<a>"] }), field("specialTokens[1]"));
});
