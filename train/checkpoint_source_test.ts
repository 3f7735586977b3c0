import assert from "node:assert/strict";
import { disposeParams, gpt2Config, initParams, paramsToSafetensors, useBackend } from "@copra/model";
import { stringifyTokenizer, trainWordLevel } from "@copra/tokenizer";
import { openCheckpoint } from "./checkpoint_source.ts";

await useBackend("cpu");

const tokenizer = trainWordLevel(["1 2 | 2 3 [Q] 3 1 [R] 1"]);
const config = gpt2Config("nano", { vocab_size: tokenizer.vocabSize, n_layer: 1, n_positions: 32 });

/** A checkpoint's files, its weights drawn from `seed` (so two checkpoints differ). */
async function checkpointFiles(seed: number): Promise<Record<string, Uint8Array>> {
  const params = initParams(config, { seed });
  const files = {
    "config.json": new TextEncoder().encode(JSON.stringify(config)),
    "model.safetensors": await paramsToSafetensors(params),
    "tokenizer.json": new TextEncoder().encode(stringifyTokenizer(tokenizer)),
  };
  disposeParams(params);
  return files;
}

const RUN = JSON.stringify({ curriculum: { method: "coconut", thoughtsPerStep: 2, maxLatentStage: 4 } });

/** Browser `File`s of a picked folder: names with `webkitRelativePath` as a directory picker gives them. */
function picked(files: Record<string, Uint8Array | string>): File[] {
  return Object.entries(files).map(([path, bytes]) => {
    const file = new File([bytes as BlobPart], path.split("/").at(-1)!);
    Object.defineProperty(file, "webkitRelativePath", { value: path });
    return file;
  });
}

async function firstWeight(params: Record<string, { data(): Promise<unknown> }>): Promise<number> {
  return ((await params["wte.weight"].data()) as Float32Array)[0];
}

Deno.test("openCheckpoint takes a picked run folder's latest checkpoint-N (numerically) and its run.json", async () => {
  const old = await checkpointFiles(1);
  const latest = await checkpointFiles(2);
  const files: Record<string, Uint8Array | string> = { "myrun/run.json": RUN, "myrun/metrics.jsonl": "" };
  for (const [name, bytes] of Object.entries(old)) files[`myrun/checkpoint-9/${name}`] = bytes;
  for (const [name, bytes] of Object.entries(latest)) files[`myrun/checkpoint-10/${name}`] = bytes;
  const opened = await openCheckpoint(picked(files));
  const expected = await openCheckpoint(latest);
  assert.equal(opened.source, "myrun/checkpoint-10/");
  assert.equal(await firstWeight(opened.params), await firstWeight(expected.params));
  assert.notEqual(await firstWeight(opened.params), await firstWeight((await openCheckpoint(old)).params));
  assert.equal(opened.curriculum?.method, "coconut");
  assert.equal(opened.curriculum?.thoughtsPerStep, 2);
  assert.equal(expected.curriculum, null);
  assert.deepEqual(opened.tokenizer.encode("1 2"), tokenizer.encode("1 2"));
  disposeParams(opened.params);
  disposeParams(expected.params);
});

Deno.test("openCheckpoint names the missing file and a damaged run.json", async () => {
  const files = await checkpointFiles(1);
  const { ["tokenizer.json"]: _, ...noTokenizer } = files;
  await assert.rejects(
    openCheckpoint(picked(Object.fromEntries(
      Object.entries(noTokenizer).map(([n, b]) => [`ck/${n}`, b]),
    ))),
    /ck\/tokenizer\.json: \(file\): is missing/,
  );
  await assert.rejects(
    openCheckpoint({ ...files, "run.json": '{"curriculum": {"method": "telepathy"}}' }),
    /run\.json: curriculum\.method: must name a method .*telepathy/,
  );
  await assert.rejects(openCheckpoint({ ...files, "run.json": "{" }), /run\.json: \(file\): is not valid JSON/);
});

Deno.test("openCheckpoint fetches a checkpoint folder's URL, run.json from the run folder above", async () => {
  const files = await checkpointFiles(3);
  const served: Record<string, Uint8Array | string> = { "/run/run.json": RUN };
  for (const [name, bytes] of Object.entries(files)) served[`/run/checkpoint-4/${name}`] = bytes;
  const requests: string[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname;
    requests.push(path);
    const body = served[path];
    return body === undefined ? new Response("not found", { status: 404 }) : new Response(body as BodyInit);
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}/run/checkpoint-4`;
    const opened = await openCheckpoint(url);
    const local = await openCheckpoint(files);
    assert.equal(await firstWeight(opened.params), await firstWeight(local.params));
    assert.equal(opened.curriculum?.maxLatentStage, 4);
    assert.ok(requests.includes("/run/run.json"));
    disposeParams(opened.params);
    disposeParams(local.params);
    await assert.rejects(
      openCheckpoint(`http://127.0.0.1:${server.addr.port}/nothing/`),
      /\/nothing\/config\.json: \(file\): could not be fetched/,
    );
  } finally {
    await server.shutdown();
  }
});
