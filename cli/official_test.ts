import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { curriculumConfig } from "@copra/curriculum";
import { generateProsQA } from "@copra/data";
import { latentForward } from "@copra/infer";
import {
  AdamW,
  disposeParams,
  type GPT2Config,
  gpt2Config,
  type GPT2Params,
  initParams,
  officialStateDict,
  serializeSafetensors,
  useBackend,
  writeTorchCheckpoint,
} from "@copra/model";
import { Rng } from "@copra/random";
import { COCONUT_TOKENS, type Tokenizer } from "@copra/tokenizer";
import {
  formatOfficialArgs,
  OFFICIAL_ARGS_KEYS,
  parseOfficialArgs,
  readCheckpoint,
  toOfficialArgs,
  writeCheckpoint,
} from "@copra/train";
import { findTorchPython } from "../bench/util.ts";
import { GPT2_HF_TOKENIZER_JSON, loadGpt2 } from "../reference/gpt2.ts";

const root = new URL("../", import.meta.url).pathname;
const python = await findTorchPython();
const skip = python ? "" : " — skipped: no python3 with torch (apt-get install python3-torch)";
/** PyYAML, which the official run.py reads args.yaml with (Debian's python3-yaml). */
const pyyaml = python !== null &&
  (await new Deno.Command(python, { args: ["-c", "import yaml"], stdout: "null", stderr: "null" }).output()).code === 0;
const skipYaml = pyyaml
  ? ""
  : " — skipped: no python3 with torch and yaml (apt-get install python3-torch python3-yaml)";
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** Runs `copra …` in a subprocess (read everywhere, write only under `write`). */
async function copra(write: string, ...args: string[]): Promise<{ code: number; out: string }> {
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", `--allow-write=${write}`, "--allow-env", "cli/main.ts", ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: result.code, out: decode(result.stdout) + decode(result.stderr) };
}

/** Runs reference/torch_coconut.py; its last stdout line as JSON. */
async function torchCoconut(...args: string[]): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(python!, {
    args: [`${root}reference/torch_coconut.py`, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  assert.equal(out.code, 0, decode(out.stderr));
  return JSON.parse(decode(out.stdout).trim().split("\n").at(-1)!);
}

/** copra's logits (B,T,V) for `ids` (equal-length rows) with Coconut's latent feedback. */
async function copraLogits(params: GPT2Params, config: GPT2Config, ids: number[][], latent: number) {
  const [B, T] = [ids.length, ids[0].length];
  const batch = {
    ids: tf.tensor2d(ids, [B, T], "int32"),
    attentionMask: tf.ones([B, T], "int32") as tf.Tensor2D,
    positionIds: tf.tensor2d(ids.map(() => [...Array(T).keys()]), [B, T], "int32"),
    latentPositions: ids.map((row) => row.flatMap((id, j) => id === latent ? [j] : [])),
  };
  const { logits } = latentForward(params, config, batch);
  const out = (await logits.array()) as number[][][];
  tf.dispose([logits, batch.ids, batch.attentionMask, batch.positionIds]);
  return out;
}

function maxDiff(a: number[][][], b: number[][][]): number {
  let worst = 0;
  a.forEach((row, i) => row.forEach((v, j) => v.forEach((x, k) => worst = Math.max(worst, Math.abs(x - b[i][j][k])))));
  return worst;
}

/** A question with two thought slots, in GPT-2 ids: "…\n<bot><latent><latent><eot>### …". */
function prompt(tokenizer: Tokenizer): number[] {
  const id = (t: string) => tokenizer.tokenId(t);
  return [
    ...tokenizer.encode("Every wumpus is a yumpus. Alex is a wumpus. Is Alex a yumpus?\n"),
    id(COCONUT_TOKENS.startLatent),
    id(COCONUT_TOKENS.latent),
    id(COCONUT_TOKENS.latent),
    id(COCONUT_TOKENS.endLatent),
    ...tokenizer.encode("### Alex is a yumpus."),
  ];
}

/** A copra run folder (GPT-2's tokenizer, a small absolute-position model) with `epochs` done. */
async function makeRun(dir: string, method: "coconut" | "cot", tokenizer: Tokenizer, done: number) {
  const config = gpt2Config("nano", {
    vocab_size: tokenizer.vocabSize,
    n_positions: 128,
    n_embd: 32,
    n_layer: 2,
    n_head: 4,
    position_embedding_type: "absolute",
  });
  const params = initParams(config, { seed: 11 });
  const items = generateProsQA({ n: 12, seed: 5, nodes: [5, 6], minHops: 2, maxHops: 2 });
  await Deno.writeTextFile(`${dir}/items.json`, JSON.stringify(items));
  const curriculum = curriculumConfig({ method, maxLatentStage: 2, epochsPerStage: 1, thoughtsPerStep: 1 });
  const optimizer = new AdamW(params);
  for (let epoch = 0; epoch < done; epoch++) {
    const state = { epoch, stage: epoch, rng: new Rng(0).state(), metrics: [], seed: 7 };
    await writeCheckpoint(`${dir}/run`, epoch, params, config, tokenizer, optimizer, state);
  }
  optimizer.dispose();
  const options = {
    method,
    data: `${dir}/items.json`,
    evalItems: 3,
    epochsPerStage: 1,
    maxLatentStage: 2,
    c: 1,
    batchSize: 4,
    effectiveBatch: 8,
    lr: 3e-4,
    lrSchedule: "constant",
    weightDecay: 0.05,
    seed: 7,
    epochs: 4,
    positions: "absolute",
    optimizerReset: "every-epoch",
  };
  await Deno.writeTextFile(`${dir}/run/run.json`, JSON.stringify({ curriculum, options, model: config }));
  return { params, config };
}

Deno.test(
  `export --to coconut: PyTorch loads the official module strictly and computes copra's logits; args.yaml is the official schema${skipYaml}`,
  { ignore: !pyyaml },
  async () => {
    await useBackend("wasm");
    const dir = await Deno.makeTempDir();
    const tokenizer = (await loadGpt2()).withSpecialTokens(Object.values(COCONUT_TOKENS));
    // The official ids of Coconut's tokens: GPT-2's 50257 tokens, then start, end, latent.
    assert.deepEqual(
      [COCONUT_TOKENS.startLatent, COCONUT_TOKENS.endLatent, COCONUT_TOKENS.latent].map((t) => tokenizer.tokenId(t)),
      [50257, 50258, 50259],
    );
    try {
      for (const method of ["coconut", "cot"] as const) {
        await Deno.mkdir(`${dir}/${method}/run`, { recursive: true });
        const { params, config } = await makeRun(`${dir}/${method}`, method, tokenizer, 3);
        const out = `${dir}/${method}/export`;
        const exported = await copra(
          dir,
          "export",
          "--ckpt",
          `${dir}/${method}/run`,
          "--to",
          "coconut",
          "--out",
          out,
          "--gpus",
          "2",
        );
        assert.equal(exported.code, 0, exported.out);
        const ids = [prompt(tokenizer)];
        const torch = await torchCoconut(
          "logits",
          `${out}/run/checkpoint_3`,
          "--heads",
          "4",
          "--latent-id",
          method === "coconut" ? "50259" : "-1",
          "--ids",
          JSON.stringify(ids),
        );
        // The keys are the official module's (load_state_dict(strict=True) passed), the tied weights one storage.
        const prefix = method === "coconut" ? "base_causallm." : "";
        assert.equal(torch.module, method === "coconut" ? "coconut" : "causallm");
        assert.equal((torch.keys as string[])[0], `${prefix}transformer.wte.weight`);
        assert.equal((torch.keys as string[]).includes("embedding.weight"), method === "coconut");
        assert.equal(torch.tied_storages, 1);
        const mine = await copraLogits(params, config, ids, method === "coconut" ? 50259 : -1);
        const diff = maxDiff(mine, torch.logits as number[][][]);
        assert.ok(diff < 1e-5, `${method}: copra and PyTorch logits differ by ${diff}`);
        disposeParams(params);

        // args.yaml as the official run.py reads it: PyYAML's safe_load.
        const yaml = await new Deno.Command(python!, {
          args: [
            "-c",
            `import yaml, json, sys; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))`,
            `${out}/args.yaml`,
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(yaml.code, 0, decode(yaml.stderr));
        const args = JSON.parse(decode(yaml.stdout));
        assert.deepEqual(Object.keys(args), [...OFFICIAL_ARGS_KEYS]);
        assert.equal(args.coconut, method === "coconut");
        assert.equal(args.cot, method === "cot");
        assert.equal(args.lr, 3e-4);
        assert.equal(typeof args.lr, "number");
        assert.equal(args.weight_decay, 0.05);
        assert.equal(args.resume, 3);
        assert.equal(args.num_epochs, 4);
        assert.equal(args.batch_size_training * args.gradient_accumulation_steps * 2, 8); // 2 GPUs, 8 per update
        assert.equal(args.c_thought, 1);
        assert.equal(args.max_latent_stage, 2);
        assert.equal(args.reset_optimizer, true);
        assert.equal(args.load_model_path, `${out}/run/checkpoint_3`);
        assert.equal(args.model_id, `${out}/hf`);
        // The data the official loader reads: copra's items, split as copra split them (last 10% held out).
        const train = JSON.parse(await Deno.readTextFile(args.train_path));
        const valid = JSON.parse(await Deno.readTextFile(args.val_path));
        const items = JSON.parse(await Deno.readTextFile(`${dir}/${method}/items.json`));
        assert.deepEqual([...train, ...valid], items.slice(0, 10 + valid.length));
        assert.equal(valid.length, 2);
        // The hf/ folder is the checkpoint in Hugging Face's layout, with a tokenizer Hugging Face's fast class reads.
        const hfConfig = JSON.parse(await Deno.readTextFile(`${out}/hf/config.json`));
        assert.equal(hfConfig.vocab_size, tokenizer.vocabSize);
        assert.equal(hfConfig.model_type, "gpt2");
        assert.equal(JSON.parse(await Deno.readTextFile(`${out}/hf/tokenizer_config.json`)).eos_token, "<|endoftext|>");
        // And back: the export imports to the very bytes of the run's weights, config and tokenizer.
        const back = `${dir}/${method}/back`;
        const imported = await copra(
          dir,
          "import",
          "--from",
          "coconut",
          args.load_model_path,
          "--args",
          `${out}/args.yaml`,
          "--out",
          back,
        );
        assert.equal(imported.code, 0, imported.out);
        for (const file of ["model.safetensors", "config.json", "tokenizer.json"]) {
          assert.deepEqual(
            await Deno.readFile(`${back}/checkpoint-2/${file}`),
            await Deno.readFile(`${dir}/${method}/run/checkpoint-2/${file}`),
            `${method}: ${file} differs after export and import`,
          );
        }
        // The export folder moved since (copied back from the GPU machine): model_id and the data are found in it.
        await Deno.rename(out, `${dir}/${method}/moved`);
        const moved = await copra(
          dir,
          ...["import", "--from", "coconut", `${dir}/${method}/moved/run/checkpoint_3`, "--args"],
          ...[`${dir}/${method}/moved/args.yaml`, "--out", `${dir}/${method}/back2`],
        );
        assert.equal(moved.code, 0, moved.out);
        assert.deepEqual(
          await Deno.readFile(`${dir}/${method}/back2/checkpoint-2/model.safetensors`),
          await Deno.readFile(`${dir}/${method}/run/checkpoint-2/model.safetensors`),
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  `import --from coconut: a torch.save of the official module gives copra PyTorch's logits, and train --resume continues${skip}`,
  { ignore: python === null },
  async () => {
    await useBackend("wasm");
    const dir = await Deno.makeTempDir();
    try {
      // A Hugging Face GPT-2 folder as model_id names it: config.json and GPT-2's tokenizer.json (50257 ids).
      await Deno.mkdir(`${dir}/gpt2-small`);
      const hfConfig = { model_type: "gpt2", vocab_size: 50257, n_positions: 128, n_embd: 32, n_layer: 2, n_head: 4 };
      await Deno.writeTextFile(`${dir}/gpt2-small/config.json`, JSON.stringify(hfConfig));
      await Deno.copyFile(GPT2_HF_TOKENIZER_JSON, `${dir}/gpt2-small/tokenizer.json`);
      const items = generateProsQA({ n: 8, seed: 2, nodes: [5, 5], minHops: 2, maxHops: 2 });
      await Deno.writeTextFile(`${dir}/train.json`, JSON.stringify(items.slice(0, 6)));
      await Deno.writeTextFile(`${dir}/valid.json`, JSON.stringify(items.slice(6)));
      const { args } = toOfficialArgs(
        {
          curriculum: curriculumConfig({ method: "coconut", maxLatentStage: 2, epochsPerStage: 1 }),
          epochs: 3,
          seed: 0,
          lr: 1e-4,
          weightDecay: 0.01,
          batchSize: 4,
        },
        { name: "run", savePath: dir, modelId: "gpt2-small", trainPath: "train.json", valPath: "valid.json" },
      );
      await Deno.writeTextFile(`${dir}/args.yaml`, formatOfficialArgs(args));
      await Deno.mkdir(`${dir}/run`);
      const gpt2 = await loadGpt2();
      const official = gpt2.withSpecialTokens([
        COCONUT_TOKENS.startLatent,
        COCONUT_TOKENS.endLatent,
        COCONUT_TOKENS.latent,
      ]);
      const ids = [prompt(official)];
      for (const dtype of ["float32", "bfloat16"]) {
        const file = `${dir}/run/checkpoint_2`;
        const saved = await torchCoconut(
          "save",
          file,
          ...["--vocab", "50260", "--positions", "128", "--embd", "32", "--layers", "2", "--heads", "4"],
          ...["--seed", "3", "--latent-id", "50259", "--ids", JSON.stringify(ids), "--dtype", dtype],
        );
        const out = `${dir}/imported-${dtype}`;
        const imported = await copra(
          dir,
          "import",
          "--from",
          "coconut",
          file,
          "--args",
          `${dir}/args.yaml`,
          "--out",
          out,
        );
        assert.equal(imported.code, 0, imported.out);
        const { params, config, tokenizer } = await readCheckpoint(`${out}/checkpoint-1`);
        assert.equal(tokenizer.vocabSize, 50260);
        assert.equal(tokenizer.tokenId(COCONUT_TOKENS.latent), 50259);
        assert.equal(config.n_head, 4);
        const diff = maxDiff(await copraLogits(params, config, ids, 50259), saved.logits as number[][][]);
        disposeParams(params);
        assert.ok(diff < 1e-5, `${dtype}: copra and PyTorch logits differ by ${diff}`);
        const state = JSON.parse(await Deno.readTextFile(`${out}/checkpoint-1/state.json`));
        assert.deepEqual([state.epoch, state.stage], [1, 1]); // checkpoint_2: two epochs done, the last at stage 1
        if (dtype === "bfloat16") continue;
        // The imported run continues in copra: epoch 2 (stage 2) of 3, from the imported weights.
        const resumed = await copra(dir, "train", "--resume", "--out", out);
        assert.equal(resumed.code, 0, resumed.out);
        const last = JSON.parse(await Deno.readTextFile(`${out}/checkpoint-2/state.json`));
        assert.deepEqual([last.epoch, last.stage, last.metrics.length], [2, 2, 1]);
        assert.ok(Number.isFinite(last.metrics[0].trainLoss));
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("import refuses hostile, truncated and mislabelled files, and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A pickle that names os.system: the restricted reader stops at the global, before anything could run.
    const evil = Uint8Array.from("\x80\x02cos\nsystem\nX\x05\x00\x00\x00touch\x85R.", (c) => c.charCodeAt(0));
    const { zipSync } = await import("fflate");
    await Deno.writeFile(`${dir}/checkpoint_1`, zipSync({ "archive/data.pkl": [evil, { level: 0 }] }));
    // A safetensors file named like a checkpoint.
    await Deno.writeFile(
      `${dir}/checkpoint_2`,
      serializeSafetensors({ w: { shape: [1], values: new Float32Array([1]) } }),
    );
    await Deno.writeFile(
      `${dir}/checkpoint_3`,
      zipSync({ "a/data.pkl": [new Uint8Array([0x80, 0x02, 0x7d]), { level: 0 }] }).slice(0, 40),
    );
    const cases: [string, RegExp][] = [
      ["checkpoint_1", /os\.system/],
      ["checkpoint_2", /checkpoint_2/],
      ["checkpoint_3", /checkpoint_3/],
    ];
    const noArgs = await copra(
      dir,
      "import",
      "--from",
      "coconut",
      `${dir}/checkpoint_3`,
      "--args",
      `${dir}/none.yaml`,
      "--out",
      `${dir}/out`,
    );
    assert.equal(noArgs.code, 1);
    assert.match(noArgs.out, /--args .*none\.yaml: cannot be read/);
    for (const [name, message] of cases) {
      const result = await copra(
        dir,
        "import",
        "--from",
        "coconut",
        `${dir}/${name}`,
        "--model",
        `${dir}/none`,
        "--out",
        `${dir}/out`,
      );
      assert.equal(result.code, 1, result.out);
      assert.match(result.out, message);
      assert.equal(result.out.trim().split("\n").length, 1, result.out);
      assert.equal(await Deno.stat(`${dir}/out`).then(() => true, () => false), false, `${name}: wrote ${dir}/out`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export refuses what the official code cannot run, before writing anything", async () => {
  await useBackend("wasm");
  const dir = await Deno.makeTempDir();
  try {
    const tokenizer = (await loadGpt2()).withSpecialTokens(Object.values(COCONUT_TOKENS));
    await Deno.mkdir(`${dir}/run`, { recursive: true });
    const { params } = await makeRun(dir, "coconut", tokenizer, 1);
    disposeParams(params);
    const run = JSON.parse(await Deno.readTextFile(`${dir}/run/run.json`));
    const missing = await copra(dir, "export", "--ckpt", `${dir}/nothing`, "--to", "hf", "--out", `${dir}/out`);
    assert.equal(missing.code, 1);
    assert.match(missing.out, /--ckpt .*nothing: no such folder/);
    const attempts: [string[], RegExp, () => Promise<void>][] = [
      [["--to", "coconut", "--gpus", "3"], /gpus.*divides.*8/, async () => {}],
      [["--to", "coconut", "--model-id", "my/gpt"], /--model-id my\/gpt: .*GPT-2's hub ids only/, async () => {}],
      [["--to", "hf", "--model-id", "gpt2"], /--model-id goes with --to coconut/, async () => {}],
      [["--to", "coconut", "--at", ""], /--at "": must be an absolute path/, async () => {}],
      [["--to", "coconut", "--at", "cluster/x"], /--at "cluster\/x": must be an absolute path/, async () => {}],
      [
        ["--to", "coconut", "--model-id", "openai-community/gpt2"],
        /--model-id openai-community\/gpt2: .*differs from that model in n_embd \(32 here, 768 there\), n_layer/,
        async () => {},
      ],
      [["--to", "torch"], /--to must be one of coconut, hf/, async () => {}],
      [["--to", "coconut"], /pause-as-thought has no counterpart/, async () => {
        await Deno.writeTextFile(
          `${dir}/run/run.json`,
          JSON.stringify({ ...run, curriculum: { ...run.curriculum, method: "pause-as-thought" } }),
        );
      }],
    ];
    for (const [flags, message, prepare] of attempts) {
      await prepare();
      const result = await copra(dir, "export", "--ckpt", `${dir}/run`, "--out", `${dir}/out`, ...flags);
      assert.equal(result.code, 1, result.out);
      assert.match(result.out, message);
      assert.equal(await Deno.stat(`${dir}/out`).then(() => true, () => false), false);
    }
    // An --out that holds anything is never written into.
    await Deno.mkdir(`${dir}/busy`);
    await Deno.writeTextFile(`${dir}/busy/notes.txt`, "mine");
    const busy = await copra(dir, "export", "--ckpt", `${dir}/run`, "--to", "hf", "--out", `${dir}/busy`);
    assert.equal(busy.code, 1);
    assert.match(busy.out, /not empty/);
    assert.deepEqual([...Deno.readDirSync(`${dir}/busy`)].map((e) => e.name), ["notes.txt"]);
    // --to hf: the checkpoint in Hugging Face's layout, nothing else.
    const hf = await copra(dir, "export", "--ckpt", `${dir}/run`, "--to", "hf", "--out", `${dir}/hf`);
    assert.equal(hf.code, 0, hf.out);
    assert.deepEqual(
      [...Deno.readDirSync(`${dir}/hf`)].map((e) => e.name).sort(),
      ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"],
    );
    assert.deepEqual(
      await Deno.readFile(`${dir}/hf/model.safetensors`),
      await Deno.readFile(`${dir}/run/checkpoint-0/model.safetensors`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import without --args holds the weights only: eval reads it; --resume and export --to coconut say why not", async () => {
  await useBackend("wasm");
  const dir = await Deno.makeTempDir();
  try {
    const tokenizer = (await loadGpt2()).withSpecialTokens(Object.values(COCONUT_TOKENS));
    await Deno.mkdir(`${dir}/run`, { recursive: true });
    const { params, config } = await makeRun(dir, "coconut", tokenizer, 1);
    const hf = await copra(dir, "export", "--ckpt", `${dir}/run`, "--to", "hf", "--out", `${dir}/hf`);
    assert.equal(hf.code, 0, hf.out);
    await Deno.writeFile(
      `${dir}/checkpoint_1`,
      writeTorchCheckpoint(await officialStateDict(params, config, "coconut")),
    );
    disposeParams(params);
    const imported = await copra(
      dir,
      "import",
      "--from",
      "coconut",
      `${dir}/checkpoint_1`,
      "--model",
      `${dir}/hf`,
      "--out",
      `${dir}/w`,
    );
    assert.equal(imported.code, 0, imported.out);
    assert.match(imported.out, /weights only/);
    assert.deepEqual(
      await Deno.readFile(`${dir}/w/checkpoint-0/model.safetensors`),
      await Deno.readFile(`${dir}/run/checkpoint-0/model.safetensors`),
    );
    const scored = await copra(
      dir,
      "eval",
      "--ckpt",
      `${dir}/w`,
      "--data",
      `${dir}/items.json`,
      "--limit",
      "2",
      "--max-new-tokens",
      "4",
    );
    assert.equal(scored.code, 0, scored.out);
    const resumed = await copra(dir, "train", "--resume", "--out", `${dir}/w`);
    assert.equal(resumed.code, 1);
    assert.match(resumed.out, /imported without --args, so it holds weights only/);
    const again = await copra(dir, "export", "--ckpt", `${dir}/w`, "--to", "coconut", "--out", `${dir}/x`);
    assert.equal(again.code, 1);
    assert.match(again.out, /has no "options"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  `export --model-id openai-community/gpt2: GPT-2 124M with the hub's vocabulary loads strictly in PyTorch and gives copra's logits${skip}`,
  { ignore: python === null },
  async () => {
    await useBackend("wasm");
    const dir = await Deno.makeTempDir();
    try {
      const tokenizer = (await loadGpt2()).withSpecialTokens(Object.values(COCONUT_TOKENS)); // <pause> at 50260
      const config = gpt2Config("gpt2", { vocab_size: tokenizer.vocabSize });
      const params = initParams(config, { seed: 5 });
      const state = { epoch: 0, stage: 0, rng: new Rng(0).state(), metrics: [], seed: 0 };
      await writeCheckpoint(`${dir}/run`, 0, params, config, tokenizer, null, state);
      const items = generateProsQA({ n: 10, seed: 5, nodes: [5, 6], minHops: 2, maxHops: 2 });
      await Deno.writeTextFile(`${dir}/items.json`, JSON.stringify(items));
      const curriculum = curriculumConfig({ method: "coconut" });
      const options = { method: "coconut", data: `${dir}/items.json`, positions: "absolute", epochs: 40 };
      await Deno.writeTextFile(`${dir}/run/run.json`, JSON.stringify({ curriculum, options, model: config }));
      const out = `${dir}/export`;
      const exported = await copra(
        dir,
        ...["export", "--ckpt", `${dir}/run`, "--to", "coconut", "--model-id", "openai-community/gpt2", "--out", out],
      );
      assert.equal(exported.code, 0, exported.out);
      assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name).sort(), ["args.yaml", "data", "run"]); // no hf/
      const args = parseOfficialArgs(await Deno.readTextFile(`${out}/args.yaml`), "args.yaml");
      assert.equal(args.model_id, "openai-community/gpt2");
      assert.match(
        await Deno.readTextFile(`${out}/args.yaml`),
        /# - vocabulary: openai-community\/gpt2's \(50260 ids\)/,
      );
      const ids = [prompt(tokenizer)];
      const torch = await torchCoconut(
        ...["logits", `${out}/run/checkpoint_1`, "--heads", "12", "--latent-id", "50259", "--ids", JSON.stringify(ids)],
      );
      const logits = torch.logits as number[][][];
      assert.equal(logits[0][0].length, 50260); // run.py's vocabulary: GPT-2's and the three Coconut tokens
      const mine = (await copraLogits(params, config, ids, 50259)).map((row) => row.map((v) => v.slice(0, 50260)));
      disposeParams(params);
      const diff = maxDiff(mine, logits);
      assert.ok(diff < 1e-4, `copra and PyTorch logits differ by ${diff}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
