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

/** The worker's own scope (this module only runs as a worker). */
const scope = self as unknown as {
  postMessage(message: WorkerReply): void;
  onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
};
const post = (reply: WorkerReply) => scope.postMessage(reply);

async function handle(request: WorkerRequest): Promise<void> {
  if (request.type === "init") {
    await useBackend(request.backend, request.products ? { products: request.products } : {});
    config = request.config;
    switchWeight = request.switchWeight;
    for (const [name, p] of Object.entries(request.params)) {
      params[name] = tf.variable(tf.tensor(p.data, p.shape), true);
    }
    post({ type: "ready" });
  } else if (request.type === "params") {
    for (const [name, data] of Object.entries(request.params)) {
      tf.tidy(() => (params[name] as tf.Variable).assign(tf.tensor(data, params[name].shape)));
    }
    post({ type: "ready" });
  } else if (request.type === "generate") {
    post({ type: "generated", results: await generate(params, config!, request.prompts, request.options) });
  } else {
    const tensors = batchTensors(request.batch);
    const { value, grads } = valueAndGrads(
      params,
      () => shardLoss(params, config!, request.batch, tensors, request.share, switchWeight, request.seed),
    );
    tf.dispose(Object.values(tensors).filter((t) => t instanceof tf.Tensor));
    const out: Record<string, Float32Array> = {};
    for (const [name, g] of Object.entries(grads)) out[name] = await g.data() as Float32Array;
    const loss = (await value.data())[0];
    tf.dispose([value, ...Object.values(grads)]);
    post({ type: "grads", loss, grads: out });
  }
}

scope.onmessage = (e: MessageEvent<WorkerRequest>) => {
  queue = queue.then(() => handle(e.data)).catch((error) =>
    post({ type: "error", message: error instanceof Error ? error.message : String(error) })
  );
};
