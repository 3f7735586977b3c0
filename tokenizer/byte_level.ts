/**
 * GPT-2's reversible map between bytes and printable characters.
 *
 * Byte-level BPE works on UTF-8 bytes, but its vocabulary files store tokens as text. GPT-2 keeps the 188
 * bytes that are printable Latin-1 characters as themselves and moves the other 68 (controls, space, DEL,
 * NBSP, soft hyphen) to U+0100 and up, in byte order. So `" hello"` is stored as `"Ġhello"` (U+0120 = byte
 * 0x20). Hugging Face's `ByteLevel` pre-tokenizer uses the same table.
 *
 * @module
 */

import { TokenizerError } from "./errors.ts";

/** True for the bytes GPT-2 keeps as their own Latin-1 character. */
function isPrintable(byte: number): boolean {
  return (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
}

/**
 * The 256 bytes in the order of GPT-2's base vocabulary: the printable bytes ascending, then the others
 * ascending. `BYTE_ORDER[i]` is the byte of token id `i` in GPT-2 and in tokenizers trained by copra.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BYTE_ORDER } from "@copra/tokenizer";
 * assert.equal(BYTE_ORDER[0], 33); // the byte of "!"
 * ```
 */
export const BYTE_ORDER: readonly number[] = (() => {
  const printable: number[] = [];
  const others: number[] = [];
  for (let b = 0; b < 256; b++) (isPrintable(b) ? printable : others).push(b);
  return [...printable, ...others];
})();

/**
 * `BYTE_TO_CHAR[b]` is the one-character string that stands for byte `b` in vocabulary files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BYTE_TO_CHAR } from "@copra/tokenizer";
 * assert.equal(BYTE_TO_CHAR[0x20], "Ġ");
 * ```
 */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const table: string[] = new Array(256);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCharCode(isPrintable(b) ? b : 256 + shifted++);
  }
  return table;
})();

/**
 * The 256 single-byte tokens in GPT-2's id order (`BYTE_TOKENS[i]` is GPT-2's token `i`): the base of every
 * byte-level vocabulary copra builds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BYTE_TOKENS } from "@copra/tokenizer";
 * assert.equal(BYTE_TOKENS[0], "!");
 * assert.equal(BYTE_TOKENS[220], "Ġ");
 * ```
 */
export const BYTE_TOKENS: readonly string[] = BYTE_ORDER.map((b) => BYTE_TO_CHAR[b]);

/** Inverse of `BYTE_TO_CHAR`, indexed by char code (all codes are below 324); -1 where no byte maps. */
const CHAR_TO_BYTE: Int16Array = (() => {
  const table = new Int16Array(324).fill(-1);
  BYTE_TO_CHAR.forEach((ch, b) => (table[ch.charCodeAt(0)] = b));
  return table;
})();

/**
 * Renders bytes as GPT-2's byte-level text (one character per byte).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytesToByteLevel } from "@copra/tokenizer";
 * assert.equal(bytesToByteLevel(new TextEncoder().encode(" hi")), "Ġhi");
 * ```
 */
export function bytesToByteLevel(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_CHAR[bytes[i]];
  return out;
}

/**
 * Parses GPT-2 byte-level text back into bytes. Throws a {@link TokenizerError} naming `source` and `field`
 * when a character is not one of the 256 byte characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { byteLevelToBytes } from "@copra/tokenizer";
 * assert.equal(new TextDecoder().decode(byteLevelToBytes("Ġhi")), " hi");
 * ```
 */
export function byteLevelToBytes(text: string, source = "argument", field = "token"): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const byte = code < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[code] : -1;
    if (byte < 0) {
      throw new TokenizerError({
        source,
        field,
        value: text,
        problem: `character U+${code.toString(16).toUpperCase().padStart(4, "0")} at offset ${i} ` +
          `is not a byte-level character`,
        hint: "byte-level vocabularies store each byte as one of GPT-2's 256 byte characters",
      });
    }
    bytes[i] = byte;
  }
  return bytes;
}
