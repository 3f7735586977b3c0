/**
 * A training worker of {@link GradientPool} (internal): holds a copy of the weights on its own tfjs backend and
 * answers each shard with its scaled loss and gradients, and each generation batch with its results. Requests are handled one at a time, in order.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { generate } from "@copra/infer";
import { type GPT2Config, type GPT2Params, useBackend, valueAndGrads } from "@copra/model";
import { batchTensors, shardLoss, type WorkerReply, type WorkerRequest } from "./parallel.ts";

const params: GPT2Params = {};
let config: GPT2Config | null = null;
let switchWeight = 0;
let queue: Promise<void> = Promise.resolve();
/** Set when an update's weights could not be taken: every later request fails with it. */
let stale: string | null = null;

/** The worker's own scope (this module only runs as a worker). */
const scope = self as unknown as {
  postMessage(message: WorkerReply, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
};
const post = (reply: WorkerReply) => scope.postMessage(reply);

async function handle(request: WorkerRequest): Promise<void> {
  if (stale) throw new Error(stale);
  if (request.type === "init") {
    await useBackend(request.backend, request.products ? { products: request.products } : {});
    config = request.config;
    switchWeight = request.switchWeight;
    for (const [name, p] of Object.entries(request.params)) {
      params[name] = tf.variable(tf.tensor(p.data, p.shape), true);
    }
    post({ type: "ready" });
  } else if (request.type === "params") {
    // No reply: the main thread does not wait for this. A failure here is kept and answers every later request, so
    // no shard is ever computed on stale weights.
    try {
      for (const [name, data] of Object.entries(request.params)) {
        tf.tidy(() => (params[name] as tf.Variable).assign(tf.tensor(data, params[name].shape)));
      }
    } catch (error) {
      stale = `the weights sent after an update could not be set (${
        error instanceof Error ? error.message : String(error)
      })`;
    }
  } else if (request.type === "generate") {
    post({ type: "generated", results: await generate(params, config!, request.prompts, request.options) });
  } else {
    const tensors = batchTensors(request.batch);
    const { value, grads } = valueAndGrads(
      params,
      () => shardLoss(params, config!, request.batch, tensors, request.share, switchWeight, request.seed),
    );
    tf.dispose(Object.values(tensors).filter((t) => t instanceof tf.Tensor));
    const out: Record<string, Float32Array<ArrayBuffer>> = {};
    // Copies (`data()` may be the backend's own array, as on cpu), handed over to the main thread rather than cloned.
    for (const [name, g] of Object.entries(grads)) out[name] = (await g.data() as Float32Array).slice();
    const loss = (await value.data())[0];
    tf.dispose([value, ...Object.values(grads)]);
    scope.postMessage({ type: "grads", loss, grads: out }, Object.values(out).map((a) => a.buffer));
  }
}

scope.onmessage = (e: MessageEvent<WorkerRequest>) => {
  queue = queue.then(() => handle(e.data)).catch((error) =>
    post({ type: "error", message: error instanceof Error ? error.message : String(error) })
  );
};
