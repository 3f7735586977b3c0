import assert from "node:assert/strict";
import { Bpe, BYTE_TO_CHAR, TokenizerError } from "./mod.ts";

const BYTES = BYTE_TO_CHAR.slice();

Deno.test("BPE merges by rank, leftmost first among equals", () => {
  // Ids 0..255 are the bytes, 256 is "aa", 257 is "aab"; merges (a,a) then (aa,b).
  const bpe = new Bpe([...BYTES, "aa", "aab"], [["a", "a"], ["aa", "b"]]);
  const a = bpe.tokenToId("a")!;
  // "aaa": (a,a) at 0 and 1 tie → leftmost → [aa, a].
  assert.deepEqual(bpe.encodeWord("aaa"), [256, a]);
  // "aaaa" → [aa, aa]. "aaab": (a,a) leftmost → aa a b; (aa,a) and (a,b) have no merge.
  assert.deepEqual(bpe.encodeWord("aaaa"), [256, 256]);
  assert.deepEqual(bpe.encodeWord("aaab"), [256, a, bpe.tokenToId("b")!]);
  // "aab" → aa b → aab.
  assert.deepEqual(bpe.encodeWord("aab"), [257]);
});

Deno.test("BPE: a lower rank wins even when it appears later in the word", () => {
  const bpe = new Bpe([...BYTES, "bc", "ab"], [["b", "c"], ["a", "b"]]);
  // "abc": (a,b) rank 1, (b,c) rank 0 → a + bc.
  assert.deepEqual(bpe.encodeWord("abc"), [bpe.tokenToId("a")!, 256]);
});

Deno.test("BPE: multi-byte characters start as their UTF-8 bytes", () => {
  const bpe = new Bpe(BYTES, []);
  const ids = bpe.encodeWord("é");
  assert.deepEqual(ids, [bpe.tokenToId("Ã")!, bpe.tokenToId("©")!]);
});

Deno.test("BPE refuses broken vocabularies with the entry at fault", () => {
  const check = (fn: () => unknown, field: string, pattern: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof TokenizerError && e.field === field && pattern.test(e.message));
  check(() => new Bpe(BYTES.slice(1), []), "vocab", /byte 0x00 has no token/);
  check(() => new Bpe([...BYTES, "a"], []), "vocab[256]", /listed twice/);
  check(() => new Bpe([...BYTES, ""], []), "vocab[256]", /non-empty string/);
  check(() => new Bpe([...BYTES, "x€"], []), "vocab[256]", /not a byte-level character/);
  check(() => new Bpe([...BYTES, "ab"], [["a", "c"]]), "merges[0]", /"ac", which is not in the vocabulary/);
  check(() => new Bpe(BYTES, [["a"] as unknown as [string, string]]), "merges[0]", /pair of tokens/);
});
