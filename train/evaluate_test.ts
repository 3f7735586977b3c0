import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { curriculumConfig, specialIds, tokenizeRecord } from "@copra/curriculum";
import { generateSymbolic } from "@copra/data";
import { disposeParams, initParams, useBackend } from "@copra/model";
import { buildTokenizer, evaluate, modelConfigFor } from "./mod.ts";

Deno.test("evaluate with thoughts 'hops': each item gets its own step count × c, outputs stay in item order", async () => {
  await useBackend("cpu");
  const items = generateSymbolic({ n: 8, seed: 2, nodes: [12, 14], hops: [3, 5] });
  const curriculum = curriculumConfig({ method: "coconut", thoughtsPerStep: 2, maxLatentStage: 6 });
  const tok = buildTokenizer(items);
  const config = modelConfigFor("nano", tok, items, curriculum, {
    n_layer: 1,
    n_embd: 24,
    n_head: 2,
    initializer_range: 0.5, // large weights: outputs differ from item to item, so an order mix-up shows
  });
  const params = initParams(config, { seed: 1 });
  const records = items.map((it) => tokenizeRecord(tok, it));
  const run = (thoughts: number | "hops", which = records, whichItems = items) =>
    evaluate(params, config, which, whichItems, curriculum, specialIds(tok), tok, {
      batchSize: 3,
      maxNewTokens: 3,
      thoughts,
    });
  const perItem = await run("hops");
  const hops = items.map((it) => it.steps.length);
  assert.ok(new Set(hops).size > 1, "the items differ in hop count");
  assert.ok(Math.abs(perItem.thoughts - (2 * hops.reduce((a, b) => a + b, 0)) / hops.length) < 1e-9);
  assert.ok(new Set(perItem.outputs).size > 2, `outputs differ: ${perItem.outputs}`);
  // Item i's output is what a run with exactly its thoughts gives.
  for (const [i, record] of records.entries()) {
    const alone = await run(2 * hops[i], [record], [items[i]]);
    assert.equal(perItem.outputs[i], alone.outputs[0], `item ${i}`);
  }
  disposeParams(params);
});

Deno.test("evaluate with thoughts 'auto' follows the switch up to maxThoughts; byHops splits items by hop count", async () => {
  await useBackend("cpu");
  const { initSwitch, isCorrect } = { ...(await import("@copra/model")), ...(await import("@copra/data")) };
  const items = generateSymbolic({ n: 9, seed: 4, nodes: [12, 14], hops: [3, 5] });
  const curriculum = curriculumConfig({ method: "coconut", maxLatentStage: 6 });
  const tok = buildTokenizer(items);
  const config = modelConfigFor("nano", tok, items, curriculum, { n_layer: 1, n_embd: 24, n_head: 2 });
  const params = { ...initParams(config, { seed: 1 }), ...initSwitch(config) };
  const records = items.map((it) => tokenizeRecord(tok, it));
  const run = (maxThoughts: number) =>
    evaluate(params, config, records, items, curriculum, specialIds(tok), tok, {
      batchSize: 4,
      maxNewTokens: 3,
      thoughts: "auto",
      maxThoughts,
    });
  params["coconut_switch.bias"].assign(tf.tensor1d([20])); // always "stop": one thought each
  assert.equal((await run(5)).thoughts, 1);
  params["coconut_switch.bias"].assign(tf.tensor1d([-20])); // never: the maximum
  const full = await run(5);
  assert.equal(full.thoughts, 5);
  const hops = items.map((it) => it.steps.length);
  assert.deepEqual(full.byHops.map((h) => h.hops), [...new Set(hops)].sort());
  assert.equal(full.byHops.reduce((n, h) => n + h.items, 0), items.length);
  for (const h of full.byHops) {
    const members = items.flatMap((it, i) => (it.steps.length === h.hops ? [i] : []));
    assert.equal(h.items, members.length);
    assert.equal(
      h.accuracy,
      members.filter((i) => isCorrect(full.outputs[i], items[i].answer)).length / members.length,
    );
    assert.equal(h.thoughts, 5);
  }
  disposeParams(params);
});
