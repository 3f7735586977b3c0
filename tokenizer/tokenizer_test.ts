import assert from "node:assert/strict";
import { Bpe, BYTE_TO_CHAR, COCONUT_TOKENS, Tokenizer, TokenizerError } from "./mod.ts";
import { loadGpt2 } from "../reference/gpt2.ts";

const gpt2 = await loadGpt2();
const coconut = gpt2.withSpecialTokens([
  COCONUT_TOKENS.startLatent,
  COCONUT_TOKENS.endLatent,
  COCONUT_TOKENS.latent,
  COCONUT_TOKENS.pause,
  "<my-tool>",
]);

const isError = (field: string, pattern: RegExp) => (e: unknown) =>
  e instanceof TokenizerError && e.field === field && pattern.test(e.message);

Deno.test("special tokens get the ids after the base vocabulary, in order", () => {
  assert.equal(coconut.tokenId("<|endoftext|>"), 50256);
  assert.equal(coconut.tokenId("<|start-latent|>"), 50257);
  assert.equal(coconut.tokenId("<|end-latent|>"), 50258);
  assert.equal(coconut.tokenId("<|latent|>"), 50259);
  assert.equal(coconut.tokenId("<pause>"), 50260);
  assert.equal(coconut.tokenId("<my-tool>"), 50261);
  assert.equal(coconut.vocabSize, 50262);
  // Adding again is a no-op; the original is unchanged (immutable).
  assert.equal(coconut.withSpecialTokens(["<|latent|>"]).vocabSize, 50262);
  assert.equal(gpt2.vocabSize, 50257);
  assert.ok(coconut.isSpecial(50259) && coconut.isSpecial(50256) && !coconut.isSpecial(262));
});

Deno.test("the piece cache changes nothing but speed: cached and uncached ids are equal", () => {
  const text = "The cat sat. The cat sat again, and again: 1234 cats! ñandú 🐈 <|latent|>";
  const fresh = gpt2.withSpecialTokens([]);
  assert.deepEqual(fresh.encode(text, { cache: false }), gpt2.encode(text));
  assert.deepEqual(fresh.encode(text), gpt2.encode(text, { cache: false }));
});

Deno.test("plain text never encodes to a special token unless allowed", () => {
  const text = "a<|latent|>b<|endoftext|>";
  const plain = coconut.encode(text);
  assert.ok(plain.every((id) => id < 50256), "no special id without permission");
  assert.deepEqual(plain, gpt2.encode(text));
  assert.deepEqual(coconut.encode(text, { allowedSpecial: "all" }), [64, 50259, 65, 50256]);
  // Only the listed ones are recognised.
  const some = coconut.encode(text, { allowedSpecial: ["<|latent|>"] });
  assert.deepEqual(some.slice(0, 3), [64, 50259, 65]);
  assert.ok(!some.slice(3).includes(50256));
  assert.deepEqual(coconut.encode(text, { allowedSpecial: [] }), plain);
  assert.throws(() => coconut.encode(text, { allowedSpecial: ["<nope>"] }), isError("allowedSpecial", /<nope>/));
});

Deno.test("ids can be built piecewise and decode to the joined text", () => {
  const question = "Every wumpus is a yumpus. Is Tom a yumpus?";
  const ids = [
    ...coconut.encode(question + "\n"),
    coconut.tokenId(COCONUT_TOKENS.startLatent),
    coconut.tokenId(COCONUT_TOKENS.latent),
    coconut.tokenId(COCONUT_TOKENS.latent),
    coconut.tokenId(COCONUT_TOKENS.endLatent),
    ...coconut.encode("### Tom is a yumpus."),
    coconut.tokenId("<|endoftext|>"),
  ];
  assert.equal(
    coconut.decode(ids),
    question + "\n<|start-latent|><|latent|><|latent|><|end-latent|>### Tom is a yumpus.<|endoftext|>",
  );
  assert.equal(coconut.decode(ids, { skipSpecial: true }), question + "\n### Tom is a yumpus.");
  // Encoding the joined text with specials allowed gives the same ids here, since every piece boundary is
  // also a pre-token boundary.
  assert.deepEqual(coconut.encode(coconut.decode(ids), { allowedSpecial: "all" }), ids);
});

Deno.test("longest special token wins where two overlap", () => {
  const tok = new Tokenizer(new Bpe(BYTE_TO_CHAR.slice(), [])).withSpecialTokens(["<a>", "<a><b>"]);
  assert.deepEqual(tok.encode("<a><b><a>", { allowedSpecial: "all" }), [257, 256]);
});

Deno.test("decode refuses ids outside the vocabulary, naming the position", () => {
  for (const [ids, index] of [[[1, 2, 50262], 2], [[-1], 0], [[5, 1.5], 1], [[Number.NaN], 0]] as const) {
    assert.throws(() => coconut.decode(ids), isError(`ids[${index}]`, /ids run from 0 to 50261/));
  }
  assert.equal(coconut.decode([]), "");
});

Deno.test("decoding a cut character gives U+FFFD; decodeBytes keeps the bytes", () => {
  const ids = gpt2.encode("界"); // E7 95 8C, two tokens in GPT-2
  assert.equal(ids.length, 2);
  assert.equal(gpt2.decode(ids.slice(0, 1)), "\ufffd");
  assert.deepEqual([...gpt2.decodeBytes(ids)], [0xe7, 0x95, 0x8c]);
  // A leading byte-order mark is text like any other and survives the round trip.
  assert.equal(gpt2.decode(gpt2.encode("\ufeffhi")), "\ufeffhi");
});

Deno.test("tokenId and idToToken", () => {
  assert.equal(gpt2.tokenId("Ġthe"), 262);
  assert.equal(gpt2.idToToken(262), "Ġthe");
  assert.equal(coconut.idToToken(50259), "<|latent|>");
  assert.throws(() => gpt2.tokenId("the cat"), isError("token", /no such token/));
  assert.throws(() => gpt2.idToToken(50257), isError("ids[0]", /not a token id/));
});

Deno.test("add_prefix_space puts a space before each stretch of text", () => {
  const base = new Tokenizer(gpt2.model, { specialTokens: gpt2.specialTokens, addPrefixSpace: true });
  assert.deepEqual(base.encode("the"), gpt2.encode(" the"));
  assert.deepEqual(base.encode(" the"), gpt2.encode(" the"));
  assert.deepEqual(base.encode("a<|endoftext|>b", { allowedSpecial: "all" }), [257, 50256, 275]);
});

Deno.test("invalid special-token setups are refused", () => {
  const model = new Bpe(BYTE_TO_CHAR.slice(), []);
  assert.throws(
    () => new Tokenizer(model, { specialTokens: [{ id: 300, content: "<x>" }] }),
    isError('special token "<x>"', /expected id 256/),
  );
  assert.throws(
    () => new Tokenizer(model, { specialTokens: [{ id: 5, content: "<x>" }] }),
    isError('special token "<x>"', /model token/),
  );
  assert.throws(() => gpt2.withSpecialTokens([""]), isError("withSpecialTokens", /non-empty/));
});
