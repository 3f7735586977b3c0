import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { causalLmLoss, gpt2Config, type GPT2Params, initParams, useBackend, valueAndGrads } from "@copra/model";
import { type LatentBatch, latentForward, latentForwardNoCache } from "./mod.ts";

const LAT = 30;
const config = gpt2Config("nano", { vocab_size: 32, n_positions: 32, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 });

/** Rows with 3, 1 and 0 thoughts; the first two aligned at column 4 (row 1 left-padded by one). */
function batch(): LatentBatch & { labels: tf.Tensor2D } {
  const rows = [
    [5, 6, 7, 1, LAT, LAT, LAT, 2, 8, 9, 10],
    [0, 5, 6, 1, LAT, 2, 11, 12, 13, 0, 0],
    [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0],
  ];
  const mask = [
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    [0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
  ];
  const pos = mask.map((m) => {
    let p = 0;
    return m.map((x) => (x ? p++ : 0));
  });
  const labels = rows.map((r, i) => r.map((t, j) => (mask[i][j] && j >= 7 ? t : -100)));
  return {
    ids: tf.tensor2d(rows, undefined, "int32"),
    attentionMask: tf.tensor2d(mask, undefined, "int32"),
    positionIds: tf.tensor2d(pos, undefined, "int32"),
    latentPositions: [[4, 5, 6], [4], []],
    labels: tf.tensor2d(labels, undefined, "int32"),
  };
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`${backend}: cached multi-pass forward equals the cache-free one (≤1e-5), rows with 3, 1 and 0 thoughts`, async () => {
    await useBackend(backend);
    const params = initParams(config, { seed: 4 });
    const b = batch();
    const cached = latentForward(params, config, b, { thoughts: true });
    const reference = latentForwardNoCache(params, config, b);
    const a = await cached.logits.data(), c = await reference.logits.data();
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - c[i]));
    assert.ok(worst <= 1e-5, `max |Δ| = ${worst}`);
    // The thoughts it returns (for the switch's loss) are the ones the reference fed, slot by slot.
    assert.deepEqual(cached.thoughts!.shape, reference.thoughts.shape);
    const t = await cached.thoughts!.data(), u = await reference.thoughts.data();
    assert.ok(t.every((x, i) => Math.abs(x - u[i]) <= 1e-5));
  });
}

Deno.test("thoughts are fed back: changing a thought's source changes what follows, not what precedes", async () => {
  await useBackend("cpu");
  const params = initParams(config, { seed: 4 });
  const b = batch();
  const base = await latentForward(params, config, b).logits.array() as number[][][];
  // Same ids, but the slots are read as plain tokens (no feedback): the outputs from the first slot on differ.
  const plain = await latentForward(params, config, { ...b, latentPositions: [[], [], []] }).logits
    .array() as number[][][];
  const diff = (t: number) => Math.max(...base[0][t].map((x, v) => Math.abs(x - plain[0][t][v])));
  assert.ok(diff(3) < 1e-5, "positions before the thoughts are unchanged");
  assert.ok(diff(4) > 1e-4 && diff(8) > 1e-4, "the thoughts and what follows depend on the fed-back states");
  // Row 2 has no thoughts: identical either way.
  assert.ok(Math.max(...base[2].flat().map((x, i) => Math.abs(x - plain[2].flat()[i]))) < 1e-5);
});

Deno.test("finite differences agree with the gradient through two thoughts", async () => {
  await useBackend("cpu");
  const params = initParams(config, { seed: 7 });
  const b = { ...batch(), latentPositions: [[4, 5], [4], []] };
  // Two thoughts in row 0: make slot 6 an ordinary token.
  const ids = (await b.ids.array()) as number[][];
  ids[0][6] = 3;
  const data = { ...b, ids: tf.tensor2d(ids, undefined, "int32") };
  const loss = (p: GPT2Params) => causalLmLoss(latentForward(p, config, data).logits, b.labels);
  const { grads } = valueAndGrads(params, () => loss(params));
  const lossAt = async () => (await loss(params).data())[0];
  for (
    const [name, index] of [["h.0.attn.c_attn.weight", 5], ["h.2.mlp.c_fc.weight", 100], ["ln_f.weight", 3], [
      "wpe.weight",
      4 * 48 + 1,
    ]] as const
  ) {
    const p = params[name];
    const values = (await p.data()).slice() as Float32Array;
    const eps = 1e-2;
    const at = async (delta: number) => {
      const v = values.slice();
      v[index] += delta;
      p.assign(tf.tensor(v, p.shape));
      return await lossAt();
    };
    const numeric = ((await at(eps)) - (await at(-eps))) / (2 * eps);
    p.assign(tf.tensor(values, p.shape));
    const analytic = (await grads[name].data())[index];
    const scale = Math.max(Math.abs(numeric), Math.abs(analytic), 1e-3);
    assert.ok(
      Math.abs(numeric - analytic) / scale < 0.05,
      `${name}[${index}]: numeric ${numeric} vs autodiff ${analytic}`,
    );
  }
});

Deno.test("thoughtLoop continues from a past KV cache exactly as over the whole sequence", async () => {
  await useBackend("cpu");
  const { gpt2Forward, tokenEmbeddings } = await import("@copra/model");
  const { thoughtLoop } = await import("./mod.ts");
  const params = initParams(config, { seed: 6 });
  const a = [1, 2, 3, 4], b = [5, 6, 9, 9, 9, 7, 8]; // b: text, then 3 thought slots (9), then text
  const whole = [...a, ...b];
  const run = (ids: number[], slots: number[], past?: import("@copra/model").KVCache, offset = 0) => {
    const t = tf.tensor2d([ids], undefined, "int32");
    const loop = thoughtLoop(params, config, {
      embeds: tokenEmbeddings(params, t),
      attentionMask: tf.ones([1, offset + ids.length]) as tf.Tensor2D,
      positionIds: tf.tensor2d([ids.map((_, i) => offset + i)], undefined, "int32"),
      latentPositions: [slots],
      past,
    }, { logits: "last" });
    const thoughts: Float32Array[] = [];
    let step = loop.next();
    while (!step.done) {
      thoughts.push(step.value.dataSync() as Float32Array);
      step = loop.next();
    }
    return { thoughts, logits: step.value.logits.dataSync() };
  };
  const reference = run(whole, [6, 7, 8]);
  const prefix = gpt2Forward(params, config, {
    ids: tf.tensor2d([a], undefined, "int32"),
    positionIds: tf.tensor2d([[0, 1, 2, 3]], undefined, "int32"),
  });
  const continued = run(b, [2, 3, 4], prefix.cache, a.length);
  assert.equal(continued.thoughts.length, 3);
  for (let k = 0; k < 3; k++) {
    assert.ok(continued.thoughts[k].every((x, i) => Math.abs(x - reference.thoughts[k][i]) < 1e-5), `thought ${k}`);
  }
  assert.ok(continued.logits.every((x, i) => Math.abs(x - reference.logits[i]) < 1e-4));
  // A mask that does not cover the cached positions is refused.
  assert.throws(
    () =>
      thoughtLoop(params, config, {
        embeds: tokenEmbeddings(params, tf.tensor2d([b], undefined, "int32")),
        attentionMask: tf.ones([1, b.length]) as tf.Tensor2D,
        positionIds: tf.tensor2d([b.map((_, i) => i)], undefined, "int32"),
        latentPositions: [[2, 3, 4]],
        past: prefix.cache,
      }, { logits: "last" }).next(),
    /attentionMask: must cover the 4 cached and 7 new positions/,
  );
});

Deno.test("thoughtLoop with release: slots at the prompt's end (no position after them), nothing left behind", async () => {
  await useBackend("cpu");
  const { thoughtLoop } = await import("./mod.ts");
  const { tokenEmbeddings } = await import("@copra/model");
  const params = initParams(config, { seed: 3 });
  const ids = tf.tensor2d([[5, 6, 1, LAT, LAT]], undefined, "int32"); // two slots, the last position a slot
  const mask = tf.onesLike(ids) as tf.Tensor2D;
  const positions = tf.tensor2d([[0, 1, 2, 3, 4]], undefined, "int32");
  const embeds = tokenEmbeddings(params, ids);
  const before = tf.memory().numTensors;
  const loop = thoughtLoop(params, config, {
    embeds,
    attentionMask: mask,
    positionIds: positions,
    latentPositions: [[3, 4]],
  }, { logits: "last", release: true });
  let step = loop.next(), thoughts = 0;
  for (; !step.done; step = loop.next()) thoughts++;
  assert.equal(thoughts, 2);
  assert.deepEqual(step.value.logits.shape, [1, 1, 32]);
  tf.dispose([step.value.logits, step.value.hidden, ...step.value.cache.flatMap((c) => [c.k, c.v])]);
  assert.equal(tf.memory().numTensors, before, "every pass's tensors and the embeddings' pieces freed");
  const again = tokenEmbeddings(params, ids);
  assert.deepEqual(await embeds.array(), await again.array(), "the caller's embeddings kept");
  tf.dispose([ids, mask, positions, embeds, again, ...Object.values(params)]);
});

Deno.test("wasm: the loss and gradients through the thought loop equal the cpu backend's (rows with 3, 1, 0 thoughts)", async () => {
  const run = async (backend: "cpu" | "wasm") => {
    await useBackend(backend);
    const params = initParams(config, { seed: 11 });
    const b = batch();
    const { value, grads } = valueAndGrads(
      params,
      () => causalLmLoss(latentForward(params, config, b).logits, b.labels),
    );
    const out = await Promise.all([value, ...Object.values(grads)].map((t) => t.data() as Promise<Float32Array>));
    tf.dispose([value, ...Object.values(grads), ...Object.values(params)]);
    return out;
  };
  const cpu = await run("cpu"), wasm = await run("wasm");
  assert.equal(cpu.length, wasm.length);
  cpu.forEach((c, i) => {
    const scale = Math.max(1e-3, ...c.map(Math.abs));
    assert.ok(c.every((x, j) => Math.abs(x - wasm[i][j]) / scale < 1e-3), `tensor ${i} differs`);
  });
});
