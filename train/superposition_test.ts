import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { buildPrompt, curriculumConfig, specialIds, tokenizeRecord } from "@copra/curriculum";
import { generateSymbolic } from "@copra/data";
import { latentForwardNoCache } from "@copra/infer";
import { disposeParams, gpt2Config, initParams, useBackend } from "@copra/model";
import { buildTokenizer, distancesFrom, superposition } from "./mod.ts";

Deno.test("superposition: each thought's frontier mass equals the probe's softmax summed over the generator's frontier", async () => {
  await useBackend("cpu");
  const items = generateSymbolic({ n: 5, seed: 8, nodes: [10, 12], hops: [2, 4] });
  const curriculum = curriculumConfig({ method: "coconut", maxLatentStage: 4 });
  const tok = buildTokenizer(items, [], { addPrefixSpace: true });
  const ids = specialIds(tok);
  // Large weights: thoughts differ from one another and put real mass on node tokens.
  const config = gpt2Config("nano", {
    vocab_size: tok.vocabSize,
    n_positions: 128,
    n_layer: 1,
    n_embd: 24,
    n_head: 2,
    initializer_range: 0.4,
  });
  const params = initParams(config, { seed: 2 });
  const records = items.map((it) => tokenizeRecord(tok, it));
  const { profile, items: pictures } = await superposition(params, config, records, items, curriculum, ids, tok, {
    batchSize: 2,
  });
  assert.deepEqual(
    profile.map((p) => p.items),
    [5, 5, ...[3, 4].map((k) => items.filter((it) => it.steps.length >= k).length)].slice(0, profile.length),
  );
  for (const [i, item] of items.entries()) {
    // The reference: thoughts of the cache-free loop, softmax through the head, summed over item.frontiers[k+1].
    const prompt = buildPrompt(records[i], curriculum, ids, item.steps.length);
    const batch = {
      ids: tf.tensor2d([prompt.ids], undefined, "int32"),
      attentionMask: tf.ones([1, prompt.ids.length]) as tf.Tensor2D,
      positionIds: tf.tensor2d([prompt.positionIds], undefined, "int32"),
      latentPositions: [prompt.latentPositions],
    };
    const ref = latentForwardNoCache(params, config, batch);
    const probs = await tf.softmax(
      tf.matMul(tf.reshape(ref.thoughts, [-1, config.n_embd]), params["wte.weight"], false, true),
    ).array() as number[][];
    assert.equal(pictures[i].mass.length, item.steps.length);
    for (let k = 0; k < item.steps.length; k++) {
      const frontier = item.frontiers[k + 1].reduce((s, v) => s + probs[k][tok.encode(`${v}\n`)[0]], 0);
      assert.ok(
        Math.abs(pictures[i].mass[k].frontier - frontier) < 1e-5,
        `item ${i} thought ${k}: ${pictures[i].mass[k].frontier} vs ${frontier}; ${JSON.stringify(item.frontiers)} ${
          JSON.stringify(item.edges)
        } root ${item.root}`,
      );
      const m = pictures[i].mass[k];
      assert.ok(Math.abs(m.frontier + m.later + m.earlier + m.unreachable + m.other - 1) < 1e-5);
      // The negative option is never reachable: its mass counts as unreachable.
      assert.ok(m.unreachable >= pictures[i].nodes[k].get(item.neg_target)! - 1e-9);
    }
    tf.dispose([batch.ids, batch.attentionMask, batch.positionIds, ref.logits, ref.thoughts]);
  }
  // The picture is not trivial: some mass on frontier nodes, some on unreachable ones.
  assert.ok(profile[0].frontier > 0 && profile[0].unreachable > 0);
  // Two thoughts per step: thoughts 2j and 2j+1 both stand in for step j (frontier j+1).
  const c2 = curriculumConfig({ method: "coconut", maxLatentStage: 4, thoughtsPerStep: 2 });
  const paired = await superposition(params, config, records.slice(0, 2), items, c2, ids, tok, { thoughts: 4 });
  for (const [i, picture] of paired.items.entries()) {
    assert.equal(picture.mass.length, 4);
    for (let k = 0; k < 4; k++) {
      const frontier = items[i].frontiers[Math.floor(k / 2) + 1] ?? [];
      const expected = frontier.reduce((sum, v) => sum + picture.nodes[k].get(v)!, 0);
      assert.ok(Math.abs(picture.mass[k].frontier - expected) < 1e-6, `c = 2, item ${i}, thought ${k}`);
    }
  }
  // A vocabulary where a step's node is not the question's token is refused, by node.
  const plain = buildTokenizer(items);
  await assert.rejects(
    () =>
      superposition(
        params,
        config,
        items.map((it) => tokenizeRecord(plain, it)),
        items,
        curriculum,
        specialIds(plain),
        plain,
      ),
    /superposition: item \d+: node \d+: has no token of its own/,
  );
  disposeParams(params);
  // Distances: a hand-drawn graph.
  assert.deepEqual(
    Object.fromEntries(distancesFrom(5, [[5, 1], [1, 2], [5, 3], [3, 2], [2, 4], [7, 5]])),
    { 5: 0, 1: 1, 3: 1, 2: 2, 4: 3 },
  );
});
