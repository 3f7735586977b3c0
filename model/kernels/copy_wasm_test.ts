import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "@copra/random";
import { useBackend } from "../mod.ts";
import { isCurrent, WAT_MODULES } from "./wat_build.ts";

/** The op on the cpu backend (tfjs's generic kernels: the reference) and on wasm (copra's copies). */
async function both(
  make: () => tf.Tensor[],
  op: (inputs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
): Promise<{ cpu: unknown[]; wasm: unknown[] }> {
  const run = async (backend: "cpu" | "wasm") => {
    await useBackend(backend);
    const inputs = make();
    const before = { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
    // tfjs-wasm's Slice copies its whole input out of the memory first (readSync); copra's copies in place
    const backendObject = tf.engine().backend as unknown as { readSync: (...args: unknown[]) => unknown };
    const readSync = backendObject.readSync;
    let reads = 0;
    backendObject.readSync = (...args) => (reads++, readSync.apply(backendObject, args));
    let outs: tf.Tensor[];
    try {
      outs = [op(inputs)].flat();
    } finally {
      backendObject.readSync = readSync;
    }
    if (backend === "wasm") assert.equal(reads, 0, "no synchronous read of the input");
    const got = await Promise.all(outs.map(async (t) => ({ shape: t.shape, dtype: t.dtype, values: await t.array() })));
    tf.dispose(outs);
    assert.equal(tf.memory().numTensors, before.tensors, `${backend}: nothing left behind`);
    assert.equal(tf.engine().backend.numDataIds(), before.buffers, `${backend}: no buffer left behind`);
    const kept = await Promise.all(inputs.map((t) => t.array()));
    tf.dispose(inputs);
    return [...got, { inputsAfter: kept }]; // the inputs unchanged too
  };
  return { cpu: await run("cpu"), wasm: await run("wasm") };
}

/** A tensor of `shape` whose entries are distinct (float32, int32) or varied (bool), from `rng`. */
function filled(rng: Rng, shape: number[], dtype: "float32" | "int32" | "bool"): () => tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const base = rng.int(1000);
  const values = Array.from(
    { length: n },
    (_, i) => dtype === "bool" ? Number((i * 7 + base) % 3 === 0) : base + i + 0.25,
  );
  return () => tf.tensor(values, shape, dtype);
}

const dtypes = ["float32", "int32", "bool"] as const;

Deno.test("wasm Slice equals the cpu backend's: ranks 1–5, every axis cut or whole, all dtypes", async () => {
  const rng = new Rng(17);
  for (let trial = 0; trial < 60; trial++) {
    const rank = 1 + (trial % 5), dtype = dtypes[trial % 3];
    const shape = Array.from({ length: rank }, () => 1 + rng.int(5));
    const begin = shape.map((d) => rng.int(d));
    // each axis: the rest of it, a part, or (−1) to its end
    const size = shape.map((d, i) => [d - begin[i], 1 + rng.int(d - begin[i]), -1][rng.int(3)]);
    const x = filled(rng, shape, dtype);
    const { cpu, wasm } = await both(() => [x()], ([t]) => tf.slice(t, begin, size));
    assert.deepEqual(wasm, cpu, `slice ${dtype} ${shape} at ${begin} size ${size}`);
  }
  // the slices a Coconut pass takes: a prefix of a mask's columns, one position of a hidden state, a whole tensor
  const cases: [number[], number[], number[]][] = [
    [[8, 70], [0, 0], [8, 52]],
    [[8, 65, 48], [0, 64, 0], [8, 1, 48]],
    [[8, 65, 48], [0, 3, 0], [8, 9, 48]],
    [[2, 3, 4], [0, 0, 0], [2, 3, 4]],
    [[2, 3, 4], [1, 0, 0], [1, 3, 4]],
    [[3, 4], [1, 1], [0, 2]], // empty
  ];
  for (const [shape, begin, size] of cases) {
    const x = filled(rng, shape, "float32");
    const { cpu, wasm } = await both(() => [x()], ([t]) => tf.slice(t, begin, size));
    assert.deepEqual(wasm, cpu, `slice ${shape} at ${begin} size ${size}`);
  }
});

Deno.test("wasm Concat equals the cpu backend's: every axis, two to four inputs, empty ones, all dtypes", async () => {
  const rng = new Rng(23);
  for (let trial = 0; trial < 45; trial++) {
    const rank = 1 + (trial % 4), dtype = dtypes[trial % 3];
    const shape = Array.from({ length: rank }, () => 1 + rng.int(4));
    const axis = rng.int(rank);
    const parts = Array.from(
      { length: 2 + rng.int(3) },
      () => filled(rng, shape.map((d, i) => (i === axis ? rng.int(4) : d)), dtype), // 0 along the axis: empty
    );
    const { cpu, wasm } = await both(() => parts.map((make) => make()), (xs) => tf.concat(xs, axis));
    assert.deepEqual(wasm, cpu, `concat ${dtype} of ${parts.length} along ${axis} of ${shape}`);
  }
  // the KV cache's growth: (B,H,P,D) and (B,H,1,D) along the positions
  const past = filled(rng, [8, 3, 50, 16], "float32"), next = filled(rng, [8, 3, 1, 16], "float32");
  const { cpu, wasm } = await both(() => [past(), next()], (xs) => tf.concat(xs, 2));
  assert.deepEqual(wasm, cpu);
});

Deno.test("wasm SplitV equals the cpu backend's: every axis, given sizes, −1 and 0 among them, all dtypes", async () => {
  const rng = new Rng(29);
  for (let trial = 0; trial < 45; trial++) {
    const rank = 1 + (trial % 4), dtype = dtypes[trial % 3];
    const shape = Array.from({ length: rank }, () => 1 + rng.int(6));
    const axis = rng.int(rank);
    // 1–4 pieces at sorted cut points (equal cuts give empty pieces)
    const cuts = Array.from({ length: rng.int(4) }, () => rng.int(shape[axis] + 1)).sort((p, q) => p - q);
    const sizes = [...cuts, shape[axis]].map((c, i, all) => c - (i === 0 ? 0 : all[i - 1]));
    // "the rest" (not first: tfjs's prepareSplitSize then counts the −1 itself in the total, on every backend)
    if (trial % 4 === 0 && sizes.length > 1) sizes[1 + rng.int(sizes.length - 1)] = -1;
    const x = filled(rng, shape, dtype);
    const { cpu, wasm } = await both(() => [x()], ([t]) => tf.split(t, sizes, axis));
    assert.deepEqual(wasm, cpu, `split ${dtype} ${shape} along ${axis} into ${sizes}`);
  }
  // the gradient of the cache's growth: (B,H,P+1,D) into the past and the new position
  const all = filled(rng, [8, 3, 51, 16], "float32");
  const { cpu, wasm } = await both(() => [all()], ([t]) => tf.split(t, [50, 1], 2));
  assert.deepEqual(wasm, cpu);
});

Deno.test("copy_wasm_bytes.ts holds the bytes of copy.wat", async () => {
  assert.ok(await isCurrent(WAT_MODULES.copy), "copy_wasm_bytes.ts is stale: run deno task build-wasm");
});
