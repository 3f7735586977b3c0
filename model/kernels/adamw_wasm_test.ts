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
