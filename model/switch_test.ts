import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  disposeParams,
  gpt2Config,
  initParams,
  initSwitch,
  switchLogits,
  switchLoss,
  useBackend,
  valueAndGrads,
} from "./mod.ts";

const config = gpt2Config("nano", { vocab_size: 11, n_embd: 8, n_head: 2 });

Deno.test("switch logits are h·w + b per thought, hand-computed", async () => {
  await useBackend("cpu");
  const params = { ...initParams(config), ...initSwitch(config) };
  params["coconut_switch.weight"].assign(tf.tensor1d([1, 0, 0, 0, 0, 0, 0, -2]));
  params["coconut_switch.bias"].assign(tf.tensor1d([0.5]));
  const h = tf.tensor3d([[[1, 9, 9, 9, 9, 9, 9, 1], [3, 0, 0, 0, 0, 0, 0, 0]]]); // (1,2,8)
  assert.deepEqual(Array.from(await switchLogits(params, h).data()), [1 + 0.5 - 2, 3.5]);
  disposeParams(params);
  h.dispose();
});

Deno.test("switch loss: BCE against a direct formula, ignored entries, and a gradient step lowers it", async () => {
  await useBackend("cpu");
  const z = [[-1.5, 0.3, 4], [2, -100, -100]];
  const labels = [[0, 0, 1], [1, -100, -100]];
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const expected = (-Math.log(1 - sig(-1.5)) - Math.log(1 - sig(0.3)) - Math.log(sig(4)) - Math.log(sig(2))) / 4;
  const got = (await switchLoss(tf.tensor2d(z), labels).data())[0];
  assert.ok(Math.abs(got - expected) < 1e-6, `${got} vs ${expected}`);
  // Large logits stay finite (the stable form).
  assert.ok(Number.isFinite((await switchLoss(tf.tensor2d([[200, -200]]), [[0, 1]]).data())[0]));
  // Learning: thoughts that differ only in channel 0 are separated after a few steps of plain gradient descent.
  const head = initSwitch(config);
  const h = tf.tensor3d([[[1, 0, 0, 0, 0, 0, 0, 0], [-1, 0, 0, 0, 0, 0, 0, 0]]]);
  const loss = () => switchLoss(switchLogits(head, h), [[0, 1]]);
  const before = (await loss().data())[0];
  for (let i = 0; i < 20; i++) {
    const { value, grads } = valueAndGrads(head, loss);
    for (const [name, g] of Object.entries(grads)) head[name].assign(tf.sub(head[name], tf.mul(g, 0.5)));
    tf.dispose([value, ...Object.values(grads)]);
  }
  const after = (await loss().data())[0];
  assert.ok(Math.abs(before - Math.log(2)) < 1e-6);
  assert.ok(after < 0.3, `loss ${after}`);
  assert.ok((await switchLogits(head, h).data())[1] > 0); // the second thought now says stop
  disposeParams(head);
  h.dispose();
});
