import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { causalLmLoss, crossEntropy, useBackend } from "@copra/model";

await useBackend("cpu");

/** The weighted mean cross-entropy written with a one-hot and log-softmax: an independent reference. */
function reference(logits: tf.Tensor3D, labels: number[][], weights: number[][]): tf.Scalar {
  const [B, T, V] = logits.shape;
  const w = labels.flat().map((l, i) => (l === -100 ? 0 : weights.flat()[i]));
  const oneHot = tf.oneHot(labels.flat().map((l) => Math.max(l, 0)), V); // (N,V)
  const ce = tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(tf.reshape(logits, [B * T, V]))), 1)); // (N)
  return tf.div(tf.sum(tf.mul(ce, tf.tensor1d(w))), w.reduce((a, b) => a + b, 0)) as tf.Scalar;
}

Deno.test("crossEntropy with weights: the weighted mean over counted positions, value and gradient", async () => {
  const logits = tf.randomNormal([2, 3, 5], 0, 1, "float32", 7) as tf.Tensor3D;
  const labels = [[1, -100, 4], [0, 2, -100]];
  const weights = [[0.25, 9, 1], [1, 0.5, 9]]; // weights on ignored positions must not count
  const y = tf.tensor2d(labels, undefined, "int32"), w = tf.tensor2d(weights);
  const ours = (x: tf.Tensor) => crossEntropy(x as tf.Tensor3D, y, w);
  const ref = (x: tf.Tensor) => reference(x as tf.Tensor3D, labels, weights);
  assert.ok(Math.abs((await ours(logits).data())[0] - (await ref(logits).data())[0]) < 1e-6);
  const [g1, g2] = [await tf.grad(ours)(logits).data(), await tf.grad(ref)(logits).data()];
  for (let i = 0; i < g1.length; i++) assert.ok(Math.abs(g1[i] - g2[i]) < 1e-6, `gradient ${i}: ${g1[i]} vs ${g2[i]}`);
  tf.dispose([logits, y, w]);
});

Deno.test("crossEntropy: unit weights give the unweighted mean; all-zero weights give 0", async () => {
  const logits = tf.randomNormal([1, 4, 6], 0, 1, "float32", 3) as tf.Tensor3D;
  const y = tf.tensor2d([[5, -100, 0, 2]], undefined, "int32");
  const plain = (await crossEntropy(logits, y).data())[0];
  const ones = (await crossEntropy(logits, y, tf.ones([1, 4])).data())[0];
  assert.ok(Math.abs(plain - ones) < 1e-6);
  assert.equal((await crossEntropy(logits, y, tf.zeros([1, 4])).data())[0], 0);
  tf.dispose([logits, y]);
});

Deno.test("causalLmLoss shifts weights with the labels", async () => {
  const logits = tf.randomNormal([1, 4, 6], 0, 1, "float32", 5) as tf.Tensor3D;
  const labels = [[3, 1, 4, 1]], weights = [[7, 0.5, 1, 2]];
  const got = (await causalLmLoss(logits, tf.tensor2d(labels, undefined, "int32"), tf.tensor2d(weights)).data())[0];
  const shifted = tf.slice(logits, [0, 0, 0], [1, 3, 6]) as tf.Tensor3D;
  const want = (await reference(shifted, [[1, 4, 1]], [[0.5, 1, 2]]).data())[0];
  assert.ok(Math.abs(got - want) < 1e-6, `${got} vs ${want}`);
  tf.dispose([logits, shifted]);
});

Deno.test("setCrossEntropy: −log of the set's softmax mass, hand-computed, with gradient; joins causalLmLoss", async () => {
  const { setCrossEntropy } = await import("@copra/model");
  // Row 0, position 2 is predicted by the logits at position 1: [0, ln 2, ln 3, 0] → p = [1,2,3,1]/7.
  const logits = tf.tensor3d([[[5, 5, 5, 5], [0, Math.log(2), Math.log(3), 0], [1, 1, 1, 1]]]); // (1,3,4)
  const sum = (await setCrossEntropy(logits, [{ row: 0, position: 2, ids: [1, 2] }]).data())[0];
  assert.ok(Math.abs(sum - -Math.log(5 / 7)) < 1e-6, `${sum}`);
  // Gradient at the predicting row: softmax − softmax restricted to the set and renormalised.
  const g = tf.grad((x: tf.Tensor) => setCrossEntropy(x as tf.Tensor3D, [{ row: 0, position: 2, ids: [1, 2] }]))(
    logits,
  );
  const row = Array.from((await g.data()).slice(4, 8));
  const expected = [1 / 7, 2 / 7 - 2 / 5, 3 / 7 - 3 / 5, 1 / 7];
  row.forEach((x, i) => assert.ok(Math.abs(x - expected[i]) < 1e-6, `${row} vs ${expected}`));
  assert.ok(Array.from((await g.data()).slice(0, 4)).every((x) => x === 0)); // other positions untouched
  // In causalLmLoss: a set counts as one more position of weight 1 beside the ordinary labels.
  const labels = tf.tensor2d([[-100, 3, -100]], undefined, "int32"); // position 1's label, from logits at 0: ln 4
  const joined = (await causalLmLoss(logits, labels, undefined, [{ row: 0, position: 2, ids: [1, 2] }]).data())[0];
  assert.ok(Math.abs(joined - (Math.log(4) - Math.log(5 / 7)) / 2) < 1e-6, `${joined}`);
  // A set of one is the ordinary cross-entropy of that id.
  const one = (await setCrossEntropy(logits, [{ row: 0, position: 2, ids: [2] }]).data())[0];
  assert.ok(Math.abs(one - -Math.log(3 / 7)) < 1e-6);
  assert.throws(() => setCrossEntropy(logits, [{ row: 0, position: 0, ids: [1] }]), /outside/);
});

Deno.test("causalLmLossAtLabels: the head on labelled rows only gives the full head's loss and gradients", async () => {
  await useBackend("wasm");
  const { causalLmLossAtLabels, matMulT, availableProducts, productsPath, useProducts } = await import("@copra/model");
  const B = 3, T = 7, C = 8, V = 11;
  const hidden = tf.randomNormal([B, T, C], 0, 1, "float32", 5) as tf.Tensor3D;
  const wte = tf.randomNormal([V, C], 0, 1, "float32", 6) as tf.Tensor2D;
  // row 0: labels late (a Coconut answer); row 1: none at all; row 2: scattered
  const labels = [[-100, -100, -100, -100, 3, 9, 1], [-100, -100, -100, -100, -100, -100, -100], [
    -100,
    4,
    -100,
    10,
    -100,
    0,
    2,
  ]];
  const weights = [[0, 0, 0, 0, 1, 0.5, 2], [0, 0, 0, 0, 0, 0, 0], [0, 1, 0, 3, 0, 1, 0.25]];
  const before = productsPath();
  try {
    for (const path of availableProducts()) {
      useProducts(path);
      for (const w of [undefined, weights]) {
        const full = (h: tf.Tensor, e: tf.Tensor) =>
          causalLmLoss(
            tf.reshape(matMulT(tf.reshape(h, [B * T, C]), e), [B, T, V]) as tf.Tensor3D,
            tf.tensor2d(labels, undefined, "int32"),
            w ? tf.tensor2d(w) : undefined,
          );
        const rows = (h: tf.Tensor, e: tf.Tensor) =>
          causalLmLossAtLabels(h as tf.Tensor3D, e as tf.Tensor2D, labels, w);
        const a = tf.valueAndGrads(full)([hidden, wte]), b = tf.valueAndGrads(rows)([hidden, wte]);
        const [va, vb] = [await a.value.data(), await b.value.data()];
        assert.ok(Math.abs(va[0] - vb[0]) <= 1e-6 * Math.abs(va[0]), `${path}: loss ${va[0]} vs ${vb[0]}`);
        for (let i = 0; i < 2; i++) {
          const [ga, gb] = [await a.grads[i].data(), await b.grads[i].data()];
          let worst = 0;
          for (let j = 0; j < ga.length; j++) worst = Math.max(worst, Math.abs(ga[j] - gb[j]));
          assert.ok(worst <= 1e-6, `${path} ${w ? "weighted" : ""}: gradient ${i} differs by ${worst}`);
          // the rows without a counted next label get no gradient at all
          if (i === 0) {
            for (let t = 0; t < T; t++) {
              for (let c = 0; c < C; c++) if (gb[(1 * T + t) * C + c] !== 0) assert.fail("row 1");
            }
          }
        }
        tf.dispose([a.value, b.value, ...a.grads, ...b.grads]);
      }
    }
  } finally {
    useProducts(before);
  }
  // no counted label anywhere: loss 0, zero gradients, as the full head gives
  const none = tf.valueAndGrads((h: tf.Tensor, e: tf.Tensor) =>
    causalLmLossAtLabels(h as tf.Tensor3D, e as tf.Tensor2D, [labels[1], labels[1], labels[1]])
  )([hidden, wte]);
  assert.equal((await none.value.data())[0], 0);
  assert.ok((await none.grads[1].data()).every((x) => x === 0));
  tf.dispose([hidden, wte, none.value, ...none.grads]);
});
