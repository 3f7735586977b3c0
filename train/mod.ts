/**
 * Training Coconut and its baselines: the trainer (curriculum over epochs, gradient accumulation, AdamW with a
 * reset policy, validation loss and accuracy each epoch, typed events), run folders with one checkpoint per
 * epoch, and exact resumption.
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
 * const { metrics, params } = await train(items.slice(0, 6), items.slice(6), {
 *   curriculum, model, tokenizer, epochs: 1, batchSize: 3, effectiveBatch: 3, lr: 1e-3, weightDecay: 0,
 *   clipNorm: 1, seed: 0, backend: "cpu", out, maxNewTokens: 2,
 * });
 * disposeParams(params);
 * assert.equal(metrics.length, 1); // one epoch: losses, held-out accuracy, tokens; checkpoint-0 under `out`
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./run.ts";
export * from "./trainer.ts";
export * from "./options.ts";
export * from "./evaluate.ts";
export * from "./diverged.ts";
export * from "./setup.ts";
export * from "./regime.ts";
export * from "./superposition.ts";
export * from "./tool_eval.ts";
export * from "./checkpoint_source.ts";
export * from "./official_args.ts";
export * from "./parallel.ts";
