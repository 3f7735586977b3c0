import assert from "node:assert/strict";
import { HEADLINES } from "./headlines.ts";

const main = new URL("./main.ts", import.meta.url).pathname;

Deno.test("bench: every benchmark main.ts runs has a headline (a missing one crashed the table after a full run)", async () => {
  const text = await Deno.readTextFile(main);
  const names = [...text.matchAll(/^ {2}"([a-z-]+)": \(\) =>/gm)].map((m) => m[1]);
  assert.ok(names.length >= 9, `benchmarks found in main.ts: ${names}`);
  for (const name of names) assert.equal(typeof HEADLINES[name], "function", `no headline for ${name}`);
});

Deno.test("bench: the step headlines show copra's default (all cores) next to its one-thread time", () => {
  const [copra, torch, ratio] = HEADLINES["train-step"]({
    copra_ms: 34.6,
    copra_default_ms: 27.4,
    copra_default_threads: 2,
    backend: "wasm",
    blas: "libopenblas.so.0",
    torch_ms: 31.4,
    torch_default_ms: 26.9,
    torch_default_threads: "1+2",
    ratio_vs_torch: 0.907,
    ratio_vs_torch_default: 0.98,
  });
  assert.equal(copra, "34.6 ms wasm + BLAS (1 thread; 27.4 ms on 2 threads)");
  assert.equal(torch, "torch 31.4 ms (1 thread); 26.9 ms (default, 1+2 threads)");
  assert.equal(ratio, "0.907; default 0.98");
  const products = HEADLINES["products"]({
    train_step_ms: { blas: 40, "simd-fma": 89, tfjs: 210 },
    ratio_vs_blas: { blas: 1, "simd-fma": 2.23, tfjs: 5.25 },
  });
  assert.deepEqual(products, ["tiny step simd-fma 89 ms, tfjs 210 ms", "OpenBLAS 40 ms", "simd-fma 2.23, tfjs 5.25"]);
});

Deno.test("bench: a bad command line is one message and exit 2, before any benchmark runs", async () => {
  for (
    const args of [["--steps", "0x3", "train-step"], ["--rounds", "0"], ["--preset", "huge"], ["--backend", "gpu"], [
      "nope",
    ], ["--bogus"]]
  ) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--cached-only", "--allow-read", "--allow-env", main, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, `${args.join(" ")}: ${stderr}`);
    assert.match(stderr, /^bench: /, args.join(" "));
    assert.equal(new TextDecoder().decode(out.stdout), "", `${args.join(" ")} printed results`);
  }
});

Deno.test("bench: a benchmark that fails is one line naming it and exit 1", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--cached-only", "--allow-read", "--allow-write", "--allow-run", "--allow-env", main, "train-time"],
    env: { TMPDIR: "/nonexistent-copra-tmp" }, // its temporary folder cannot be made
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 1, stderr);
  assert.match(stderr, /^bench: train-time failed: .*\n$/);
  assert.equal(new TextDecoder().decode(out.stdout), "");
});
