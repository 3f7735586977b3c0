/**
 * Data parallelism over Deno workers: each training batch is cut into one shard per thread, the main thread computes
 * shard 0 and each worker (its own tfjs-wasm instance, its own copy of the weights) one other shard; the gradients
 * are summed in shard order, so a run is bitwise reproducible for a given thread count. Each shard's loss is scaled
 * by its share of the batch's normalizer (labelled tokens for the language-model loss, labelled thoughts for the
 * switch), so the sum is the gradient of the whole batch's loss. After each update the main thread writes the new
 * weights where the workers take them; weights and gradients cross through shared memory, not messages.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Batch } from "@copra/curriculum";
import {
  type GenerateOptions,
  type Generation,
  type GenerationPrompt,
  type LatentBatch,
  latentForward,
  type LatentForwardOptions,
  latentHidden,
} from "@copra/infer";
import {
  type BackendName,
  causalLmLoss,
  causalLmLossAtLabels,
  flatValues,
  type GPT2Config,
  type GPT2Params,
  productsPath,
  type Scalar,
  switchLogits,
  switchLoss,
  type Tensor,
  type Tensor2D,
  type Tensor3D,
  valueAndGrads,
} from "@copra/model";
import {
  POOL_CLOSED,
  POOL_FAILED,
  POOL_WEIGHTS,
  poolDone,
  type PoolMemory,
  type PoolSlot,
  readShard,
  type WorkerReply,
  type WorkerRequest,
} from "./pool_protocol.ts";

/** How much of the batch's loss each shard carries: its share of each loss's normalizer. */
export interface ShardWeights {
  /** Language-model loss: labelled (weighted) tokens after the first position, plus set targets, per shard / all. */
  lm: number[];
  /** Switch loss: labelled thoughts per shard / all. */
  stop: number[];
}

/**
 * `items` cut into `n` contiguous shards as even as possible (the first ones one longer); empty shards dropped. The
 * trainer cuts each batch so, one shard per thread of a {@link GradientPool}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shardsOf } from "@copra/train";
 * assert.deepEqual(shardsOf([1, 2, 3, 4, 5], 2), [[1, 2, 3], [4, 5]]);
 * assert.deepEqual(shardsOf([1], 3), [[1]]);
 * ```
 */
export function shardsOf<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (let s = 0; s < n; s++) {
    const size = Math.floor(items.length / n) + (s < items.length % n ? 1 : 0);
    if (size > 0) out.push(items.slice(at, at + size));
    at += size;
  }
  return out;
}

/**
 * `items` cut into `n` shards (fewer when there are fewer items) that pad least and finish together: each shard is
 * padded to its longest row, so rows of like length go together — the items ordered by `length`, longest first, cut
 * into consecutive runs minimizing the largest shard's rows × longest row (its padded tokens, which the threads wait
 * for); each shard keeps its items in their order in `items`, the longest rows' shard first. The trainer cuts each
 * batch so, one shard per thread of a {@link GradientPool}: the same examples per batch as {@link shardsOf}, fewer
 * padded tokens (a 16-row batch of `deno task train` cut in two: 1.15–1.18 padded tokens per real one instead of
 * 1.25–1.30).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { balancedShards } from "@copra/train";
 * const rows = ["aaaaaaaa", "b", "cccccccc", "dd", "eee", "f"];
 * // the two long rows alone (2 × 8 tokens), the four short ones together (4 × 3)
 * assert.deepEqual(balancedShards(rows, 2, (r) => r.length), [["aaaaaaaa", "cccccccc"], ["b", "dd", "eee", "f"]]);
 * ```
 */
export function balancedShards<T>(items: readonly T[], n: number, length: (item: T) => number): T[][] {
  const m = Math.min(n, items.length);
  if (m <= 1) return m === 1 ? [[...items]] : [];
  const lengths = items.map(length);
  const order = items.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  const N = order.length;
  // best[g][i]: the least largest cost of the first i rows (in that order) cut into g runs; cut[g][i]: where the
  // last run starts. A run from j to i − 1 costs (i − j) · lengths[order[j]] (its first row is its longest).
  const best = Array.from({ length: m + 1 }, () => new Array<number>(N + 1).fill(Infinity));
  const cut = Array.from({ length: m + 1 }, () => new Array<number>(N + 1).fill(0));
  best[0][0] = 0;
  for (let g = 1; g <= m; g++) {
    for (let i = g; i <= N - (m - g); i++) {
      for (let j = g - 1; j < i; j++) {
        const cost = Math.max(best[g - 1][j], (i - j) * lengths[order[j]]);
        if (cost < best[g][i]) [best[g][i], cut[g][i]] = [cost, j];
      }
    }
  }
  const shards: T[][] = [];
  for (let g = m, i = N; g > 0; i = cut[g][i], g--) {
    shards.unshift(order.slice(cut[g][i], i).sort((a, b) => a - b).map((k) => items[k]));
  }
  return shards;
}

/**
 * Two gradient records summed, a + b, over every name either has: a weight that one part of a batch does not reach
 * has no gradient there (the learned switch, in rows without thoughts), and the other part's is the sum. New tensors:
 * the caller disposes `a` and `b`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { addGradients } from "@copra/train";
 * const sum = addGradients({ w: tf.tensor1d([1, 2]) }, { w: tf.tensor1d([3, 4]), s: tf.tensor1d([5]) });
 * assert.deepEqual(await sum.w.data(), new Float32Array([4, 6]));
 * assert.deepEqual(await sum.s.data(), new Float32Array([5]));
 * ```
 */
export function addGradients(a: Record<string, Tensor>, b: Record<string, Tensor>): Record<string, Tensor> {
  const sum: Record<string, Tensor> = {};
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
    sum[name] = a[name] && b[name] ? tf.add(a[name], b[name]) : (a[name] ?? b[name]).clone();
  }
  return sum;
}

/**
 * Each shard's share of the batch's normalizers, so that Σ shareₛ · lossₛ is the loss of the shards taken as one
 * batch (each shard's loss being a mean over its own labels).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shardWeights } from "@copra/train";
 * const shard = (labels: number[][]) => ({ ids: labels, labels, attentionMask: labels, positionIds: labels, latentPositions: [] });
 * // Labels after the first position count: 2 in the first shard, 1 in the second.
 * const w = shardWeights([shard([[-100, 5, 6]]), shard([[-100, -100, 7]])]);
 * assert.deepEqual(w.lm, [2 / 3, 1 / 3]);
 * assert.deepEqual(w.stop, [0, 0]);
 * ```
 */
export function shardWeights(batches: readonly Batch[]): ShardWeights {
  const lm = batches.map((b) => {
    let n = 0;
    b.labels.forEach((row, r) => {
      for (let t = 1; t < row.length; t++) if (row[t] !== -100) n += b.weights ? b.weights[r][t] : 1;
    });
    return n + (b.setTargets?.length ?? 0);
  });
  const stop = batches.map((b) => (b.stopLabels ?? []).flat().filter((y) => y === 0 || y === 1).length);
  const share = (xs: number[]) => {
    const total = xs.reduce((a, b) => a + b, 0);
    return xs.map((x) => (total > 0 ? x / total : 0));
  };
  return { lm: share(lm), stop: share(stop) };
}

/**
 * A batch's arrays as the tensors `latentForward` and the losses take (dispose them after use).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { batchTensors } from "@copra/train";
 * const t = batchTensors({ ids: [[1, 2]], labels: [[-100, 2]], attentionMask: [[1, 1]], positionIds: [[0, 1]], latentPositions: [[]] });
 * assert.deepEqual(t.ids.shape, [1, 2]);
 * assert.equal(t.weights, undefined);
 * t.ids.dispose(); t.labels.dispose(); t.attentionMask.dispose(); t.positionIds.dispose();
 * ```
 */
export function batchTensors(batch: Batch): LatentBatch & { labels: Tensor2D; weights?: Tensor2D } {
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
 * The head's share of a row's products (V·C against the blocks' 12·C²·L) from which training runs the tied head only on
 * the rows whose next label counts (`causalLmLossAtLabels`): 31% for GPT-2 small with its vocabulary (the head over the
 * question and thought rows was most of a Coconut step: 1,688 of 2,357 ms for micro with GPT-2's vocabulary), 4–7% for
 * copra's word-level models, which keep the head over every row and with it their OpenBLAS runs' exact numbers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HEAD_AT_LABELS_SHARE } from "@copra/train";
 * const gpt2 = 50257 / (50257 + 12 * 768 * 12); // GPT-2 small: the head's share of a row's products
 * assert.ok(gpt2 >= HEAD_AT_LABELS_SHARE);
 * ```
 */
export const HEAD_AT_LABELS_SHARE = 0.25;

/**
 * Whether training computes `config`'s logits only at labelled rows (see {@link HEAD_AT_LABELS_SHARE}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gpt2Config } from "@copra/model";
 * import { headAtLabels } from "@copra/train";
 * assert.equal(headAtLabels(gpt2Config("gpt2")), true);
 * assert.equal(headAtLabels(gpt2Config("nano", { vocab_size: 126 })), false);
 * ```
 */
export function headAtLabels(config: GPT2Config): boolean {
  const V = config.vocab_size;
  return V / (V + 12 * config.n_embd * config.n_layer) >= HEAD_AT_LABELS_SHARE;
}

/**
 * A batch's language-model loss through the thought loop (with `thoughts`, also the thoughts fed, B,n,C): the head
 * at labelled rows only where {@link headAtLabels} (and no set targets), else over every row. `weighted`: the
 * batch's label weights count (training); without, every label weighs 1 (the trainer's validation loss).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gpt2Config, initParams } from "@copra/model";
 * import { batchLmLoss, batchTensors } from "@copra/train";
 * const config = gpt2Config("nano", { vocab_size: 8, n_layer: 1, n_positions: 8 });
 * const params = initParams(config, { seed: 0 });
 * const batch = { ids: [[1, 2, 3]], labels: [[-100, 2, 3]], attentionMask: [[1, 1, 1]], positionIds: [[0, 1, 2]], latentPositions: [[]] };
 * const { loss } = batchLmLoss(params, config, batch, batchTensors(batch));
 * assert.ok(loss.dataSync()[0] > 0);
 * ```
 */
export function batchLmLoss(
  params: GPT2Params,
  config: GPT2Config,
  batch: Batch,
  tensors: ReturnType<typeof batchTensors>,
  options: LatentForwardOptions & { weighted?: boolean } = {},
): { loss: Scalar; thoughts?: Tensor3D } {
  const weights = options.weighted ? batch.weights : undefined;
  if (headAtLabels(config) && !batch.setTargets?.length) {
    const out = latentHidden(params, config, tensors, options);
    const loss = causalLmLossAtLabels(out.hidden, params["wte.weight"] as Tensor2D, batch.labels, weights);
    return { loss, thoughts: out.thoughts };
  }
  const out = latentForward(params, config, tensors, options);
  const loss = causalLmLoss(out.logits, tensors.labels, weights && tensors.weights, batch.setTargets);
  return { loss, thoughts: out.thoughts };
}

/**
 * One shard's share of the training loss: `lm` · its language-model loss + `stop` · `switchWeight` · its switch loss.
 * With shares of 1 it is the whole batch's loss, as the trainer computes it on one thread.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gpt2Config, initParams } from "@copra/model";
 * import { batchTensors, shardLoss } from "@copra/train";
 * const config = gpt2Config("nano", { vocab_size: 8, n_layer: 1, n_positions: 8 });
 * const params = initParams(config, { seed: 0 });
 * const batch = { ids: [[1, 2, 3]], labels: [[-100, 2, 3]], attentionMask: [[1, 1, 1]], positionIds: [[0, 1, 2]], latentPositions: [[]] };
 * const full = shardLoss(params, config, batch, batchTensors(batch), { lm: 1, stop: 1 }, 0, 0);
 * const half = shardLoss(params, config, batch, batchTensors(batch), { lm: 0.5, stop: 1 }, 0, 0);
 * assert.ok(Math.abs(half.dataSync()[0] - full.dataSync()[0] / 2) < 1e-6);
 * ```
 */
export function shardLoss(
  params: GPT2Params,
  config: GPT2Config,
  batch: Batch,
  tensors: ReturnType<typeof batchTensors>,
  share: { lm: number; stop: number },
  switchWeight: number,
  dropoutSeed: number,
): Scalar {
  const { loss, thoughts } = batchLmLoss(params, config, batch, tensors, {
    training: { seed: dropoutSeed },
    thoughts: switchWeight > 0,
    weighted: true,
  });
  const lm = tf.mul(loss, share.lm);
  if (switchWeight === 0 || !batch.stopLabels) return lm as Scalar;
  const stop = switchLoss(switchLogits(params, thoughts!), batch.stopLabels);
  return tf.add(lm, tf.mul(stop, share.stop * switchWeight)) as Scalar;
}

/** What a generation lane is asked: {@link GenerateOptions} without the callbacks (they cannot cross threads). */
export type LaneOptions = Pick<GenerateOptions, "eosId" | "maxNewTokens" | "switch">;

/**
 * A place where a batch of prompts can be generated with the current weights: a worker of a
 * {@link GradientPool} (see {@link GradientPool.lanes}). Results have no `text` (decode them where the tokenizer is).
 */
export interface GenerateLane {
  /** Greedy generation of one batch, as `generate` does it on the main thread. */
  generate(prompts: GenerationPrompt[], options: LaneOptions): Promise<Generation[]>;
}

/** A worker, the message replies it owes (in order), its failed step's error and its shared slot. */
interface Helper {
  worker: Worker;
  waiting: { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void }[];
  failure: Error | null;
  memory: PoolMemory;
}

/** Shards handed to the workers whose gradients are not collected yet. */
interface Posted {
  shards: readonly Batch[];
  seed: number;
  id: number;
  /** The weights generation they are computed with. */
  weights: number;
  /** Each shard's share of the batch's loss normalizers. */
  share: ShardWeights;
}

/**
 * Workers that compute gradients of batch shards alongside the main thread. Start one with
 * {@link GradientPool.start}, call {@link GradientPool.step} per batch (its shards) and {@link GradientPool.sync}
 * after each update, and {@link GradientPool.close} at the end. Weights and gradients cross through shared memory
 * (`Atomics` wake the waiting side), not messages. {@link GradientPool.prepare} hands the next batch's shards over
 * before the update, so that each worker starts the moment the new weights are written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { disposeParams, gpt2Config, initParams, useBackend } from "@copra/model";
 * import { GradientPool } from "@copra/train";
 * await useBackend("cpu");
 * const config = gpt2Config("nano", { vocab_size: 8, n_layer: 1, n_positions: 8, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 });
 * const params = initParams(config, { seed: 0 });
 * const shard = (ids: number[]) => ({ ids: [ids], labels: [[-100, ...ids.slice(1)]], attentionMask: [ids.map(() => 1)], positionIds: [ids.map((_, i) => i)], latentPositions: [[]] });
 * const pool = await GradientPool.start(2, config, params, { backend: "cpu" });
 * const { loss, grads } = await pool.step(params, [shard([1, 2, 3]), shard([4, 5, 6])], 0); // one shard here, one on the worker
 * assert.ok(Number.isFinite(loss) && "wte.weight" in grads);
 * await pool.sync(params); // after an optimizer step
 * pool.close();
 * tf.dispose(Object.values(grads));
 * disposeParams(params);
 * ```
 */
export class GradientPool {
  readonly #helpers: Helper[];
  readonly #config: GPT2Config;
  readonly #switchWeight: number;
  readonly #control: Int32Array<SharedArrayBuffer>;
  readonly #weights: Float32Array<SharedArrayBuffer>;
  readonly #layout: PoolSlot[];
  #generation = 0;
  #nextId = 1;
  #posted: Posted | null = null;
  /** Set when the workers' weights may differ from the main thread's: every later step fails with it. */
  #broken: Error | null = null;

  private constructor(
    helpers: Helper[],
    config: GPT2Config,
    switchWeight: number,
    control: Int32Array<SharedArrayBuffer>,
    weights: Float32Array<SharedArrayBuffer>,
    layout: PoolSlot[],
  ) {
    this.#helpers = helpers;
    this.#config = config;
    this.#switchWeight = switchWeight;
    this.#control = control;
    this.#weights = weights;
    this.#layout = layout;
  }

  /**
   * Starts `threads - 1` workers holding copies of `params` (the main thread is the first thread).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { disposeParams, gpt2Config, initParams, useBackend } from "@copra/model";
   * import { GradientPool } from "@copra/train";
   * await useBackend("cpu");
   * const config = gpt2Config("nano", { vocab_size: 16, n_layer: 1, n_positions: 16 });
   * const params = initParams(config, { seed: 0 });
   * const pool = await GradientPool.start(2, config, params, { backend: "cpu" });
   * assert.equal(pool.threads, 2);
   * pool.close();
   * disposeParams(params);
   * ```
   */
  static async start(
    threads: number,
    config: GPT2Config,
    params: GPT2Params,
    options: { backend: BackendName; switchWeight?: number },
  ): Promise<GradientPool> {
    const switchWeight = options.switchWeight ?? 0;
    const layout: PoolSlot[] = [];
    let floats = 0;
    for (const [name, p] of Object.entries(params)) {
      layout.push({ name, shape: p.shape, offset: floats, size: p.size });
      floats += p.size;
    }
    const control = new Int32Array(new SharedArrayBuffer(4 * poolDone(Math.max(threads - 1, 0))));
    const weights = new Float32Array(new SharedArrayBuffer(4 * floats));
    await writeWeights(weights, layout, params);
    const helpers: Helper[] = [];
    const pool = new GradientPool(helpers, config, switchWeight, control, weights, layout);
    try {
      for (let i = 1; i < threads; i++) {
        const worker = new Worker(new URL("./grad_worker.ts", import.meta.url), { type: "module" });
        const memory: PoolMemory = {
          control,
          weights,
          grads: new Float32Array(new SharedArrayBuffer(4 * floats)),
          present: new Int32Array(new SharedArrayBuffer(4 * layout.length)),
          loss: new Float64Array(new SharedArrayBuffer(8)),
          layout,
          slot: i - 1,
        };
        const helper: Helper = { worker, waiting: [], failure: null, memory };
        worker.onmessage = (e: MessageEvent<WorkerReply>) => {
          if (e.data.type === "error" && e.data.step) {
            helper.failure = new Error(`training worker ${i}: ${e.data.message}`);
            return;
          }
          const next = helper.waiting.shift();
          if (!next) return;
          if (e.data.type === "error") next.reject(new Error(`training worker ${i}: ${e.data.message}`));
          else next.resolve(e.data);
        };
        worker.onerror = (e: ErrorEvent) => {
          e.preventDefault();
          helper.failure = new Error(`training worker ${i} failed: ${e.message}`);
          for (const w of helper.waiting.splice(0)) w.reject(helper.failure);
        };
        helpers.push(helper);
      }
      const products = options.backend === "wasm" ? productsPath() : undefined;
      await Promise.all(
        helpers.map((h) =>
          pool.#ask(h, { type: "init", config, backend: options.backend, products, switchWeight, memory: h.memory })
        ),
      );
    } catch (error) {
      pool.close();
      throw error;
    }
    return pool;
  }

  /** Threads in use (the main thread included). */
  get threads(): number {
    return this.#helpers.length + 1;
  }

  /**
   * One generation lane per worker, with the weights of the last {@link GradientPool.sync} (or of the start):
   * `evaluate` spreads its batches over them and the main thread (`lanes` option).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { disposeParams, gpt2Config, initParams, useBackend } from "@copra/model";
   * import { GradientPool } from "@copra/train";
   * await useBackend("cpu");
   * const config = gpt2Config("nano", { vocab_size: 8, n_layer: 1, n_positions: 16 });
   * const params = initParams(config, { seed: 0 });
   * const pool = await GradientPool.start(2, config, params, { backend: "cpu" });
   * const [lane] = pool.lanes();
   * const prompt = { ids: [1, 2, 3], positionIds: [0, 1, 2], latentPositions: [] };
   * const [result] = await lane.generate([prompt], { eosId: 0, maxNewTokens: 2 });
   * assert.ok(result.generatedTokens <= 2);
   * pool.close();
   * disposeParams(params);
   * ```
   */
  lanes(): GenerateLane[] {
    return this.#helpers.map((helper, i) => ({
      generate: async (prompts, options) => {
        const reply = await this.#ask(helper, { type: "generate", prompts, options });
        if (reply.type !== "generated") throw new Error(`training worker ${i + 1}: unexpected reply ${reply.type}`);
        return reply.results;
      },
    }));
  }

  #ask(helper: Helper, request: WorkerRequest): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      helper.waiting.push({ resolve, reject });
      helper.worker.postMessage(request);
    });
  }

  /**
   * Hands shards 1… of the next batch to the workers now, to be computed with the weights of the coming
   * {@link GradientPool.sync} (`afterSync: true`: the caller updates before its next step) or with the current ones.
   * The next {@link GradientPool.step} must be given the same `shards` and `seed`. (Example: {@link GradientPool}.)
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { GradientPool } from "@copra/train";
   * assert.equal(typeof GradientPool.prototype.prepare, "function");
   * ```
   */
  prepare(shards: readonly Batch[], seed: number, options: { afterSync: boolean }): void {
    if (this.#broken) throw this.#broken;
    if (this.#posted) {
      throw new Error("GradientPool.prepare: the shards handed over before were not stepped yet (call step first)");
    }
    this.#post(shards, seed, this.#generation + (options.afterSync ? 1 : 0));
  }

  #post(shards: readonly Batch[], seed: number, weights: number): Posted {
    if (shards.length > this.threads || shards.length === 0) {
      throw new Error(`GradientPool: ${shards.length} shards for ${this.threads} threads`);
    }
    const share = shardWeights(shards);
    const posted: Posted = { shards, seed, id: this.#nextId++, weights, share };
    shards.slice(1).forEach((batch, k) =>
      this.#helpers[k].worker.postMessage(
        {
          type: "step",
          id: posted.id,
          weights,
          batch,
          share: { lm: share.lm[k + 1], stop: share.stop[k + 1] },
          seed: seed + k + 1,
        } satisfies WorkerRequest,
      )
    );
    this.#posted = posted;
    return posted;
  }

  /** Waits until worker k has written the gradients of step `id` into its slot. */
  async #collect(k: number, id: number): Promise<void> {
    const helper = this.#helpers[k], word = poolDone(k);
    for (;;) {
      const done = Atomics.load(this.#control, word);
      if (done === id) return;
      if (helper.failure) throw helper.failure;
      // Woken by the worker's notify without blocking this thread's event loop; once it has failed (or has not
      // answered for a second), the loop runs so that its error message arrives.
      if (done === POOL_FAILED) await new Promise((resolve) => setTimeout(resolve, 0));
      else {
        const wait = Atomics.waitAsync(this.#control, word, done, 1000);
        if (wait.async) await wait.value;
      }
    }
  }

  /**
   * The loss and gradients of a batch given as shards (at most `threads`): shard 0 here, the others on the workers,
   * summed in shard order. Shard s uses dropout seed `seed + s`. (Example: {@link GradientPool}.)
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { GradientPool } from "@copra/train";
   * assert.equal(typeof GradientPool.prototype.step, "function");
   * ```
   */
  async step(
    params: GPT2Params,
    shards: readonly Batch[],
    seed: number,
  ): Promise<{ loss: number; grads: Record<string, Tensor> }> {
    if (this.#broken) throw this.#broken;
    const posted = this.#posted ?? this.#post(shards, seed, this.#generation);
    if (posted.shards !== shards || posted.seed !== seed) {
      throw new Error("GradientPool.step: not the shards and seed handed over by prepare");
    }
    if (posted.weights !== this.#generation) {
      throw new Error("GradientPool.step: the shards wait for the weights of a sync that did not happen");
    }
    const { share } = posted;
    const tensors = batchTensors(shards[0]);
    const here = valueAndGrads(
      params,
      () =>
        shardLoss(
          params,
          this.#config,
          shards[0],
          tensors,
          { lm: share.lm[0], stop: share.stop[0] },
          this.#switchWeight,
          seed,
        ),
    );
    tf.dispose(Object.values(tensors).filter((t) => t instanceof tf.Tensor));
    // The sum in shard order, in float32 (each addition rounded as tf.add rounds it): this thread's, then each worker's.
    const layout = this.#layout;
    const sum = new Float32Array(this.#weights.length);
    const reached = new Uint8Array(layout.length);
    let loss: number;
    try {
      loss = await readShard(here.value, here.grads, layout, sum, reached);
    } finally {
      tf.dispose([here.value, ...Object.values(here.grads)]);
    }
    for (let k = 0; k < shards.length - 1; k++) {
      try {
        await this.#collect(k, posted.id);
      } catch (error) {
        this.#posted = null;
        this.#broken = error instanceof Error ? error : new Error(String(error));
        throw error;
      }
      const { grads, present, loss: theirs } = this.#helpers[k].memory;
      loss += theirs[0];
      for (let i = 0; i < layout.length; i++) {
        if (present[i] === 0) continue;
        const { offset, size } = layout[i];
        if (reached[i]) {
          for (let j = offset; j < offset + size; j++) sum[j] += grads[j];
        } else {
          sum.set(grads.subarray(offset, offset + size), offset);
          reached[i] = 1;
        }
      }
    }
    this.#posted = null;
    const out: Record<string, Tensor> = {};
    for (let i = 0; i < layout.length; i++) {
      const { name, shape, offset, size } = layout[i];
      if (reached[i]) out[name] = tf.tensor(sum.subarray(offset, offset + size), shape);
    }
    return { loss, grads: out };
  }

  /**
   * Writes the current weights where the workers take them (after an update); a worker holding shards from
   * {@link GradientPool.prepare} starts on them at once. Refuses weights of another layout than the start's, by
   * name, and then the pool refuses every later step (its workers would compute on the old weights). (Example:
   * {@link GradientPool}.)
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { GradientPool } from "@copra/train";
   * assert.equal(typeof GradientPool.prototype.sync, "function");
   * ```
   */
  async sync(params: GPT2Params): Promise<void> {
    if (this.#helpers.length === 0) return;
    if (this.#broken) throw this.#broken;
    // Nothing may be reading the region while it is rewritten: no worker between shards of the current weights, no
    // generation batch in flight.
    if (
      (this.#posted && this.#posted.weights !== this.#generation + 1) ||
      this.#helpers.some((h) => h.waiting.length > 0)
    ) {
      throw new Error("GradientPool.sync: workers are still computing with the current weights");
    }
    for (const { name, shape } of this.#layout) {
      const p = params[name];
      if (!p || p.shape.join() !== shape.join()) {
        this.#broken = new Error(
          `GradientPool.sync: weight ${name} is ${p ? `[${p.shape}]` : "missing"}, the pool holds [${shape}]: ` +
            "the workers keep the old weights, so no later step is computed",
        );
        throw this.#broken;
      }
    }
    await writeWeights(this.#weights, this.#layout, params);
    this.#generation++;
    Atomics.store(this.#control, POOL_WEIGHTS, this.#generation);
    Atomics.notify(this.#control, POOL_WEIGHTS);
  }

  /**
   * Stops the workers; a step still waiting on one is rejected. (Example: {@link GradientPool}.)
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { GradientPool } from "@copra/train";
   * assert.equal(typeof GradientPool.prototype.close, "function");
   * ```
   */
  close(): void {
    Atomics.store(this.#control, POOL_CLOSED, 1);
    Atomics.notify(this.#control, POOL_WEIGHTS);
    for (const h of this.#helpers) {
      h.worker.terminate();
      h.failure ??= new Error("the gradient pool was closed");
      for (const w of h.waiting.splice(0)) w.reject(new Error("the gradient pool was closed"));
    }
  }
}

/** Copies `params` into the shared weights region, laid out by `layout`. */
async function writeWeights(region: Float32Array, layout: readonly PoolSlot[], params: GPT2Params): Promise<void> {
  // the layout's slots follow each other in order: one read fills the region
  region.set(await flatValues(layout.map(({ name }) => params[name])));
}
