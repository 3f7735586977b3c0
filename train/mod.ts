/**
 * Training Coconut and its baselines: the trainer (curriculum over epochs, gradient accumulation, AdamW with a
 * reset policy, validation loss and accuracy each epoch, typed events), run folders with one checkpoint per
 * epoch, and exact resumption.
 *
 * @example
 * ```ts ignore
 * import { train } from "@copra/train";
 * const { metrics } = await train(trainItems, validItems, options, (event) => render(event));
 * ```
 *
 * @module
 */

export * from "./run.ts";
export * from "./trainer.ts";
export * from "./setup.ts";
export * from "./regime.ts";
