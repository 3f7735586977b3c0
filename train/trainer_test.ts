import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { type CurriculumConfig, curriculumConfig } from "@copra/curriculum";
import { generateProsQA, PROSQA_CONCEPTS, PROSQA_PERSONS } from "@copra/data";
import { disposeParams } from "@copra/model";
import {
  buildTokenizer,
  latestCheckpoint,
  modelConfigFor,
  readCheckpoint,
  readTrainingState,
  train,
  type TrainEvent,
  TrainingDivergedError,
  type TrainOptions,
} from "./mod.ts";

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
  // A killed run's unfinished checkpoint folder: removed by the resume.
  const partial = `.checkpoint-1.${crypto.randomUUID()}.partial`;
  await Deno.mkdir(`${dir}/${partial}`);
  const events: TrainEvent[] = [];
  const resumed = await train(trainItems, validItems, await base(dir, 2, true), (e) => events.push(e));
  // It really resumed: the start event says after epoch 0, and only epoch 1 trained (a silent retrain from scratch
  // would give the same weights, so the weights alone cannot tell).
  const start = events.find((e) => e.type === "start");
  assert.ok(start?.type === "start");
  assert.equal(start.resumedFrom, 0);
  assert.deepEqual(start.removedPartials, [partial]);
  const trainedEpochs = new Set(events.flatMap((e) => (e.type === "step" ? [e.epoch] : [])));
  assert.deepEqual([...trainedEpochs], [1]);
  assert.deepEqual(
    events.filter((e) => e.type === "step").length,
    Math.ceil(trainItems.length / 3),
    "one epoch of steps",
  );
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
  assert.equal((await readTrainingState(`${out}/checkpoint-3`)).epoch, 3);
  const lines = (await Deno.readTextFile(`${out}/metrics.jsonl`)).trim().split("\n");
  assert.equal(lines.length, 4);
  disposeParams(params);
  disposeParams(saved.params);
});

Deno.test("firstEpoch: a run from given weights starts at that epoch's stage and numbers its epochs so", async () => {
  const curriculum = curriculumConfig({ method: "coconut", maxLatentStage: 2, epochsPerStage: 1 });
  const { trainItems, validItems, options } = await tinyRun(curriculum, { epochs: 3, firstEpoch: 1, maxNewTokens: 4 });
  const out = options.out;
  const { metrics, params } = await train(trainItems, validItems, options);
  assert.deepEqual(metrics.map((m) => [m.epoch, m.stage, m.thoughts]), [[1, 1, 1], [2, 2, 2]]);
  assert.deepEqual((await latestCheckpoint(out))?.epoch, 2);
  disposeParams(params);
  await assert.rejects(
    () => train(trainItems, validItems, { ...options, firstEpoch: 3 }),
    /firstEpoch: must be an integer in \[0, epochs 3\) \(got 3\)/,
  );
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

/** Options of a one-block run on the tiny task into a fresh folder. */
async function tinyRun(curriculum: CurriculumConfig, extra: Partial<TrainOptions> = {}) {
  const task = tinyTask(6, 2, curriculum);
  const options: TrainOptions = {
    curriculum,
    model: task.model,
    tokenizer: task.tokenizer,
    epochs: 2,
    batchSize: 3,
    effectiveBatch: 3,
    lr: 3e-3,
    weightDecay: 0,
    clipNorm: 1,
    seed: 5,
    backend: "cpu",
    out: await Deno.makeTempDir(),
    maxNewTokens: 2,
    ...extra,
  };
  return { ...task, options };
}

/** Every file under a folder with its bytes, for "nothing changed" checks. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const path = `${d}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else files.set(path, Array.from(await Deno.readFile(path)).join(","));
    }
  };
  await walk(dir);
  return files;
}

Deno.test("non-finite training stops at once with the step, keeps the last good checkpoint, and leaks nothing", async () => {
  const curriculum = curriculumConfig({ method: "cot" });
  const { trainItems, validItems, options } = await tinyRun(curriculum);
  const before = tf.memory().numTensors;
  // One good epoch, then a learning rate that blows the weights up.
  const good = await train(trainItems, validItems, { ...options, epochs: 1 });
  disposeParams(good.params);
  const kept = await snapshot(options.out);
  const steps: number[] = [];
  const error = await train(
    trainItems,
    validItems,
    { ...options, resume: true, lr: 1e30, clipNorm: null },
    (e) => void (e.type === "step" && steps.push(e.step)),
  ).then(() => null, (e) => e);
  assert.ok(error instanceof TrainingDivergedError, String(error));
  assert.equal(error.epoch, 1);
  assert.ok(error.step >= 0 && error.step < 2, `step ${error.step}`);
  assert.ok(error.lastFiniteLoss !== null && Number.isFinite(error.lastFiniteLoss));
  assert.match(error.message, /training: diverged at epoch 1, step \d: the (loss|gradient norm) is (NaN|Infinity)/);
  assert.deepEqual(await snapshot(options.out), kept, "checkpoint-0 and metrics.jsonl untouched, no checkpoint-1");
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("NaN initial weights: the first step's loss stops the run", async () => {
  const curriculum = curriculumConfig({ method: "cot" });
  const { trainItems, validItems, options, model } = await tinyRun(curriculum);
  const { initParams } = await import("@copra/model");
  const params = initParams(model, { seed: 1 });
  params["ln_f.weight"].assign(tf.fill(params["ln_f.weight"].shape, NaN));
  await assert.rejects(
    train(trainItems, validItems, { ...options, initialParams: params }),
    /training: diverged at epoch 0, step 0: the loss is NaN \(last finite loss none\)/,
  );
  assert.equal(await latestCheckpoint(options.out), null);
  disposeParams(params);
});

Deno.test("resume refuses a checkpoint without or with a damaged state.json, before writing anything", async () => {
  const curriculum = curriculumConfig({ method: "cot" });
  const { trainItems, validItems, options } = await tinyRun(curriculum);
  const first = await train(trainItems, validItems, { ...options, epochs: 1 });
  disposeParams(first.params);
  const state = `${options.out}/checkpoint-0/state.json`;
  const text = await Deno.readTextFile(state);
  for (
    const [content, message] of [
      [null, /checkpoint-0\/state\.json: \(file\): is missing: this checkpoint holds weights only/],
      [text.slice(0, 40), /checkpoint-0\/state\.json: \(file\): is not valid JSON/],
      [
        text.replace(/"epoch": 0/, '"epoch": "zero"'),
        /state\.json: epoch: must be a non-negative integer \(got "zero"\)/,
      ],
      [text.replace(/"epoch": 0/, '"epoch": 4'), /state\.json: epoch: says 4, but the folder is checkpoint-0/],
    ] as const
  ) {
    if (content === null) await Deno.remove(state);
    else await Deno.writeTextFile(state, content);
    const kept = await snapshot(options.out);
    await assert.rejects(train(trainItems, validItems, { ...options, resume: true }), message);
    assert.deepEqual(await snapshot(options.out), kept);
  }
  // Evaluation does not need the state: the weights still load.
  const { params } = await readCheckpoint(`${options.out}/checkpoint-0`);
  disposeParams(params);
});

Deno.test("a checkpoint folder that exists is never replaced", async () => {
  const curriculum = curriculumConfig({ method: "cot" });
  const { trainItems, validItems, options } = await tinyRun(curriculum);
  await Deno.mkdir(`${options.out}/checkpoint-0`);
  await Deno.writeTextFile(`${options.out}/checkpoint-0/precious.txt`, "mine");
  await assert.rejects(
    train(trainItems, validItems, { ...options, epochs: 1 }),
    /checkpoint-0: \(folder\): already exists; copra does not replace a checkpoint/,
  );
  assert.equal(await Deno.readTextFile(`${options.out}/checkpoint-0/precious.txt`), "mine");
});

Deno.test("train refuses out-of-range options by name", async () => {
  const curriculum = curriculumConfig({ method: "cot" });
  const { trainItems, validItems, options } = await tinyRun(curriculum);
  for (
    const [extra, message] of [
      [{ epochs: 0 }, /train options: epochs: must be an integer ≥ 1 \(got 0\)/],
      [{ batchSize: 0 }, /train options: batchSize: must be an integer ≥ 1 \(got 0\)/],
      [{ lr: 0 }, /train options: lr: must be a finite number > 0 \(got 0\)/],
      [{ clipNorm: -1 }, /train options: clipNorm: must be null \(no clipping\) or a finite number > 0 \(got -1\)/],
    ] as const
  ) {
    await assert.rejects(train(trainItems, validItems, { ...options, ...extra }), message);
  }
});

Deno.test("learned switch and frontier sets: the BCE joins the loss (ln 2 at a fresh switch), is saved, and learns", async () => {
  const { generateSymbolic } = await import("@copra/data");
  const trainItems = generateSymbolic({ n: 12, seed: 1, nodes: [8, 9], hops: [2, 3] });
  const validItems = generateSymbolic({ n: 2, seed: 2, nodes: [8, 9], hops: [2, 3] });
  const run = async (supervision: "next-step" | "frontier", switchWeight: number) => {
    const curriculum = curriculumConfig({ method: "coconut", maxLatentStage: 3, epochsPerStage: 1, supervision });
    const tokenizer = buildTokenizer([...trainItems, ...validItems]);
    const model = modelConfigFor("nano", tokenizer, trainItems, curriculum, { n_layer: 1, n_embd: 24, n_head: 2 });
    const losses: number[] = [];
    const out = await Deno.makeTempDir();
    const options: TrainOptions = {
      curriculum,
      model,
      tokenizer,
      epochs: 3,
      firstEpoch: 1,
      batchSize: 4,
      effectiveBatch: 4,
      lr: 3e-3,
      weightDecay: 0,
      clipNorm: 1,
      seed: 5,
      backend: "cpu",
      out,
      maxNewTokens: 2,
      switchWeight,
    };
    const { params } = await train(
      trainItems,
      validItems,
      options,
      (e) => void (e.type === "step" && losses.push(e.loss)),
    );
    return { losses, params, out };
  };
  const plain = await run("frontier", 0);
  const withSwitch = await run("frontier", 1);
  // Micro-batches of one row with stages mixed (uniformProb): a row at stage 0 has no thoughts and so no switch
  // gradient; summed with a row that has, the switch's gradient is that row's.
  {
    const curriculum = curriculumConfig({
      method: "coconut",
      maxLatentStage: 3,
      epochsPerStage: 1,
      supervision: "frontier",
      uniformProb: 0.5,
    });
    const tokenizer = buildTokenizer([...trainItems, ...validItems]);
    const model = modelConfigFor("nano", tokenizer, trainItems, curriculum, { n_layer: 1, n_embd: 24, n_head: 2 });
    const out = await Deno.makeTempDir();
    const { params } = await train(trainItems, validItems, {
      curriculum,
      model,
      tokenizer,
      epochs: 2,
      firstEpoch: 1,
      batchSize: 1,
      effectiveBatch: 2,
      lr: 3e-3,
      weightDecay: 0,
      clipNorm: 1,
      seed: 5,
      backend: "cpu",
      out,
      maxNewTokens: 2,
      switchWeight: 1,
    });
    assert.ok((await params["coconut_switch.weight"].data()).some((x) => x !== 0));
    disposeParams(params);
    await Deno.remove(out, { recursive: true });
  }
  // Step 0 (stage 1, every row has a thought, none is the last: label 0): the same LM loss plus BCE(σ(0), 0) = ln 2.
  assert.ok(
    Math.abs(withSwitch.losses[0] - plain.losses[0] - Math.log(2)) < 1e-5,
    `${withSwitch.losses[0]} vs ${plain.losses[0]}`,
  );
  assert.equal("coconut_switch.weight" in plain.params, false);
  // Saved with the checkpoint, trained away from its zero start.
  const saved = await readCheckpoint(`${withSwitch.out}/checkpoint-2`);
  const w = await saved.params["coconut_switch.weight"].data();
  assert.ok(w.some((x) => x !== 0));
  // Frontier sets change what is learned: not the loss of plain next-step supervision.
  const nextStep = await run("next-step", 0);
  assert.notEqual(nextStep.losses[0], plain.losses[0]);
  for (const r of [plain, withSwitch, nextStep]) disposeParams(r.params);
  disposeParams(saved.params);
  // Items without frontiers cannot be trained with frontier sets: refused by item.
  const curriculum = curriculumConfig({ method: "coconut", supervision: "frontier" });
  const { trainItems: prosqa, validItems: prosqaValid, options } = await tinyRun(curriculum);
  await assert.rejects(() => train(prosqa, prosqaValid, options), /training data: item 0: frontiers: is missing/);
  await assert.rejects(() => train(prosqa, prosqaValid, { ...options, switchWeight: -1 }), /switchWeight/);
});
