import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  AdamW,
  affine,
  attention,
  availableProducts,
  columnSums,
  geluNew,
  layerNorm,
  productsPath,
  useBackend,
  useProducts,
} from "../mod.ts";
import { isCurrent, WAT_MODULES } from "./wat_build.ts";

// The kernels' values and gradients are checked against autodiff of the plain formulas in layer_norm_test.ts,
// attention_test.ts and gelu_test.ts (which run on wasm too); here what only the wasm module has.

Deno.test("the shipped fused bytes are those of fused.wat (run `deno task build-wasm` after editing it)", async () => {
  assert.ok(await isCurrent(WAT_MODULES.fused), "fused_wasm_bytes.ts is stale");
});

Deno.test("wasm: masked keys get exactly 0 attention, however large the other scores", async () => {
  await useBackend("wasm");
  const [T, K, D] = [3, 7, 2];
  const q = tf.tensor4d(Float32Array.from({ length: T * D }, (_, i) => 20 * Math.cos(i)), [1, 1, T, D]);
  const k = tf.tensor4d(Float32Array.from({ length: K * D }, (_, i) => 20 * Math.sin(i)), [1, 1, K, D]);
  const bias = tf.tensor4d(Array.from({ length: T * K }, (_, i) => (i % K > Math.floor(i / K) + 1 ? -1e9 : 0)), [
    1,
    1,
    T,
    K,
  ]);
  // with the identity as values, the output rows are the attention weights themselves
  const identity = tf.eye(K).reshape([1, 1, K, K]);
  const p = await attention(q, k, identity, bias, 1).data();
  for (let t = 0; t < T; t++) {
    let total = 0;
    for (let j = 0; j < K; j++) {
      const w = p[t * K + j];
      if (j > t + 1) assert.equal(w, 0, `query ${t}, masked key ${j}: weight ${w}`);
      total += w;
    }
    assert.ok(Math.abs(total - 1) < 1e-6, `query ${t}: weights sum to ${total}`);
  }
  tf.dispose([q, k, bias, identity]);
});

Deno.test("wasm: LayerNorm, GELU and attention's softmax are one kernel call each way", async () => {
  await useBackend("wasm");
  const x = tf.randomNormal([2, 3, 10], 0, 1, "float32", 1), w = tf.ones([10]), b = tf.zeros([10]);
  const calls = async (f: () => tf.Tensor) => {
    const info = await tf.profile(() => tf.dispose(f()));
    return info.kernels.map((k) => k.name).filter((name) => name !== ""); // (custom ops record a nameless entry)
  };
  assert.deepEqual(await calls(() => layerNorm(x, w, b, 1e-5)), ["CopraLayerNorm"]);
  assert.deepEqual(await calls(() => geluNew(x)), ["CopraGelu"]);
  const grads = await calls(() => tf.grad((t: tf.Tensor) => tf.sum(layerNorm(t, w, b, 1e-5)))(x));
  assert.equal(grads.filter((n) => n.startsWith("CopraLayerNorm")).length, 2, grads.join(", "));
  assert.ok(!grads.includes("Mean") && !grads.includes("Rsqrt"), grads.join(", "));
  const q = tf.reshape(x, [2, 3, 2, 5]), bias = tf.zeros([1, 1, 2, 2]);
  const scores = await calls(() => attention(q, q, q, bias, 0.5));
  assert.ok(scores.includes("CopraMaskedSoftmax") && !scores.includes("Softmax"), scores.join(", "));
  tf.dispose([x, w, b, q, bias]);
});

Deno.test("wasm: LayerNorm's summed gradient kernel gives dx, and the column sums of dy·x̂ and dy, bit for bit", async () => {
  await useBackend("wasm");
  for (const [rows, C] of [[13, 11], [7, 48], [1, 3]]) {
    const dy = tf.randomNormal([rows, C], 0, 1, "float32", C), x = tf.randomNormal([rows, C], 1, 2, "float32", rows);
    const w = tf.randomNormal([C], 1, 0.5, "float32", 3);
    const [dx, dyXhat] = tf.engine().runKernel("CopraLayerNormGrads", { dy, x, w }, { eps: 1e-5 }) as tf.Tensor[];
    const summed = tf.engine().runKernel("CopraLayerNormGradsSummed", { dy, x, w }, { eps: 1e-5 }) as tf.Tensor[];
    const expected = [dx, columnSums(dyXhat), columnSums(dy)];
    assert.deepEqual(summed.map((t) => t.shape), expected.map((t) => t.shape));
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await summed[i].data(), await expected[i].data(), `output ${i} at ${rows}×${C}`);
    }
    tf.dispose([dy, x, w, dyXhat, ...summed, ...expected]);
  }
  // layerNorm's gradient takes it: no column sums after it
  const x = tf.randomNormal([2, 3, 10], 0, 1, "float32", 1), w = tf.ones([10]), b = tf.zeros([10]);
  const info = await tf.profile(() => {
    const g = tf.grads((t: tf.Tensor, tw: tf.Tensor, tb: tf.Tensor) => tf.sum(layerNorm(t, tw, tb, 1e-5)))([x, w, b]);
    tf.dispose(g);
  });
  const names = info.kernels.map((k) => k.name);
  assert.ok(names.includes("CopraLayerNormGradsSummed") && !names.includes("CopraColumnSums"), names.join(", "));
  tf.dispose([x, w, b]);
});

Deno.test("wasm: ArgMax over the last axis gives the cpu backend's indices: ties, NaN, ±0, -∞, tails", async () => {
  const rows: number[][] = [];
  for (const n of [1, 3, 4, 5, 8, 13, 50, 1027]) {
    const r = (i: number, k: number) => Math.sin(i * 12.9898 + k * 78.233) * 43758.5453 % 1;
    rows.push(Array.from({ length: n }, (_, i) => r(i, n))); // distinct numbers
    rows.push(Array.from({ length: n }, (_, i) => Math.floor(Math.abs(r(i, n + 1)) * 3))); // ties everywhere
    rows.push(Array.from({ length: n }, (_, i) => (i % 3 === 1 ? NaN : r(i, n + 2)))); // NaN inside
    rows.push(Array.from({ length: n }, (_, i) => (i === 0 ? NaN : r(i, n + 3)))); // NaN first: index 0
    rows.push(Array.from({ length: n }, (_, i) => (i % 2 ? 0 : -0))); // ±0 tie
    rows.push(Array.from({ length: n }, () => -Infinity));
    rows.push(Array.from({ length: n }, (_, i) => (i === n - 1 ? 1 : NaN)));
    rows.push(Array.from({ length: n }, (_, i) => (i === n - 1 || i === 2 ? 7 : -1))); // the max in a lane and the tail
  }
  const scan = (row: number[]) => { // tfjs's rule, written out: the first number, then only strictly larger ones
    let best = row[0], at = 0;
    for (let j = 1; j < row.length; j++) if (row[j] > best) [best, at] = [row[j], j];
    return at;
  };
  const indices = async (backend: "cpu" | "wasm") => {
    await useBackend(backend);
    const out: number[] = [];
    for (const row of rows) {
      const x = tf.tensor2d([row, row.slice().reverse()], [2, row.length], "float32");
      const x3 = tf.reshape(x, [2, 1, row.length]);
      const [a, b] = [tf.argMax(x, 1), tf.argMax(x3, -1)];
      out.push(...await a.data(), ...await b.data());
      tf.dispose([x, x3, a, b]);
    }
    return out;
  };
  const expected = rows.flatMap((row) => {
    const both = [scan(row), scan(row.slice().reverse())];
    return [...both, ...both];
  });
  assert.deepEqual(await indices("cpu"), expected);
  assert.deepEqual(await indices("wasm"), expected);
  // on wasm, one call of the SIMD kernel (float32, last axis); another axis keeps tfjs's kernel
  const m = tf.tensor2d([[1, 5], [7, 2]]);
  assert.deepEqual(await tf.argMax(m, 0).array(), [1, 0]);
  const v = tf.tensor1d([3, 9, 1, 9, 2]); // one row: a scalar index
  const iv = tf.argMax(v);
  assert.deepEqual([iv.shape, iv.dtype, await iv.array()], [[], "int32", 1]);
  tf.dispose([m, v, iv]);
});

Deno.test("wasm: Add and Multiply of one shape give float32 arithmetic element by element; broadcasts and int32 too", async () => {
  await useBackend("wasm");
  const start = tf.memory().numTensors;
  const special = [NaN, Infinity, -Infinity, -0, 0, 3.4e38, 1e-45];
  // every length of the eight- and four-wide steps and their tails
  for (const n of [0, 1, 3, 4, 5, 7, 8, 9, 12, 13, 35, 1000]) {
    const r = (i: number, k: number) => Math.fround(Math.sin(i * 12.9898 + k * 78.233) * 437.585);
    const a = Float32Array.from({ length: n }, (_, i) => (i % 11 === 5 ? special[i % special.length] : r(i, n)));
    const b = Float32Array.from(
      { length: n },
      (_, i) => (i % 13 === 2 ? special[(i + 3) % special.length] : r(i, n + 1)),
    );
    const [ta, tb] = [tf.tensor(a, [n]), tf.tensor(b, [n])];
    const [sum, product] = [tf.add(ta, tb), tf.mul(ta, tb)];
    // float32 operands: the double result rounded once is the float32 result
    assert.deepEqual(await sum.data(), a.map((x, i) => Math.fround(x + b[i])), `add n ${n}`);
    assert.deepEqual(await product.data(), a.map((x, i) => Math.fround(x * b[i])), `mul n ${n}`);
    tf.dispose([ta, tb, sum, product]);
  }
  // what the kernel leaves to tfjs's: broadcasting, int32
  const m = tf.tensor2d([[1, 2, 3], [4, 5, 6]]), row = tf.tensor1d([10, 20, 30]);
  const i = tf.tensor1d([2, 3], "int32");
  const results = [tf.add(m, row), tf.mul(m, 2), tf.add(i, i), tf.mul(i, i)];
  assert.deepEqual(await results[0].array(), [[11, 22, 33], [14, 25, 36]]);
  assert.deepEqual(await results[1].array(), [[2, 4, 6], [8, 10, 12]]);
  assert.deepEqual([results[2].dtype, await results[2].array(), await results[3].array()], ["int32", [4, 6], [4, 9]]);
  tf.dispose([m, row, i, ...results]);
  assert.equal(tf.memory().numTensors, start);
});

Deno.test("wasm: columnSums is one kernel call and equals float64 sums, tail columns included", async () => {
  await useBackend("wasm");
  const [B, T, C] = [3, 13, 11];
  const values = Float32Array.from({ length: B * T * C }, (_, i) => Math.sin(i * 0.7) * (1 + (i % 5)));
  const t = tf.tensor3d(values, [B, T, C]);
  const info = await tf.profile(async () => {
    const sums = await columnSums(t).data();
    for (let j = 0; j < C; j++) {
      let exact = 0;
      for (let r = 0; r < B * T; r++) exact += values[r * C + j];
      assert.ok(Math.abs(sums[j] - exact) < 1e-4, `column ${j}: ${sums[j]} vs ${exact}`);
    }
  });
  assert.deepEqual(info.kernels.map((k) => k.name), ["CopraColumnSums"]);
  t.dispose();
});

Deno.test("wasm: AdamW's gradient norm is one kernel call and equals the float64 norm, tails included", async () => {
  await useBackend("wasm");
  // Sizes with tails past the four lanes, one large enough that float32 sums would drift; values up to ±1e3.
  const sizes = [1, 5, 130, 3, 40_001];
  const arrays = sizes.map((n, k) =>
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + k) * 10 ** (k % 4))
  );
  const grads = Object.fromEntries(arrays.map((a, k) => [`w${k}`, tf.tensor1d(a)]));
  const params = Object.fromEntries(arrays.map((_, k) => [`w${k}`, tf.variable(tf.zerosLike(grads[`w${k}`]))]));
  const optimizer = new AdamW(params, { lr: 1e-3 });
  let norm = 0;
  const info = await tf.profile(async () => {
    const { gradNorm } = optimizer.apply(grads);
    norm = (await gradNorm.data())[0];
    gradNorm.dispose();
  });
  let exact = 0;
  for (const a of arrays) for (const x of a) exact += x * x;
  assert.ok(Math.abs(norm - Math.sqrt(exact)) <= 1e-6 * Math.sqrt(exact), `${norm} vs ${Math.sqrt(exact)}`);
  const names = info.kernels.map((k) => k.name);
  assert.equal(names.filter((n) => n === "CopraGlobalNorm").length, 1, names.join(" "));
  assert.ok(!names.includes("Square") && !names.includes("Sum"), names.join(" "));
  optimizer.dispose();
  tf.dispose([...Object.values(grads), ...Object.values(params)]);
});

Deno.test("wasm: affine is one kernel call and gives matMul + add bit for bit on every products path", async () => {
  await useBackend("wasm");
  const before = productsPath();
  const x = tf.randomNormal([13, 7], 0, 1, "float32", 1), w = tf.randomNormal([7, 10], 0, 1, "float32", 2);
  const b = tf.randomNormal([10], 0, 1, "float32", 3); // a tail of two past the four lanes
  const x3 = tf.randomNormal([3, 5, 7], 0, 1, "float32", 4); // rows along two leading axes, read in place
  try {
    for (const path of availableProducts()) {
      useProducts(path);
      for (const input of [x, x3]) {
        let ours: Float32Array = new Float32Array();
        let shape: number[] = [];
        const info = await tf.profile(async () => {
          const y = affine(input, w, b);
          [ours, shape] = [await y.data() as Float32Array, y.shape];
          y.dispose();
        });
        // (the custom gradient's scope is recorded too, without a name) — no Reshape for the 3-D input either
        assert.deepEqual(info.kernels.map((k) => k.name).filter((n) => n !== ""), ["CopraAffine"], path);
        assert.deepEqual(shape, [...input.shape.slice(0, -1), 10]);
        const plain = tf.add(tf.matMul(tf.reshape(input, [-1, 7]), w), b);
        assert.deepEqual(
          new Uint32Array(ours.buffer),
          new Uint32Array((await plain.data() as Float32Array).buffer),
          `${path}, x ${input.shape}`,
        );
        plain.dispose();
      }
    }
    // The gradients: one CopraAffineGrad call, bit for bit the composite's products and column sums on the rows as a
    // matrix (tfjs's own product path keeps the composite, with explicit transposes: within rounding there).
    for (const path of availableProducts()) {
      useProducts(path);
      for (const input of [x, x3]) {
        const r = tf.randomNormal([...input.shape.slice(0, -1), 10], 0, 1, "float32", 5);
        let got: tf.Tensor[] = [];
        const info = await tf.profile(() => {
          got = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(affine(a, c, d), r)))([
            input,
            w,
            b,
          ]);
          return got;
        });
        const names = info.kernels.map((k) => k.name);
        assert.equal(names.includes("CopraAffineGrad"), path !== "tfjs", `${path}: ${names.join(" ")}`);
        const rRows = tf.reshape(r, [-1, 10]), xRows = tf.reshape(input, [-1, 7]);
        const want = [
          tf.reshape(tf.matMul(rRows, w, false, true), input.shape),
          tf.matMul(xRows, rRows, true, false),
          columnSums(r),
        ];
        for (const [k, name] of ["dx", "dw", "db"].entries()) {
          assert.deepEqual(got[k].shape, want[k].shape, `${path} ${name}`);
          const [g, e] = [await got[k].data() as Float32Array, await want[k].data() as Float32Array];
          if (path === "tfjs") {
            assert.ok(g.every((v, n) => Math.abs(v - e[n]) < 1e-5), `${path} ${name}`);
          } else {
            assert.deepEqual(new Uint32Array(g.buffer), new Uint32Array(e.buffer), `${path} ${name}, x ${input.shape}`);
          }
        }
        tf.dispose([r, rRows, xRows, ...got, ...want]);
      }
    }
    // A bias of the wrong length is the composite's broadcast error, not a read past the bias.
    const short = tf.zeros([8]);
    assert.throws(() => affine(x, w, short), /broadcast|shape/i);
    short.dispose();
  } finally {
    useProducts(before);
    tf.dispose([x, x3, w, b]);
  }
});

Deno.test("wasm: CopraGelu's value is x·s to the bit, s its own gate output, over whole turns and tails", async () => {
  await useBackend("wasm");
  // The kernel takes 16 numbers a turn, the rest one at a time: 2,051 = 128·16 + 3, 155 = 9·16 + 11, and 9 (no turn).
  for (const [shape, seed] of [[[7, 293], 4], [[5, 31], 5], [[1, 9], 6]] as const) {
    const x = tf.randomNormal([...shape], 0, 3, "float32", seed);
    const [y, s] = tf.engine().runKernel("CopraGelu", { x }) as tf.Tensor[];
    const product = tf.mul(x, s);
    const [got, want] = [new Uint32Array((await y.data()).buffer), new Uint32Array((await product.data()).buffer)];
    const off = got.findIndex((v, i) => v !== want[i]);
    assert.equal(
      off,
      -1,
      `${shape}: element ${off}: ${new Float32Array(got.buffer)[off]} vs ${new Float32Array(want.buffer)[off]}`,
    );
    // …and s is GELU's gate: σ(k·x·(1 + a·x²)) within float rounding.
    const gate = tf.sigmoid(tf.mul(tf.mul(x, tf.add(tf.mul(tf.square(x), 0.044715), 1)), 2 * Math.sqrt(2 / Math.PI)));
    const worst = tf.max(tf.abs(tf.sub(s, gate)));
    assert.ok((await worst.data())[0] < 1e-6, `${shape}: gate off by ${(await worst.data())[0]}`);
    tf.dispose([x, y, s, product, gate, worst]);
  }
});

Deno.test("wasm: a NaN score makes its softmax row NaN (body or tail, any group), the other rows stay finite", async () => {
  await useBackend("wasm");
  // K = 7 (a vector and a tail of 3), 2·3·5 = 30 rows in one group; a per-row mask batch of 2.
  const [B, H, T, K] = [2, 3, 5, 7];
  const values = Float32Array.from({ length: B * H * T * K }, (_, i) => Math.sin(i) * 4);
  const nanRows = [0, 7, 29];
  values[nanRows[0] * K + 1] = NaN; // body
  values[nanRows[1] * K + 5] = NaN; // tail
  values[nanRows[2] * K + 6] = NaN; // the last number of the last row
  const x = tf.tensor4d(values, [B, H, T, K]);
  const bias = tf.tensor4d(Array.from({ length: B * T * K }, (_, i) => (i % K > (i / K) % T + 1 ? -1e9 : 0)), [
    B,
    1,
    T,
    K,
  ]);
  const s = tf.engine().runKernel("CopraMaskedSoftmax", { x, bias }, { scale: 0.5 }) as tf.Tensor;
  const out = await s.data();
  for (let r = 0; r < B * H * T; r++) {
    const row = out.slice(r * K, (r + 1) * K);
    if (nanRows.includes(r)) assert.ok(row.every(Number.isNaN), `row ${r}: ${row}`);
    else assert.ok(row.every(Number.isFinite), `row ${r}: ${row}`);
  }
  tf.dispose([x, bias, s]);
});
