import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  availableProducts,
  type GPT2Config,
  gpt2Config,
  gpt2Forward,
  type GPT2Params,
  initParams,
  productsPath,
  useBackend,
  useProducts,
  valueAndGrads,
} from "../mod.ts";
import { ATTENTION_RESIDUAL_GRAD_KERNEL, ATTENTION_RESIDUAL_KERNEL } from "./attention_block.ts";
import { MLP_RESIDUAL_KERNEL } from "./mlp.ts";

// B 2 rows (the first left-padded by 5), T 70 new positions (the causal product cuts them into two blocks), then a
// second pass of one position (a Coconut thought: the last hidden state fed back) over the first pass's cache, and
// a third over the second's: every cache gets a gradient from the pass after it except the last.
const B = 2, T = 70, PAD = 5;

function setUp(positions: "absolute" | "rotary"): { config: GPT2Config; params: GPT2Params } {
  const config = gpt2Config("nano", {
    vocab_size: 16,
    n_positions: 128,
    n_layer: 2,
    n_embd: 24,
    n_head: 2,
    position_embedding_type: positions,
  });
  const params = initParams(config, { seed: 3 });
  const variables = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, tf.variable(v, true, k)]));
  tf.dispose(Object.values(params));
  return { config, params: variables as unknown as GPT2Params };
}

/**
 * Three passes as the latent loop runs them; the loss sums all their logits against fixed weights. With `dropLast`,
 * the last pass keeps no cache (`keepCache: false`, as training's last pass): `cacheSizes` gets each pass's cache length.
 */
function threePasses(params: GPT2Params, config: GPT2Config, dropLast = false, cacheSizes: number[] = []): tf.Scalar {
  const ids = tf.tensor2d(Array.from({ length: B * T }, (_, i) => (i * 7) % 16), [B, T], "int32");
  const mask1 = Array.from({ length: B * T }, (_, i) => i < PAD ? 0 : 1);
  const positions1 = Array.from({ length: B * T }, (_, i) => i < T ? Math.max(0, i - PAD) : i - T);
  const first = gpt2Forward(params, config, {
    ids,
    attentionMask: tf.tensor2d(mask1, [B, T]),
    positionIds: tf.tensor2d(positions1, [B, T], "int32"),
  });
  let hidden = first.hidden, cache = first.cache, loss = tf.sum(tf.mul(first.logits!, 0.01));
  for (let pass = 1; pass <= 2; pass++) {
    const K = T + pass;
    const mask = Array.from({ length: B * K }, (_, i) => i < PAD ? 0 : 1);
    const next = gpt2Forward(params, config, {
      embeds: tf.slice(hidden, [0, hidden.shape[1] - 1, 0], [B, 1, config.n_embd]),
      attentionMask: tf.tensor2d(mask, [B, K]),
      positionIds: tf.tensor2d([T - 1 - PAD + pass, T - 1 + pass], [B, 1], "int32"),
      cache,
      keepCache: !(dropLast && pass === 2),
    });
    cacheSizes.push(next.cache.length);
    hidden = next.hidden;
    cache = next.cache;
    loss = tf.add(loss, tf.sum(tf.mul(next.logits!, tf.range(1, 17).reshape([1, 1, 16]))));
  }
  return loss as tf.Scalar;
}

/** Tensors made from host values during the last {@link run}. */
let made = 0;

/** The loss and every gradient, with the fused kernels registered or not (then gpt.ts runs the composite). */
async function run(config: GPT2Config, params: GPT2Params, fused: boolean, dropLast = false): Promise<Float32Array[]> {
  const names = [ATTENTION_RESIDUAL_KERNEL, ATTENTION_RESIDUAL_GRAD_KERNEL, MLP_RESIDUAL_KERNEL];
  const kernels = names.map((name) => tf.getKernel(name, "wasm")!);
  const calls = new Map<string, number>();
  for (const k of kernels) {
    tf.unregisterKernel(k.kernelName, "wasm");
    if (fused) {
      tf.registerKernel({
        ...k,
        kernelFunc: (args) => (calls.set(k.kernelName, (calls.get(k.kernelName) ?? 0) + 1), k.kernelFunc(args)),
      });
    }
  }
  try {
    const cacheSizes: number[] = [];
    // tensors the engine makes from host values (the backprop's zero gradients for outputs nothing read, among them)
    const engine = tf.engine(), makeTensor = engine.makeTensor.bind(engine);
    engine.makeTensor = (...args) => (made++, makeTensor(...args));
    made = 0;
    let value: tf.Scalar, grads: tf.NamedTensorMap;
    try {
      ({ value, grads } = valueAndGrads(params, () => threePasses(params, config, dropLast, cacheSizes)));
    } finally {
      engine.makeTensor = makeTensor;
    }
    // the fused kernel returns no keys and values where none are kept; the composite ignores the option
    assert.deepEqual(cacheSizes, [config.n_layer, fused && dropLast ? 0 : config.n_layer]);
    const out = await Promise.all([value, ...Object.values(grads)].map(async (t) => await t.data() as Float32Array));
    tf.dispose([value, ...Object.values(grads)]);
    if (fused) {
      // two layers, three passes: each layer's attention once per pass each way
      assert.equal(calls.get(ATTENTION_RESIDUAL_KERNEL), 6);
      assert.equal(calls.get(ATTENTION_RESIDUAL_GRAD_KERNEL), 6);
    }
    return out;
  } finally {
    for (const k of kernels) {
      if (tf.getKernel(k.kernelName, "wasm")) tf.unregisterKernel(k.kernelName, "wasm");
      tf.registerKernel(k);
    }
  }
}

for (const positions of ["absolute", "rotary"] as const) {
  Deno.test(`wasm, ${positions}: the fused attention half gives the composite's loss and gradients bit for bit`, async () => {
    await useBackend("wasm");
    const { config, params } = setUp(positions);
    const path = productsPath();
    // every product routine that reads transposed operands: copra's SIMD kernels (the causal product's blocks) and
    // OpenBLAS where it is installed
    const paths = availableProducts().filter((p) => p !== "tfjs");
    assert.ok(paths.length > 0);
    try {
      for (const p of paths) {
        useProducts(p);
        const before = { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
        const fused = await run(config, params, true);
        assert.equal(tf.memory().numTensors, before.tensors, "no tensor left behind");
        assert.equal(tf.engine().backend.numDataIds(), before.buffers, "no scratch buffer left behind");
        const composite = await run(config, params, false);
        const names = ["loss", ...Object.keys(params)];
        fused.forEach((a, i) => assert.deepEqual(a, composite[i], `${p}: ${names[i]} differs`));
        // the last pass without its cache: no zero gradients for it, the same numbers, nothing left behind
        await run(config, params, true);
        const kept = made;
        const dropped = await run(config, params, true, true);
        assert.equal(made, kept - 2 * config.n_layer, "no zero gradients for the last pass's keys and values");
        assert.equal(tf.engine().backend.numDataIds(), before.buffers, "no buffer left behind without the cache");
        dropped.forEach((a, i) => assert.deepEqual(a, composite[i], `${p}, last cache dropped: ${names[i]} differs`));
        assert.ok(fused.slice(1).every((g) => g.some((x) => x !== 0)), "every weight has a gradient");
      }
    } finally {
      useProducts(path);
      tf.dispose(Object.values(params));
    }
  });
}

Deno.test("wasm: without a gradient tape the fused attention half gives the composite's logits and cache", async () => {
  await useBackend("wasm");
  const { config, params } = setUp("rotary");
  const forward = (fused: boolean) => {
    const kernel = tf.getKernel(ATTENTION_RESIDUAL_KERNEL, "wasm")!;
    if (!fused) tf.unregisterKernel(ATTENTION_RESIDUAL_KERNEL, "wasm");
    try {
      return tf.tidy(() => {
        const ids = tf.tensor2d(Array.from({ length: B * T }, (_, i) => i % 16), [B, T], "int32");
        const first = gpt2Forward(params, config, { ids });
        const next = gpt2Forward(params, config, {
          ids: tf.tensor2d([[3], [4]], undefined, "int32"),
          cache: first.cache,
        });
        return [next.logits!, ...next.cache.flatMap((c) => [c.k, c.v])];
      });
    } finally {
      if (!fused) tf.registerKernel(kernel);
    }
  };
  const before = { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
  const ours = forward(true);
  assert.equal(tf.engine().backend.numDataIds() - before.buffers, ours.length, "only the outputs' buffers");
  const theirs = forward(false);
  for (let i = 0; i < ours.length; i++) assert.deepEqual(await ours[i].data(), await theirs[i].data());
  tf.dispose([...ours, ...theirs, ...Object.values(params)]);
  assert.equal(tf.memory().numTensors, before.tensors - Object.keys(params).length);
});
