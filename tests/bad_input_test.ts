/**
 * The bad-input corpus: every way a user was seen to hand the `copra` command something wrong, run through the
 * real command line. Each case asserts the exit code, the one message that names the fault, and that no file that
 * existed before the command changed (and, unless the case says so, that nothing new appeared). Each case runs in
 * its own folder holding copies of the fixtures, with write permission for that folder only.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { generateProsQA } from "@copra/data";
import { disposeParams, loadCheckpoint, saveCheckpoint, useBackend } from "@copra/model";

const root = new URL("../", import.meta.url).pathname;
const fixtures = await Deno.makeTempDir({ prefix: "copra-bad-input-" });
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** Runs `copra …` in `cwd` with write permission there only. */
async function copra(cwd: string, args: string[]): Promise<{ code: number; out: string }> {
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      `${root}deno.json`,
      "--cached-only",
      "--allow-read",
      `--allow-write=${cwd}`,
      "--allow-env=OPENBLAS_NUM_THREADS",
      "--allow-ffi",
      `${root}cli/main.ts`,
      ...args,
    ],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: result.code, out: decode(result.stdout) + decode(result.stderr) };
}

/** Every file under `dir` (relative path → bytes as text). */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (d: string, prefix: string) => {
    for await (const e of Deno.readDir(d)) {
      if (e.isDirectory) {
        files.set(`${prefix}${e.name}/`, "");
        await walk(`${d}/${e.name}`, `${prefix}${e.name}/`);
      } else files.set(`${prefix}${e.name}`, decode(await Deno.readFile(`${d}/${e.name}`)));
    }
  };
  await walk(dir, "");
  return files;
}

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyTree(`${from}/${e.name}`, `${to}/${e.name}`);
    else await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

// ---- Fixtures: one tiny trained run, its damaged copies, and bad data files. ----
const tiny = ["--train-items", "16", "--eval-items", "2", "--epochs-per-stage", "1", "--max-latent-stage", "1"];
const small = [...tiny, "--batch-size", "8", "--max-new-tokens", "4"];
{
  const trained = await copra(fixtures, ["train", ...small, "--out", "run"]);
  assert.equal(trained.code, 0, trained.out);
  const item = { question: "Is Tom a wumpus or yumpus?", steps: ["Tom is a wumpus."], answer: "Tom is a wumpus." };
  const json = (value: unknown) => JSON.stringify(value);
  const files: Record<string, string | Uint8Array> = {
    "good.json": json([item, item, item, item, item, item, item, item, item, item]),
    "one.json": json([item]),
    "empty.json": "[]",
    "object.json": json({ question: "q" }),
    "noquestion.json": json([{ steps: [], answer: "a" }]),
    "broken.json": '[{"question": "q", ',
    "huge.json": json([{ ...item, question: "Is Tom a wumpus? ".repeat(12_000) }, item, item]),
    "latin1.json": new Uint8Array([
      ...new TextEncoder().encode('[{"question": "caf'),
      0xe9,
      ...new TextEncoder()
        .encode('?", "steps": [], "answer": "a"}]'),
    ]),
    "bom.json": new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(json([item]))]),
    "utf16.json": new Uint8Array([0xff, 0xfe, ...[...json([item])].flatMap((c) => [c.charCodeAt(0), 0])]),
    "utf16-nobom.json": new Uint8Array([...json([item])].flatMap((c) => [c.charCodeAt(0), 0])),
    "typo.config.json": json({ epocs: 3 }),
    "zero.config.json": json({ batchSize: 0 }),
    "string.config.json": json({ prefixSpace: "yes" }),
    "notjson.config.json": "{ lr: 0.1 }",
    "array.config.json": "[1, 2]",
    "file": "a plain file",
    "prosqa.json": json(generateProsQA({ n: 3, seed: 1, nodes: [5, 8], nodesMean: 6.5, minHops: 2, maxHops: 3 })),
  };
  for (const [name, content] of Object.entries(files)) {
    if (typeof content === "string") await Deno.writeTextFile(`${fixtures}/${name}`, content);
    else await Deno.writeFile(`${fixtures}/${name}`, content);
  }
  // A user's folder that is not a run.
  await Deno.mkdir(`${fixtures}/mine/checkpoint-0`, { recursive: true });
  await Deno.writeTextFile(`${fixtures}/mine/checkpoint-0/precious.txt`, "do not touch");
  // Damaged copies of the run.
  const damage = async (name: string, edit: (dir: string) => Promise<void>) => {
    await copyTree(`${fixtures}/run`, `${fixtures}/${name}`);
    await edit(`${fixtures}/${name}`);
  };
  await damage("nostate", (d) => Deno.remove(`${d}/checkpoint-2/state.json`));
  await damage("truncstate", async (d) => {
    const text = await Deno.readTextFile(`${d}/checkpoint-2/state.json`);
    await Deno.writeTextFile(`${d}/checkpoint-2/state.json`, text.slice(0, text.length / 2));
  });
  await damage("badrunjson", (d) => Deno.writeTextFile(`${d}/run.json`, '{"curriculum": {'));
  await damage("noweights", (d) => Deno.remove(`${d}/checkpoint-2/model.safetensors`));
  await damage("truncweights", async (d) => {
    const bytes = await Deno.readFile(`${d}/checkpoint-2/model.safetensors`);
    await Deno.writeFile(`${d}/checkpoint-2/model.safetensors`, bytes.subarray(0, bytes.length / 2));
  });
  await damage("nan", async (d) => {
    await useBackend("cpu");
    const { params, config } = await loadCheckpoint(`${d}/checkpoint-2`);
    params["h.0.mlp.c_fc.weight"].assign(tf.fill(params["h.0.mlp.c_fc.weight"].shape, NaN));
    await saveCheckpoint(`${d}/checkpoint-2`, params, config);
    disposeParams(params);
  });
}

/** A case: the arguments, the exit code, what the message must say, and whether new files may appear. */
interface Case {
  name: string;
  args: string[];
  code?: number;
  message: RegExp;
  /** New files are allowed (a run that starts and then fails writes into its new folder). */
  allowNew?: boolean;
  /** Checked after the command (in the case's folder). */
  after?: (dir: string) => Promise<void>;
}

const question = ["--question", "Is Tom a wumpus or yumpus?"];
const CASES: Case[] = [
  // Runs are never damaged by a failing command or a mistaken --out.
  {
    name: "a bad option with --out at an existing run",
    args: ["train", "--out", "run", "--method", "cot", "--lr", "0"],
    message: /copra: .*--lr must be a number > 0 \(got 0\)/,
  },
  {
    name: "--out at an existing run without --resume",
    args: ["train", "--out", "run"],
    message: /--out run: the folder is not empty \(checkpoint-0\/, .*run\.json\).*add --resume/,
  },
  {
    name: "--out at a user's folder",
    args: ["train", "--out", "mine"],
    message: /--out mine: the folder is not empty \(checkpoint-0\/\); .*pick a new --out/,
  },
  { name: "--out at a file", args: ["train", "--out", "file"], message: /--out file: is a file, not a folder/ },
  { name: "--resume without --out", args: ["train", "--resume"], message: /--resume needs --out <the run's folder>/ },
  {
    name: "--resume at a missing folder",
    args: ["train", "--resume", "--out", "nowhere"],
    message: /--out nowhere: no such folder; --resume continues a run that exists/,
  },
  {
    name: "--resume at a folder that is no run",
    args: ["train", "--resume", "--out", "mine"],
    message: /mine\/run\.json: missing, so mine is not a copra run/,
  },
  {
    name: "--resume with a checkpoint without state.json",
    args: ["train", "--resume", "--out", "nostate"],
    message:
      /nostate\/checkpoint-2\/state\.json: \(file\): is missing: this checkpoint holds weights only and cannot be resumed\. start a new run from its weights with --init/,
  },
  {
    name: "--resume with a truncated state.json",
    args: ["train", "--resume", "--out", "truncstate"],
    message: /truncstate\/checkpoint-2\/state\.json: \(file\): is not valid JSON/,
  },
  {
    name: "--resume with a damaged run.json",
    args: ["train", "--resume", "--out", "badrunjson"],
    message: /badrunjson\/run\.json: is not valid JSON/,
  },
  {
    name: "--resume with other options",
    args: ["train", "--resume", "--out", "run", "--epochs", "9", "--lr", "0.1"],
    message: /--resume continues the run with the options saved in run\/run\.json; drop --epochs, --lr/,
  },
  {
    name: "eval on a run whose state.json is truncated",
    args: ["eval", "--ckpt", "truncstate", "--data", "good.json", "--limit", "2", "--max-new-tokens", "2"],
    code: 0,
    message: /accuracy %/,
  },
  {
    name: "generate on a run whose state.json is truncated",
    args: ["generate", "--ckpt", "truncstate", ...question, "--max-new-tokens", "2"],
    code: 0,
    message: /1 thoughts/,
  },
  // Nothing hangs, nothing fails silently: numbers checked up front, by name, with the allowed range.
  {
    name: "eval --thoughts that is neither a count nor hops",
    args: ["eval", "--ckpt", "run", "--data", "good.json", "--thoughts", "many"],
    message: /--thoughts must be an integer ≥ 0 \(got many\) or "hops"/,
  },
  {
    name: "eval --batch-size 0",
    args: ["eval", "--ckpt", "run", "--data", "good.json", "--batch-size", "0"],
    message: /--batch-size must be an integer ≥ 1 \(got 0\)/,
  },
  {
    name: "train --batch-size 0",
    args: ["train", "--batch-size", "0"],
    message: /--batch-size must be an integer ≥ 1 \(got 0\)/,
  },
  { name: "train --epochs 0", args: ["train", "--epochs", "0"], message: /--epochs must be an integer ≥ 1 \(got 0\)/ },
  // Whole numbers are decimal digits: Number() would read these as 10 and 16.
  {
    name: "train --epochs 1e1",
    args: ["train", "--epochs", "1e1"],
    message: /--epochs must be an integer ≥ 1 \(got 1e1\)/,
  },
  {
    name: "train --nodes 0x3,20",
    args: ["train", "--nodes", "0x3,20"],
    message: /--nodes must be two positive integers min,max with min ≤ max \(got 0x3,20\)/,
  },
  {
    name: "train --n-layer 0",
    args: ["train", "--n-layer", "0"],
    message: /--n-layer must be an integer ≥ 1 \(got 0\)/,
  },
  { name: "train --n-embd 0", args: ["train", "--n-embd", "0"], message: /--n-embd must be an integer ≥ 1 \(got 0\)/ },
  { name: "train --n-head 0", args: ["train", "--n-head", "0"], message: /--n-head must be an integer ≥ 1 \(got 0\)/ },
  {
    name: "train --n-head that does not divide the channels",
    args: ["train", "--n-head", "5"],
    message: /--n-head 5 must divide the channels 48/,
  },
  {
    name: "train --clip-norm -1",
    args: ["train", "--clip-norm", "-1"],
    message: /--clip-norm must be a number ≥ 0 \(got -1\)/,
  },
  {
    name: "train --dropout 1.5",
    args: ["train", "--dropout", "1.5"],
    message: /--dropout must be a number in \[0, 1\) \(got 1\.5\)/,
  },
  {
    name: "train --uniform-prob 2",
    args: ["train", "--uniform-prob", "2"],
    message: /--uniform-prob must be a number in \[0, 1\] \(got 2\)/,
  },
  {
    name: "train --seed 1.5",
    args: ["train", "--seed", "1.5"],
    message: /--seed must be an integer in \[0, 4294967295\] \(got 1\.5\)/,
  },
  { name: "train --lr NaN", args: ["train", "--lr", "NaN"], message: /--lr must be a number > 0 \(got NaN\)/ },
  {
    name: "train --effective-batch below --batch-size",
    args: ["train", "--effective-batch", "4", "--batch-size", "8"],
    message: /--effective-batch 4 must be ≥ --batch-size 8/,
  },
  {
    name: "train --first-epoch past the last epoch",
    args: ["train", "--epochs", "3", "--first-epoch", "3"],
    message: /--first-epoch 3 must be below the number of epochs \(3\)/,
  },
  {
    name: "train --eval-data without --data",
    args: ["train", "--eval-data", "good.json"],
    message: /--eval-data needs --data/,
  },
  {
    name: "train --method telepathy",
    args: ["train", "--method", "telepathy"],
    message: /--method must be one of coconut, cot/,
  },
  {
    name: "train --backend tpu",
    args: ["train", "--backend", "tpu"],
    message: /--backend must be one of wasm, webgpu, cpu \(got tpu\)/,
  },
  {
    name: "data generate with a flag of another kind",
    args: ["data", "generate", "symbolic", "--match-depth", "--out", "s.json"],
    message: /--match-depth does not apply to symbolic data/,
  },
  {
    name: "data convert of a file without graph keys",
    args: ["data", "convert", "good.json", "--to", "symbolic", "--out", "c.json"],
    message: /item 0: idx_to_symbol\/edges\/root\/target\/neg_target: a ProsQA record needs its graph keys/,
  },
  {
    name: "data convert --hops that no item has",
    args: ["data", "convert", "prosqa.json", "--to", "symbolic", "--hops", "9,9", "--out", "c.json"],
    message: /prosqa\.json: no item has 9–9 hops; nothing to write/,
  },
  {
    name: "data generate --out at an existing file",
    args: ["data", "generate", "prosqa", "--n", "2", "--out", "good.json"],
    message: /--out good\.json: the file exists; copra does not overwrite it/,
  },
  {
    name: "data convert --out at an existing file",
    args: ["data", "convert", "prosqa.json", "--to", "symbolic", "--out", "good.json"],
    message: /--out good\.json: the file exists/,
  },
  {
    name: "train --switch for a method without thoughts",
    args: ["train", ...small, "--method", "cot", "--switch"],
    message: /--switch: method cot has no continuous thoughts to stop/,
  },
  {
    name: "train --switch with a negative weight",
    args: ["train", ...small, "--switch", "-1"],
    message: /--switch must be a number ≥ 0 \(got -1\)/,
  },
  {
    name: "train --supervision frontier on data without frontiers",
    args: ["train", "--data", "good.json", "--supervision", "frontier", "--out", "f"],
    message: /good\.json: item 0: has no "frontiers" key, which --supervision frontier learns from/,
  },
  {
    name: "train --supervision frontier on the generated ProsQA task",
    args: ["train", ...small, "--supervision", "frontier", "--out", "f"],
    message: /--supervision frontier needs --data with frontiers/,
  },
  {
    name: "eval --thoughts auto on a checkpoint without a switch",
    args: ["eval", "--ckpt", "run", "--data", "good.json", "--thoughts", "auto"],
    message: /--thoughts auto: run\/checkpoint-\d+\/model\.safetensors has no learned switch/,
  },
  {
    name: "generate --thoughts maybe",
    args: ["generate", "--ckpt", "run", ...question, "--thoughts", "maybe"],
    message: /--thoughts must be an integer ≥ 0 \(got maybe\) or "auto"/,
  },
  {
    name: "eval --max-thoughts 0",
    args: ["eval", "--ckpt", "run", "--data", "good.json", "--thoughts", "auto", "--max-thoughts", "0"],
    message: /--max-thoughts must be an integer ≥ 1 \(got 0\)/,
  },
  {
    name: "train --split-digits with --prefix-space",
    args: ["train", ...small, "--split-digits", "--prefix-space"],
    message: /--split-digits and --prefix-space cannot be combined/,
  },
  {
    name: "train --tool-results maybe",
    args: ["train", ...small, "--tool-results", "maybe"],
    message: /--tool-results must be one of learn, input \(got maybe\)/,
  },
  {
    name: "data generate prosqa with an arithmetic flag",
    args: ["data", "generate", "prosqa", "--operands", "100,999", "--out", "p.json"],
    message: /--operands does not apply to prosqa data/,
  },
  {
    name: "data generate --n 0",
    args: ["data", "generate", "prosqa", "--n", "0", "--out", "x.json"],
    message: /--n must be an integer ≥ 1 \(got 0\)/,
  },
  {
    name: "data generate arith --steps that are not a range",
    args: ["data", "generate", "arith", "--steps", "4,x", "--out", "a.json"],
    message: /--steps must be two positive integers min,max with min ≤ max \(got 4,x\)/,
  },
  {
    name: "generate --max-new-tokens 0",
    args: ["generate", "--ckpt", "run", ...question, "--max-new-tokens", "0"],
    message: /--max-new-tokens must be an integer ≥ 1 \(got 0\)/,
  },
  // Non-finite training stops; NaN weights are named.
  {
    name: "train --lr 1e30 diverges",
    args: ["train", ...small, "--lr", "1e30", "--clip-norm", "0", "--out", "diverged"],
    message: /training: diverged at epoch 0, step \d: the (loss|gradient norm) is (NaN|Infinity)/,
    allowNew: true,
    after: async (dir) => {
      const names = (await Array.fromAsync(Deno.readDir(`${dir}/diverged`))).map((e) => e.name);
      assert.ok(!names.some((n) => n.startsWith("checkpoint")), `no checkpoint of a diverged epoch: ${names}`);
    },
  },
  {
    name: "eval on NaN weights",
    args: ["eval", "--ckpt", "nan", "--data", "good.json"],
    message: /nan\/checkpoint-2\/model\.safetensors: h\.0\.mlp\.c_fc\.weight hold NaN or infinite values/,
  },
  {
    name: "generate on NaN weights",
    args: ["generate", "--ckpt", "nan", ...question],
    message: /h\.0\.mlp\.c_fc\.weight hold NaN or infinite values \(the run diverged\)/,
  },
  // Silently accepted input, now refused with the file, the field and what to do.
  {
    name: "a misspelt --config key",
    args: ["train", "--config", "typo.config.json"],
    message: /typo\.config\.json: "epocs" is not an option of copra train; did you mean "epochs"\?/,
  },
  {
    name: "a --config value out of range",
    args: ["train", "--config", "zero.config.json"],
    message: /zero\.config\.json: "batchSize": --batch-size must be an integer ≥ 1 \(got 0\)/,
  },
  {
    name: "a --config flag that is not a boolean",
    args: ["train", "--config", "string.config.json"],
    message: /string\.config\.json: "prefixSpace" must be true or false \(got "yes"\)/,
  },
  {
    name: "a --config file that is not JSON",
    args: ["train", "--config", "notjson.config.json"],
    message: /--config notjson\.config\.json: is not valid JSON/,
  },
  {
    name: "a --config file that is not an object",
    args: ["train", "--config", "array.config.json"],
    message: /array\.config\.json: must be a JSON object of train options/,
  },
  {
    name: "a missing --config file",
    args: ["train", "--config", "none.json"],
    message: /--config none\.json: cannot be read/,
  },
  {
    name: "non-UTF-8 bytes in a data file",
    args: ["train", "--data", "latin1.json"],
    message: /latin1\.json: \(file\): is not UTF-8: an invalid byte sequence starts at byte offset 18 \(byte 0xe9\)/,
  },
  {
    name: "a UTF-16 data file",
    args: ["data", "stats", "utf16.json"],
    message: /utf16\.json: \(file\): is UTF-16 text/,
  },
  {
    name: "a UTF-16 data file without a byte-order mark",
    args: ["eval", "--ckpt", "run", "--data", "utf16-nobom.json"],
    message: /utf16-nobom\.json: \(file\): holds a NUL byte at byte offset 1/,
  },
  { name: "a UTF-8 byte-order mark is accepted", args: ["data", "stats", "bom.json"], code: 0, message: /items\s+1/ },
  {
    name: "generate with an empty question",
    args: ["generate", "--ckpt", "run", "--question", ""],
    message: /--question is empty/,
  },
  {
    name: "generate with a blank question",
    args: ["generate", "--ckpt", "run", "--question", "  \n "],
    message: /--question is empty/,
  },
  {
    name: "eval on a file with no items",
    args: ["eval", "--ckpt", "run", "--data", "empty.json"],
    message: /empty\.json: no items to evaluate/,
  },
  {
    name: "eval --limit 0",
    args: ["eval", "--ckpt", "run", "--data", "good.json", "--limit", "0"],
    message: /--limit must be an integer ≥ 1 \(got 0\)/,
  },
  {
    name: "generate --top-k past the vocabulary",
    args: ["generate", "--ckpt", "run", ...question, "--top-k", "100000"],
    message: /--top-k 100000 is more than the model's vocabulary \(\d+ tokens\)/,
  },
  {
    name: "a question longer than the model's context",
    args: ["train", "--data", "huge.json", "--out", "h"],
    message:
      /huge\.json: item 0: takes \d+ tokens .* the model.s context is 512 positions \(the most preset nano allows\)/,
  },
  {
    name: "a one-item data file",
    args: ["train", "--data", "one.json", "--out", "o"],
    message: /one\.json: 1 item, and the held-out split \(its last 10%\) took it; .*--eval-data/,
  },
  {
    name: "a missing data file",
    args: ["train", "--data", "none.json"],
    message: /none\.json: \(file\): cannot be read/,
  },
  {
    name: "a data file that is not an array",
    args: ["train", "--data", "object.json"],
    message: /object\.json: \(top level\): expected a JSON array/,
  },
  {
    name: "a data item without a question",
    args: ["eval", "--ckpt", "run", "--data", "noquestion.json"],
    message: /noquestion\.json: item 0: question: must be a non-empty string/,
  },
  {
    name: "a data file that is cut off",
    args: ["data", "stats", "broken.json"],
    message: /broken\.json: \(file\): is not valid JSON/,
  },
  {
    name: "eval of a folder that does not exist",
    args: ["eval", "--ckpt", "nowhere", "--data", "good.json"],
    message: /nowhere\/\.\.\/run\.json: not found or has no "curriculum"; pass --method/,
  },
  {
    name: "eval of a run whose run.json is damaged",
    args: ["eval", "--ckpt", "badrunjson", "--data", "good.json", "--method", "coconut"],
    message: /badrunjson\/run\.json: is not valid JSON/,
  },
  {
    name: "eval of a checkpoint without weights",
    args: ["eval", "--ckpt", "noweights", "--data", "good.json"],
    message: /noweights\/checkpoint-2\/model\.safetensors: \(file\): cannot be read/,
  },
  {
    name: "eval of truncated weights",
    args: ["eval", "--ckpt", "truncweights", "--data", "good.json"],
    message: /truncweights\/checkpoint-2\/model\.safetensors: .*data_offsets: must be/,
  },
  {
    name: "--out outside the folders the process may write",
    args: ["train", "--out", "/"],
    message: /--out \/: the folder is not empty|--out \/: this process may not write there/,
  },
];

Deno.test(`the bad-input corpus has at least 40 cases (${CASES.length})`, () => {
  assert.ok(CASES.length >= 40);
  assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length, "case names are unique");
});

for (const c of CASES) {
  Deno.test(`bad input: ${c.name}`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "copra-case-" });
    await copyTree(fixtures, dir);
    const before = await snapshot(dir);
    const { code, out } = await copra(dir, c.args);
    const expected = c.code ?? 1;
    assert.equal(code, expected, `exit code ${code} (want ${expected}):\n${out}`);
    assert.match(out, c.message);
    if (expected !== 0) {
      // One clear message: a single "copra: …" line, no stack trace.
      const lines = out.trim().split("\n").filter((l) => l.startsWith("copra: "));
      assert.equal(lines.length, 1, out);
      assert.doesNotMatch(out, /^\s+at /m, "no stack trace");
    }
    const after = await snapshot(dir);
    for (const [path, content] of before) {
      assert.ok(after.has(path), `${path} was removed`);
      assert.ok(after.get(path) === content, `${path} changed`);
    }
    if (!c.allowNew) assert.deepEqual([...after.keys()].filter((p) => !before.has(p)), [], "no new files");
    await c.after?.(dir);
    await Deno.remove(dir, { recursive: true });
  });
}
