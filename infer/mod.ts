/**
 * The latent loop: Coconut's multi-pass forward for training (each thought is the previous position's final
 * hidden state, fed back as an input embedding; KV cache; gradients through every thought), batched greedy
 * generation for every method with thoughts reported as events, and a probe that decodes a thought.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gpt2Config, initParams } from "@copra/model";
 * import { generate, probeThought } from "@copra/infer";
 * const config = gpt2Config("nano", { vocab_size: 12 });
 * const params = initParams(config, { seed: 3 });
 * const seen: number[] = [];
 * await generate(params, config, [{ ids: [4, 5, 10, 10, 10, 6], positionIds: [0, 1, 2, 3, 4, 5], latentPositions: [2, 3, 4] }], {
 *   eosId: 11,
 *   maxNewTokens: 3,
 *   onThought: async (t) => { seen.push((await probeThought(params, t.hidden, 1))[0].id); },
 * });
 * assert.equal(seen.length, 3);
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./generate.ts";
export * from "./latent.ts";
export * from "./session.ts";
export * from "./calculator.ts";
