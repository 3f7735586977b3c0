/**
 * Special tokens: matched as whole strings, never produced by encoding ordinary text — GPT-2's end of text,
 * Coconut's latent markers and slot, the pause token.
 *
 * @module
 */

import { byteLevelToBytes } from "./byte_level.ts";
import type { Bpe } from "./bpe.ts";
import { TokenizerError } from "./errors.ts";
import type { WordLevel } from "./word_level.ts";

/**
 * A token that is matched as a whole string rather than produced by the model: `<|endoftext|>`, Coconut's
 * latent markers, `<pause>`, or any user-defined token.
 */
export interface SpecialToken {
  /** Token id. */
  readonly id: number;
  /** The exact text the token stands for. */
  readonly content: string;
}

/**
 * The special tokens Coconut adds to a vocabulary, and the `<pause>` token of the pause baselines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { COCONUT_TOKENS } from "@copra/tokenizer";
 * assert.equal(COCONUT_TOKENS.latent, "<|latent|>");
 * ```
 */
export const COCONUT_TOKENS: {
  readonly startLatent: "<|start-latent|>";
  readonly endLatent: "<|end-latent|>";
  readonly latent: "<|latent|>";
  readonly pause: "<pause>";
} = {
  startLatent: "<|start-latent|>",
  endLatent: "<|end-latent|>",
  latent: "<|latent|>",
  pause: "<pause>",
};

/**
 * GPT-2's end-of-text token (id 50256), also Coconut's end-of-sequence and padding token.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { END_OF_TEXT, trainWordLevel } from "@copra/tokenizer";
 * const tok = trainWordLevel(["a b"]); // adds END_OF_TEXT as a special token by default
 * assert.equal(tok.decode([tok.tokenId(END_OF_TEXT)]), "<|endoftext|>");
 * ```
 */
export const END_OF_TEXT = "<|endoftext|>" as const;

/**
 * Checks special tokens against a model and sorts them by id: contents non-empty and distinct; an id below the
 * model's size must be that model token (as GPT-2's `<|endoftext|>` = 50256 is); the others must take the ids
 * right after the model's, in order, without gaps. Returns them, their ids by content and the vocabulary size.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Bpe, BYTE_TOKENS, checkSpecialTokens } from "@copra/tokenizer";
 * const model = new Bpe(BYTE_TOKENS.slice(), []);
 * assert.equal(checkSpecialTokens(model, [{ id: 256, content: "<x>" }], "argument").vocabSize, 257);
 * assert.throws(() => checkSpecialTokens(model, [{ id: 300, content: "<x>" }], "argument"), /expected id 256/);
 * ```
 */
export function checkSpecialTokens(
  model: Bpe | WordLevel,
  tokens: readonly SpecialToken[],
  source: string,
): { specials: SpecialToken[]; byContent: Map<string, number>; vocabSize: number } {
  const specials = [...tokens].sort((a, b) => a.id - b.id);
  const byContent = new Map<string, number>();
  let next = model.size;
  for (const [i, token] of specials.entries()) {
    const field = `special token ${JSON.stringify(token.content)}`;
    if (typeof token.content !== "string" || token.content.length === 0) {
      throw new TokenizerError({
        source,
        field: `specialTokens[${i}].content`,
        value: token.content,
        problem: "a special token must be a non-empty string",
      });
    }
    if (byContent.has(token.content)) {
      throw new TokenizerError({ source, field, value: token.id, problem: "special token is listed twice" });
    }
    if (!Number.isInteger(token.id) || token.id < 0) {
      throw new TokenizerError({ source, field, value: token.id, problem: "id must be a non-negative integer" });
    }
    if (token.id < model.size) {
      if (model.type === "BPE" || token.id !== model.unkId) {
        const bytes = byteLevelToBytes(model.tokens[token.id], source, `vocab[${token.id}]`);
        if (new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes) !== token.content) {
          throw new TokenizerError({
            source,
            field,
            value: token.id,
            problem: `id ${token.id} is the model token ${JSON.stringify(model.tokens[token.id])}`,
            hint: "give added tokens the ids right after the model's vocabulary",
          });
        }
      }
    } else if (token.id !== next++) {
      throw new TokenizerError({
        source,
        field,
        value: token.id,
        problem: `expected id ${next - 1}: added tokens take the ids after the model's ${model.size}, without gaps`,
      });
    }
    byContent.set(token.content, token.id);
  }
  return { specials, byContent, vocabSize: next };
}
