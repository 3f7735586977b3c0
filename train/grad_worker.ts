/**
 * A training worker of {@link GradientPool} (internal): holds a copy of the weights on its own tfjs backend, takes
 * each update's weights from the pool's shared memory, writes each shard's scaled loss and gradients into its own
 * slot of that memory, and answers generation batches by message. Requests are handled one at a time, in order.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { generate } from "@copra/infer";
import { assignValues, type GPT2Config, type GPT2Params, useBackend, valueAndGrads } from "@copra/model";
import { batchTensors, shardLoss } from "./parallel.ts";
import {
  POOL_CLOSED,
  POOL_FAILED,
  POOL_WEIGHTS,
  poolDone,
  type PoolMemory,
  readShard,
  type WorkerReply,
  type WorkerRequest,
} from "./pool_protocol.ts";

const params: GPT2Params = {};
let config: GPT2Config | null = null;
let switchWeight = 0;
let queue: Promise<void> = Promise.resolve();
let memory: PoolMemory | null = null;
/** The generation of the weights this worker holds (0: those of the start). */
let held = 0;

/** The worker's own scope (this module only runs as a worker). */
const scope = self as unknown as {
  postMessage(message: WorkerReply): void;
  onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
};
const post = (reply: WorkerReply) => scope.postMessage(reply);

/** Blocks until the pool has written weights of generation `wanted` or later, then copies the newest in. */
function takeWeights(wanted: number): void {
  const { control, weights, layout } = memory!;
  for (let now = Atomics.load(control, POOL_WEIGHTS); now < wanted; now = Atomics.load(control, POOL_WEIGHTS)) {
    if (Atomics.load(control, POOL_CLOSED) !== 0) throw new Error("the gradient pool was closed");
    Atomics.wait(control, POOL_WEIGHTS, now, 1000);
  }
  const newest = Atomics.load(control, POOL_WEIGHTS);
  if (newest === held) return;
  // the layout's slots lie one after another: one upload, written into the variables in place (model/flat.ts)
  assignValues(layout.map(({ name }) => params[name] as tf.Variable), weights);
  held = newest;
}

async function handle(request: WorkerRequest): Promise<void> {
  if (request.type === "init") {
    await useBackend(request.backend, request.products ? { products: request.products } : {});
    config = request.config;
    switchWeight = request.switchWeight;
    memory = request.memory;
    const { weights, layout } = memory;
    for (const { name, shape, offset, size } of layout) {
      // a copy: the shared region is rewritten at every update (each variable its buffer's only holder: in place later)
      params[name] = tf.tidy(() => tf.variable(tf.tensor(weights.slice(offset, offset + size), shape), true));
    }
    post({ type: "ready" });
  } else if (request.type === "generate") {
    takeWeights(0);
    post({ type: "generated", results: await generate(params, config!, request.prompts, request.options) });
  } else {
    const { control, grads: out, present, loss: lossSlot, layout, slot } = memory!;
    try {
      takeWeights(request.weights);
      const tensors = batchTensors(request.batch);
      const { value, grads } = valueAndGrads(
        params,
        () => shardLoss(params, config!, request.batch, tensors, request.share, switchWeight, request.seed),
      );
      tf.dispose(Object.values(tensors).filter((t) => t instanceof tf.Tensor));
      // A weight the shard does not reach has no gradient (the switch, in rows without thoughts): marked absent.
      lossSlot[0] = await readShard(value, grads, layout, out, present);
      tf.dispose([value, ...Object.values(grads)]);
      Atomics.store(control, poolDone(slot), request.id);
    } catch (error) {
      Atomics.store(control, poolDone(slot), POOL_FAILED);
      throw error;
    } finally {
      Atomics.notify(control, poolDone(slot));
    }
  }
}

scope.onmessage = (e: MessageEvent<WorkerRequest>) => {
  const step = e.data.type === "step";
  queue = queue.then(() => handle(e.data)).catch((error) =>
    post({ type: "error", message: error instanceof Error ? error.message : String(error), step })
  );
};
