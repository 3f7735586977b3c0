/**
 * GPT-2 on TensorFlow.js for copra: configuration and presets, parameters named as in Hugging Face GPT-2,
 * the forward pass (token ids or input embeddings, position ids, attention mask, KV cache, dropout), loss,
 * AdamW and learning-rate schedules, safetensors checkpoints, and backend selection (wasm, webgpu, cpu).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { AdamW, causalLmLoss, gpt2Config, gpt2Forward, initParams, useBackend, valueAndGrads } from "@copra/model";
 *
 * await useBackend("cpu");
 * const config = gpt2Config("nano", { vocab_size: 32 });
 * const params = initParams(config, { seed: 0 });
 * const opt = new AdamW(params, { lr: 1e-3 });
 * const ids = tf.tensor2d([[1, 2, 3, 4, 5]], undefined, "int32");
 * const loss = () => causalLmLoss(gpt2Forward(params, config, { ids }).logits!, ids);
 * const first = (await loss().data())[0];
 * for (let i = 0; i < 20; i++) {
 *   const { value, grads } = valueAndGrads(params, loss);
 *   opt.apply(grads);
 *   tf.dispose([value, ...Object.values(grads)]);
 * }
 * assert.ok((await loss().data())[0] < first);
 * ```
 *
 * @module
 */

import "./deno_host.ts";

// Everything a browser can run, and what needs Deno: checkpoint folders, optimizer-state files, OpenBLAS.
export * from "./browser.ts";
export { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
export * from "./optim_state.ts";
export * from "./blas.ts";
