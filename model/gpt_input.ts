/**
 * The shape checks of a `gpt2Forward` call (internal to the model package).
 *
 * @module
 */

import type { GPT2Config } from "./config.ts";
import { ModelError } from "./errors.ts";
import type { ForwardInput } from "./gpt.ts";
import type { Tensor4D } from "./tensors.ts";

/** Validates the shapes of a call; returns B, T and P. */
export function checkInput(config: GPT2Config, input: ForwardInput): { B: number; T: number; P: number } {
  const fail = (field: string, value: unknown, problem: string): never => {
    throw new ModelError({ source: "argument", field, value, problem });
  };
  if ((input.ids === undefined) === (input.embeds === undefined)) {
    fail("ids/embeds", null, "give exactly one of ids (B,T) and embeds (B,T,C)");
  }
  if (input.ids && (input.ids.rank !== 2 || input.ids.dtype !== "int32")) {
    fail("ids", input.ids.shape, "expected an int32 tensor of shape (B,T)");
  }
  if (input.embeds && (input.embeds.rank !== 3 || input.embeds.shape[2] !== config.n_embd)) {
    fail("embeds", input.embeds.shape, `expected shape (B,T,${config.n_embd})`);
  }
  const [B, T] = (input.ids ?? input.embeds!).shape;
  const P = input.cache?.[0]?.k.shape[2] ?? 0;
  if (input.cache && input.cache.length !== config.n_layer) {
    fail("cache", input.cache.length, `expected one entry per layer (${config.n_layer})`);
  }
  if (input.cache && input.cache[0].k.shape[0] !== B) fail("cache", input.cache[0].k.shape, `batch must be ${B}`);
  if (T < 1) fail("ids/embeds", T, "need at least one position");
  if (input.positionIds === undefined && P + T > config.n_positions) {
    fail("ids/embeds", P + T, `sequence longer than n_positions (${config.n_positions})`);
  }
  if (input.positionIds && (input.positionIds.shape[0] !== B || input.positionIds.shape[1] !== T)) {
    fail("positionIds", input.positionIds.shape, `expected shape (${B},${T})`);
  }
  if (input.attentionMask && (input.attentionMask.shape[0] !== B || input.attentionMask.shape[1] !== P + T)) {
    fail(
      "attentionMask",
      input.attentionMask.shape,
      `expected shape (${B},${P + T}) covering cached and new positions`,
    );
  }
  const cut = (t: Tensor4D, last: number) =>
    t.rank === 4 && t.dtype === "float32" && (t.shape[0] === B || t.shape[0] === 1) && t.shape[1] === 1 &&
    t.shape[2] === T && t.shape[3] === last;
  if (input.attentionBias && !cut(input.attentionBias, P + T)) {
    fail("attentionBias", input.attentionBias.shape, `expected float32 of shape (${B} or 1,1,${T},${P + T})`);
  }
  if (input.rotary) {
    const D = config.n_embd / config.n_head;
    if (config.position_embedding_type !== "rotary") fail("rotary", "given", "the model's positions are not rotary");
    for (const name of ["cos", "sin"] as const) {
      if (!cut(input.rotary[name], D)) {
        fail(`rotary.${name}`, input.rotary[name].shape, `expected float32 of shape (${B} or 1,1,${T},${D})`);
      }
    }
  }
  return { B, T, P };
}
