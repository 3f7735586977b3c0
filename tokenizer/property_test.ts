import assert from "node:assert/strict";
import { loadGpt2, tiktokenGpt2 } from "../reference/gpt2.ts";
import { mulberry32 } from "../reference/random.ts";

const gpt2 = await loadGpt2();
const tiktoken = tiktokenGpt2();

/** Code-point sources, chosen to hit every branch of pre-tokenization and of UTF-8. */
function randomString(random: () => number): string {
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const sources: (() => string)[] = [
    () => String.fromCharCode(int(0x20, 0x7e)), // ASCII printable
    () => String.fromCharCode(int(0x20, 0x7e)),
    () => " ",
    () => "'",
    () => ["s", "t", "re", "ve", "m", "ll", "d"][int(0, 6)],
    () => String.fromCharCode([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x85, 0xa0, 0x2028, 0x3000, 0xfeff][int(0, 9)]),
    () => String.fromCharCode(int(0, 0x1f)), // C0 controls
    () => String.fromCharCode(int(0x80, 0xff)), // Latin-1
    () => String.fromCharCode(int(0x300, 0x36f)), // combining marks
    () => String.fromCodePoint(int(0x100, 0xd7ff)), // BMP below the surrogates
    () => String.fromCodePoint(int(0xe000, 0xffff)), // BMP above the surrogates
    () => String.fromCodePoint(int(0x10000, 0x10ffff)), // astral planes
    () => String.fromCodePoint(int(0x1f300, 0x1faff)), // emoji blocks
    () => String.fromCharCode(int(0xd800, 0xdbff)), // lone high surrogate
    () => String.fromCharCode(int(0xdc00, 0xdfff)), // lone low surrogate
  ];
  const length = int(0, 40);
  let s = "";
  for (let i = 0; i < length; i++) s += sources[int(0, sources.length - 1)]();
  return s;
}

Deno.test("10,000 random strings: ids equal js-tiktoken's and decode(encode(s)) == s.toWellFormed()", () => {
  const random = mulberry32(42);
  let lone = 0;
  for (let i = 0; i < 10_000; i++) {
    const s = randomString(random);
    const ids = gpt2.encode(s);
    assert.deepEqual(ids, tiktoken.encode(s, [], []), `string #${i}: ${JSON.stringify(s)}`);
    assert.ok(ids.every((id) => Number.isInteger(id) && id >= 0 && id < 50256), `string #${i}: ids in range`);
    // Documented: text is UTF-8; a lone surrogate cannot be, and comes back as U+FFFD.
    const back = gpt2.decode(ids);
    assert.equal(back, s.toWellFormed(), `string #${i}: ${JSON.stringify(s)}`);
    if (!s.isWellFormed()) lone++;
    else assert.equal(back, s);
  }
  assert.ok(lone > 1000, `the sample must exercise lone surrogates (had ${lone})`);
});
