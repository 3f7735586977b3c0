import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { type BackendName, matMul, matMulT, ModelError, useBackend } from "./mod.ts";
import { maxAbsDiff } from "./testdata/fixtures.ts";

Deno.test("useBackend reports what it got", async () => {
  assert.deepEqual(await useBackend("cpu"), { backend: "cpu" });
  const wasm = await useBackend("wasm");
  assert.equal(wasm.backend, "wasm");
  // With --allow-ffi and OpenBLAS installed (as .ci/run does), products run in BLAS; else tfjs's kernel.
  const ffi = Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  const exists = (path: string) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  };
  const openblas = exists("/usr/lib/x86_64-linux-gnu/libopenblas.so.0") ||
    exists("/usr/lib/aarch64-linux-gnu/libopenblas.so.0");
  if (ffi && openblas) assert.match(wasm.blas!.library, /blas/);
  if (!ffi) assert.equal(wasm.blas, null);
  if (wasm.blas) assert.match(wasm.blas.library, /blas/); // another system BLAS with cblas_sgemm also serves
  assert.equal(wasm.simd, true);
  assert.equal(tf.getBackend(), "wasm");
  const gpu = await useBackend("webgpu");
  assert.equal(gpu.backend, "webgpu");
  assert.ok(gpu.adapter && typeof gpu.adapter.description === "string");
  assert.ok(gpu.limits!.maxStorageBufferBindingSize >= 128 * 1024 * 1024);
  await assert.rejects(
    () => useBackend("tpu" as BackendName),
    (e: unknown) => e instanceof ModelError && e.field === "backend",
  );
});

/** Runs `f` on a backend and returns its values. */
async function on(backend: BackendName, f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await useBackend(backend);
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const values = await Promise.all(list.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(list);
  return values;
}

Deno.test("wasm's UnsortedSegmentSum (gradient of gather) equals the cpu reference", async () => {
  const run = () => {
    const x = tf.tensor2d([[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 1, 1]]);
    const ids = tf.tensor1d([2, 0, 2, 5], "int32");
    const rows = tf.tensor1d([2, 0, 2, 3], "int32");
    return [tf.unsortedSegmentSum(x, ids, 6), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, rows), 2)))(x)];
  };
  const [wasm, cpu] = [await on("wasm", run), await on("cpu", run)];
  assert.deepEqual([...cpu[0]], [4, 5, 6, 0, 0, 0, 8, 10, 12, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
  for (let i = 0; i < cpu.length; i++) assert.deepEqual(wasm[i], cpu[i]);
});

Deno.test("wasm's GatherV2 (row copies on the heap) equals the cpu reference on every axis and dtype", async () => {
  const run = () => {
    const x = tf.reshape(tf.range(0, 2 * 3 * 5, 1, "float32"), [2, 3, 5]);
    const table = tf.reshape(tf.range(0, 12, 1, "int32"), [4, 3]);
    const ids = tf.tensor2d([[2, 0], [2, 1]], [2, 2], "int32");
    const batched = tf.tensor2d([[1, 0], [2, 2]], [2, 2], "int32");
    return [
      tf.gather(table, ids), // axis 0 of an int32 table, 2-D indices: (2, 2, 3)
      tf.gather(x, tf.tensor1d([2, 2, 0, 1], "int32"), 1), // a middle axis: (2, 4, 5)
      tf.gather(x, tf.tensor1d([4, 0], "int32"), 2), // the last axis: (2, 3, 2)
      tf.gather(x, batched, 1, 1), // batch dimensions: tfjs's own kernel
    ];
  };
  const [wasm, cpu] = [await on("wasm", run), await on("cpu", run)];
  assert.deepEqual([...cpu[0]], [6, 7, 8, 0, 1, 2, 6, 7, 8, 3, 4, 5]);
  for (let i = 0; i < cpu.length; i++) assert.deepEqual([...wasm[i]], [...cpu[i]], `output ${i}`);
  await useBackend("wasm");
  const table = tf.ones([4, 3]), bad = tf.tensor1d([1, 4], "int32");
  assert.throws(() => tf.gather(table, bad), /GatherV2: the index value 4 is not in \[0, 3\]/);
  tf.dispose([table, bad]);
});

Deno.test("wasm's SplitV (row copies on the heap) equals the cpu reference on every axis, sizes and dtypes", async () => {
  const run = () => {
    const x = tf.reshape(tf.range(0, 2 * 3 * 12, 1, "float32"), [2, 3, 12]);
    const ints = tf.reshape(tf.range(0, 40, 1, "int32"), [4, 10]);
    return [
      ...tf.split(x, 3, 2),
      ...tf.split(x, [1, -1, 7], 2),
      ...tf.split(x, [2, 1], 1),
      ...tf.split(x, 2, 0),
      ...tf.split(ints, [3, 0, 7], 1),
      ...tf.split(ints, [4], 0),
    ];
  };
  const [wasm, cpu] = [await on("wasm", run), await on("cpu", run)];
  assert.equal(cpu.length, 14);
  assert.deepEqual([...cpu[0].slice(0, 5)], [0, 1, 2, 3, 12]); // first piece: columns 0..3 of each row
  for (let i = 0; i < cpu.length; i++) assert.deepEqual([...wasm[i]], [...cpu[i]]);
});

Deno.test("wasm's Identity shares the buffer: a clone outlives its source, and both free the memory once", async () => {
  await useBackend("wasm");
  const before = tf.memory().numBytes, tensors = tf.memory().numTensors;
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  x.dispose();
  assert.deepEqual([...(await y.data())], [1, 2, 3]);
  const z = tf.add(y, 1); // a kernel reading the shared buffer
  y.dispose();
  assert.deepEqual([...(await z.data())], [2, 3, 4]);
  z.dispose();
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(tf.memory().numBytes, before);
});

Deno.test("matMul/matMulT: values and gradients equal tf.matMul's on cpu, wasm and webgpu", async () => {
  const cases = () => {
    const a = tf.randomNormal([2, 3, 4, 5], 0, 1, "float32", 1), b = tf.randomNormal([2, 3, 5, 6], 0, 1, "float32", 2);
    const bt = tf.randomNormal([2, 3, 6, 5], 0, 1, "float32", 3), w = tf.randomNormal([6, 4], 0, 1, "float32", 4);
    const loss = (f: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor, x: tf.Tensor, y: tf.Tensor) =>
      tf.grads((p: tf.Tensor, q: tf.Tensor) =>
        tf.sum(tf.mul(f(p, q), w.slice([0, 0], [f(p, q).shape.at(-2)!, 4]).sum()))
      )([x, y]);
    return [
      matMul(a, b),
      tf.matMul(a, b),
      matMulT(a, bt),
      tf.matMul(a, bt, false, true),
      ...loss(matMul, a, b),
      ...loss((x, y) => tf.matMul(x, y), a, b),
      ...loss(matMulT, a, bt),
      ...loss((x, y) => tf.matMul(x, y, false, true), a, bt),
    ];
  };
  for (const backend of ["cpu", "wasm", "webgpu"] as const) {
    const v = await on(backend, cases);
    const tol = backend === "webgpu" ? 1e-3 : 1e-5;
    for (const [ours, theirs] of [[0, 1], [2, 3], [4, 6], [5, 7], [8, 10], [9, 11]]) {
      assert.ok(maxAbsDiff(v[ours], v[theirs]) <= tol, `${backend}: output ${ours} vs ${theirs}`);
    }
  }
});

Deno.test("in a fresh process, tensors work before and after useBackend for each backend", async () => {
  const moduleUrl = new URL("./mod.ts", import.meta.url).href;
  for (const backend of ["none", "cpu", "wasm", "webgpu"]) {
    const code = `
      import * as tf from "@tensorflow/tfjs";
      import { useBackend } from "${moduleUrl}";
      const before = await tf.tensor([1, 2]).sum().data(); // default backend, before any choice
      ${backend === "none" ? "" : `await useBackend("${backend}");`}
      const after = await tf.tensor([3, 4]).sum().data();
      console.log(JSON.stringify([before[0], after[0], tf.getBackend()]));`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--unstable-webgpu", code],
      cwd: new URL("../", import.meta.url).pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout).trim();
    assert.equal(out.code, 0, `${backend}: ${new TextDecoder().decode(out.stderr)}`);
    assert.deepEqual(JSON.parse(stdout), [3, 7, backend === "none" ? "cpu" : backend]);
  }
});

/** Runs model/testdata/backend_probe.ts with the given permission flags; returns its JSON line and stderr. */
async function probe(
  flags: string[],
  wasmPaths?: string,
  products?: string,
): Promise<{ json: Record<string, string | null>; err: string }> {
  const script = new URL("./testdata/backend_probe.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--cached-only", ...flags, script, wasmPaths ?? "", ...(products ? [products] : [])],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return { json: JSON.parse(lines.at(-1)!), err: new TextDecoder().decode(out.stderr) };
}

Deno.test("a missing wasm binary is named, with what to do", async () => {
  const { json, err } = await probe(["--allow-read"], "file:///nonexistent/wasm/");
  assert.match(
    json.error!,
    /\/nonexistent\/wasm\/tfjs-backend-wasm-simd\.wasm: \(file\): the wasm backend's binary is missing.*deno install/,
  );
  assert.doesNotMatch(err, /Aborted/, "no Emscripten abort trace");
});

Deno.test("FFI granted for OpenBLAS's path only is enough for the BLAS path; no FFI means copra's SIMD kernel", async () => {
  const openblas = ["/usr/lib/x86_64-linux-gnu/libopenblas.so.0", "/usr/lib/aarch64-linux-gnu/libopenblas.so.0"]
    .find((path) => {
      try {
        return Deno.statSync(path).isFile;
      } catch {
        return false;
      }
    });
  const none = await probe(["--allow-read"]);
  assert.equal(none.json.blas, null);
  assert.equal(none.json.products, "simd-fma"); // Deno's V8 has relaxed SIMD
  const exact = await probe(["--allow-read"], undefined, "simd");
  assert.equal(exact.json.products, "simd");
  if (!openblas) return; // nothing more to check without the library (CI installs it when it can)
  const scoped = await probe(["--allow-read", `--allow-ffi=${openblas}`, "--allow-env=OPENBLAS_NUM_THREADS"]);
  assert.equal(scoped.json.blas, openblas);
  assert.equal(scoped.json.products, "blas");
  const other = await probe(["--allow-read", "--allow-ffi=/usr/lib/not-blas.so"]);
  assert.equal(other.json.blas, null);
});
