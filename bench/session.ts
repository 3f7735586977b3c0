/**
 * `deno task bench session`: what a new turn of a `Session` costs once a conversation is long — the turn computes
 * only its own positions from the KV cache — against recomputing the whole history for that turn (what a loop
 * without a persistent cache does). The model is the `nano` preset with random weights; each turn is a short
 * question, 4 thoughts and 8 spoken tokens (`<eos>` is an id the model never emits). The history is grown to
 * `turns` turns first; the figures are medians over the last turns. Prints one JSON line:
 * `{"bench":"session","history_positions":…,"first_turn_ms":…,"early_turn_ms":…,"turn_ms":…,"recompute_ms":…,
 * "recompute_over_turn":…}` — a turn late in the conversation costs about what an early one does.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { Session } from "@copra/infer";
import { disposeParams, gpt2Config, gpt2Forward, initParams, useBackend } from "@copra/model";
import { median } from "./util.ts";

/** The result line. */
export interface SessionBenchResult {
  bench: "session";
  history_positions: number;
  first_turn_ms: number;
  /** Median of turns 2–6 (short history). */
  early_turn_ms: number;
  /** Median of the last 6 turns (long history). */
  turn_ms: number;
  recompute_ms: number;
  recompute_over_turn: number;
}

/** Runs the benchmark. */
export async function benchSession(options: { turns?: number } = {}): Promise<SessionBenchResult> {
  await useBackend("wasm");
  const turns = options.turns ?? 24;
  const config = gpt2Config("nano", { vocab_size: 512, n_positions: 1024, position_embedding_type: "rotary" });
  const params = initParams(config, { seed: 0 });
  const vocabulary = {
    encode: (text: string) => [...text].map((c) => c.charCodeAt(0) % 500),
    decode: (ids: number[]) => ids.map((i) => String.fromCharCode(32 + (i % 90))).join(""),
    ids: { bot: 500, eot: 501, latent: 502, eos: 511 },
  };
  const session = new Session(params, config, vocabulary, { thoughts: 4, maxNewTokens: 8, topK: 0 });
  const times: number[] = [];
  for (let t = 0; t < turns; t++) {
    const t0 = performance.now();
    for await (const _ of session.turn(`question ${t}: where?`)) { /* drain */ }
    times.push(performance.now() - t0);
  }
  // The same turn's work without a cache: one forward pass over every position so far, per generated position.
  const P = session.length, perTurn = Math.round(P / turns);
  const recompute: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    for (let k = 0; k < 4 + 8; k++) {
      const ids = tf.tensor2d([Array.from({ length: P - perTurn + k + 1 }, (_, i) => i % 500)], undefined, "int32");
      const out = gpt2Forward(params, config, { ids, logits: "last" });
      await out.logits!.data();
      tf.dispose([ids, out.hidden, out.logits!, ...out.cache.flatMap((c) => [c.k, c.v])]);
    }
    recompute.push(performance.now() - t0);
  }
  session.dispose();
  disposeParams(params);
  const turn = median(times.slice(-6));
  const again = median(recompute);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    bench: "session",
    history_positions: P,
    first_turn_ms: round(times[0]),
    early_turn_ms: round(median(times.slice(1, 6))),
    turn_ms: round(turn),
    recompute_ms: round(again),
    recompute_over_turn: Math.round((again / turn) * 100) / 100,
  };
}
