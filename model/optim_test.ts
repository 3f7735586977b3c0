import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  AdamW,
  causalLmLoss,
  disposeParams,
  gpt2Config,
  gpt2Forward,
  type GPT2Params,
  initParams,
  loadOptimizerState,
  ModelError,
  saveOptimizerState,
  useBackend,
  valueAndGrads,
  warmupCosineLr,
} from "./mod.ts";

// cpu: the composite update; wasm and webgpu: the CopraAdamW kernels (adamw_wasm.ts, adamw_webgpu.ts).
for (const backend of ["cpu", "wasm", "webgpu"] as const) {
  Deno.test(`${backend}: AdamW: two steps on one weight equal the update worked out by hand`, async () => {
    await useBackend(backend);
    try {
      await twoStepsByHand();
    } finally {
      await useBackend("wasm");
    }
  });
}

async function twoStepsByHand(): Promise<void> {
  const params = { w: tf.variable(tf.scalar(1)) };
  const lr = 0.1, wd = 0.5, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const opt = new AdamW(params, { lr, weightDecay: wd });
  let w = 1, m = 0, v = 0;
  for (const [t, g] of [[1, 2], [2, -1]]) {
    opt.apply({ w: tf.scalar(g) });
    w = w * (1 - lr * wd);
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    w = w - (lr / (1 - b1 ** t)) * m / (Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + eps);
    assert.ok(Math.abs((await params.w.data())[0] - w) < 1e-6, `step ${t}`);
  }
  opt.dispose();
}

Deno.test("AdamW: the schedule sets each step's rate; decays() exempts parameters", async () => {
  await useBackend("cpu");
  const params = { a: tf.variable(tf.scalar(1)), b: tf.variable(tf.scalar(1)) };
  const schedule = warmupCosineLr({ lr: 0.1, warmupSteps: 2, totalSteps: 10 });
  const opt = new AdamW(params, { lr: schedule, weightDecay: 1, decays: (name) => name === "a" });
  const lrs: number[] = [];
  for (let i = 0; i < 3; i++) lrs.push(opt.apply({ a: tf.scalar(0), b: tf.scalar(0) }).lr);
  assert.deepEqual(lrs, [0.05, 0.1, 0.1]);
  // Zero gradients: only the decoupled decay moved "a"; "b" is exempt.
  assert.ok(Math.abs((await params.a.data())[0] - 0.95 * 0.9 * 0.9) < 1e-6);
  assert.equal((await params.b.data())[0], 1);
  assert.throws(() => opt.apply({ c: tf.scalar(1) }), (e: unknown) => e instanceof ModelError && e.value === "c");
  assert.throws(() => new AdamW(params, { beta1: 1 }), /beta1/);
  assert.throws(() => new AdamW(params, { clipNorm: 0 }), /clipNorm/);
});

/** n training steps of a nano GPT on a fixed batch. */
function train(params: GPT2Params, opt: AdamW, n: number): void {
  const config = gpt2Config("nano", { vocab_size: 24, n_positions: 16 });
  const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]], undefined, "int32");
  for (let i = 0; i < n; i++) {
    const { value, grads } = valueAndGrads(
      params,
      () => causalLmLoss(gpt2Forward(params, config, { ids, training: { seed: opt.step } }).logits!, ids),
    );
    const { gradNorm } = opt.apply(grads);
    tf.dispose([value, gradNorm, ...Object.values(grads)]);
  }
  ids.dispose();
}

Deno.test("optimizer state saved to a file and restored continues bit-identically (cpu)", async () => {
  await useBackend("cpu");
  const config = gpt2Config("nano", { vocab_size: 24, n_positions: 16 });
  const options = { lr: 1e-3, clipNorm: 1 };
  // Straight: 5 steps.
  const straight = initParams(config, { seed: 3 });
  const optA = new AdamW(straight, options);
  train(straight, optA, 5);
  // Interrupted: 3 steps, save weights + optimizer, restore into fresh objects, 2 more steps.
  const first = initParams(config, { seed: 3 });
  const optB = new AdamW(first, options);
  train(first, optB, 3);
  const path = `${await Deno.makeTempDir()}/optimizer.safetensors`;
  await saveOptimizerState(path, optB);
  const resumed = initParams(config, { seed: 99 });
  for (const name of Object.keys(resumed)) resumed[name].assign(first[name]);
  const optC = new AdamW(resumed, options);
  await loadOptimizerState(path, optC);
  assert.equal(optC.step, 3);
  train(resumed, optC, 2);
  for (const name of Object.keys(straight)) {
    assert.deepEqual(await resumed[name].data(), await straight[name].data(), name);
  }
  const wrong = new AdamW({ w: tf.variable(tf.zeros([2])) });
  await assert.rejects(() => loadOptimizerState(path, wrong), /m\.w: missing from the optimizer state/);
  [optA, optB, optC, wrong].forEach((o) => o.dispose());
  [straight, first, resumed].forEach(disposeParams);
  await Deno.remove(path);
});
