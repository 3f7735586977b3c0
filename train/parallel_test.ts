import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { buildExample, collate, curriculumConfig, specialIds, tokenizeRecord } from "@copra/curriculum";
import { generateProsQA, PROSQA_CONCEPTS, PROSQA_PERSONS } from "@copra/data";
import {
  disposeParams,
  initParams,
  initSwitch,
  switchLogits,
  switchLoss,
  useBackend,
  valueAndGrads,
} from "@copra/model";
import { Rng } from "@copra/random";
import {
  addGradients,
  balancedShards,
  batchTensors,
  buildTokenizer,
  evaluate,
  GradientPool,
  latestCheckpoint,
  modelConfigFor,
  readCheckpoint,
  shardLoss,
  train,
  type TrainOptions,
} from "./mod.ts";

await useBackend("cpu");

const small = { nodes: [6, 9] as [number, number], nodesMean: 7, minHops: 2, maxHops: 3 };
const curriculum = curriculumConfig({ method: "coconut", maxLatentStage: 2, epochsPerStage: 1, uniformProb: 0.3 });
const trainItems = generateProsQA({ n: 8, seed: 1, ...small });
const validItems = generateProsQA({ n: 2, seed: 2, ...small });
const tokenizer = buildTokenizer([...trainItems, ...validItems], [...PROSQA_PERSONS, ...PROSQA_CONCEPTS]);
// No dropout: with it, each shard draws its own masks (seed + s) and no split can equal the whole batch.
const model = modelConfigFor("nano", tokenizer, trainItems, curriculum, {
  n_layer: 1,
  n_embd: 24,
  n_head: 2,
  resid_pdrop: 0,
  embd_pdrop: 0,
  attn_pdrop: 0,
});

async function close(a: tf.Tensor, b: tf.Tensor, what: string): Promise<void> {
  const [x, y] = [await a.data(), await b.data()];
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / (Math.abs(y[i]) + 1e-6));
  const scale = Math.max(...Array.from(y, Math.abs));
  assert.ok(
    worst < 1e-3 || x.every((v, i) => Math.abs(v - y[i]) < 1e-6 * scale + 1e-9),
    `${what}: relative difference ${worst}`,
  );
}

Deno.test("GradientPool: two shards (main + a worker) give the whole batch's loss and gradients, switch included", async () => {
  const ids = specialIds(tokenizer);
  const rng = new Rng(3);
  const examples = trainItems.slice(0, 5).map((it) =>
    buildExample(tokenizeRecord(tokenizer, it), 2, curriculum, ids, rng)
  );
  const params = { ...initParams(model, { seed: 0 }), ...initSwitch(model) };
  const whole = collate(examples, ids.eos);
  const tensors = batchTensors(whole);
  const single = valueAndGrads(params, () => shardLoss(params, model, whole, tensors, { lm: 1, stop: 1 }, 0.5, 7));
  const pool = await GradientPool.start(2, model, params, { backend: "cpu", switchWeight: 0.5 });
  try {
    // Uneven shards (3 + 2 rows): each shard's loss is a mean over its own labels, so the weights matter.
    const { loss, grads } = await pool.step(params, [
      collate(examples.slice(0, 3), ids.eos),
      collate(examples.slice(3), ids.eos),
    ], 7);
    const want = (await single.value.data())[0];
    assert.ok(Math.abs(loss - want) < 1e-5 * Math.abs(want), `loss ${loss} vs ${want}`);
    assert.deepEqual(Object.keys(grads).sort(), Object.keys(single.grads).sort());
    assert.ok("coconut_switch.weight" in grads);
    for (const name of Object.keys(grads)) await close(grads[name], single.grads[name], name);
    tf.dispose(Object.values(grads));
  } finally {
    pool.close();
    tf.dispose([
      single.value,
      ...Object.values(single.grads),
      ...Object.values(tensors).filter((t) => t instanceof tf.Tensor),
    ]);
    disposeParams(params);
  }
});

const options = async (out: string, epochs: number, resume = false): Promise<TrainOptions> => ({
  curriculum,
  model,
  tokenizer,
  epochs,
  batchSize: 4,
  effectiveBatch: 4,
  lr: 3e-3,
  weightDecay: 0.01,
  clipNorm: 1,
  seed: 5,
  backend: "cpu",
  out: await out,
  resume,
  maxNewTokens: 4,
  threads: 2,
  switchWeight: 1,
});

/** The last checkpoint's weights file, as a digest (comparing the bytes themselves makes a failure's diff huge). */
async function weights(dir: string): Promise<string> {
  const bytes = await Deno.readFile(`${(await latestCheckpoint(dir))!.path}/model.safetensors`);
  return Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)), (b) => b.toString(16)).join("");
}

Deno.test("threads 2: the same run twice is bitwise the same, and a resumed run ends on the same weights", async () => {
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir(), c = await Deno.makeTempDir();
  disposeParams((await train(trainItems, validItems, await options(a, 2))).params);
  disposeParams((await train(trainItems, validItems, await options(b, 2))).params);
  assert.equal(await weights(a), await weights(b), "two runs with 2 threads");
  disposeParams((await train(trainItems, validItems, await options(c, 1))).params);
  disposeParams((await train(trainItems, validItems, await options(c, 2, true))).params);
  assert.equal(await weights(c), await weights(a), "1 epoch + resume vs 2 epochs straight");
  // Threads change the rounding of the sums, not the training: one thread ends close by.
  const d = await Deno.makeTempDir();
  disposeParams((await train(trainItems, validItems, { ...await options(d, 2), threads: 1 })).params);
  const [x, y] = [
    (await readCheckpoint((await latestCheckpoint(a))!.path)).params,
    (await readCheckpoint((await latestCheckpoint(d))!.path)).params,
  ];
  await close(x["wte.weight"], y["wte.weight"], "wte.weight after 2 epochs, 2 threads vs 1");
  disposeParams(x);
  disposeParams(y);
  for (const dir of [a, b, c, d]) await Deno.remove(dir, { recursive: true });
});

Deno.test("evaluate on the main thread and a worker's lane gives the main thread's answers, with the synced weights", async () => {
  const items = generateProsQA({ n: 6, seed: 5, ...small });
  const records = items.map((it) => tokenizeRecord(tokenizer, it));
  // Loud MLPs: at initialisation the residual stream is mostly the last token's embedding, which the tied head
  // decodes back to that (special) token whatever the weights — every answer "" — so the blocks' outputs are
  // scaled up until they decide the answer.
  const sharp = (seed: number) => {
    const p = initParams(model, { seed });
    for (const name of Object.keys(p).filter((n) => n.endsWith("mlp.c_proj.weight"))) {
      const w = p[name];
      p[name] = tf.mul(w, 50) as typeof w;
      w.dispose();
    }
    return p;
  };
  const params = sharp(3);
  const options = { batchSize: 2, maxNewTokens: 6, thoughts: 2 };
  const ids = specialIds(tokenizer);
  const alone = await evaluate(params, model, records, items, curriculum, ids, tokenizer, options);
  // A pool started from other weights answers differently until it is synced.
  const other = sharp(4);
  const pool = await GradientPool.start(2, model, other, { backend: "cpu" });
  try {
    let lanes = 0;
    const counted = pool.lanes().map((lane) => ({
      generate: (...args: Parameters<typeof lane.generate>) => (lanes++, lane.generate(...args)),
    }));
    const stale = await evaluate(params, model, records, items, curriculum, ids, tokenizer, {
      ...options,
      lanes: counted,
    });
    assert.ok(lanes > 0, "the worker answered some batches");
    assert.notDeepEqual(stale.outputs, alone.outputs);
    await pool.sync(params);
    const both = await evaluate(params, model, records, items, curriculum, ids, tokenizer, {
      ...options,
      lanes: counted,
    });
    assert.deepEqual(both.outputs, alone.outputs);
    assert.equal(both.accuracy, alone.accuracy);
    assert.equal(both.thoughts, alone.thoughts);
    assert.deepEqual(both.byHops, alone.byHops);
  } finally {
    pool.close();
    disposeParams(params);
    disposeParams(other);
  }
});

Deno.test("GradientPool: weights of another layout are refused by name, and no later shard is computed on the old ones", async () => {
  const ids = specialIds(tokenizer);
  const rng = new Rng(3);
  const examples = trainItems.slice(0, 2).map((it) =>
    buildExample(tokenizeRecord(tokenizer, it), 1, curriculum, ids, rng)
  );
  const params = initParams(model, { seed: 0 });
  const pool = await GradientPool.start(2, model, params, { backend: "cpu" });
  // Weights of another shape for one tensor: the workers cannot take them.
  const wrong = { ...params, "wpe.weight": tf.zeros([3, model.n_embd]) as typeof params["wpe.weight"] };
  const before = tf.memory().numTensors;
  try {
    await assert.rejects(pool.sync(wrong), /weight wpe\.weight is \[3,24\], the pool holds \[\d+,24\]/);
    const shards = [collate(examples.slice(0, 1), ids.eos), collate(examples.slice(1), ids.eos)];
    // …and every later step: the workers still hold the old weights.
    await assert.rejects(pool.step(params, shards, 0), /the workers keep the old weights/);
    assert.equal(tf.memory().numTensors, before, "nothing left behind");
  } finally {
    pool.close();
    wrong["wpe.weight"].dispose();
    disposeParams(params);
  }
});

Deno.test("GradientPool: a shard that fails on a worker fails the step with the worker's error, and every later one", async () => {
  const ids = specialIds(tokenizer);
  const rng = new Rng(8);
  const examples = trainItems.slice(0, 2).map((it) =>
    buildExample(tokenizeRecord(tokenizer, it), 0, curriculum, ids, rng)
  );
  const params = initParams(model, { seed: 0 });
  const pool = await GradientPool.start(2, model, params, { backend: "cpu" });
  const good = collate(examples.slice(0, 1), ids.eos);
  // The worker's shard has a token id past the vocabulary: its embedding lookup throws there.
  const bad = collate(
    [{ ...examples[1], ids: examples[1].ids.map((t, i) => i === 2 ? model.vocab_size + 5 : t) }],
    ids.eos,
  );
  const before = tf.memory().numTensors;
  try {
    await assert.rejects(pool.step(params, [good, bad], 0), /training worker 1: .*not in \[0, /);
    assert.equal(tf.memory().numTensors, before, "the main thread's shard is freed");
    await assert.rejects(pool.step(params, [good, good], 1), /training worker 1: .*not in \[0, /);
    await assert.rejects(pool.sync(params), /training worker 1: .*not in \[0, /);
  } finally {
    pool.close();
    disposeParams(params);
  }
});

Deno.test("GradientPool: shards handed over before an update are computed with its weights, as a step after it would be", async () => {
  const ids = specialIds(tokenizer);
  const rng = new Rng(6);
  const examples = trainItems.slice(0, 4).map((it) =>
    buildExample(tokenizeRecord(tokenizer, it), 1, curriculum, ids, rng)
  );
  const shards = [collate(examples.slice(0, 2), ids.eos), collate(examples.slice(2), ids.eos)];
  const params = initParams(model, { seed: 0 });
  const updated = initParams(model, { seed: 1 });
  const readAll = async (g: Record<string, tf.Tensor>) =>
    Object.fromEntries(await Promise.all(Object.entries(g).map(async ([k, t]) => [k, Array.from(await t.data())])));
  // The reference: a pool that is synced to the new weights, then steps.
  const plain = await GradientPool.start(2, model, params, { backend: "cpu" });
  const prepared = await GradientPool.start(2, model, params, { backend: "cpu" });
  try {
    await plain.sync(updated);
    const a = await plain.step(updated, shards, 9);
    // Handed over first, then the update: the worker waits for the new weights.
    prepared.prepare(shards, 9, { afterSync: true });
    await new Promise((resolve) => setTimeout(resolve, 300)); // the worker has the shard by now, and must wait
    await prepared.sync(updated);
    const b = await prepared.step(updated, shards, 9);
    assert.equal(b.loss, a.loss);
    assert.deepEqual(await readAll(b.grads), await readAll(a.grads));
    // Handed over without an update coming: computed with the weights it holds.
    prepared.prepare(shards, 9, { afterSync: false });
    const c = await prepared.step(updated, shards, 9);
    assert.equal(c.loss, a.loss);
    // A step must be given what was handed over; a sync may not come between shards of the current weights.
    prepared.prepare(shards, 9, { afterSync: false });
    await assert.rejects(prepared.sync(updated), /still computing with the current weights/);
    await assert.rejects(prepared.step(updated, shards, 10), /not the shards and seed handed over/);
    tf.dispose([...Object.values(a.grads), ...Object.values(b.grads), ...Object.values(c.grads)]);
  } finally {
    plain.close();
    prepared.close();
    disposeParams(params);
    disposeParams(updated);
  }
});

Deno.test("shardLoss: with a head worth pruning, the loss and gradients of the head over every row", async () => {
  const { causalLmLoss } = await import("@copra/model");
  const { latentForward } = await import("@copra/infer");
  const { headAtLabels } = await import("./mod.ts");
  // The same model with room for a large vocabulary: the head is most of a row's products, so shardLoss prunes.
  const big = { ...model, vocab_size: 2000 };
  assert.equal(headAtLabels(big), true);
  const ids = specialIds(tokenizer);
  const rng = new Rng(4);
  const examples = trainItems.slice(0, 4).map((it) =>
    buildExample(tokenizeRecord(tokenizer, it), 2, curriculum, ids, rng)
  );
  const params = { ...initParams(big, { seed: 1 }), ...initSwitch(big) };
  const batch = collate(examples, ids.eos);
  const tensors = batchTensors(batch);
  const pruned = valueAndGrads(params, () => shardLoss(params, big, batch, tensors, { lm: 1, stop: 1 }, 0.5, 7));
  const full = valueAndGrads(params, () => {
    const out = latentForward(params, big, tensors, { training: { seed: 7 }, thoughts: true });
    const stop = switchLoss(switchLogits(params, out.thoughts!), batch.stopLabels!);
    return tf.add(causalLmLoss(out.logits, tensors.labels, tensors.weights), tf.mul(stop, 0.5)) as tf.Scalar;
  });
  await close(pruned.value, full.value, "loss");
  for (const name of Object.keys(full.grads)) await close(pruned.grads[name], full.grads[name], name);
  tf.dispose([pruned.value, full.value, ...Object.values(pruned.grads), ...Object.values(full.grads)]);
  disposeParams(params);
});

Deno.test("balancedShards: every item once, in its order; the largest shard's padded tokens as few as any split allows", () => {
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const cost = (shards: number[][]) => Math.max(...shards.map((s) => s.length * Math.max(...s)));
  for (let trial = 0; trial < 300; trial++) {
    const N = 1 + Math.floor(next() * 7), n = 1 + Math.floor(next() * 3);
    const lengths = Array.from({ length: N }, () => 1 + Math.floor(next() * 9));
    const items = lengths.map((length, index) => ({ length, index }));
    const shards = balancedShards(items, n, (x) => x.length);
    assert.equal(shards.length, Math.min(n, N));
    assert.ok(shards.every((s) => s.length > 0 && s.every((x, i) => i === 0 || s[i - 1].index < x.index)));
    assert.deepEqual(shards.flat().map((x) => x.index).sort((a, b) => a - b), lengths.map((_, i) => i));
    // the best over every assignment of the items to min(n, N) non-empty shards
    const m = Math.min(n, N);
    let bestCost = Infinity;
    for (let code = 0; code < m ** N; code++) {
      const groups: number[][] = Array.from({ length: m }, () => []);
      for (let i = 0, c = code; i < N; i++, c = Math.floor(c / m)) groups[c % m].push(lengths[i]);
      if (groups.every((g) => g.length > 0)) bestCost = Math.min(bestCost, cost(groups));
    }
    assert.equal(cost(shards.map((s) => s.map((x) => x.length))), bestCost, `lengths ${lengths}, ${n} shards`);
  }
  assert.deepEqual(balancedShards([], 2, () => 1), []);
});

Deno.test("GradientPool: a shard without thoughts has no switch gradient; the other shard's is kept, either way round", async () => {
  const ids = specialIds(tokenizer);
  const rng = new Rng(4);
  const record = (i: number) => tokenizeRecord(tokenizer, trainItems[i]);
  const plain = [0, 1].map((i) => buildExample(record(i), 0, curriculum, ids, rng)); // stage 0: no thoughts
  const thinking = [2, 3].map((i) => buildExample(record(i), 2, curriculum, ids, rng));
  const params = { ...initParams(model, { seed: 0 }), ...initSwitch(model) };
  const pool = await GradientPool.start(2, model, params, { backend: "cpu", switchWeight: 0.5 });
  try {
    for (const [first, second] of [[plain, thinking], [thinking, plain]]) {
      const whole = collate([...first, ...second], ids.eos);
      const tensors = batchTensors(whole);
      const single = valueAndGrads(params, () => shardLoss(params, model, whole, tensors, { lm: 1, stop: 1 }, 0.5, 7));
      const { grads } = await pool.step(params, [collate(first, ids.eos), collate(second, ids.eos)], 7);
      assert.deepEqual(Object.keys(grads).sort(), Object.keys(single.grads).sort());
      for (const name of ["coconut_switch.weight", "coconut_switch.bias", "wte.weight"]) {
        await close(grads[name], single.grads[name], name);
      }
      tf.dispose([
        single.value,
        ...Object.values(single.grads),
        ...Object.values(grads),
        ...Object.values(tensors).filter((t) => t instanceof tf.Tensor),
      ]);
    }
  } finally {
    pool.close();
    disposeParams(params);
  }
});

Deno.test("addGradients: the sum over every name either record has, new tensors, the inputs left alone", async () => {
  const a = { w: tf.tensor1d([1, 2]), only_a: tf.tensor1d([7]) };
  const b = { w: tf.tensor1d([3, 4]), only_b: tf.tensor2d([[5, 6]]) };
  const start = tf.memory().numTensors;
  const sum = addGradients(a, b);
  assert.deepEqual(Object.keys(sum).sort(), ["only_a", "only_b", "w"]);
  assert.deepEqual(await sum.w.data(), new Float32Array([4, 6]));
  assert.deepEqual(await sum.only_a.data(), new Float32Array([7]));
  assert.deepEqual(sum.only_b.shape, [1, 2]);
  tf.dispose([...Object.values(a), ...Object.values(b)]);
  assert.deepEqual(await sum.only_b.data(), new Float32Array([5, 6]), "the sum outlives its inputs");
  assert.equal(tf.memory().numTensors, start + 3 - 4);
  tf.dispose(Object.values(sum));
});
