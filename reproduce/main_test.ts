import assert from "node:assert/strict";
import { runFolder } from "./progress.ts";

const main = new URL("./main.ts", import.meta.url).pathname;
const run = async (args: string[]) => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-ffi", main, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  return text;
};

Deno.test("reproduce --quick: trains every method, writes the table and both plots, and reuses finished runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const args = ["--quick", "--runs", dir, "--docs", `${dir}/docs`, "--prosqa", `${dir}/absent.json`];
    const first = await run(args);
    assert.match(first, /no .*absent\.json: the ProsQA test column stays empty/);
    const md = await Deno.readTextFile(`${dir}/docs/RESULTS.md`);
    for (const method of ["cot", "coconut", "no-cot", "pause-as-thought", "no-curriculum", "no-thought"]) {
      assert.match(md, new RegExp(`^\\| ${method} \\| 1 \\| `, "m"), method);
    }
    // The shortcut audit: No-CoT with 1 and 2 blocks from scratch (the whole budget), and the feature table.
    for (const [row, blocks] of [["no-cot 1 block (audit)", 1], ["no-cot 2 blocks (audit)", 2]] as const) {
      assert.match(md, new RegExp(`^\\| ${row.replace(/[()]/g, "\\$&")} \\| 1 \\| `, "m"), row);
      const folder = runFolder(dir, row, 0);
      assert.equal(JSON.parse(await Deno.readTextFile(`${folder}/run.json`)).model.n_layer, blocks);
      assert.equal(
        JSON.parse(await Deno.readTextFile(`${folder}/metrics.jsonl`).then((t) => t.split("\n")[0])).epoch,
        0,
      );
    }
    assert.match(md, /## Shortcut audit[\s\S]*\| ID test \| \d+ +\| \d+\.\d/);
    assert.match(await Deno.readTextFile(`${dir}/docs/results/accuracy.svg`), /<polyline/);
    assert.match(await Deno.readTextFile(`${dir}/docs/results/tokens.svg`), /<circle/);
    // Each run folder says how it was trained, so that `copra eval --ckpt` rebuilds the right prompts.
    for (const method of ["cot", "coconut"]) {
      const saved = JSON.parse(await Deno.readTextFile(`${dir}/${method}-s0/run.json`));
      assert.equal(saved.curriculum.method, method);
    }
    for (const split of ["train", "valid", "test", "ood"]) {
      assert.ok((await Deno.stat(`${dir}/data/${split}.json`)).size > 0);
    }
    // Same regime: nothing is trained again, and the table is the same.
    const second = await run([...args, "--only", "cot,coconut"]);
    assert.match(second, /cot seed 0: done before, kept/);
    assert.doesNotMatch(second, /epoch 0 stage/);
    const table = (text: string) => text.split("\n").filter((l) => l.startsWith("| cot |"));
    assert.deepEqual(table(await Deno.readTextFile(`${dir}/docs/RESULTS.md`)), table(md));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reproduce --regime: an unknown name is refused with the known ones", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-ffi", main, "--regime", "huge"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(
    new TextDecoder().decode(out.stderr),
    /--regime "huge": unknown; known: coconut-nano, balanced, payoff, payoff-branching, tools/,
  );
});

Deno.test("reproduce --budget: refused unless a whole number ≥ 1 on a payoff regime, and an unknown regime even with --quick", async () => {
  const refused = async (args: string[], message: RegExp) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-ffi", main, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 2, args.join(" "));
    assert.match(new TextDecoder().decode(out.stderr), message);
  };
  const dir = await Deno.makeTempDir();
  try {
    const where = ["--runs", dir, "--docs", dir];
    await refused(["--regime", "payoff", "--budget", "0", ...where], /--budget "0": expected a whole number/);
    await refused(["--regime", "payoff-branching", "--budget", "1.5", ...where], /--budget "1.5"/);
    await refused(["--regime", "payoff", "--budget", "0x10", ...where], /--budget "0x10"/); // not 16
    await refused(["--regime", "payoff", "--threads", "1e1", ...where], /--threads "1e1"/);
    await refused(
      ["--regime", "balanced", "--budget", "2", ...where],
      /only the payoff regimes \(payoff, payoff-branching\)/,
    );
    await refused(["--regime", "huge", "--quick", ...where], /--regime "huge": unknown/);
    // Nothing was written before the refusals.
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reproduce --runs outside the task's write permission: one message, exit 2, nothing written", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write=runs,docs",
        "--allow-env",
        main,
        "--regime",
        "payoff",
        "--runs",
        dir,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 2);
    assert.match(new TextDecoder().decode(out.stderr), /--runs ".*": not writable under this task's permissions/);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reproduce --regime payoff --quick: every row, switch and per-hop tables, audit, both pictures; reuses runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const args = ["--regime", "payoff", "--quick", "--runs", dir, "--docs", `${dir}/docs`];
    await run(args);
    const md = await Deno.readTextFile(`${dir}/docs/RESULTS-payoff.md`);
    for (
      const label of ["cot", "coconut", "no-cot", "pause-as-thought", "no-curriculum", "no-cot 1 block \\(audit\\)"]
    ) {
      assert.match(md, new RegExp(`^\\| ${label} \\| 1 \\| `, "m"), label);
    }
    // Coconut is scored three ways; the switch table has a row per run with a switch, split and hop count.
    const { PAYOFF_QUICK } = await import("@copra/train");
    const fixed = PAYOFF_QUICK.recipe.maxLatentStage * PAYOFF_QUICK.recipe.thoughtsPerStep;
    const number = "[0-9.]+";
    assert.match(
      md,
      new RegExp(
        `^\\| coconut \\| 1 \\| ${number} \\| ${number} \\+ ${fixed}\\.00 \\| ${number} \\| ${number} \\| ${number} \\| ${number} \\(${number}\\) \\|`,
        "m",
      ),
    );
    assert.match(md, /^\| coconut s0 \| OOD \| 5 \| /m);
    assert.match(md, /^\| ID test \| 16 \| /m);
    assert.match(await Deno.readTextFile(`${dir}/docs/results/superposition-payoff.svg`), /class="segment"/);
    assert.match(await Deno.readTextFile(`${dir}/docs/results/superposition-item-payoff.svg`), /thought 0/);
    // The audit rows trained 1- and 2-block models from scratch (the quick regime's own model has 1 block).
    const blocks = async (slug: string) => JSON.parse(await Deno.readTextFile(`${dir}/${slug}/run.json`)).model.n_layer;
    // `copra eval` and `copra chat` take a reproduction's run folder as it is (its run.json has no CLI options).
    const cli = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-read", "--allow-env", new URL("../cli/main.ts", import.meta.url).pathname, ...args],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
    const evaluated = await cli([
      "eval",
      "--ckpt",
      `${dir}/coconut-s0`,
      "--data",
      `${dir}/data/test.json`,
      "--limit",
      "4",
    ]);
    assert.equal(evaluated.code, 0, new TextDecoder().decode(evaluated.stderr));
    assert.match(new TextDecoder().decode(evaluated.stdout), /thoughts by/);
    assert.equal(await blocks("no-cot-1-block-audit-s0"), 1);
    assert.equal(await blocks("no-cot-2-blocks-audit-s0"), 2);
    const second = await run([...args, "--only", "cot"]);
    assert.match(second, /cot seed 0: done before, kept/);
    assert.doesNotMatch(second, /epoch 0 stage/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reproduce --regime tools --quick: every run with and without the calculator, its table and answers", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await run(["--regime", "tools", "--quick", "--runs", dir, "--docs", `${dir}/docs`]);
    const md = await Deno.readTextFile(`${dir}/docs/RESULTS-tools.md`);
    for (const label of ["cot \\(no tool\\)", "cot \\+ calc", "coconut \\(no tool\\)", "coconut \\+ calc"]) {
      assert.match(md, new RegExp(`^\\| ${label} \\| 1 \\| [0-9.]+ \\| `, "m"), label);
    }
    // The tool runs learned no calculator results; the others did.
    const saved = async (slug: string) => JSON.parse(await Deno.readTextFile(`${dir}/${slug}/run.json`)).curriculum;
    assert.equal((await saved("cot-calc-s0")).toolResults, "input");
    assert.equal((await saved("cot-no-tool-s0")).toolResults, "learn");
    assert.equal((await saved("coconut-calc-s0")).method, "coconut");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
