import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../mod.ts";
import { reregisterAdamWKernel } from "./adamw_wasm.ts";
import { isCurrent, WAT_MODULES } from "./wat_build.ts";

Deno.test("the shipped AdamW bytes are those of adamw.wat (run `deno task build-wasm` after editing it)", async () => {
  assert.ok(await isCurrent(WAT_MODULES.adamw), "adamw_wasm_bytes.ts is stale");
});

Deno.test("wasm: AdamW's SIMD loop gives the JavaScript loop's float32 results bit for bit, odd tails included", async () => {
  await useBackend("wasm");
  const attrs = {
    decay: 1 - 3e-3 * 0.01,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    step: 3e-3 / 0.19,
    bc2sqrt: Math.sqrt(0.0199),
  };
  const run = async (simd: boolean, n: number, seed: number) => {
    reregisterAdamWKernel({ simd });
    const outs = tf.tidy(() => {
      const inputs = {
        p: tf.randomNormal([n], 0, 1, "float32", seed),
        m: tf.mul(tf.randomNormal([n], 0, 1, "float32", seed + 1), 1e-3),
        // second moments from 0 (a fresh parameter) to large
        v: tf.mul(tf.square(tf.randomNormal([n], 0, 1, "float32", seed + 2)), tf.scalar(n % 2 ? 1e-6 : 0)),
        g: tf.mul(tf.randomNormal([n], 0, 1, "float32", seed + 3), 10),
        scale: tf.scalar(0.37),
      };
      return tf.engine().runKernel(
        "CopraAdamW",
        inputs as unknown as tf.NamedTensorMap,
        attrs,
      ) as unknown as tf.Tensor[];
    });
    const data = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
    tf.dispose(outs);
    return data.map((d) => new Uint32Array(d.buffer)); // the bits
  };
  try {
    for (const [n, seed] of [[1, 1], [2, 2], [7, 3], [1001, 4], [4096, 5]]) {
      const [simd, js] = [await run(true, n, seed), await run(false, n, seed)];
      ["p", "m", "v"].forEach((name, k) => assert.deepEqual(simd[k], js[k], `${name}, n = ${n}`));
    }
  } finally {
    reregisterAdamWKernel({ simd: true });
  }
});

Deno.test("wasm: AdamW updates every parameter in one call, in place, with the per-parameter path's bits", async () => {
  await useBackend("wasm");
  const { AdamW } = await import("../optim.ts");
  const shapes = [[3, 5], [7], [1], [4, 4, 3], [33]]; // odd tails for the SIMD loop
  const make = () =>
    Object.fromEntries(
      shapes.map((s, i) => [`w${i}`, tf.tidy(() => tf.variable(tf.randomNormal(s, 0, 1, "float32", 10 + i)))]),
    );
  const a = make(), b = make();
  const options = { lr: 3e-2, weightDecay: 0.1, clipNorm: 1, decays: (name: string) => name !== "w1" };
  const optA = new AdamW(a, options), optB = new AdamW(b, options);
  const calls: string[] = [];
  const runKernel = tf.engine().runKernel.bind(tf.engine());
  tf.engine().runKernel = (name, inputs, attrs) => (calls.push(name), runKernel(name, inputs, attrs));
  const norms: number[][] = [[], []];
  try {
    for (let step = 0; step < 3; step++) {
      // gradients large enough that the norm is clipped
      const grads = (params: Record<string, tf.Variable>) =>
        Object.fromEntries(
          Object.entries(params).map((
            [n, w],
            i,
          ) => [n, tf.randomNormal(w.shape, 0, 3, "float32", 1000 + 100 * step + i)]),
        );
      for (
        const [k, [params, opt]] of [[a, optA], [b, optB]].entries() as Iterable<[number, [typeof a, typeof optA]]>
      ) {
        const g = grads(params);
        // b's weights each shared with a clone (copra's Identity shares buffers on wasm): not updatable in place
        const clones = k === 1 ? Object.values(b).map((w) => tf.clone(w)) : [];
        const before = await Promise.all(clones.map((c) => c.data()));
        calls.length = 0;
        const { gradNorm } = opt.apply(g);
        assert.deepEqual(await Promise.all(clones.map((c) => c.data())), before, "a tensor sharing a weight keeps it");
        tf.dispose(clones);
        if (k === 0) assert.deepEqual(calls, ["CopraAdamWAll"], "one kernel call for every parameter");
        else assert.ok(!calls.includes("CopraAdamWAll") && calls.includes("CopraAdamW"), "per parameter");
        norms[k].push((await gradNorm.data())[0]);
        tf.dispose([gradNorm, ...Object.values(g)]);
      }
    }
  } finally {
    tf.engine().runKernel = runKernel;
  }
  assert.ok(norms[0].every((n) => n > 1), "clipping was active");
  assert.deepEqual(norms[0], norms[1]);
  const bits = async (ts: tf.Tensor[]) =>
    (await Promise.all(ts.map((t) => t.data() as Promise<Float32Array>))).map((d) =>
      Array.from(new Uint32Array(d.buffer))
    );
  assert.deepEqual(await bits(Object.values(a)), await bits(Object.values(b)), "weights");
  assert.deepEqual(
    await bits(Object.values(optA.state().tensors)),
    await bits(Object.values(optB.state().tensors)),
    "moments",
  );
  tf.dispose([...Object.values(a), ...Object.values(b)]);
  optA.dispose();
  optB.dispose();
});

Deno.test("wasm: the in-place AdamW kernel refuses a buffer another tensor shares, naming it", async () => {
  await useBackend("wasm");
  const p = tf.ones([4]), alias = tf.clone(p), m = tf.zeros([4]), v = tf.zeros([4]), g = tf.ones([4]);
  const attrs = { decays: [1], beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 0.1, bc2sqrt: 0.03, clip: -1 };
  assert.throws(
    () => tf.engine().runKernel("CopraAdamWAll", { p0: p, m0: m, v0: v, g0: g }, attrs as unknown as tf.NamedAttrMap),
    /p0 shares its buffer/,
  );
  assert.deepEqual(await p.data(), new Float32Array([1, 1, 1, 1]));
  tf.dispose([p, alias, m, v, g]);
});
