/**
 * The trainer: runs a method's curriculum over epochs — per-epoch shuffle, the stage of each epoch and each
 * example, gradient accumulation to an effective batch, AdamW with the chosen reset policy, dropout — and after
 * each epoch measures validation loss and generation accuracy, writes a checkpoint, and appends metrics. It
 * emits typed events and never prints. A run resumes from its latest checkpoint and continues exactly.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import {
  buildExample,
  buildPrompt,
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
import {
  classifyFirstStep,
  classifyPath,
  type CoconutItem,
  type FirstStepClass,
  hasGraphKeys,
  isCorrect,
  type PathClass,
} from "@copra/data";
import { generate, type LatentBatch, latentForward } from "@copra/infer";
import {
  AdamW,
  type BackendName,
  causalLmLoss,
  disposeParams,
  type GPT2Config,
  type GPT2Params,
  initParams,
  loadOptimizerState,
  nonFiniteParams,
  useBackend,
  valueAndGrads,
  warmupCosineLr,
} from "@copra/model";
import { Rng } from "@copra/random";
import type { Tokenizer } from "@copra/tokenizer";
import { CopraError } from "@copra/core";
import {
  type EpochMetrics,
  latestCheckpoint,
  readCheckpoint,
  readTrainingState,
  removeStalePartials,
  RunError,
  type TrainingState,
  writeCheckpoint,
} from "./run.ts";

/** Everything a training run needs besides its data. */
export interface TrainOptions {
  /** The curriculum (method, stages, …). */
  curriculum: CurriculumConfig;
  /** The model's configuration; `vocab_size` must equal the tokenizer's. */
  model: GPT2Config;
  /** The tokenizer, with Coconut's special tokens. */
  tokenizer: Tokenizer;
  /** Number of epochs. */
  epochs: number;
  /** Examples per forward pass. */
  batchSize: number;
  /** Effective batch: gradients of ⌈effective / batchSize⌉ micro-batches are averaged per update. */
  effectiveBatch: number;
  /** Learning rate. */
  lr: number;
  /** AdamW weight decay. */
  weightDecay: number;
  /** Gradient-norm clip, or null. */
  clipNorm: number | null;
  /** Seed of initialisation, shuffling, stage draws and dropout. */
  seed: number;
  /** Backend. */
  backend: BackendName;
  /** Folder of the run (checkpoints, metrics.jsonl); created if missing. */
  out: string;
  /**
   * Continue from the latest checkpoint in `out` (its `state.json` must be intact); with no checkpoint yet, start
   * from epoch 0. Temporary folders a killed run left behind are removed first.
   */
  resume?: boolean;
  /** Validation items evaluated for accuracy each epoch (all by default). */
  evalItems?: number;
  /** Generation limit during evaluation. Default 64. */
  maxNewTokens?: number;
  /** Initial weights instead of a fresh initialisation (e.g. a CoT run's checkpoint for Coconut). */
  initialParams?: GPT2Params;
  /**
   * The curriculum epoch to start at (default 0): with weights from a CoT run, `epochsPerStage` starts Coconut at
   * stage 1. Epochs `firstEpoch … epochs − 1` are trained, and numbered so.
   */
  firstEpoch?: number;
  /**
   * Learning-rate schedule over the run's updates: `"constant"` (default, as the official code) or `"cosine"`:
   * linear warm-up over `warmupSteps` updates, then a cosine from `lr` down to `lr / 10` at the last update.
   */
  lrSchedule?: "constant" | "cosine";
  /** Warm-up updates of the cosine schedule. Default 0. */
  warmupSteps?: number;
}

/** What the trainer reports while it works. */
export type TrainEvent =
  | {
    type: "start";
    epochs: number;
    stepsPerEpoch: number;
    parameters: number;
    backend: string;
    resumedFrom: number | null;
    /** Temporary checkpoint folders of a killed run that a resume removed. */
    removedPartials: string[];
  }
  | { type: "epoch-start"; epoch: number; stage: number; optimizerReset: boolean }
  | {
    type: "step";
    epoch: number;
    step: number;
    stepsPerEpoch: number;
    loss: number;
    lr: number;
    tokensPerSecond: number;
  }
  | { type: "evaluate"; epoch: number; done: number; total: number }
  | { type: "epoch"; metrics: EpochMetrics }
  | { type: "checkpoint"; epoch: number; path: string }
  | { type: "done"; metrics: EpochMetrics[]; params: GPT2Params };

/**
 * Training stopped because a loss, a gradient norm or a weight stopped being finite. Nothing of the diverged
 * epoch is saved: the run folder's latest checkpoint is the last good one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TrainingDivergedError } from "@copra/train";
 * const e = new TrainingDivergedError({ epoch: 2, step: 7, what: "loss", value: NaN, lastFiniteLoss: 1.5, lr: 1e30 });
 * assert.match(e.message, /^training: diverged at epoch 2, step 7: the loss is NaN \(last finite loss 1\.500\)/);
 * ```
 */
export class TrainingDivergedError extends CopraError {
  /** The epoch that diverged. */
  readonly epoch: number;
  /** The step of the epoch (0-based), or -1 when the weights were found non-finite at the epoch's end. */
  readonly step: number;
  /** The last finite training loss, or null if there was none. */
  readonly lastFiniteLoss: number | null;

  /** Builds the message from what went wrong where. */
  constructor(at: {
    epoch: number;
    step: number;
    what: "loss" | "gradient norm" | "weights";
    value: number;
    lastFiniteLoss: number | null;
    lr: number;
  }) {
    const where = at.step >= 0 ? `epoch ${at.epoch}, step ${at.step}` : `the end of epoch ${at.epoch}`;
    const what = at.what === "weights" ? "some weights are not finite" : `the ${at.what} is ${at.value}`;
    super({
      source: "training",
      field: `diverged at ${where}`,
      problem: `${what} (last finite loss ${
        at.lastFiniteLoss === null ? "none" : at.lastFiniteLoss.toFixed(3)
      }); nothing of this epoch was saved`,
      hint: `lower the learning rate (now ${at.lr}) or clip gradients, then resume from the last good checkpoint ` +
        "or start again",
    });
    this.name = "TrainingDivergedError";
    this.epoch = at.epoch;
    this.step = at.step;
    this.lastFiniteLoss = at.lastFiniteLoss;
  }
}

/** Throws a {@link RunError} naming the first option of {@link TrainOptions} out of its range. */
function checkOptions(o: TrainOptions): void {
  const fail = (name: string, rule: string, value: unknown) => {
    throw new RunError("train options", name, `must be ${rule}`, value, "");
  };
  const integer = (name: string, value: number | undefined, min: number, optional = false) => {
    if (optional && value === undefined) return;
    if (!Number.isInteger(value) || value! < min) fail(name, `an integer ≥ ${min}`, value);
  };
  integer("epochs", o.epochs, 1);
  integer("batchSize", o.batchSize, 1);
  integer("effectiveBatch", o.effectiveBatch, 1);
  integer("seed", o.seed, 0);
  integer("evalItems", o.evalItems, 0, true);
  integer("maxNewTokens", o.maxNewTokens, 1, true);
  integer("warmupSteps", o.warmupSteps, 0, true);
  if (!(Number.isFinite(o.lr) && o.lr > 0)) fail("lr", "a finite number > 0", o.lr);
  if (!(Number.isFinite(o.weightDecay) && o.weightDecay >= 0)) {
    fail("weightDecay", "a finite number ≥ 0", o.weightDecay);
  }
  if (o.clipNorm !== null && !(Number.isFinite(o.clipNorm) && o.clipNorm > 0)) {
    fail("clipNorm", "null (no clipping) or a finite number > 0", o.clipNorm);
  }
}

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
  checkOptions(options);
  await useBackend(options.backend);
  const ids = specialIds(tokenizer);
  const trainRecords = trainItems.map((it) => tokenizeRecord(tokenizer, it));
  const validRecords = validItems.map((it) => tokenizeRecord(tokenizer, it));
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
  try {
    for (let epoch = firstEpoch; epoch < options.epochs; epoch++) {
      const t0 = performance.now();
      const stage = stageOfEpoch(curriculum, epoch);
      const reset = resetsOptimizer(curriculum, epoch);
      if (reset) optimizer.reset();
      onEvent({ type: "epoch-start", epoch, stage, optimizerReset: reset });

      // Shuffle (the items the difficulty curriculum allows, cycled to the epoch's length), build each example at its
      // own stage, cut into micro-batches.
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
        const scaled: Record<string, tf.Tensor> = {};
        for (const [name, g] of Object.entries(pending)) scaled[name] = tf.div(g, pendingCount);
        const { gradNorm } = optimizer.apply(scaled);
        update++;
        const norm = (await gradNorm.data())[0];
        tf.dispose([gradNorm, ...Object.values(scaled), ...Object.values(pending)]);
        pending = null;
        pendingCount = 0;
        if (!Number.isFinite(norm)) throw diverged(step, "gradient norm", norm);
      };
      for (let step = 0; step < stepsPerEpoch; step++) {
        const chunk = examples.slice(step * options.batchSize, (step + 1) * options.batchSize);
        const batch = collate(chunk, ids.eos);
        const tensors = toTensors(batch);
        const dropoutSeed = rng.nextUint32();
        const { value, grads } = valueAndGrads(
          params,
          () =>
            causalLmLoss(
              latentForward(params, options.model, tensors, { training: { seed: dropoutSeed } }).logits,
              tensors.labels,
              tensors.weights,
            ),
        );
        const loss = (await value.data())[0];
        tf.dispose([value, ...Object.values(tensors).filter((t) => t instanceof tf.Tensor)]);
        if (!Number.isFinite(loss)) {
          tf.dispose([...Object.values(grads), ...Object.values(pending ?? {})]);
          throw diverged(step, "loss", loss);
        }
        lastFiniteLoss = loss;
        if (pending === null) pending = grads;
        else {
          const sum: Record<string, tf.Tensor> = {};
          for (const [name, g] of Object.entries(grads)) sum[name] = tf.add(pending[name], g);
          tf.dispose([...Object.values(pending), ...Object.values(grads)]);
          pending = sum;
        }
        pendingCount++;
        if (pendingCount === micro || step === stepsPerEpoch - 1) await flush(step);
        lossSum += loss;
        lossCount++;
        tokens += batch.attentionMask.flat().reduce((a, b) => a + b, 0);
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
    optimizer.dispose();
    if (params !== options.initialParams) disposeParams(params);
    throw error;
  }
  optimizer.dispose();
  onEvent({ type: "done", metrics, params });
  return { metrics, params };
}

/** A collated batch as tensors, labels included. */
function toTensors(batch: ReturnType<typeof collate>): LatentBatch & { labels: tf.Tensor2D; weights?: tf.Tensor2D } {
  const B = batch.ids.length, T = batch.ids[0]?.length ?? 0;
  return {
    ids: tf.tensor2d(batch.ids.flat(), [B, T], "int32"),
    attentionMask: tf.tensor2d(batch.attentionMask.flat(), [B, T], "int32"),
    positionIds: tf.tensor2d(batch.positionIds.flat(), [B, T], "int32"),
    latentPositions: batch.latentPositions,
    labels: tf.tensor2d(batch.labels.flat(), [B, T], "int32"),
    ...(batch.weights ? { weights: tf.tensor2d(batch.weights.flat(), [B, T]) } : {}),
  };
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
    const tensors = toTensors(collate(examples, ids.eos));
    const loss = tf.tidy(() => causalLmLoss(latentForward(params, config, tensors).logits, tensors.labels));
    total += (await loss.data())[0] * examples.length;
    count += examples.length;
    tf.dispose([loss, tensors.ids, tensors.attentionMask, tensors.positionIds, tensors.labels]);
  }
  return total / count;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Prompts per generation batch. */
  batchSize: number;
  /** Generation limit. */
  maxNewTokens: number;
  /** Thoughts in Coconut-style prompts. Default maxLatentStage·c. */
  thoughts?: number;
  /** Called after each batch. */
  progress?: (done: number, total: number) => void;
}

/** What {@link evaluate} measured. */
export interface Evaluation {
  /** Exact-match accuracy. */
  accuracy: number;
  /** Mean generated tokens per answer (thoughts excluded). */
  meanTokens: number;
  /** Thoughts per answer. */
  thoughts: number;
  /** The generated texts. */
  outputs: string[];
  /** Mean wall-clock milliseconds per answer (batch time / batch size). */
  msPerAnswer: number;
  /**
   * For ProsQA items (with graph keys): the share of outputs in each {@link PathClass}, and `validPaths`, the
   * share whose written steps are a valid path from the root to the target (correct or longer path). Null for
   * other data.
   */
  paths: Partial<Record<PathClass, number>> | null;
  /** Share of outputs with a valid reasoning path (ProsQA items), or null. */
  validPaths: number | null;
  /** For ProsQA items: the share of outputs whose first written step is of each {@link FirstStepClass}, or null. */
  firstSteps: Partial<Record<FirstStepClass, number>> | null;
}

/**
 * Greedy generation on items: accuracy, mean generated tokens, thoughts per answer, latency.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { curriculumConfig, specialIds, tokenizeRecord } from "@copra/curriculum";
 * import { generateProsQA } from "@copra/data";
 * import { disposeParams, initParams, useBackend } from "@copra/model";
 * import { buildTokenizer, evaluate, modelConfigFor } from "@copra/train";
 * await useBackend("cpu");
 * const items = generateProsQA({ n: 2, seed: 1, nodes: [5, 6], nodesMean: 5.5, minHops: 2, maxHops: 2 });
 * const curriculum = curriculumConfig({ method: "cot" });
 * const tok = buildTokenizer(items);
 * const config = modelConfigFor("nano", tok, items, curriculum, { n_layer: 1, n_embd: 24, n_head: 2 });
 * const params = initParams(config, { seed: 0 });
 * const records = items.map((it) => tokenizeRecord(tok, it));
 * const result = await evaluate(params, config, records, items, curriculum, specialIds(tok), tok, {
 *   batchSize: 2,
 *   maxNewTokens: 4,
 * });
 * assert.equal(result.outputs.length, 2); // an untrained model: accuracy near 0, paths classified
 * assert.ok(result.paths !== null && result.meanTokens <= 4);
 * disposeParams(params);
 * ```
 */
export async function evaluate(
  params: GPT2Params,
  config: GPT2Config,
  records: TokenizedRecord[],
  items: readonly CoconutItem[],
  curriculum: CurriculumConfig,
  ids: SpecialIds,
  tokenizer: Tokenizer,
  options: EvaluateOptions,
): Promise<Evaluation> {
  const { batchSize, maxNewTokens } = options;
  let correct = 0, tokens = 0, thoughts = 0, ms = 0;
  const outputs: string[] = [];
  for (let i = 0; i < records.length; i += batchSize) {
    const prompts = records.slice(i, i + batchSize).map((r) => buildPrompt(r, curriculum, ids, options.thoughts));
    const t0 = performance.now();
    const results = await generate(params, config, prompts, {
      eosId: ids.eos,
      maxNewTokens,
      decode: (out) => tokenizer.decode(out, { skipSpecial: true }),
    });
    ms += performance.now() - t0;
    for (const [j, r] of results.entries()) {
      outputs.push(r.text);
      if (isCorrect(r.text, items[i + j].answer)) correct++;
      tokens += r.generatedTokens;
      thoughts += r.thoughts;
    }
    options.progress?.(Math.min(i + batchSize, records.length), records.length);
  }
  const n = Math.max(records.length, 1);
  /** The share of outputs in each class. */
  const shares = <K extends string>(classify: (item: CoconutItem, text: string) => K) => {
    const out: Partial<Record<K, number>> = {};
    for (const [i, text] of outputs.entries()) {
      const kind = classify(items[i], text);
      out[kind] = (out[kind] ?? 0) + 1 / n;
    }
    return out;
  };
  const scored = items.slice(0, records.length);
  const graphs = records.length > 0 && scored.every(hasGraphKeys);
  const paths = graphs ? shares(classifyPath) : null;
  const validPaths = paths ? (paths["correct-path"] ?? 0) + (paths["longer-path"] ?? 0) : null;
  const firstSteps = graphs && scored.every((it) => it.neg_target !== undefined) ? shares(classifyFirstStep) : null;
  return {
    accuracy: correct / n,
    meanTokens: tokens / n,
    thoughts: thoughts / n,
    outputs,
    msPerAnswer: ms / n,
    paths,
    validPaths,
    firstSteps,
  };
}
