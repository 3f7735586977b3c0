import assert from "node:assert/strict";
import {
  Bpe,
  BYTE_TO_CHAR,
  COCONUT_TOKENS,
  loadTokenizerJson,
  parseTokenizerJson,
  saveTokenizerJson,
  stringifyTokenizer,
  Tokenizer,
  TokenizerError,
  tokenizerToJson,
} from "./mod.ts";
import { GPT2_HF_TOKENIZER_JSON, loadGpt2, readCorpus } from "../reference/gpt2.ts";

const gpt2 = (await loadGpt2()).withSpecialTokens([COCONUT_TOKENS.latent, COCONUT_TOKENS.pause]);

const fails = (text: string, field: string, pattern: RegExp) =>
  assert.throws(() => parseTokenizerJson(text, "my/tokenizer.json"), (e: unknown) => {
    assert.ok(e instanceof TokenizerError, String(e));
    assert.equal(e.source, "my/tokenizer.json");
    assert.equal(e.field, field);
    assert.match(e.message, pattern);
    return true;
  });

Deno.test("GPT-2 as tokenizer.json: Hugging Face layout, and back with identical ids", async () => {
  const json = tokenizerToJson(gpt2);
  assert.equal(json.model.type, "BPE");
  assert.equal(json.pre_tokenizer.type, "ByteLevel");
  assert.equal(json.pre_tokenizer.add_prefix_space, false);
  assert.equal(Object.keys(json.model.vocab).length, 50257);
  assert.equal(json.model.type === "BPE" && json.model.merges[0], "Ġ t"); // GPT-2's first merge
  assert.deepEqual(json.added_tokens.map((t) => [t.id, t.content, t.special]), [
    [50256, "<|endoftext|>", true],
    [50257, "<|latent|>", true],
    [50258, "<pause>", true],
  ]);
  const again = parseTokenizerJson(stringifyTokenizer(gpt2));
  const corpus = await readCorpus();
  assert.deepEqual(again.encode(corpus), gpt2.encode(corpus));
  assert.equal(again.vocabSize, gpt2.vocabSize);
  assert.equal(again.tokenId("<pause>"), 50258);
});

Deno.test("Hugging Face's own GPT-2 tokenizer.json loads and encodes exactly as encoder.json + vocab.bpe", async () => {
  const hf = await loadTokenizerJson(GPT2_HF_TOKENIZER_JSON);
  const corpus = await readCorpus();
  assert.equal(hf.vocabSize, 50257);
  assert.deepEqual(hf.encode(corpus), gpt2.encode(corpus));
  assert.deepEqual(hf.encode("<|endoftext|>", { allowedSpecial: "all" }), [50256]);
  // What copra writes for GPT-2 has the same vocabulary, merges and pre-tokenizer as Hugging Face's file.
  const theirs = JSON.parse(await Deno.readTextFile(GPT2_HF_TOKENIZER_JSON));
  const ours = tokenizerToJson(await loadGpt2());
  assert.deepEqual(ours.model, theirs.model);
  assert.deepEqual(ours.pre_tokenizer, theirs.pre_tokenizer);
  assert.deepEqual(
    ours.added_tokens.map((t) => [t.id, t.content]),
    theirs.added_tokens.map((t: { id: number; content: string }) => [t.id, t.content]),
  );
});

Deno.test("newer merge layout ([left, right] pairs) and a single-member Sequence are read", () => {
  const json = JSON.parse(stringifyTokenizer(new Tokenizer(new Bpe([...BYTE_TO_CHAR, "Ġa"], [["Ġ", "a"]]))));
  json.model.merges = [["Ġ", "a"]];
  json.pre_tokenizer = { type: "Sequence", pretokenizers: [json.pre_tokenizer] };
  assert.deepEqual(parseTokenizerJson(JSON.stringify(json)).encode(" a"), [256]);
});

Deno.test("malformed or unsupported tokenizer.json is refused with the field", () => {
  const good = JSON.parse(stringifyTokenizer(new Tokenizer(new Bpe([...BYTE_TO_CHAR, "Ġa"], [["Ġ", "a"]]))));
  const variant = (edit: (j: typeof good) => void) => {
    const j = structuredClone(good);
    edit(j);
    return JSON.stringify(j);
  };
  fails("not json", "(file)", /not valid JSON/);
  fails("[]", "(top level)", /expected an object/);
  fails(variant((j) => delete j.model), "model", /expected an object/);
  fails(variant((j) => (j.model.type = "Unigram")), "model.type", /unsupported model type/);
  fails(variant((j) => (j.normalizer = { type: "NFC" })), "normalizer", /not supported.*"NFC"/);
  fails(variant((j) => (j.pre_tokenizer = { type: "Whitespace" })), "pre_tokenizer.type", /unsupported/);
  fails(variant((j) => (j.model.dropout = 0.1)), "model.dropout", /dropout/);
  fails(variant((j) => (j.model.merges = ["Ġ a b"])), "model.merges[0]", /left right/);
  fails(variant((j) => (j.model.merges = ["Ġ b"])), "merges[0]", /"Ġb", which is not in the vocabulary/);
  fails(variant((j) => (j.model.vocab["Ġa"] = 999)), 'model.vocab["Ġa"]', /integer from 0 to 256/);
  fails(variant((j) => (j.added_tokens = [{ id: 300, content: "<x>" }])), 'special token "<x>"', /expected id 257/);
  fails(variant((j) => (j.added_tokens = [{ id: 257 }])), "added_tokens[0].content", /expected a string/);
});

Deno.test("save writes all or nothing; load reads it back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/tokenizer.json`;
    await saveTokenizerJson(path, gpt2);
    const loaded = await loadTokenizerJson(path);
    assert.deepEqual(loaded.encode("Tom is a yumpus.<pause>", { allowedSpecial: "all" }), [
      ...gpt2.encode("Tom is a yumpus."),
      50258,
    ]);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["tokenizer.json"], "no temporary file left");
    await assert.rejects(
      () => saveTokenizerJson(`${dir}/missing/tokenizer.json`, gpt2),
      (e: unknown) => e instanceof TokenizerError && /cannot be written/.test(e.message),
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["tokenizer.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
