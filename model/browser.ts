/**
 * `@copra/model` in a browser: the same GPT-2, loss, optimizer, safetensors and backends (wasm with `wasmPaths`,
 * webgpu, cpu), without the parts that need Deno: checkpoint folders on disk (`saveCheckpoint`, `loadCheckpoint`,
 * the optimizer-state files) and OpenBLAS through FFI. Checkpoints come in as bytes: `parseSafetensors` +
 * `paramsFromSafetensors` + `parseConfigJson` (or `loadModel` of `@copra/infer/browser`, which reads a folder's
 * files from `File`s, `Blob`s, buffers or a URL).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { disposeParams, gpt2Config, initParams, paramsFromSafetensors, paramsToSafetensors, parseSafetensors } from "@copra/model/browser";
 * const config = gpt2Config("nano", { vocab_size: 16, n_layer: 1 });
 * const params = initParams(config, { seed: 0 });
 * const again = paramsFromSafetensors(parseSafetensors(await paramsToSafetensors(params)), config);
 * assert.deepEqual(again["wte.weight"].shape, params["wte.weight"].shape);
 * disposeParams(params);
 * disposeParams(again);
 * ```
 *
 * @module
 */

export * from "./backend.ts";
export * from "./saved_tensors.ts";
export type { BlasInfo } from "./blas.ts";
export {
  CHECKPOINT_FILES,
  gpt2ParamName,
  isAttentionBuffer,
  paramsFromSafetensors,
  paramsToSafetensors,
} from "./checkpoint.ts";
export * from "./config.ts";
export * from "./dropout.ts";
export * from "./errors.ts";
export { assignValues, flatValues } from "./flat.ts";
export * from "./gpt.ts";
export * from "./kernels/attention.ts";
export * from "./kernels/custom_op.ts";
export * from "./kernels/gelu.ts";
export { mergeHeads, splitHeads } from "./kernels/heads.ts";
export * from "./kernels/layer_norm.ts";
export { mlpResidual, type MlpWeights } from "./kernels/mlp.ts";
export * from "./kernels/rope.ts";
export * from "./loss.ts";
export * from "./ops.ts";
export * from "./packed.ts";
export * from "./optim.ts";
export * from "./grads.ts";
export * from "./params.ts";
export { availableProducts, type ProductsPath, productsPath, useProducts } from "./products.ts";
export * from "./safetensors.ts";
export * from "./schedule.ts";
export * from "./official.ts";
export * from "./torch_checkpoint.ts";
export * from "./torch_pickle.ts";
export * from "./switch.ts";
export * from "./tensors.ts";
export * from "./tidy.ts";
