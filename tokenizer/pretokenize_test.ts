import assert from "node:assert/strict";
import { preTokenize } from "./mod.ts";
import { readCorpus } from "../reference/gpt2.ts";

Deno.test("GPT-2 pre-tokenization: hand-worked splits", () => {
  assert.deepEqual(preTokenize("Hello  world\n"), ["Hello", " ", " world", "\n"]);
  assert.deepEqual(preTokenize("I'm sure it's 42!"), ["I", "'m", " sure", " it", "'s", " 42", "!"]);
  // Contractions are case-sensitive: "'S" is a symbol then a letter run.
  assert.deepEqual(preTokenize("IT'S"), ["IT", "'", "S"]);
  assert.deepEqual(preTokenize("abc123def"), ["abc", "123", "def"]);
  assert.deepEqual(preTokenize(" !!?x"), [" !!?", "x"]);
  // A whitespace run leaves its last character to the next piece.
  assert.deepEqual(preTokenize("a   b"), ["a", "  ", " b"]);
  assert.deepEqual(preTokenize("a\n\n  b  "), ["a", "\n\n ", " b", "  "]);
  // Letters and digits are Unicode-aware.
  assert.deepEqual(preTokenize("日本 ٣٤ café"), ["日本", " ٣٤", " café"]);
  assert.deepEqual(preTokenize(""), []);
});

Deno.test("pre-tokens concatenate to the input on the whole corpus", async () => {
  const corpus = await readCorpus();
  assert.equal(preTokenize(corpus).join(""), corpus);
  const lone = "x\ud800 y\udfff";
  assert.equal(preTokenize(lone).join(""), lone);
});
