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

Deno.test("splitDigits: every digit its own token (ids 0–9), unseen numbers encode, tokenizer.json round-trips", async () => {
  const { parseTokenizerJson, stringifyTokenizer, tokenizerToJson } = await import("./mod.ts");
  const tok = trainWordLevel(["Ava has 12 apples.\n<<12*3=36>>\n### 36"], { splitDigits: true });
  // Hand-cut: "<<", digits one by one, operators between.
  const pieces = (text: string) => tok.encode(text).map((id) => tok.decode([id]));
  assert.deepEqual(pieces("<<12*3="), ["<<", "1", "2", "*", "3", "="]);
  assert.deepEqual(pieces("Ava has 907 apples"), ["Ava", " has", " ", "9", "0", "7", " apples"]); // 9, 0, 7 unseen
  assert.deepEqual([..."0123456789"].map((d) => tok.tokenId(d)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(tok.decode(tok.encode("<<4821*7=33747>>")), "<<4821*7=33747>>");
  // Without it, numbers are whole words: an unseen one is unknown.
  const words = trainWordLevel(["Ava has 12 apples."]);
  assert.equal(words.decode(words.encode("Ava has 907")), "Ava has<unk>");
  // tokenizer.json: Hugging Face's Digits pre-tokenizer before ByteLevel; read back to the same ids.
  const json = tokenizerToJson(tok);
  assert.deepEqual(json.pre_tokenizer, {
    type: "Sequence",
    pretokenizers: [
      { type: "Digits", individual_digits: true },
      { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    ],
  });
  const again = parseTokenizerJson(stringifyTokenizer(tok));
  assert.equal(again.splitDigits, true);
  assert.deepEqual(again.encode("Ava has 907 apples <<1*2=2>>"), tok.encode("Ava has 907 apples <<1*2=2>>"));
  const bad = JSON.parse(stringifyTokenizer(tok));
  bad.pre_tokenizer.pretokenizers[0].individual_digits = false;
  assert.throws(
    () => parseTokenizerJson(JSON.stringify(bad), "t.json"),
    /pre_tokenizer\.pretokenizers\[0\]\.individual_digits/,
  );
  assert.throws(
    () => trainWordLevel(["a"], { splitDigits: true, addPrefixSpace: true }),
    /splitDigits: cannot be combined/,
  );
  assert.throws(() => trainWordLevel(["a"], { splitDigits: true, maxVocabSize: 5 }), /room for the ten digits/);
});
