import assert from "node:assert/strict";
import { loadGpt2, readCorpus, tiktokenGpt2 } from "../reference/gpt2.ts";

const gpt2 = await loadGpt2();
const tiktoken = tiktokenGpt2();

Deno.test("GPT-2 ids of well-known strings", () => {
  // Published GPT-2 ids, also given by Hugging Face's GPT2Tokenizer.
  assert.deepEqual(gpt2.encode("Hello world"), [15496, 995]);
  assert.deepEqual(gpt2.encode(" the"), [262]);
  assert.equal(gpt2.tokenId("<|endoftext|>"), 50256);
  assert.equal(gpt2.vocabSize, 50257);
});

Deno.test("golden corpus: ids equal js-tiktoken gpt2, line by line and whole", async () => {
  const corpus = await readCorpus();
  assert.ok(new TextEncoder().encode(corpus).length >= 200 * 1024, "corpus must hold at least 200 KB");
  const lines = corpus.split(/(?<=\n)/);
  let mismatches = 0;
  for (const [i, line] of lines.entries()) {
    const ours = gpt2.encode(line), theirs = tiktoken.encode(line, [], []);
    if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
      if (mismatches++ < 5) assert.deepEqual(ours, theirs, `line ${i + 1}: ${JSON.stringify(line.slice(0, 60))}`);
    }
  }
  assert.equal(mismatches, 0);
  const ids = gpt2.encode(corpus);
  assert.deepEqual(ids, tiktoken.encode(corpus, [], []));
  assert.equal(gpt2.decode(ids), corpus);
});

Deno.test("golden corpus covers every kind of text it claims to", async () => {
  const corpus = await readCorpus();
  const count = (re: RegExp) => corpus.match(re)?.length ?? 0;
  assert.ok(count(/\b(the|and|of)\b/g) > 1000, "English prose");
  assert.ok(count(/\b(function|const|return|def|class)\b/g) > 200, "source code");
  assert.ok(count(/\d+/g) > 1500, "numbers");
  assert.ok(count(/ {8,}/g) > 50 && count(/\t/g) > 100 && count(/\n{2,}/g) > 100, "whitespace runs");
  assert.ok(count(/\r\n/g) > 10 && count(/[\u2000-\u200a\u3000\u2028\u2029\u0085]/g) > 50, "odd whitespace");
  assert.ok(count(/\p{Extended_Pictographic}/gu) > 500 && count(/\u200d/g) > 100, "emoji and ZWJ sequences");
  assert.ok(count(/\p{Script=Han}/gu) > 1000 && count(/\p{Script=Hangul}/gu) > 200, "CJK");
  assert.ok(count(/\p{Script=Hiragana}|\p{Script=Katakana}/gu) > 500, "Japanese kana");
  assert.ok(count(/\p{Script=Arabic}/gu) > 1000 && count(/\p{Script=Hebrew}/gu) > 200, "Arabic and Hebrew");
  assert.ok(count(/\p{M}/gu) > 1000, "combining marks");
  assert.ok(count(/[\u{1d400}-\u{1d7ff}\u{10000}-\u{1007f}\ue000-\uf8ff\ufeff\u00ad\ufffe]/gu) > 50, "odd Unicode");
  // deno-lint-ignore no-control-regex
  assert.ok(count(/[\u0000-\u0008\u0080-\u009f]/g) > 20, "control characters");
});
