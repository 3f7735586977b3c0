/**
 * How a `GradientPool` and its workers talk (internal, not exported by the package): the shared memory each
 * worker gets, its control words, and the messages that still go by `postMessage` (start, shards, generation).
 *
 * Weights: the main thread writes them into one shared region and then stores their generation in
 * `control[POOL_WEIGHTS]` (`Atomics.store` + `notify`); a worker blocks in `Atomics.wait` until the generation its
 * shard asks for is there and copies the region into its variables. Gradients: each worker writes its shard's into
 * its own slot and then stores the step's id in its done word; the main thread waits on that word. Each side writes a
 * region only while the other cannot be reading it (the pool's `sync` refuses otherwise).
 *
 * @module
 */

import type { Batch } from "@copra/curriculum";
import type { Generation, GenerationPrompt } from "@copra/infer";
import { type BackendName, flatValues, type GPT2Config, type ProductsPath, type Tensor } from "@copra/model";
import type { LaneOptions } from "./parallel.ts";

/** Where one weight lives in the pool's shared memory (in floats). */
export interface PoolSlot {
  /** Parameter name. */
  name: string;
  /** Its shape. */
  shape: number[];
  /** First float of it. */
  offset: number;
  /** Its number of floats. */
  size: number;
}

/**
 * The memory a `GradientPool` shares with one worker: the control words, the weights of the last update (one
 * region for all workers) and the worker's own slot for a shard's gradients, which weights it reached and its loss.
 */
export interface PoolMemory {
  /** {@link POOL_WEIGHTS}: generation of the weights region; {@link POOL_CLOSED}; `poolDone(k)`: worker k's last step. */
  control: Int32Array<SharedArrayBuffer>;
  /** The weights, laid out by `layout`. */
  weights: Float32Array<SharedArrayBuffer>;
  /** This worker's gradients, laid out by `layout`. */
  grads: Float32Array<SharedArrayBuffer>;
  /** Per entry of `layout`: 1 when the shard reached the weight (it has a gradient), else 0. */
  present: Int32Array<SharedArrayBuffer>;
  /** The shard's scaled loss. */
  loss: Float64Array<SharedArrayBuffer>;
  /** Every weight's place. */
  layout: PoolSlot[];
  /** This worker's index (0 for the first worker). */
  slot: number;
}

/** Control word: the generation of the shared weights (0 at the start, one more per {@link GradientPool.sync}). */
export const POOL_WEIGHTS: number = 0;
/** Control word: 1 once the pool is closed (a worker waiting for weights gives up). */
export const POOL_CLOSED: number = 1;
/** A worker's done word when its shard failed (its error follows as a message). */
export const POOL_FAILED: number = -1;

/**
 * The control word where worker `k` puts the id of the last step whose gradients are in its slot.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { poolDone } from "./pool_protocol.ts";
 * assert.equal(poolDone(0), 2);
 * ```
 */
export function poolDone(k: number): number {
  return 2 + k;
}

/** What a worker is told. */
export type WorkerRequest =
  | {
    type: "init";
    config: GPT2Config;
    backend: BackendName;
    /** wasm: the main thread's products path, so that every shard computes with the same arithmetic. */
    products?: ProductsPath;
    switchWeight: number;
    /** The shared memory; its weights region holds the starting weights (generation 0). */
    memory: PoolMemory;
  }
  | {
    type: "step";
    /** Written to the worker's done word with its gradients. */
    id: number;
    /** The weights generation the shard is computed with (the worker waits for it). */
    weights: number;
    batch: Batch;
    share: { lm: number; stop: number };
    seed: number;
  }
  | { type: "generate"; prompts: GenerationPrompt[]; options: LaneOptions };

/** What a worker answers by message (a step's gradients go through the shared memory). */
export type WorkerReply =
  | { type: "ready" }
  | { type: "generated"; results: Generation[] }
  | { type: "error"; message: string; step: boolean };

/**
 * A shard's loss and gradients, read at once (`flatValues`) into `into` at the layout's offsets; `reached[i]` is 1 for
 * each weight with a gradient (the shard may not reach the switch) and 0 otherwise. Returns the loss. Both ends of the
 * pool read their shard this way: the main thread into its sum, a worker into its slot.
 */
export async function readShard(
  value: Tensor,
  grads: Record<string, Tensor>,
  layout: readonly PoolSlot[],
  into: Float32Array,
  reached: Uint8Array | Int32Array,
): Promise<number> {
  const mine = layout.map(({ name }) => grads[name]);
  const values = await flatValues([value, ...mine.filter((g) => g !== undefined)]);
  let at = 1;
  for (let i = 0; i < layout.length; i++) {
    reached[i] = mine[i] ? 1 : 0;
    if (!mine[i]) continue;
    const { offset, size } = layout[i];
    into.set(values.subarray(at, at + size), offset);
    at += size;
  }
  return values[0];
}
