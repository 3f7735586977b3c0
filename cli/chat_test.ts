import assert from "node:assert/strict";
import { buildPrompt, curriculumConfig, specialIds, tokenizeRecord } from "@copra/curriculum";
import { generate, type SessionEvent } from "@copra/infer";
import { disposeParams, useBackend } from "@copra/model";
import { latestCheckpoint, readCheckpoint } from "@copra/train";

const root = new URL("../", import.meta.url).pathname;

/** Runs `copra …` with `input` on standard input (a pipe, not a terminal). */
async function copra(input: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", "cli/main.ts", ...args],
    cwd: root,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const result = await child.output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: result.code, out: decode(result.stdout), err: decode(result.stderr) };
}

Deno.test("copra chat: piped turns stream JSON events; the first turn is generate()'s answer; tools are checked", async () => {
  const dir = await Deno.makeTempDir();
  const data = await copra(
    "",
    "data",
    "generate",
    "symbolic",
    "--n",
    "60",
    "--nodes",
    "8,9",
    "--hops",
    "2,3",
    "--out",
    `${dir}/s.json`,
  );
  assert.equal(data.code, 0, data.out + data.err);
  const trained = await copra(
    "",
    ...["train", "--data", `${dir}/s.json`, "--switch", "--max-latent-stage", "2", "--epochs-per-stage", "1"],
    ...[
      "--n-layer",
      "1",
      "--n-embd",
      "24",
      "--n-head",
      "2",
      "--batch-size",
      "16",
      "--max-new-tokens",
      "4",
      "--out",
      `${dir}/run`,
    ],
  );
  assert.equal(trained.code, 0, trained.out + trained.err);
  const items = JSON.parse(await Deno.readTextFile(`${dir}/s.json`));
  const questions = [items[0].question, items[1].question];
  const chat = await copra(
    `${questions[0]}\n\n${questions[1]}\n`,
    "chat",
    "--ckpt",
    `${dir}/run`,
    "--json",
    "--max-thoughts",
    "4",
    "--max-new-tokens",
    "5",
  );
  assert.equal(chat.code, 0, chat.out + chat.err);
  const events: SessionEvent[] = chat.out.trim().split("\n").map((l) => JSON.parse(l));
  const ends = events.flatMap((e, i) => (e.type === "turn_end" ? [i] : []));
  assert.equal(ends.length, 2, "one turn per non-empty line");
  const first = events.slice(0, ends[0] + 1);
  const thoughts = first.filter((e) => e.type === "thought");
  const end = first.at(-1)!;
  assert.ok(
    end.type === "turn_end" && end.thoughts === thoughts.length && thoughts.length >= 1 && thoughts.length <= 4,
  );
  assert.ok(thoughts.every((t) => t.type === "thought" && typeof t.stop === "number" && t.top.length === 3));
  // The same answer as generate() with the learned switch on the same prompt.
  await useBackend("wasm");
  const saved = await readCheckpoint((await latestCheckpoint(`${dir}/run`))!.path);
  const ids = specialIds(saved.tokenizer);
  const curriculum = curriculumConfig({ method: "coconut" });
  const prompt = buildPrompt(
    tokenizeRecord(saved.tokenizer, { question: questions[0], steps: [], answer: "" }),
    curriculum,
    ids,
    4,
  );
  const [reference] = await generate(saved.params, saved.config, [prompt], {
    eosId: ids.eos,
    maxNewTokens: 5,
    switch: {},
  });
  assert.deepEqual(first.flatMap((e) => (e.type === "token" ? [e.id] : [])), reference.ids);
  assert.equal(reference.thoughts, thoughts.length);
  disposeParams(saved.params);
  // The terminal rendering, and the refusals.
  const plain = await copra(
    `${questions[0]}\n`,
    "chat",
    "--ckpt",
    `${dir}/run`,
    "--show-thoughts",
    "--max-thoughts",
    "4",
  );
  assert.equal(plain.code, 0, plain.err);
  assert.match(plain.out, /\[thought 0: .* P\(stop\) [0-9.]+\]/);
  assert.match(plain.out, /\(\d thoughts, (eos|max_tokens)\)/);
  const badTool = await copra("", "chat", "--ckpt", `${dir}/run`, "--tools", "calc,shell");
  assert.equal(badTool.code, 1);
  assert.match(badTool.err, /copra: --tools shell: unknown tool; known: calc/);
  // the head's threads change nothing in what is said; a count below 1 is refused
  const [one, two] = [
    await copra(`${questions[0]}\n`, "chat", "--ckpt", `${dir}/run`, "--json", "--threads", "1"),
    await copra(`${questions[0]}\n`, "chat", "--ckpt", `${dir}/run`, "--json", "--threads", "2"),
  ];
  assert.equal(one.code + two.code, 0, one.err + two.err);
  assert.equal(two.out, one.out);
  const noThreads = await copra("", "chat", "--ckpt", `${dir}/run`, "--threads", "0");
  assert.equal(noThreads.code, 1);
  assert.match(noThreads.err, /--threads/);
  await Deno.remove(dir, { recursive: true });
});
