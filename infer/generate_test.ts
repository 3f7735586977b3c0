import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  availableProducts,
  gpt2Config,
  initParams,
  packTransposed,
  packTransposedThreads,
  productsPath,
  useBackend,
  useProducts,
} from "@copra/model";
import { generate, type GenerationPrompt, latentForwardNoCache, probeThought } from "./mod.ts";

const config = gpt2Config("nano", { vocab_size: 24, n_positions: 64 });
const EOS = 23, LAT = 22;
const prompt = (question: number[], thoughts: number): GenerationPrompt => {
  const ids = [...question, ...(thoughts > 0 ? [20, ...new Array(thoughts).fill(LAT), 21] : [])];
  return {
    ids,
    positionIds: ids.map((_, i) => i),
    latentPositions: ids.map((t, i) => (t === LAT ? i : -1)).filter((i) => i >= 0),
  };
};

for (const thoughts of [0, 3]) {
  Deno.test(`generation with ${thoughts} thoughts: cached equals recomputed; a batch equals one by one`, async () => {
    await useBackend("wasm");
    const params = initParams(config, { seed: 12 });
    const prompts = [prompt([1, 2, 3, 4, 5], thoughts), prompt([6, 7], thoughts), prompt([8, 9, 10, 11], thoughts)];
    const before = tf.memory().numTensors;
    const cached = await generate(params, config, prompts, { eosId: EOS, maxNewTokens: 12 });
    assert.equal(tf.memory().numTensors, before, "no tensor left behind");
    const recomputed = await generate(params, config, prompts, { eosId: EOS, maxNewTokens: 12, cache: false });
    assert.deepEqual(cached.map((g) => g.ids), recomputed.map((g) => g.ids));
    for (const [i, p] of prompts.entries()) {
      const [alone] = await generate(params, config, [p], { eosId: EOS, maxNewTokens: 12 });
      assert.deepEqual(alone.ids, cached[i].ids, `row ${i}`);
    }
    for (const g of cached) {
      assert.equal(g.thoughts, thoughts);
      assert.equal(g.generatedTokens, g.ids.length);
      assert.ok(g.generatedTokens <= 12 && g.ms >= 0);
    }
  });
}

Deno.test("generation stops at <eos> and decodes text; thoughts come as events with their hidden vectors", async () => {
  await useBackend("wasm");
  // Random weights often repeat one token; take the first seed whose free run shows a new token after the first.
  let params = initParams(config, { seed: 1 }),
    probe = await generate(params, config, [prompt([1, 2], 2)], { eosId: EOS, maxNewTokens: 8 });
  let k = -1;
  for (let seed = 1; seed < 40 && k < 1; seed++) {
    params = initParams(config, { seed });
    probe = await generate(params, config, [prompt([1, 2], 2)], { eosId: EOS, maxNewTokens: 8 });
    k = probe[0].ids.findIndex((t, i) => i > 0 && !probe[0].ids.slice(0, i).includes(t));
  }
  assert.ok(k > 0, "some seed gives a free run with a second distinct token");
  assert.equal(probe[0].finished, false);
  const events: number[][] = [];
  const out = await generate(params, config, [prompt([1, 2], 2), prompt([3], 2)], {
    eosId: probe[0].ids[k],
    maxNewTokens: 10,
    decode: (ids) => ids.join(","),
    onThought: (e) => void events.push([e.row, e.index, e.hidden.length]),
  });
  assert.deepEqual(out[0].ids, probe[0].ids.slice(0, k));
  assert.equal(out[0].finished, true);
  assert.equal(out[0].text, probe[0].ids.slice(0, k).join(","));
  assert.deepEqual(events, [[0, 0, 48], [1, 0, 48], [0, 1, 48], [1, 1, 48]]);
  await assert.rejects(
    () => generate(params, config, [prompt([1], 2), prompt([1], 1)], { eosId: EOS }),
    /same number of thought slots/,
  );
  const top = await probeThought(params, new Float32Array(48).fill(1), 4);
  assert.equal(new Set(top.map((t) => t.id)).size, 4);
  assert.ok(top.every((t, i) => i === 0 || t.probability <= top[i - 1].probability));
});

Deno.test("a prompt longer than the model's context is refused clearly; generation stops at the context's end", async () => {
  await useBackend("wasm");
  const short = gpt2Config("nano", { vocab_size: 24, n_positions: 8 });
  const params = initParams(short, { seed: 2 });
  await assert.rejects(
    () => generate(params, short, [prompt([1, 2, 3, 4, 5, 6, 7, 8], 0)], { eosId: EOS }),
    /prompts\[0\]: has 8 tokens, but the model's context \(n_positions\) is 8/,
  );
  const [out] = await generate(params, short, [prompt([1, 2, 3, 4, 5], 0)], { eosId: EOS, maxNewTokens: 50 });
  assert.ok(out.generatedTokens <= 3, `${out.generatedTokens} tokens in a context of 8 after a 5-token prompt`);
});

Deno.test("generate runs training's thought loop: its thoughts and first answer logits equal the cache-free reference", async () => {
  await useBackend("cpu");
  // Weights 10× GPT-2's scale: hidden states differ clearly from position to position, so feeding the wrong
  // position's state back (or none) shows in every number compared below.
  const structured = gpt2Config("nano", { vocab_size: 24, n_positions: 64, initializer_range: 0.2 });
  const params = initParams(structured, { seed: 3 });
  const p = prompt([1, 2, 3, 4, 5, 6], 3); // question, <bot>, 3 slots, <eot>
  const thoughts: Float32Array[] = [];
  let firstLogits: Float32Array | undefined;
  await generate(params, structured, [p], {
    eosId: EOS,
    maxNewTokens: 2,
    onThought: (t) => void thoughts.push(t.hidden),
    onLogits: (e) => void (e.step === 0 && (firstLogits = e.logits)),
  });
  const ids = tf.tensor2d([p.ids as number[]], undefined, "int32");
  const reference = latentForwardNoCache(params, structured, {
    ids,
    attentionMask: tf.onesLike(ids) as tf.Tensor2D,
    positionIds: tf.tensor2d([p.positionIds as number[]], undefined, "int32"),
    latentPositions: [p.latentPositions as number[]],
  });
  const C = structured.n_embd, V = structured.vocab_size, T = p.ids.length;
  const fed = await reference.thoughts.data(), logits = await reference.logits.data();
  assert.equal(thoughts.length, 3);
  const gap = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i])));
  for (let k = 0; k < 3; k++) {
    assert.ok(gap(thoughts[k], fed.subarray(k * C, (k + 1) * C)) <= 1e-5, `thought ${k}`);
  }
  // The thoughts are not all alike (a loop that fed one state three times would differ from the reference).
  assert.ok(gap(thoughts[0], thoughts[1]) > 1e-2 && gap(thoughts[1], thoughts[2]) > 1e-2);
  assert.ok(gap(firstLogits!, logits.subarray((T - 1) * V, T * V)) <= 1e-4, "first answer logits");
  tf.dispose([ids, reference.logits, reference.thoughts]);
});

Deno.test("the learned switch stops each row where it says; a stopped row equals a prompt with that many slots", async () => {
  await useBackend("cpu");
  const { initSwitch } = await import("@copra/model");
  const structured = gpt2Config("nano", { vocab_size: 24, n_positions: 64, initializer_range: 0.2 });
  const params = { ...initParams(structured, { seed: 5 }), ...initSwitch(structured) };
  // A switch that reads the thoughts: a random direction; the threshold is the median of what it says, so rows
  // stop at different thoughts.
  params["coconut_switch.weight"].assign(tf.randomNormal([structured.n_embd], 0, 1, "float32", 4));
  const questions = [[1, 2, 3, 4, 5], [6, 7], [8, 9, 10, 11], [12, 5, 2], [3, 3]];
  const K = 4;
  const seen: number[][] = questions.map(() => []);
  const probe = await generate(params, structured, questions.map((q) => prompt(q, K)), {
    eosId: EOS,
    maxNewTokens: 1,
    switch: { threshold: 0.999999 },
    onThought: (t) => void seen[t.row].push(t.stop!),
  });
  assert.deepEqual(probe.map((g) => g.thoughts), [K, K, K, K, K]); // nothing passes a threshold of ~1
  const all = seen.flat().sort((a, b) => a - b);
  const threshold = all[Math.floor(all.length / 2)];
  const expected = seen.map((ps) => Math.min(K, ps.findIndex((p) => p > threshold) + 1 || K));
  assert.ok(new Set(expected).size >= 2, `rows stop at different thoughts: ${expected}`);
  const firsts: Float32Array[] = [];
  const events: { row: number; index: number }[] = [];
  const out = await generate(params, structured, questions.map((q) => prompt(q, K)), {
    eosId: EOS,
    maxNewTokens: 6,
    switch: { threshold },
    onThought: (t) => void events.push({ row: t.row, index: t.index }),
    onLogits: (e) => void (e.step === 0 && firsts.push(e.logits)),
  });
  assert.deepEqual(out.map((g) => g.thoughts), expected);
  // Events only while a row thinks.
  for (const [r, n] of expected.entries()) {
    assert.deepEqual(events.filter((e) => e.row === r).map((e) => e.index), Array.from({ length: n }, (_, i) => i));
  }
  // Each row's answer and first answer logits equal a prompt built with exactly that many slots, alone.
  const V = structured.vocab_size;
  for (const [r, q] of questions.entries()) {
    let alone: Float32Array | undefined;
    const [g] = await generate(params, structured, [prompt(q, expected[r])], {
      eosId: EOS,
      maxNewTokens: 6,
      onLogits: (e) => void (e.step === 0 && (alone = e.logits)),
    });
    assert.deepEqual(out[r].ids, g.ids, `row ${r}`);
    const mine = firsts[0].subarray(r * V, (r + 1) * V);
    assert.ok(mine.every((x, i) => Math.abs(x - alone![i]) < 1e-4), `row ${r} logits`);
  }
  // Without a switch in the checkpoint, or with a threshold outside (0,1): refused.
  const plain = initParams(structured, { seed: 5 });
  await assert.rejects(generate(plain, structured, [prompt([1], 2)], { eosId: EOS, switch: {} }), /no learned switch/);
  await assert.rejects(
    generate(params, structured, [prompt([1], 2)], { eosId: EOS, switch: { threshold: 1 } }),
    /\(0, 1\)/,
  );
});

Deno.test("decoding with the head packed once gives every step's logits bit for bit as without", async () => {
  await useBackend("wasm");
  const before = productsPath();
  useProducts(availableProducts().includes("simd-fma") ? "simd-fma" : "simd");
  const kernel = tf.getKernel("CopraPackTransposed", "wasm")!;
  const params = initParams(config, { seed: 5 });
  const prompts = [prompt([1, 2, 3, 4, 5], 2), prompt([6, 7, 8, 9, 10], 2)]; // batch 2; alone below: one row
  const run = async () => {
    const steps: Float32Array[] = [];
    const out = await generate(params, config, prompts, {
      eosId: -1,
      maxNewTokens: 6,
      onLogits: (e) => void steps.push(e.logits),
    });
    return { steps, ids: out.map((g) => g.ids) };
  };
  try {
    const count = tf.memory().numTensors;
    const packed = await run();
    assert.equal(tf.memory().numTensors, count, "the packed head is disposed");
    tf.unregisterKernel("CopraPackTransposed", "wasm"); // packTransposed now gives null: matMulT per token
    const plain = await run();
    assert.equal(packed.steps.length, 6);
    assert.deepEqual(packed.steps, plain.steps);
    assert.deepEqual(packed.ids, plain.ids);
    // one row (the packed head's one-row loop): the same logits as row 0 of the batch, bit for bit
    if (!tf.getKernel("CopraPackTransposed", "wasm")) tf.registerKernel(kernel);
    const alone: Float32Array[] = [];
    await generate(params, config, [prompts[0]], {
      eosId: -1,
      maxNewTokens: 6,
      onLogits: (e) => void alone.push(e.logits),
    });
    assert.deepEqual(alone, packed.steps.map((l) => l.slice(0, config.vocab_size)));
  } finally {
    if (!tf.getKernel("CopraPackTransposed", "wasm")) tf.registerKernel(kernel);
    useProducts(before);
    tf.dispose(Object.values(params));
  }
});

Deno.test("a head the caller packed (with helper threads) gives the same logits and stays the caller's; a foreign one is refused", async () => {
  await useBackend("wasm");
  const before = productsPath();
  useProducts(availableProducts().includes("simd-fma") ? "simd-fma" : "simd");
  const wide = gpt2Config("nano", { vocab_size: 200, n_positions: 64, initializer_range: 0.2 });
  const params = initParams(wide, { seed: 3 });
  const prompts = [prompt([1, 2, 3, 4, 5], 2), prompt([6, 7, 8, 9, 10], 2)];
  const run = async (head?: Awaited<ReturnType<typeof packTransposedThreads>>) => {
    const steps: Float32Array[] = [];
    const out = await generate(params, wide, prompts, {
      eosId: -1,
      maxNewTokens: 5,
      onLogits: (e) => void steps.push(e.logits),
      ...(head ? { head } : {}),
    });
    return { steps, ids: out.map((g) => g.ids) };
  };
  const wte = params["wte.weight"] as tf.Tensor2D;
  const head = (await packTransposedThreads(wte, 2))!;
  try {
    assert.equal(head.threads, 2);
    const count = tf.memory().numTensors;
    const split = await run(head), again = await run(head), own = await run();
    assert.equal(tf.memory().numTensors, count, "nothing left behind, the caller's head kept");
    assert.equal(split.steps.length, 5);
    assert.deepEqual(split.steps, own.steps);
    assert.deepEqual(again.steps, own.steps);
    assert.deepEqual(split.ids, own.ids);
    // a packing of another matrix, or a disposed one: refused before any work
    const other = packTransposed(tf.transpose(wte) as tf.Tensor2D)!;
    await assert.rejects(run(other), /head: is not a packing of these parameters' wte.weight/);
    tf.dispose([other.b]);
    other.dispose();
    const gone = packTransposed(wte)!;
    gone.dispose();
    await assert.rejects(run(gone), /head.*was disposed/);
  } finally {
    head.dispose();
    useProducts(before);
    tf.dispose(Object.values(params));
  }
});
