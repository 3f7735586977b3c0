import assert from "node:assert/strict";
import { BYTE_ORDER, BYTE_TO_CHAR, byteLevelToBytes, bytesToByteLevel, TokenizerError } from "./mod.ts";

Deno.test("byte characters: a bijection with GPT-2's hand-checked values", () => {
  assert.equal(new Set(BYTE_TO_CHAR).size, 256);
  // Printable Latin-1 bytes stand for themselves.
  assert.equal(BYTE_TO_CHAR[0x41], "A");
  assert.equal(BYTE_TO_CHAR[0xe9], "é");
  // The others move to U+0100 + their index among non-printable bytes: 0x00..0x20 → 256..288,
  // 0x7f..0xa0 → 289..322, 0xad → 323.
  assert.equal(BYTE_TO_CHAR[0x00], "\u0100");
  assert.equal(BYTE_TO_CHAR[0x0a], "Ċ");
  assert.equal(BYTE_TO_CHAR[0x20], "Ġ");
  assert.equal(BYTE_TO_CHAR[0x7f], "\u0121");
  assert.equal(BYTE_TO_CHAR[0xa0], "\u0142");
  assert.equal(BYTE_TO_CHAR[0xad], "Ń");
});

Deno.test("byte order: printable bytes first, as GPT-2's ids 0..255", () => {
  assert.equal(BYTE_ORDER.length, 256);
  assert.deepEqual([...BYTE_ORDER].sort((a, b) => a - b), Array.from({ length: 256 }, (_, i) => i));
  assert.equal(BYTE_ORDER[0], 0x21); // "!" is GPT-2 id 0
  assert.equal(BYTE_ORDER[93], 0x7e); // "~" is id 93
  assert.equal(BYTE_ORDER[188], 0x00); // first shifted byte
  assert.equal(BYTE_ORDER[220], 0x20); // "Ġ" is GPT-2 id 220
});

Deno.test("byte-level text round-trips every byte", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(byteLevelToBytes(bytesToByteLevel(all)), all);
  assert.equal(bytesToByteLevel(new TextEncoder().encode(" héllo")), "ĠhÃ©llo");
});

Deno.test("byte-level parse names the offending character", () => {
  assert.throws(() => byteLevelToBytes("ab€", "vocab.json", "vocab[7]"), (e: unknown) => {
    assert.ok(e instanceof TokenizerError);
    assert.equal(e.source, "vocab.json");
    assert.equal(e.field, "vocab[7]");
    assert.match(e.message, /U\+20AC at offset 2/);
    return true;
  });
});
