import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { affine, geluNew, layerNorm, mlpResidual, type MlpWeights, useBackend } from "../mod.ts";
import { same } from "../testdata/autodiff.ts";
import { MLP_RESIDUAL_KERNEL } from "./mlp.ts";

const B = 2, T = 5, C = 12, N = 4 * C, EPS = 1e-5;

/** x (B,T,C) and the six weights, seeded, with LayerNorm's weight and bias away from 1 and 0. */
function inputs(): tf.Tensor[] {
  return [
    tf.randomNormal([B, T, C], 0, 1, "float32", 1),
    tf.randomNormal([C], 1, 0.2, "float32", 2),
    tf.randomNormal([C], 0, 0.2, "float32", 3),
    tf.randomNormal([C, N], 0, 0.3, "float32", 4),
    tf.randomNormal([N], 0, 0.1, "float32", 5),
    tf.randomNormal([N, C], 0, 0.3, "float32", 6),
    tf.randomNormal([C], 0, 0.1, "float32", 7),
  ];
}

const weights = ([lnWeight, lnBias, fcWeight, fcBias, projWeight, projBias]: tf.Tensor[]): MlpWeights => ({
  lnWeight,
  lnBias,
  fcWeight,
  fcBias,
  projWeight,
  projBias,
});
const fused = (...xs: tf.Tensor[]) => mlpResidual(xs[0], weights(xs.slice(1)), EPS);
/** The four lines of gpt.ts's MLP half with copra's ops, each its own kernel. */
const composite = (...[x, lnW, lnB, fcW, fcB, pW, pB]: tf.Tensor[]) =>
  tf.add(x, affine(geluNew(affine(layerNorm(x, lnW, lnB, EPS), fcW, fcB)), pW, pB));

/** The buffers the backend holds (the kernels' scratch included, which the engine does not count). */
const buffers = (): number => tf.engine().backend.numDataIds();

/** Value and the seven input gradients of `f` summed against a fixed weight, as arrays. */
async function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[]): Promise<Float32Array[]> {
  const weight = tf.randomNormal([B, T, C], 0, 1, "float32", 9);
  const value = tf.tidy(() => f(...xs));
  const grads = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), weight)))(xs);
  const out = await Promise.all([value, ...grads].map(async (t) => await t.data() as Float32Array));
  tf.dispose([weight, value, ...grads]);
  return out;
}

Deno.test("wasm: mlpResidual is one kernel each way and gives the composite's value and gradients bit for bit", async () => {
  await useBackend("wasm");
  assert.ok(tf.getKernel(MLP_RESIDUAL_KERNEL, "wasm"), "the fused kernel is registered on wasm");
  const xs = inputs();
  const before = { numTensors: tf.memory().numTensors, buffers: buffers() };
  const ours = await valueAndGrads(fused, xs);
  const theirs = await valueAndGrads(composite, xs);
  assert.equal(tf.memory().numTensors, before.numTensors, "no tensor left behind");
  assert.equal(buffers(), before.buffers, "no scratch buffer left behind");
  const names = ["value", "dx", "d ln weight", "d ln bias", "d fc weight", "d fc bias", "d proj weight", "d proj bias"];
  ours.forEach((a, i) => assert.deepEqual(a, theirs[i], `${names[i]} differs`));
  tf.dispose(xs);
});

Deno.test("wasm: mlpResidual's kernel is called once forward and once backward", async () => {
  await useBackend("wasm");
  const xs = inputs();
  const calls: string[] = [];
  const kernels = ["CopraMlpResidual", "CopraMlpResidualGrad", "CopraLayerNorm", "CopraAffine", "Add"];
  const originals = kernels.map((name) => tf.getKernel(name, "wasm")!);
  for (const k of originals) {
    tf.unregisterKernel(k.kernelName, "wasm");
    tf.registerKernel({ ...k, kernelFunc: (args) => (calls.push(k.kernelName), k.kernelFunc(args)) });
  }
  try {
    const grads = tf.grads((...ys: tf.Tensor[]) => tf.sum(fused(...ys)))(xs);
    tf.dispose(grads);
  } finally {
    for (const k of originals) {
      tf.unregisterKernel(k.kernelName, "wasm");
      tf.registerKernel(k);
    }
  }
  // the sum's gradient (a fill) reaches no Add: the only kernels of the list are the two fused ones
  assert.deepEqual(calls, ["CopraMlpResidual", "CopraMlpResidualGrad"]);
  tf.dispose(xs);
});

Deno.test("wasm: mlpResidual without a gradient tape gives the taped value and frees its intermediates", async () => {
  await useBackend("wasm");
  const xs = inputs();
  const before = { numTensors: tf.memory().numTensors, buffers: buffers() };
  const plain = fused(...xs);
  assert.equal(tf.memory().numTensors, before.numTensors + 1, "one tensor: the output");
  assert.equal(buffers(), before.buffers + 1, "one buffer: the output's");
  const [taped] = await valueAndGrads(fused, xs);
  assert.deepEqual(await plain.data(), taped);
  plain.dispose();
  tf.dispose(xs);
});

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`${backend}: mlpResidual equals autodiff of x + c_proj(gelu(c_fc(LayerNorm(x))))`, async () => {
    await useBackend(backend);
    const xs = inputs();
    const plain = (...[x, lnW, lnB, fcW, fcB, pW, pB]: tf.Tensor[]) => {
      const moments = tf.moments(x, -1, true);
      const m = tf.add(tf.mul(tf.div(tf.sub(x, moments.mean), tf.sqrt(tf.add(moments.variance, EPS))), lnW), lnB);
      const u = tf.add(tf.matMul(tf.reshape(m, [B * T, C]), fcW), fcB);
      const g = tf.mul(
        tf.mul(u, 0.5),
        tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(u, tf.mul(0.044715, tf.pow(u, 3)))))),
      );
      return tf.add(x, tf.reshape(tf.add(tf.matMul(g, pW), pB), [B, T, C]));
    };
    await same(fused, plain, xs, 2e-5);
    // inputs the kernel does not take (x as rows, rank 2) run the composite
    const rows = tf.reshape(xs[0], [B * T, C]);
    const y = mlpResidual(rows, weights(xs.slice(1)), EPS);
    assert.deepEqual(y.shape, [B * T, C]);
    const z = fused(...xs);
    assert.ok(Math.abs((await y.data())[0] - (await z.data())[0]) < 1e-5);
    tf.dispose([rows, y, z, ...xs]);
  });
}
