import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  AdamW,
  causalLmLoss,
  disposeParams,
  gpt2Config,
  gpt2Forward,
  initParams,
  useBackend,
  valueAndGrads,
} from "./mod.ts";

Deno.test("50 training steps on wasm leave the tensor count where it was", async () => {
  await useBackend("wasm");
  const config = gpt2Config("nano", { vocab_size: 64, n_positions: 32 });
  const before = tf.memory().numTensors;
  const params = initParams(config, { seed: 0 });
  const opt = new AdamW(params, { lr: 1e-3, clipNorm: 1 });
  const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8], [8, 7, 6, 5, 4, 3, 2, 1]], undefined, "int32");
  const counts: number[] = [];
  let firstLoss = 0, lastLoss = 0;
  for (let step = 0; step < 50; step++) {
    const { value, grads } = valueAndGrads(
      params,
      () => causalLmLoss(gpt2Forward(params, config, { ids, training: { seed: step } }).logits!, ids),
    );
    const { gradNorm } = opt.apply(grads);
    const loss = (await value.data())[0];
    if (step === 0) firstLoss = loss;
    lastLoss = loss;
    tf.dispose([value, gradNorm, ...Object.values(grads)]);
    counts.push(tf.memory().numTensors);
  }
  assert.equal(new Set(counts).size, 1, `tensor counts drifted: ${counts.slice(0, 5)} … ${counts.slice(-5)}`);
  assert.ok(lastLoss < firstLoss, `the model learns (${firstLoss} → ${lastLoss})`);
  ids.dispose();
  opt.dispose();
  disposeParams(params);
  assert.equal(tf.memory().numTensors, before);
});
