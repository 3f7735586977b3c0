/**
 * The trainer: a method's curriculum over epochs (shuffles, stages, gradient accumulation, AdamW and its reset
 * policy, dropout); after each epoch, validation loss and accuracy, a checkpoint and a metrics line. Typed events,
 * no printing; a run resumes from its latest checkpoint exactly.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import {
  buildExample,
  collate,
  type CurriculumConfig,
  drawStage,
  epochOrder,
  maxStepsAtEpoch,
  resetsOptimizer,
  type SpecialIds,
  specialIds,
  stageOfEpoch,
  thoughtsAtStage,
  type TokenizedRecord,
  tokenizeRecord,
} from "@copra/curriculum";
import { type CoconutItem, stepAlternatives } from "@copra/data";
import {
  AdamW,
  disposeParams,
  type GPT2Config,
  type GPT2Params,
  hasSwitch,
  initParams,
  initSwitch,
  loadOptimizerState,
  nonFiniteParams,
  useBackend,
  valueAndGrads,
  warmupCosineLr,
} from "@copra/model";
import { Rng } from "@copra/random";
import {
  type EpochMetrics,
  latestCheckpoint,
  readCheckpoint,
  readTrainingState,
  removeStalePartials,
  type TrainingState,
  writeCheckpoint,
} from "./run.ts";
import { TrainingDivergedError } from "./diverged.ts";
import { addGradients, balancedShards, batchLmLoss, batchTensors, GradientPool, shardLoss } from "./parallel.ts";
import { RunError } from "./errors.ts";
import { checkTrainOptions, type TrainEvent, type TrainOptions } from "./options.ts";
import { evaluate } from "./evaluate.ts";

/**
 * Trains and returns the per-epoch metrics and the final parameters (which the caller disposes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { curriculumConfig } from "@copra/curriculum";
 * import { generateProsQA } from "@copra/data";
 * import { disposeParams } from "@copra/model";
 * import { buildTokenizer, modelConfigFor, train } from "@copra/train";
 * const items = generateProsQA({ n: 8, seed: 1, nodes: [5, 6], nodesMean: 5.5, minHops: 2, maxHops: 2 });
 * const curriculum = curriculumConfig({ method: "cot" });
 * const tokenizer = buildTokenizer(items);
 * const model = modelConfigFor("nano", tokenizer, items, curriculum, { n_layer: 1, n_embd: 24, n_head: 2 });
 * const out = await Deno.makeTempDir();
 * const steps: number[] = [];
 * const { metrics, params } = await train(items.slice(0, 6), items.slice(6), {
 *   curriculum, model, tokenizer, epochs: 1, batchSize: 3, effectiveBatch: 3, lr: 1e-3, weightDecay: 0,
 *   clipNorm: 1, seed: 0, backend: "cpu", out, maxNewTokens: 2,
 * }, (event) => void (event.type === "step" && steps.push(event.loss)));
 * disposeParams(params);
 * assert.equal(steps.length, 2); // 6 items in batches of 3
 * assert.equal(metrics[0].epoch, 0);
 * ```
 */
export async function train(
  trainItems: readonly CoconutItem[],
  validItems: readonly CoconutItem[],
  options: TrainOptions,
  onEvent: (event: TrainEvent) => void = () => {},
): Promise<{ metrics: EpochMetrics[]; params: GPT2Params }> {
  const { curriculum, tokenizer } = options;
  if (options.model.vocab_size !== tokenizer.vocabSize) {
    throw new RunError(
      "train options",
      "model.vocab_size",
      `must equal the tokenizer's vocabulary size ${tokenizer.vocabSize}`,
      options.model.vocab_size,
      "",
    );
  }
  if (trainItems.length === 0) throw new RunError("train options", "trainItems", "no training items", undefined, "");
  checkTrainOptions(options);
  await useBackend(options.backend);
  const ids = specialIds(tokenizer);
  // The "frontier" supervision learns each step as the set of its frontier (graph items' `frontiers` key).
  const record = (it: CoconutItem, i: number, source: string) => {
    const spans = { toolSpans: curriculum.toolResults === "input" };
    if (curriculum.supervision !== "frontier") return tokenizeRecord(tokenizer, it, spans);
    const alternatives = stepAlternatives(it, source, i);
    if (!alternatives) {
      throw new RunError(
        source,
        `item ${i}: frontiers`,
        "is missing, but the frontier supervision learns each step as the set of its frontier",
        undefined,
        "use graph items that list their frontiers (copra data generate symbolic), or --supervision next-step",
      );
    }
    return tokenizeRecord(tokenizer, { ...it, alternatives }, spans);
  };
  const trainRecords = trainItems.map((it, i) => record(it, i, "training data"));
  const validRecords = validItems.map((it, i) => record(it, i, "held-out data"));
  const micro = Math.ceil(options.effectiveBatch / options.batchSize);
  const stepCounts = trainItems.map((it) => it.steps.length);
  const fewestSteps = stepCounts.reduce((a, b) => Math.min(a, b), Infinity);

  // Fresh start, or the latest checkpoint of the run.
  await Deno.mkdir(options.out, { recursive: true });
  let rng = new Rng(options.seed);
  const startEpoch = options.firstEpoch ?? 0;
  if (!Number.isInteger(startEpoch) || startEpoch < 0 || startEpoch >= options.epochs) {
    throw new RunError(
      "train options",
      "firstEpoch",
      `must be an integer in [0, epochs ${options.epochs})`,
      options.firstEpoch,
      "",
    );
  }
  let firstEpoch = startEpoch;
  const metrics: EpochMetrics[] = [];
  const removedPartials = options.resume ? await removeStalePartials(options.out) : [];
  const resumeFrom = options.resume ? await latestCheckpoint(options.out) : null;
  // The state first: a checkpoint that cannot be resumed fails before any weights are loaded.
  const savedState = resumeFrom ? await readTrainingState(resumeFrom.path) : null;
  const saved = resumeFrom ? { ...await readCheckpoint(resumeFrom.path), state: savedState! } : null;
  if (saved && saved.state.epoch !== resumeFrom!.epoch) {
    throw new RunError(
      `${resumeFrom!.path}/state.json`,
      "epoch",
      `says ${saved.state.epoch}, but the folder is checkpoint-${resumeFrom!.epoch}`,
      undefined,
      "the run folder was edited by hand: put the checkpoints back as copra wrote them",
    );
  }
  const params: GPT2Params = saved?.params ?? options.initialParams ??
    initParams(options.model, { seed: options.seed });
  const switchWeight = options.switchWeight ?? 0;
  if (switchWeight > 0 && !hasSwitch(params)) Object.assign(params, initSwitch(options.model));
  // The schedule follows the run's own update count (the optimizer's restarts at every reset).
  const stepsPerEpoch = Math.ceil(trainRecords.length / options.batchSize);
  const updatesPerEpoch = Math.ceil(stepsPerEpoch / micro);
  let update = 0;
  const schedule = options.lrSchedule === "cosine"
    ? warmupCosineLr({
      lr: options.lr,
      warmupSteps: options.warmupSteps ?? 0,
      totalSteps: Math.max((options.epochs - startEpoch) * updatesPerEpoch, (options.warmupSteps ?? 0) + 1),
      minLr: options.lr / 10,
    })
    : null;
  const optimizer = new AdamW(params, {
    lr: schedule ? () => schedule(update) : options.lr,
    weightDecay: options.weightDecay,
    clipNorm: options.clipNorm,
  });
  if (saved) {
    await loadOptimizerState(`${resumeFrom!.path}/optimizer.safetensors`, optimizer);
    rng = Rng.fromState(saved.state.rng);
    firstEpoch = saved.state.epoch + 1;
    update = (firstEpoch - startEpoch) * updatesPerEpoch;
    metrics.push(...saved.state.metrics);
  }
  onEvent({
    type: "start",
    epochs: options.epochs,
    stepsPerEpoch,
    parameters: Object.values(params).reduce((n, p) => n + p.size, 0),
    backend: options.backend,
    resumedFrom: resumeFrom ? firstEpoch - 1 : null,
    removedPartials,
  });

  let lastFiniteLoss: number | null = metrics.at(-1)?.trainLoss ?? null;
  const threads = options.threads ?? 1;
  const pool = threads > 1
    ? await GradientPool.start(threads, options.model, params, { backend: options.backend, switchWeight })
    : null;
  try {
    for (let epoch = firstEpoch; epoch < options.epochs; epoch++) {
      const t0 = performance.now();
      const stage = stageOfEpoch(curriculum, epoch);
      const reset = resetsOptimizer(curriculum, epoch);
      if (reset) optimizer.reset();
      onEvent({ type: "epoch-start", epoch, stage, optimizerReset: reset });

      // Shuffle the allowed items (cycled to the epoch's length); each example at its own stage; micro-batches.
      const order = epochOrder(stepCounts, maxStepsAtEpoch(curriculum, epoch, fewestSteps), rng);
      const examples = order.map((i) =>
        buildExample(trainRecords[i], drawStage(curriculum, stage, stepCounts[i], rng), curriculum, ids, rng)
      );
      let lossSum = 0, lossCount = 0, tokens = 0;
      const trainStart = performance.now();
      let pending: Record<string, tf.Tensor> | null = null, pendingCount = 0;
      const diverged = (step: number, what: "loss" | "gradient norm" | "weights", value: number) =>
        new TrainingDivergedError({ epoch, step, what, value, lastFiniteLoss, lr: optimizer.currentLr() });
      const flush = async (step: number) => {
        if (!pending) return;
        // The mean over the micro-batches; one micro-batch is its own mean (x / 1 is x: no kernel call per weight).
        const scaled: Record<string, tf.Tensor> = {};
        for (const [name, g] of Object.entries(pending)) {
          scaled[name] = pendingCount === 1 ? g : tf.div(g, pendingCount);
        }
        const { gradNorm } = optimizer.apply(scaled);
        update++;
        const norm = (await gradNorm.data())[0];
        // (with one micro-batch `scaled` holds `pending`'s own tensors: a second dispose does nothing)
        tf.dispose([gradNorm, ...Object.values(scaled), ...Object.values(pending)]);
        pending = null;
        pendingCount = 0;
        if (!Number.isFinite(norm)) throw diverged(step, "gradient norm", norm);
        await pool?.sync(params);
      };
      const chunkOf = (step: number) => examples.slice(step * options.batchSize, (step + 1) * options.batchSize);
      // One shard per thread, rows of like length together so that each pads little and the threads finish
      // together; shard s gets dropout seed `seed` + s.
      const shardsAt = (step: number, pool: GradientPool) => ({
        shards: balancedShards(chunkOf(step), pool.threads, (e) => e.ids.length).map((s) => collate(s, ids.eos)),
        seed: rng.nextUint32(),
      });
      let next = pool && stepsPerEpoch > 0 ? shardsAt(0, pool) : null;
      for (let step = 0; step < stepsPerEpoch; step++) {
        // An update follows this step when it completes the micro-batches or ends the epoch.
        const updates = pendingCount + 1 === micro || step === stepsPerEpoch - 1;
        let loss: number, grads: Record<string, tf.Tensor>;
        if (pool) {
          const { shards, seed } = next!;
          ({ loss, grads } = await pool.step(params, shards, seed));
          tokens += shards.reduce((n, b) => n + b.attentionMask.flat().reduce((a, x) => a + x, 0), 0);
          // The next batch's shards go to the workers before this update: they start the moment its weights are out.
          if (step + 1 < stepsPerEpoch) {
            next = shardsAt(step + 1, pool);
            pool.prepare(next.shards, next.seed, { afterSync: updates });
          }
        } else {
          const chunk = chunkOf(step);
          const dropoutSeed = rng.nextUint32();
          const batch = collate(chunk, ids.eos);
          const tensors = batchTensors(batch);
          const out = valueAndGrads(
            params,
            () => shardLoss(params, options.model, batch, tensors, { lm: 1, stop: 1 }, switchWeight, dropoutSeed),
          );
          loss = (await out.value.data())[0];
          grads = out.grads;
          tf.dispose([out.value, ...Object.values(tensors).filter((t) => t instanceof tf.Tensor)]);
          tokens += batch.attentionMask.flat().reduce((a, b) => a + b, 0);
        }
        if (!Number.isFinite(loss)) {
          tf.dispose([...Object.values(grads), ...Object.values(pending ?? {})]);
          throw diverged(step, "loss", loss);
        }
        lastFiniteLoss = loss;
        if (pending === null) pending = grads;
        else {
          const sum = addGradients(pending, grads);
          tf.dispose([...Object.values(pending), ...Object.values(grads)]);
          pending = sum;
        }
        pendingCount++;
        if (updates) await flush(step);
        lossSum += loss;
        lossCount++;
        onEvent({
          type: "step",
          epoch,
          step,
          stepsPerEpoch,
          loss,
          lr: optimizer.currentLr(),
          tokensPerSecond: tokens / ((performance.now() - trainStart) / 1000),
        });
      }
      const tokensPerSecond = tokens / ((performance.now() - trainStart) / 1000);

      // Evaluation at the epoch's stage: loss, then greedy generation of the answers.
      const valLoss = await validationLoss(
        params,
        options.model,
        validRecords,
        curriculum,
        stage,
        ids,
        options.batchSize,
      );
      const evaluated = await evaluate(
        params,
        options.model,
        validRecords.slice(0, options.evalItems ?? validRecords.length),
        validItems,
        curriculum,
        ids,
        tokenizer,
        {
          batchSize: options.batchSize,
          maxNewTokens: options.maxNewTokens ?? 64,
          thoughts: thoughtsAtStage(curriculum, stage),
          progress: (done, total) => onEvent({ type: "evaluate", epoch, done, total }),
          // the pool's workers hold this epoch's weights (synced after every update)
          lanes: pool?.lanes(),
        },
      );
      const epochMetrics: EpochMetrics = {
        epoch,
        stage,
        trainLoss: lossSum / Math.max(lossCount, 1),
        valLoss,
        accuracy: evaluated.accuracy,
        meanTokens: evaluated.meanTokens,
        thoughts: evaluated.thoughts,
        validPaths: evaluated.validPaths,
        tokensPerSecond,
        seconds: (performance.now() - t0) / 1000,
      };
      metrics.push(epochMetrics);
      onEvent({ type: "epoch", metrics: epochMetrics });
      if ((await nonFiniteParams(params)).length > 0) {
        throw new TrainingDivergedError({
          epoch,
          step: -1,
          what: "weights",
          value: NaN,
          lastFiniteLoss,
          lr: optimizer.currentLr(),
        });
      }
      const state: TrainingState = { epoch, stage, rng: rng.state(), metrics, seed: options.seed };
      const path = await writeCheckpoint(options.out, epoch, params, options.model, tokenizer, optimizer, state);
      await Deno.writeTextFile(`${options.out}/metrics.jsonl`, JSON.stringify(epochMetrics) + "\n", { append: true });
      onEvent({ type: "checkpoint", epoch, path });
    }
  } catch (error) {
    pool?.close();
    optimizer.dispose();
    if (params !== options.initialParams) disposeParams(params);
    throw error;
  }
  pool?.close();
  optimizer.dispose();
  onEvent({ type: "done", metrics, params });
  return { metrics, params };
}

/**
 * Mean loss over validation examples built at `stage` (no mixing, no dropout), on the learned tokens after the
 * question only — comparable between runs with and without a question loss.
 */
async function validationLoss(
  params: GPT2Params,
  config: GPT2Config,
  records: TokenizedRecord[],
  curriculum: CurriculumConfig,
  stage: number,
  ids: SpecialIds,
  batchSize: number,
): Promise<number> {
  if (records.length === 0) return NaN;
  const rng = new Rng(0); // only icot smoothing draws; fixed for comparable numbers
  const answerOnly: CurriculumConfig = { ...curriculum, questionLossWeight: 0 };
  let total = 0, count = 0;
  for (let i = 0; i < records.length; i += batchSize) {
    const examples = records.slice(i, i + batchSize).map((r) => buildExample(r, stage, answerOnly, ids, rng));
    const batch = collate(examples, ids.eos);
    const tensors = batchTensors(batch);
    const loss = tf.tidy(() => batchLmLoss(params, config, batch, tensors).loss);
    total += (await loss.data())[0] * examples.length;
    count += examples.length;
    tf.dispose([loss, tensors.ids, tensors.attentionMask, tensors.positionIds, tensors.labels]);
  }
  return total / count;
}
