import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  availableProducts,
  gpt2Config,
  initParams,
  initSwitch,
  productsPath,
  useBackend,
  useProducts,
} from "@copra/model";
import { generate, Session, type SessionEvent, type SessionVocabulary, type Tool } from "./mod.ts";

const config = gpt2Config("nano", { vocab_size: 24, n_positions: 96, initializer_range: 0.2 });
const IDS = { bot: 20, eot: 21, latent: 22, eos: 23 };
/** Characters a–t are ids 0–19; `names` overrides how some ids decode (to script a tool call). */
function vocabulary(names: Record<number, string> = {}): SessionVocabulary {
  return {
    encode: (text) => [...text].map((c) => (c === "\n" ? 19 : c.charCodeAt(0) % 19)),
    decode: (ids) => ids.map((i) => names[i] ?? String.fromCharCode(97 + i)).join(""),
    ids: IDS,
  };
}
const collect = async (events: AsyncIterable<SessionEvent>) => {
  const out: SessionEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
};
const tokens = (events: SessionEvent[]) => events.flatMap((e) => (e.type === "token" ? [e.id] : []));

Deno.test("a turn thinks, speaks and ends exactly as generate() on the same prompt; nothing is left behind", async () => {
  await useBackend("cpu");
  const params = initParams(config, { seed: 7 });
  const vocab = vocabulary();
  const before = tf.memory().numTensors;
  const session = new Session(params, config, vocab, { thoughts: 3, maxNewTokens: 6, hiddenVectors: true, topK: 2 });
  const events = await collect(session.turn("abc"));
  const thoughts = events.filter((e) => e.type === "thought");
  assert.equal(thoughts.length, 3);
  assert.ok(thoughts.every((t) => t.type === "thought" && t.top.length === 2 && t.hidden?.length === config.n_embd));
  const ids = [...vocab.encode("abc\n"), IDS.bot, IDS.latent, IDS.latent, IDS.latent, IDS.eot];
  const fed: Float32Array[] = [];
  const [reference] = await generate(params, config, [{
    ids,
    positionIds: ids.map((_, i) => i),
    latentPositions: [5, 6, 7],
  }], { eosId: IDS.eos, maxNewTokens: 6, onThought: (t) => void fed.push(t.hidden) });
  assert.deepEqual(tokens(events), reference.ids);
  thoughts.forEach((t, k) =>
    assert.ok(t.type === "thought" && t.hidden!.every((x, i) => Math.abs(x - fed[k][i]) < 1e-5))
  );
  const end = events.at(-1)!;
  assert.ok(
    end.type === "turn_end" && end.thoughts === 3 && end.reason === (reference.finished ? "eos" : "max_tokens"),
  );
  // A second turn continues in the same cache: it only adds its own positions.
  const length = session.length;
  await collect(session.turn("d"));
  assert.ok(session.length > length && session.length <= length + 2 + 5 + 7);
  session.dispose();
  assert.equal(tf.memory().numTensors, before);
  const closed = await collect(session.turn("e"));
  assert.ok(closed[0].type === "error" && closed[0].code === "closed");
});

Deno.test("the learned switch decides how long a turn thinks, bounded by maxThoughts", async () => {
  await useBackend("cpu");
  const params = { ...initParams(config, { seed: 7 }), ...initSwitch(config) };
  for (const [bias, expected] of [[20, 1], [-20, 4]] as const) {
    params["coconut_switch.bias"].assign(tf.tensor1d([bias]));
    const session = new Session(params, config, vocabulary(), { maxThoughts: 4, maxNewTokens: 4 });
    const events = await collect(session.turn("abc"));
    const thoughts = events.filter((e) => e.type === "thought");
    assert.equal(thoughts.length, expected);
    assert.ok(thoughts.every((t) => t.type === "thought" && typeof t.stop === "number"));
    // What it says equals generate() with exactly that many thoughts.
    const ids = [...vocabulary().encode("abc\n"), IDS.bot, ...new Array(expected).fill(IDS.latent), IDS.eot];
    const [reference] = await generate(params, config, [{
      ids,
      positionIds: ids.map((_, i) => i),
      latentPositions: Array.from({ length: expected }, (_, k) => 5 + k),
    }], { eosId: IDS.eos, maxNewTokens: 4 });
    assert.deepEqual(tokens(events), reference.ids, `bias ${bias}`);
    session.dispose();
  }
  assert.throws(
    () => new Session(initParams(config), config, vocabulary(), { thoughts: "auto" }),
    /needs a learned switch/,
  );
});

/** A session whose model's first three spoken tokens decode to the given pieces (found by a run without tools). */
async function scripted(pieces: string[], options: ConstructorParameters<typeof Session>[3]) {
  const params = initParams(config, { seed: 11 });
  const probe = new Session(params, config, vocabulary(), { thoughts: 1, maxNewTokens: 3 });
  const first = tokens(await collect(probe.turn("abc")));
  probe.dispose();
  assert.equal(new Set(first).size, 3, `seed 11 speaks three distinct tokens first: ${first}`);
  const names = Object.fromEntries(first.map((id, i) => [id, pieces[i]]));
  return new Session(params, config, vocabulary(names), { thoughts: 1, maxNewTokens: 8, ...options });
}

Deno.test("tools: a call is run and its result fed back; unknown, failing and hanging tools give an error and go on or end", async () => {
  await useBackend("cpu");
  const calls: string[] = [];
  const calc: Tool = { name: "calc", run: (input) => (calls.push(input), Promise.resolve(String(eval(input)))) };
  const ok = await scripted(["<<", "6*7", "="], { tools: [calc] });
  const events = await collect(ok.turn("abc"));
  const kinds = events.map((e) => e.type);
  assert.deepEqual(kinds.slice(0, 6), ["thought", "token", "token", "token", "tool_call", "tool_result"]);
  assert.deepEqual(events[4], { type: "tool_call", name: "calc", input: "6*7" });
  assert.deepEqual(events[5], { type: "tool_result", name: "calc", output: "42" });
  assert.deepEqual(calls, ["6*7"]);
  assert.equal(kinds.at(-1), "turn_end");
  ok.dispose();

  // A session without tools does not intercept: the model writes the result itself.
  const free = await scripted(["<<", "6*7", "="], {});
  const f0 = await collect(free.turn("abc"));
  assert.ok(!f0.some((e) => e.type === "tool_call"));
  assert.deepEqual(f0.slice(0, 4).map((e) => e.type), ["thought", "token", "token", "token"]);
  free.dispose();

  const unknown = await scripted(["<<", "weather:Paris", "="], { tools: [calc] });
  const u = await collect(unknown.turn("abc"));
  assert.deepEqual(u[4], { type: "tool_call", name: "weather", input: "Paris" });
  assert.ok(u[5].type === "error" && u[5].code === "unknown_tool" && /no tool named "weather"/.test(u[5].message));
  assert.ok(u.at(-1)!.type === "turn_end");
  unknown.dispose();

  const throwing: Tool = { name: "calc", run: () => Promise.reject(new Error("division by zero")) };
  const failing = await scripted(["<<", "1/0", "="], { tools: [throwing], onToolError: "end" });
  const f = await collect(failing.turn("abc"));
  assert.ok(f[5].type === "error" && f[5].code === "tool_failed" && /division by zero/.test(f[5].message));
  assert.deepEqual(f.at(-1), { type: "turn_end", reason: "tool_error", thoughts: 1 });
  assert.equal(f.length, 7);
  // The session goes on after a tool error that ended the turn.
  assert.equal((await collect(failing.turn("d"))).at(-1)!.type, "turn_end");
  failing.dispose();

  let hungSignal: AbortSignal | undefined;
  const hanging: Tool = { name: "calc", run: (_, signal) => ((hungSignal = signal), new Promise(() => {})) };
  const hung = await scripted(["<<", "2+2", "="], { tools: [hanging], toolTimeoutMs: 30 });
  const h = await collect(hung.turn("abc"));
  assert.ok(h[5].type === "error" && h[5].code === "tool_timeout");
  assert.equal(hungSignal?.aborted, true, "the hung tool is told to stop");
  assert.equal(h.at(-1)!.type, "turn_end");
  hung.dispose();
});

Deno.test("backpressure: nothing runs ahead of the consumer; an abort ends the turn within one pass", async () => {
  await useBackend("cpu");
  const calls: string[] = [];
  const calc: Tool = { name: "calc", run: (input) => (calls.push(input), Promise.resolve("1")) };
  const session = await scripted(["<<", "1+0", "="], { tools: [calc] });
  const it = session.turn("abc");
  const seen: string[] = [];
  for (let i = 0; i < 5; i++) seen.push((await it.next()).value!.type);
  assert.deepEqual(seen.at(-1), "tool_call");
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(calls, [], "the tool runs only when the next event is pulled");
  assert.equal((await it.next()).value!.type, "tool_result");
  assert.deepEqual(calls, ["1+0"]);
  await it.return(undefined);
  session.dispose();

  const controller = new AbortController();
  const params = initParams(config, { seed: 3 });
  const aborting = new Session(params, config, vocabulary(), {
    thoughts: 5,
    maxNewTokens: 20,
    signal: controller.signal,
  });
  const events: SessionEvent[] = [];
  for await (const e of aborting.turn("abc")) {
    events.push(e);
    if (e.type === "thought" && e.index === 1) controller.abort();
  }
  assert.deepEqual(events.map((e) => e.type), ["thought", "thought", "turn_end"]);
  assert.deepEqual(events.at(-1), { type: "turn_end", reason: "aborted", thoughts: 2 });
  aborting.dispose();

  // A consumer that walks away mid-thought: the session stays whole, the next turn works, nothing leaks.
  const before = tf.memory().numTensors;
  const walked = new Session(params, config, vocabulary(), { thoughts: 4, maxNewTokens: 3 });
  const it2 = walked.turn("abc");
  assert.equal((await it2.next()).value!.type, "thought");
  await it2.return(undefined);
  const cut = walked.length;
  assert.equal(cut, 4 + 1 + 4 + 1); // "abc\n", <bot>, four slots (three unused, masked), <eot>
  assert.equal((await collect(walked.turn("d"))).at(-1)!.type, "turn_end");
  walked.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("context overflow: a clear error and the end of the turn, never a tfjs error; the session then refuses input", async () => {
  await useBackend("cpu");
  const small = gpt2Config("nano", { vocab_size: 24, n_positions: 24 });
  const session = new Session(initParams(small, { seed: 1 }), small, vocabulary(), { thoughts: 2, maxNewTokens: 100 });
  const first = await collect(session.turn("abcdefgh")); // 9 + 4 positions, then speaking runs into the end
  const error = first.find((e) => e.type === "error");
  assert.ok(
    error?.type === "error" && error.code === "context_overflow" && /of the model's 24 are used/.test(error.message),
  );
  assert.deepEqual(first.at(-1), { type: "turn_end", reason: "context", thoughts: 2 });
  assert.ok(session.length <= 24);
  const next = await collect(session.turn("a"));
  assert.ok(next[0].type === "error" && next[0].code === "closed");
  session.dispose();
  const tooLong = new Session(initParams(small, { seed: 1 }), small, vocabulary(), { thoughts: 2 });
  const refused = await collect(tooLong.turn("a".repeat(30)));
  assert.ok(refused[0].type === "error" && refused[0].code === "context_overflow");
  tooLong.dispose();
});

Deno.test("on wasm's SIMD products a turn speaks with the head packed once: the same tokens, nothing left behind", async () => {
  await useBackend("wasm");
  const before = productsPath();
  useProducts(availableProducts().includes("simd-fma") ? "simd-fma" : "simd");
  const kernel = tf.getKernel("CopraPackTransposed", "wasm")!;
  const params = initParams(config, { seed: 1 });
  const speak = async (stopAfter?: number) => {
    const count = tf.memory().numTensors;
    const session = new Session(params, config, vocabulary(), { thoughts: 2, maxNewTokens: 8 });
    const out: number[] = [];
    for await (const e of session.turn("abc")) {
      if (e.type === "token") out.push(e.id);
      if (out.length === stopAfter) break; // the consumer walks away mid-turn
    }
    session.dispose();
    assert.equal(tf.memory().numTensors, count, "nothing left behind");
    return out;
  };
  try {
    const packed = await speak(), abandoned = await speak(2);
    tf.unregisterKernel("CopraPackTransposed", "wasm"); // packTransposed gives null: matMulT per token
    const plain = await speak();
    assert.ok(packed.length > 2);
    assert.deepEqual(packed, plain);
    assert.deepEqual(abandoned, plain.slice(0, 2));
  } finally {
    if (!tf.getKernel("CopraPackTransposed", "wasm")) tf.registerKernel(kernel);
    useProducts(before);
    tf.dispose(Object.values(params));
  }
});

Deno.test("threads: the head split over helper threads speaks the same tokens; dispose stops them; bad counts refused", async () => {
  await useBackend("wasm");
  const before = productsPath();
  useProducts(availableProducts().includes("simd-fma") ? "simd-fma" : "simd");
  const wide = gpt2Config("nano", { vocab_size: 160, n_positions: 96, initializer_range: 0.2 });
  const params = initParams(wide, { seed: 4 });
  const speak = async (threads: number) => {
    const count = tf.memory().numTensors;
    const session = new Session(params, wide, vocabulary(), { thoughts: 1, maxNewTokens: 6, threads });
    const turns = [tokens(await collect(session.turn("abc"))), tokens(await collect(session.turn("de")))];
    session.dispose();
    assert.equal(tf.memory().numTensors, count, "nothing left behind");
    return turns;
  };
  try {
    const one = await speak(1), two = await speak(2);
    assert.ok(one[0].length > 2 && one[1].length > 2);
    assert.deepEqual(two, one);
    for (const threads of [0, 1.5]) {
      assert.throws(() => new Session(params, wide, vocabulary(), { threads }), /threads: must be a whole number ≥ 1/);
    }
  } finally {
    useProducts(before);
    tf.dispose(Object.values(params));
  }
});
