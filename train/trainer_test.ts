import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { type CurriculumConfig, curriculumConfig } from "@copra/curriculum";
import { generateProsQA, PROSQA_CONCEPTS, PROSQA_PERSONS } from "@copra/data";
import { disposeParams } from "@copra/model";
import { buildTokenizer, latestCheckpoint, modelConfigFor, readCheckpoint, train, type TrainOptions } from "./mod.ts";

const small = { nodes: [6, 9] as [number, number], nodesMean: 7, minHops: 2, maxHops: 3 };

/** A tiny task (training items seed 1, held-out seed 2) and a 1-block model of width 24 for it. */
function tinyTask(nTrain: number, nValid: number, curriculum: CurriculumConfig) {
  const trainItems = generateProsQA({ n: nTrain, seed: 1, ...small });
  const validItems = generateProsQA({ n: nValid, seed: 2, ...small });
  const tokenizer = buildTokenizer([...trainItems, ...validItems], [...PROSQA_PERSONS, ...PROSQA_CONCEPTS]);
  const model = modelConfigFor("nano", tokenizer, trainItems, curriculum, { n_layer: 1, n_embd: 24, n_head: 2 });
  return { trainItems, validItems, tokenizer, model };
}

Deno.test("2 epochs straight == 1 epoch, stop, resume 1 epoch — bitwise on the cpu backend", async () => {
  const curriculum = curriculumConfig({ method: "coconut", maxLatentStage: 2, epochsPerStage: 1, uniformProb: 0.3 });
  const { trainItems, validItems, tokenizer, model } = tinyTask(6, 2, curriculum);
  const base = async (out: string, epochs: number, resume = false): Promise<TrainOptions> => ({
    curriculum,
    model,
    tokenizer,
    epochs,
    batchSize: 3,
    effectiveBatch: 6,
    lr: 3e-3,
    weightDecay: 0.01,
    clipNorm: 1,
    seed: 5,
    backend: "cpu",
    out: await out,
    resume,
    maxNewTokens: 4,
  });
  const straight = await train(trainItems, validItems, await base(await Deno.makeTempDir(), 2));
  const dir = await Deno.makeTempDir();
  const first = await train(trainItems, validItems, await base(dir, 1));
  disposeParams(first.params);
  const resumed = await train(trainItems, validItems, await base(dir, 2, true));
  for (const name of Object.keys(straight.params)) {
    assert.deepEqual(await resumed.params[name].data(), await straight.params[name].data(), name);
  }
  const strip = (m: typeof straight.metrics) => m.map(({ seconds: _s, tokensPerSecond: _t, ...rest }) => rest);
  assert.deepEqual(strip(resumed.metrics), strip(straight.metrics));
  assert.deepEqual((await latestCheckpoint(dir))?.epoch, 1);
  disposeParams(straight.params);
  disposeParams(resumed.params);
});

Deno.test("integration: a tiny Coconut run through two stages — loss falls, checkpoints round-trip", async () => {
  const trainItems = generateProsQA({ n: 64, seed: 3, ...small });
  const validItems = generateProsQA({ n: 8, seed: 4, ...small });
  const tokenizer = buildTokenizer([...trainItems, ...validItems]);
  const curriculum = curriculumConfig({ method: "coconut", maxLatentStage: 2, epochsPerStage: 2 });
  const model = modelConfigFor("nano", tokenizer, trainItems, curriculum);
  const out = await Deno.makeTempDir();
  const steps: { epoch: number; loss: number }[] = [];
  const { metrics, params } = await train(trainItems, validItems, {
    curriculum,
    model,
    tokenizer,
    epochs: 4,
    batchSize: 16,
    effectiveBatch: 16,
    lr: 3e-3,
    weightDecay: 0.01,
    clipNorm: 1,
    seed: 0,
    backend: "wasm",
    out,
    maxNewTokens: 24,
  }, (e) => void (e.type === "step" && steps.push({ epoch: e.epoch, loss: e.loss })));
  assert.deepEqual(metrics.map((m) => m.stage), [0, 0, 1, 1]);
  // Within each stage the loss falls: the stage's last epoch ends below where its first began.
  for (const stage of [0, 1]) {
    const inStage = steps.filter((s) => Math.floor(s.epoch / 2) === stage);
    assert.ok(inStage.at(-1)!.loss < inStage[0].loss, `stage ${stage}: ${inStage[0].loss} → ${inStage.at(-1)!.loss}`);
  }
  assert.ok(metrics[1].valLoss < metrics[0].valLoss && metrics[3].valLoss < metrics[2].valLoss);
  assert.deepEqual(metrics.map((m) => m.thoughts), [0, 0, 1, 1]);
  // Every epoch left a checkpoint; the last one holds exactly the final weights and the tokenizer.
  for (let e = 0; e < 4; e++) assert.ok((await Deno.stat(`${out}/checkpoint-${e}/model.safetensors`)).isFile);
  const saved = await readCheckpoint(`${out}/checkpoint-3`);
  for (const name of Object.keys(params)) assert.deepEqual(await saved.params[name].data(), await params[name].data());
  assert.deepEqual(saved.config, model);
  assert.equal(saved.tokenizer.vocabSize, tokenizer.vocabSize);
  assert.equal(saved.state.epoch, 3);
  const lines = (await Deno.readTextFile(`${out}/metrics.jsonl`)).trim().split("\n");
  assert.equal(lines.length, 4);
  disposeParams(params);
  disposeParams(saved.params);
});

Deno.test("firstEpoch: a run from given weights starts at that epoch's stage and numbers its epochs so", async () => {
  const curriculum = curriculumConfig({ method: "coconut", maxLatentStage: 2, epochsPerStage: 1 });
  const { trainItems, validItems, tokenizer, model } = tinyTask(6, 2, curriculum);
  const out = await Deno.makeTempDir();
  const options: TrainOptions = {
    curriculum,
    model,
    tokenizer,
    epochs: 3,
    firstEpoch: 1,
    batchSize: 3,
    effectiveBatch: 3,
    lr: 3e-3,
    weightDecay: 0,
    clipNorm: 1,
    seed: 5,
    backend: "cpu",
    out,
    maxNewTokens: 4,
  };
  const { metrics, params } = await train(trainItems, validItems, options);
  assert.deepEqual(metrics.map((m) => [m.epoch, m.stage, m.thoughts]), [[1, 1, 1], [2, 2, 2]]);
  assert.deepEqual((await latestCheckpoint(out))?.epoch, 2);
  disposeParams(params);
  await assert.rejects(() => train(trainItems, validItems, { ...options, firstEpoch: 3 }), /firstEpoch 3/);
});

Deno.test("cosine schedule: warm-up then a cosine to lr/10 over the run's updates, across epochs", async () => {
  const curriculum = curriculumConfig({ method: "cot", optimizerReset: "every-epoch" });
  const { trainItems, validItems, tokenizer, model } = tinyTask(6, 1, curriculum);
  const lrs: number[] = [];
  const { params } = await train(trainItems, validItems, {
    curriculum,
    model,
    tokenizer,
    epochs: 2,
    batchSize: 2,
    effectiveBatch: 2,
    lr: 1e-2,
    lrSchedule: "cosine",
    warmupSteps: 2,
    weightDecay: 0,
    clipNorm: null,
    seed: 1,
    backend: "cpu",
    out: await Deno.makeTempDir(),
    maxNewTokens: 2,
  }, (e) => {
    if (e.type === "step") lrs.push(e.lr);
  });
  disposeParams(params);
  // 3 updates per epoch, 6 in all; the event after update u reports the rate of the next one, u + 1.
  // Warm-up: update 0 at 1/2 of the peak, update 1 at the peak; then the cosine over updates 2..6, progress
  // (u − 2)/4: c(p) = 0.001 + 0.009·(1 + cos(π·p))/2, and the floor after the last update.
  const c = (p: number) => 1e-3 + 9e-3 * (1 + Math.cos(Math.PI * p)) / 2;
  const expected = [1e-2, c(0), c(0.25), c(0.5), c(0.75), 1e-3];
  assert.equal(lrs.length, 6);
  lrs.forEach((lr, i) => assert.ok(Math.abs(lr - expected[i]) < 1e-9, `step ${i}: ${lr} vs ${expected[i]}`));
});

Deno.test("question loss: trained on, not validated on; the difficulty curriculum keeps epochs whole; no leaks", async () => {
  const { trainItems, validItems, tokenizer, model } = tinyTask(8, 3, curriculumConfig({ method: "cot" }));
  // lr 1e-12: the weights stay (to float precision) at their initialisation, so the runs differ only in what the
  // loss counts.
  const run = async (extra: Parameters<typeof curriculumConfig>[0]) => {
    const steps: number[] = [];
    const { metrics, params } = await train(trainItems, validItems, {
      curriculum: curriculumConfig(extra),
      model,
      tokenizer,
      epochs: 2,
      batchSize: 4,
      effectiveBatch: 4,
      lr: 1e-12,
      weightDecay: 0,
      clipNorm: null,
      seed: 3,
      backend: "cpu",
      out: await Deno.makeTempDir(),
      maxNewTokens: 2,
    }, (e) => {
      if (e.type === "step") steps.push(e.epoch);
    });
    disposeParams(params);
    return { metrics, steps };
  };
  const before = tf.memory().numTensors;
  const plain = await run({ method: "cot" });
  const withQuestion = await run({ method: "cot", questionLossWeight: 1, epochsPerDifficulty: 1 });
  assert.equal(tf.memory().numTensors, before);
  // Validation counts the answer side only: the same number with and without the question loss.
  withQuestion.metrics.forEach((m, i) => assert.ok(Math.abs(m.valLoss - plain.metrics[i].valLoss) < 1e-6));
  // The training loss now averages over question tokens too (a different number), …
  assert.notEqual(withQuestion.metrics[1].trainLoss, plain.metrics[1].trainLoss);
  // … and epoch 0, restricted to the 2-step items, still has every update of an epoch.
  assert.deepEqual(withQuestion.steps, plain.steps);
  assert.ok(trainItems.some((it) => it.steps.length > 2) && trainItems.some((it) => it.steps.length === 2));
});
