import assert from "node:assert/strict";
import { parseTokenizerJson, stringifyTokenizer, TokenizerError, trainWordLevel } from "./mod.ts";
import { SHARED_DATA } from "../reference/gpt2.ts";

interface Item {
  question: string;
  steps: string[];
  answer: string;
}

/** The Coconut text of an item: question, steps, answer, each on its own line. */
const text = (item: Item) => `${item.question}\n${item.steps.map((s) => s + "\n").join("")}### ${item.answer}`;

const valid: Item[] = JSON.parse(await Deno.readTextFile(new URL("prosqa_valid.json", SHARED_DATA)));

Deno.test("word-level: hand-worked ids and unknown words", () => {
  const tok = trainWordLevel(["Tom is a wumpus. Tom is a yumpus."], { specialTokens: ["<|endoftext|>"] });
  // Counts: " is" 2, " a" 2, "." 2, then "Tom", " Tom", " wumpus", " yumpus" once each; ties go by
  // byte-level text in code-unit order ("." < "T" < "Ġ" = U+0120).
  assert.deepEqual(tok.model.tokens, [".", "Ġa", "Ġis", "Tom", "ĠTom", "Ġwumpus", "Ġyumpus", "<unk>"]);
  assert.deepEqual(tok.encode("Tom is a yumpus."), [3, 2, 1, 6, 0]);
  assert.deepEqual(tok.encode("Bob is a cat!"), [7, 2, 1, 7, 7]);
  assert.equal(tok.decode([3, 2, 1, 7]), "Tom is a<unk>");
  assert.equal(tok.tokenId("<|endoftext|>"), 8);
  assert.ok(tok.isSpecial(7) && tok.isSpecial(8));
});

Deno.test("word-level on ProsQA: exact round trip of every valid item, small vocabulary", () => {
  const tok = trainWordLevel(valid.map(text));
  for (const item of valid) {
    const t = text(item);
    const ids = tok.encode(t);
    assert.ok(!ids.includes(tok.tokenId("<unk>")), "no unknown word in the training texts");
    assert.equal(tok.decode(ids), t);
  }
  // ProsQA's vocabulary: 17 names and 38 concepts (each with and without a leading space) and a few
  // function words, so well under 300 tokens.
  assert.ok(tok.vocabSize < 300, `vocabulary of ${tok.vocabSize}`);
  assert.equal(tok.decode(tok.encode("Every wumpus is a yumpus.")), "Every wumpus is a yumpus.");
});

Deno.test("word-level with addPrefixSpace: a word at the start of a line piece is the same token as inside", () => {
  const tok = trainWordLevel(["Tom is a wumpus.\n", "Every wumpus is a yumpus.\n", "Is Tom a yumpus?\n"], {
    addPrefixSpace: true,
  });
  // Without the option "Tom" (line start) and " Tom" would be two tokens; with it there is only " Tom".
  assert.ok(!tok.model.tokens.includes("Tom") && tok.model.tokens.includes("ĠTom"));
  assert.deepEqual(tok.encode("Tom is a yumpus.").slice(0, 1), tok.encode(" Tom").slice(0, 1));
  assert.equal(tok.decode(tok.encode("Every wumpus is a yumpus.")), " Every wumpus is a yumpus.");
  assert.ok(!tok.encode("Every yumpus is a Tom.").includes(tok.tokenId("<unk>")));
  assert.equal(parseTokenizerJson(stringifyTokenizer(tok)).addPrefixSpace, true);
});

Deno.test("word-level: limits, frequency floor, JSON round trip", () => {
  const texts = valid.slice(0, 50).map(text);
  const small = trainWordLevel(texts, { maxVocabSize: 20 });
  assert.equal(small.vocabSize, 20);
  const frequent = trainWordLevel(texts, { minFrequency: 1000 });
  assert.ok(frequent.vocabSize < trainWordLevel(texts).vocabSize);
  const again = parseTokenizerJson(stringifyTokenizer(small));
  assert.equal(again.model.type, "WordLevel");
  for (const t of texts) assert.deepEqual(again.encode(t), small.encode(t));
});

Deno.test("word-level refuses invalid options", () => {
  const field = (name: string) => (e: unknown) => e instanceof TokenizerError && e.field === name;
  assert.throws(() => trainWordLevel(["a"], { maxVocabSize: 1 }), field("maxVocabSize"));
  assert.throws(() => trainWordLevel(["a"], { minFrequency: -1 }), field("minFrequency"));
  assert.throws(() => trainWordLevel(["a"], { unkToken: "" }), field("unkToken"));
  assert.throws(() => trainWordLevel(["a"], { unkToken: "<s>", specialTokens: ["<s>"] }), field("unkToken"));
});
