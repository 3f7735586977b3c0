import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  countParams,
  disposeParams,
  type ForwardOutput,
  gpt2Config,
  gpt2Forward,
  initParams,
  type KVCache,
  ModelError,
  resizeVocab,
  tokenEmbeddings,
  useBackend,
} from "./mod.ts";
import { maxAbsDiff } from "./testdata/fixtures.ts";

const config = gpt2Config("nano", { vocab_size: 40, n_positions: 32 });
const int2d = (rows: number[][]) => tf.tensor2d(rows, undefined, "int32");
const release = (out: ForwardOutput) =>
  tf.dispose([out.hidden, ...(out.logits ? [out.logits] : []), ...flat(out.cache)]);
const flat = (cache: KVCache) => cache.flatMap((c) => [c.k, c.v]);

const rotary = gpt2Config("nano", { vocab_size: 40, n_positions: 32, position_embedding_type: "rotary" });

for (const [backend, c] of [["cpu", config], ["wasm", config], ["wasm", rotary]] as const) {
  const config = c;
  Deno.test(`${backend}, ${config.position_embedding_type} positions: prefix then one token at a time through the cache equals the full forward (≤1e-5)`, async () => {
    await useBackend(backend);
    const params = initParams(config, { seed: 11 });
    const rows = [[3, 1, 4, 1, 5, 9, 2, 6, 5, 3], [2, 7, 1, 8, 2, 8, 1, 8, 2, 8]];
    const full = gpt2Forward(params, config, { ids: int2d(rows) });
    const fullLogits = await full.logits!.data(), fullHidden = await full.hidden.data();
    const [B, T, V] = full.logits!.shape, C = config.n_embd;
    let step = gpt2Forward(params, config, { ids: int2d(rows.map((r) => r.slice(0, 4))) });
    for (let t = 4; t < T; t++) {
      const next = gpt2Forward(params, config, { ids: int2d(rows.map((r) => [r[t]])), cache: step.cache });
      release(step);
      step = next;
      const logits = await step.logits!.data(), hidden = await step.hidden.data();
      for (let b = 0; b < B; b++) {
        const at = (b * T + t) * V;
        assert.ok(maxAbsDiff(logits.subarray(b * V, (b + 1) * V), fullLogits.subarray(at, at + V)) <= 1e-5, `t=${t}`);
        const h = (b * T + t) * C;
        assert.ok(maxAbsDiff(hidden.subarray(b * C, (b + 1) * C), fullHidden.subarray(h, h + C)) <= 1e-5);
      }
    }
    assert.equal(step.cache[0].k.shape[2], T);
    release(step);
    release(full);
    disposeParams(params);
  });
}

Deno.test("input embeddings equal to wte[ids] give the same outputs as the ids", async () => {
  await useBackend("cpu");
  const params = initParams(config, { seed: 2 });
  const ids = int2d([[5, 6, 7, 8]]);
  const a = gpt2Forward(params, config, { ids });
  const b = gpt2Forward(params, config, { embeds: tokenEmbeddings(params, ids) });
  assert.equal(maxAbsDiff(await a.logits!.data(), await b.logits!.data()), 0);
  assert.equal(maxAbsDiff(await a.hidden.data(), await b.hidden.data()), 0);
  release(a);
  release(b);
  disposeParams(params);
});

for (const config of [gpt2Config("nano", { vocab_size: 40, n_positions: 32 }), rotary]) {
  Deno.test(`${config.position_embedding_type} positions: a left-padded row equals the same row unpadded, at its real positions`, async () => {
    await useBackend("cpu");
    const params = initParams(config, { seed: 5 });
    const alone = gpt2Forward(params, config, { ids: int2d([[9, 8, 7]]) });
    const padded = gpt2Forward(params, config, {
      ids: int2d([[1, 2, 3, 4, 5], [0, 0, 9, 8, 7]]),
      attentionMask: int2d([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]]),
      positionIds: int2d([[0, 1, 2, 3, 4], [0, 0, 0, 1, 2]]),
    });
    const V = config.vocab_size;
    const row = (await padded.logits!.data()).subarray(5 * V + 2 * V, 10 * V);
    assert.ok(maxAbsDiff(row, await alone.logits!.data()) <= 1e-5);
    release(alone);
    release(padded);
    disposeParams(params);
  });
}

Deno.test("rotary positions: no wpe; shifting every position by the same offset leaves the outputs unchanged", async () => {
  await useBackend("cpu");
  assert.equal(initParams(rotary)["wpe.weight"], undefined);
  assert.equal(countParams(rotary), countParams(config) - 32 * 48);
  const run = async (c: typeof config, shift: number) => {
    const params = initParams(c, { seed: 4 });
    const out = gpt2Forward(params, c, {
      ids: int2d([[3, 1, 4, 1, 5]]),
      positionIds: int2d([[0, 1, 2, 3, 4].map((p) => p + shift)]),
    });
    const logits = await out.logits!.data();
    release(out);
    disposeParams(params);
    return logits;
  };
  assert.ok(maxAbsDiff(await run(rotary, 0), await run(rotary, 7)) <= 1e-5); // relative positions only
  assert.ok(maxAbsDiff(await run(config, 0), await run(config, 7)) > 1e-3); // learned absolute positions do move
  assert.ok(maxAbsDiff(await run(rotary, 0), await run({ ...rotary, rope_theta: 100 }, 0)) > 1e-4);
});

Deno.test("logits: 'last' is the last row of 'all'; 'none' computes no logits", async () => {
  await useBackend("cpu");
  const params = initParams(config, { seed: 1 });
  const ids = int2d([[1, 2, 3], [4, 5, 6]]);
  const all = gpt2Forward(params, config, { ids });
  const last = gpt2Forward(params, config, { ids, logits: "last" });
  const none = gpt2Forward(params, config, { ids, logits: "none" });
  assert.deepEqual(last.logits!.shape, [2, 1, 40]);
  const expected = await tf.slice(all.logits!, [0, 2, 0], [2, 1, 40]).data();
  assert.ok(maxAbsDiff(await last.logits!.data(), expected) <= 1e-6);
  assert.equal(none.logits, undefined);
  [all, last, none].forEach(release);
  disposeParams(params);
});

Deno.test("dropout: only in training, reproducible by seed", async () => {
  await useBackend("cpu");
  const params = initParams(config, { seed: 1 });
  const ids = int2d([[1, 2, 3, 4, 5, 6]]);
  const run = async (training?: { seed: number }) => {
    const out = gpt2Forward(params, config, { ids, training });
    const values = await out.logits!.data();
    release(out);
    return values;
  };
  const evalA = await run(), evalB = await run();
  const s1 = await run({ seed: 1 }), s1again = await run({ seed: 1 }), s2 = await run({ seed: 2 });
  assert.equal(maxAbsDiff(evalA, evalB), 0);
  assert.equal(maxAbsDiff(s1, s1again), 0);
  assert.ok(maxAbsDiff(s1, s2) > 1e-3, "different seeds drop different units");
  assert.ok(maxAbsDiff(s1, evalA) > 1e-3, "training mode drops units");
  const noDrop = gpt2Config("nano", { vocab_size: 40, n_positions: 32, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 });
  const out = gpt2Forward(params, noDrop, { ids, training: { seed: 1 } });
  assert.equal(maxAbsDiff(await out.logits!.data(), evalA), 0);
  release(out);
  disposeParams(params);
});

Deno.test("bad inputs are refused with the field at fault", async () => {
  await useBackend("cpu");
  const params = initParams(config);
  const field = (name: string) => (e: unknown) => e instanceof ModelError && e.field === name;
  assert.throws(() => gpt2Forward(params, config, {}), field("ids/embeds"));
  assert.throws(() => gpt2Forward(params, config, { ids: tf.tensor2d([[1.5]]) as tf.Tensor2D }), field("ids"));
  assert.throws(() => gpt2Forward(params, config, { embeds: tf.zeros([1, 2, 7]) as tf.Tensor3D }), field("embeds"));
  assert.throws(() => gpt2Forward(params, config, { ids: int2d([new Array(33).fill(1)]) }), field("ids/embeds"));
  assert.throws(
    () => gpt2Forward(params, config, { ids: int2d([[1, 2]]), attentionMask: int2d([[1, 1, 1]]) }),
    field("attentionMask"),
  );
  assert.throws(
    () => gpt2Forward(params, config, { ids: int2d([[1, 2]]), positionIds: int2d([[0, 1], [0, 1]]) }),
    field("positionIds"),
  );
  disposeParams(params);
});

Deno.test("resizeVocab adds rows copied from the chosen token; ids of the new tokens work", async () => {
  await useBackend("cpu");
  const params = initParams(config, { seed: 4 });
  const bigger = resizeVocab(params, config, 43, { initFrom: 7 });
  const out = gpt2Forward(params, bigger, { ids: int2d([[40, 41, 42, 7]]) });
  const logits = await out.logits!.data();
  assert.equal(out.logits!.shape[2], 43);
  // The new tokens share token 7's embedding, so at position 0 the model cannot tell 40 from 7.
  const first = await gpt2Forward(params, bigger, { ids: int2d([[7]]) }).logits!.data();
  assert.ok(maxAbsDiff(logits.subarray(0, 43), first) <= 1e-6);
  assert.throws(() => resizeVocab(params, bigger, 42, { initFrom: 0 }), /at least the current vocabulary size 43/);
  assert.throws(() => resizeVocab(params, bigger, 50, { initFrom: 43 }), /token id below 43/);
  release(out);
  disposeParams(params);
});

Deno.test("a given attention bias and rotary tables are used: the whole sequence's cut equals its own; another differs", async () => {
  await useBackend("cpu");
  const { attentionBias, rotaryTables } = await import("./mod.ts");
  const rotary = gpt2Config("nano", { vocab_size: 40, n_positions: 32, position_embedding_type: "rotary" });
  const params = initParams(rotary, { seed: 5 });
  const ids = int2d([[3, 4, 5, 6, 7], [0, 8, 9, 10, 11]]), mask = int2d([[1, 1, 1, 1, 1], [0, 1, 1, 1, 1]]);
  const positions = int2d([[0, 1, 2, 3, 4], [0, 0, 1, 2, 3]]);
  const whole = { bias: attentionBias(2, 5, 0, mask), tables: rotaryTables(positions, 16, rotary.rope_theta) };
  // positions 2..4 after a cache of 0..1, with the whole sequence's cuts
  const first = gpt2Forward(params, rotary, {
    ids: tf.slice(ids, [0, 0], [2, 2]) as tf.Tensor2D,
    attentionMask: tf.slice(mask, [0, 0], [2, 2]) as tf.Tensor2D,
    positionIds: tf.slice(positions, [0, 0], [2, 2]) as tf.Tensor2D,
  });
  const input = {
    ids: tf.slice(ids, [0, 2], [2, 3]) as tf.Tensor2D,
    attentionMask: mask,
    positionIds: tf.slice(positions, [0, 2], [2, 3]) as tf.Tensor2D,
    cache: first.cache,
  };
  const cut = (t: tf.Tensor4D) => tf.slice(t, [0, 0, 2, 0], [t.shape[0], 1, 3, t.shape[3]]) as tf.Tensor4D;
  const own = gpt2Forward(params, rotary, input);
  const given = gpt2Forward(params, rotary, {
    ...input,
    attentionBias: cut(whole.bias),
    rotary: { ...whole.tables, cos: cut(whole.tables.cos), sin: cut(whole.tables.sin) },
  });
  assert.deepEqual(await given.logits!.array(), await own.logits!.array());
  // a bias that hides every key but the first, and tables of other positions: other outputs
  const onlyFirst = tf.tensor4d(Array.from({ length: 2 * 3 * 5 }, (_, i) => (i % 5 === 0 ? 0 : -1e9)), [2, 1, 3, 5]);
  const hidden = gpt2Forward(params, rotary, { ...input, attentionBias: onlyFirst });
  assert.ok(maxAbsDiff(await hidden.logits!.data(), await own.logits!.data()) > 1e-3, "the given bias is used");
  const shifted = rotaryTables(tf.add(input.positionIds, 7) as tf.Tensor2D, 16, rotary.rope_theta);
  const moved = gpt2Forward(params, rotary, { ...input, rotary: shifted });
  // (the cached keys keep their rotation: the new positions' distance to them changes; the effect is small at init)
  assert.ok(maxAbsDiff(await moved.logits!.data(), await own.logits!.data()) > 1e-4, "the given tables are used");
  // shapes and model kinds checked, by field
  assert.throws(
    () => gpt2Forward(params, rotary, { ...input, attentionBias: whole.bias }),
    (e: unknown) =>
      e instanceof ModelError && /attentionBias/.test(e.message) && /of shape \(2 or 1,1,3,5\)/.test(e.message),
  );
  assert.throws(
    () => gpt2Forward(params, rotary, { ...input, attentionBias: tf.cast(cut(whole.bias), "int32") as tf.Tensor4D }),
    (e: unknown) => e instanceof ModelError && /attentionBias/.test(e.message) && /float32/.test(e.message),
  );
  assert.throws(
    () => gpt2Forward(params, rotary, { ...input, rotary: whole.tables }),
    (e: unknown) => e instanceof ModelError && /rotary\.cos/.test(e.message),
  );
  const absolute = initParams(config, { seed: 5 });
  assert.throws(
    () => gpt2Forward(absolute, config, { ids: input.ids, rotary: shifted }),
    (e: unknown) => e instanceof ModelError && /rotary/.test(e.message) && /not rotary/.test(e.message),
  );
});
