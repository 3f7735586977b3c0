import assert from "node:assert/strict";

const root = new URL("../", import.meta.url).pathname;

/** Runs `copra …` in a subprocess; returns exit code and output. */
async function copra(...args: string[]): Promise<{ code: number; out: string }> {
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", "cli/main.ts", ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: result.code, out: decode(result.stdout) + decode(result.stderr) };
}

Deno.test("every command has --help", async () => {
  for (
    const cmd of [
      [],
      ["train"],
      ["eval"],
      ["generate"],
      ["chat"],
      ["data"],
      ["data", "generate"],
      ["data", "convert"],
      [
        "data",
        "stats",
      ],
    ]
  ) {
    const { code, out } = await copra(...cmd, "--help");
    assert.equal(code, 0, out);
    assert.match(out, /Usage: copra/);
  }
  const bad = await copra("train", "--method", "telepathy");
  assert.notEqual(bad.code, 0);
  assert.match(bad.out, /--method must be one of coconut, cot/);
});

Deno.test("data generate and data stats", async () => {
  const dir = await Deno.makeTempDir();
  for (const kind of ["prosqa", "prontoqa", "arith", "symbolic"]) {
    const gen = await copra("data", "generate", kind, "--n", "12", "--seed", "3", "--out", `${dir}/${kind}.json`);
    assert.equal(gen.code, 0, gen.out);
    const stats = await copra("data", "stats", `${dir}/${kind}.json`);
    assert.equal(stats.code, 0, stats.out);
    assert.match(stats.out, /items\s+12/);
  }
  const prosqa = await copra("data", "stats", `${dir}/prosqa.json`);
  assert.match(prosqa.out, /graph hops/);
  // The task options of `train` exist here too: the same items as the library gives for them.
  const chains = await copra(
    "data",
    "generate",
    "prosqa",
    ...["--small", "--max-children", "1", "--balance-hops", "--option-decoys", "1", "--n", "20", "--seed", "4"],
    ...["--out", `${dir}/chains.json`],
  );
  assert.equal(chains.code, 0, chains.out);
  const { generateProsQA } = await import("@copra/data");
  const { DEFAULT_TASK } = await import("./main.ts");
  const want = generateProsQA({ ...DEFAULT_TASK, n: 20, seed: 4, maxChildren: 1, balanceHops: true, optionDecoys: 1 });
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/chains.json`)), JSON.parse(JSON.stringify(want)));
  // The same task flags in both commands give the same items: what `train --seed 5 --train-items 6 --nodes 6,7
  // --hops 2,2` trains on is what `data generate prosqa` writes with those flags.
  const same = await copra(
    "data",
    "generate",
    "prosqa",
    ...["--small", "--nodes", "6,7", "--hops", "2,2", "--n", "6", "--seed", "5", "--out", `${dir}/same.json`],
  );
  assert.equal(same.code, 0, same.out);
  const { prosqaTask } = await import("./options.ts");
  const trainTask = prosqaTask(DEFAULT_TASK, { nodes: [6, 7], hops: [2, 2] });
  assert.deepEqual(
    JSON.parse(await Deno.readTextFile(`${dir}/same.json`)),
    JSON.parse(JSON.stringify(generateProsQA({ n: 6, seed: 5, ...trainTask }))),
  );
  const chain = await copra("data", "generate", "prontoqa", "--chain", "3", "--n", "2", "--out", `${dir}/chain.json`);
  assert.equal(chain.code, 0, chain.out);
  assert.ok(
    JSON.parse(await Deno.readTextFile(`${dir}/chain.json`)).every((it: { steps: string[] }) => it.steps.length >= 3),
  );
  // Symbolic graphs take the same task flags (branching is --max-children).
  const symbolic = await copra(
    "data",
    "generate",
    "symbolic",
    ...["--nodes", "12,12", "--hops", "4,4", "--max-children", "3", "--n", "4", "--seed", "2"],
    ...["--out", `${dir}/symbolic-knobs.json`],
  );
  assert.equal(symbolic.code, 0, symbolic.out);
  const { generateSymbolic } = await import("@copra/data");
  assert.deepEqual(
    JSON.parse(await Deno.readTextFile(`${dir}/symbolic-knobs.json`)),
    JSON.parse(JSON.stringify(generateSymbolic({ n: 4, seed: 2, nodes: [12, 12], hops: [4, 4], branching: 3 }))),
  );
  const released = new URL("../../shared/data/prosqa_valid.json", import.meta.url).pathname;
  const converted = await copra(
    "data",
    "convert",
    released,
    ...["--to", "symbolic", "--hops", "3,4", "--seed", "3", "--out", `${dir}/converted.json`],
  );
  assert.equal(converted.code, 0, converted.out);
  const { loadDataset, symbolicFromProsQA } = await import("@copra/data");
  assert.deepEqual(
    JSON.parse(await Deno.readTextFile(`${dir}/converted.json`)),
    JSON.parse(JSON.stringify(symbolicFromProsQA(await loadDataset(released), { seed: 3, hops: [3, 4] }))),
  );
  const notProsQA = await copra("data", "convert", `${dir}/arith.json`, "--to", "symbolic", "--out", `${dir}/x.json`);
  assert.equal(notProsQA.code, 1);
  assert.match(
    notProsQA.out,
    /item 0: idx_to_symbol\/edges\/root\/target\/neg_target: a ProsQA record needs its graph keys/,
  );
  const missing = await copra("data", "stats", `${dir}/nope.json`);
  assert.equal(missing.code, 1);
  assert.match(missing.out, /nope\.json: \(file\): cannot be read/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train → eval → generate from the command line on a tiny run", async () => {
  const dir = await Deno.makeTempDir();
  const run = `${dir}/run`;
  const trained = await copra(
    "train",
    ...["--train-items", "24", "--eval-items", "4", "--epochs-per-stage", "1", "--max-latent-stage", "1"],
    ...["--batch-size", "8", "--max-new-tokens", "8", "--out", run],
  );
  assert.equal(trained.code, 0, trained.out);
  assert.match(trained.out, /held-out acc %/);
  assert.ok((await Deno.stat(`${run}/checkpoint-1/model.safetensors`)).isFile);
  // --resume takes the run's own options back from run.json: nothing is left to train.
  const resumed = await copra("train", "--out", run, "--resume");
  assert.equal(resumed.code, 0, resumed.out);
  assert.match(resumed.out, /resuming after epoch 2/);
  assert.match(resumed.out, /24 train \/ 4 held-out items/);
  // The thread count is kept in run.json and resumed with; a run saved before --threads resumes on one thread.
  const saved = JSON.parse(await Deno.readTextFile(`${run}/run.json`));
  assert.equal(saved.options.threads, saved.numerics.threads);
  assert.match(resumed.out, new RegExp(`, ${saved.options.threads} threads?,`));
  delete saved.options.threads;
  await Deno.writeTextFile(`${run}/run.json`, JSON.stringify(saved));
  const older = await copra("train", "--out", run, "--resume");
  assert.equal(older.code, 0, older.out);
  assert.match(older.out, /, 1 thread,/);
  await Deno.writeTextFile(
    `${dir}/test.json`,
    JSON.stringify([{ question: "Is Tom a wumpus or yumpus?", steps: [], answer: "Tom is a wumpus." }]),
  );
  const evaluated = await copra("eval", "--ckpt", run, "--data", `${dir}/test.json`, "--max-new-tokens", "8");
  assert.equal(evaluated.code, 0, evaluated.out);
  assert.match(evaluated.out, /accuracy %/);
  // Path tables only for methods whose answers write steps (Coconut's would read "0% valid").
  const graphs = await copra("data", "generate", "prosqa", "--small", "--n", "3", "--out", `${dir}/graphs.json`);
  assert.equal(graphs.code, 0, graphs.out);
  const silent = await copra("eval", "--ckpt", run, "--data", `${dir}/graphs.json`, "--max-new-tokens", "8");
  assert.equal(silent.code, 0, silent.out);
  assert.doesNotMatch(silent.out, /valid paths|first step/);
  const asCot = await copra("eval", "--ckpt", run, "--method", "cot", "--data", `${dir}/graphs.json`);
  assert.equal(asCot.code, 0, asCot.out);
  assert.match(asCot.out, /valid paths \(correct or longer path to the target\)/);
  assert.match(asCot.out, /first step/);
  // run.json records the numerics path (OpenBLAS or tfjs's own kernel) and no command-line-only keys.
  const runJson = JSON.parse(await Deno.readTextFile(`${run}/run.json`));
  assert.ok("blas" in runJson.numerics && runJson.numerics.backend === "wasm");
  assert.ok(!("out" in runJson.options) && !("resume" in runJson.options));
  // A checkpoint without its run.json: the method is not guessed.
  await Deno.mkdir(`${dir}/bare`);
  await Deno.rename(`${run}/checkpoint-1`, `${dir}/bare/checkpoint-1`);
  const bare = await copra("eval", "--ckpt", `${dir}/bare`, "--data", `${dir}/test.json`, "--max-new-tokens", "8");
  assert.notEqual(bare.code, 0);
  assert.match(bare.out, /bare\/run\.json: not found or has no "curriculum"; pass --method/);
  const told = await copra("eval", "--ckpt", `${dir}/bare`, "--method", "coconut", "--data", `${dir}/test.json`);
  assert.equal(told.code, 0, told.out);
  const generated = await copra(
    "generate",
    "--ckpt",
    run,
    "--question",
    "Is Tom a wumpus or yumpus?",
    "--top-k",
    "3",
    "--max-new-tokens",
    "8",
  );
  assert.equal(generated.code, 0, generated.out);
  assert.match(generated.out, /top-3 tokens through the LM head/);
  assert.match(generated.out, /1 thoughts/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train with GPT-2's own tokenizer from its vocabulary files (--tokenizer <folder>)", async () => {
  const { GPT2_FILES } = await import("../reference/gpt2.ts");
  const folder = GPT2_FILES.encoder.replace(/\/encoder\.json$/, "");
  const dir = await Deno.makeTempDir();
  const out = await copra(
    "train",
    ...["--method", "cot", "--tokenizer", folder, "--train-items", "8", "--eval-items", "2", "--epochs", "1"],
    ...["--batch-size", "8", "--max-new-tokens", "4", "--out", `${dir}/run`],
  );
  assert.equal(out.code, 0, out.out);
  assert.match(out.out, /vocab 50261/); // GPT-2's 50,257 + Coconut's four tokens
  const saved = JSON.parse(await Deno.readTextFile(`${dir}/run/checkpoint-0/tokenizer.json`));
  assert.equal(saved.model.type, "BPE");
  await Deno.remove(dir, { recursive: true });
});
