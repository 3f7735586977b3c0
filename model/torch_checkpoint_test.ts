import assert from "node:assert/strict";
import { unzipSync, zipSync } from "fflate";
import { findTorchPython } from "../bench/util.ts";
import { PickleError, readPickle, readTorchCheckpoint, writeTorchCheckpoint } from "./mod.ts";

const python = await findTorchPython();
const enc = new TextEncoder();
/** A string of byte values 0–255 as bytes (pickle opcodes above 0x7f must not be UTF-8 encoded). */
const latin1 = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));

Deno.test("a checkpoint written by copra reads back: keys in order, shapes, values", () => {
  const tensors = new Map([
    ["transformer.wte.weight", { shape: [3, 2], data: new Float32Array([1, -2, 3.5, 4, 1e-8, -0]) }],
    ["transformer.ln_f.bias", { shape: [2], data: new Float32Array([0.25, 7]) }],
    ["scalar", { shape: [], data: new Float32Array([9]) }],
  ]);
  const back = readTorchCheckpoint(writeTorchCheckpoint(tensors), "copra.pt");
  assert.deepEqual([...back.keys()], [...tensors.keys()]);
  for (const [key, t] of tensors) {
    assert.deepEqual(back.get(key)!.shape, t.shape);
    assert.deepEqual(Array.from(back.get(key)!.data), Array.from(t.data));
  }
  assert.throws(() => writeTorchCheckpoint(new Map([["x", { shape: [3], data: new Float32Array(2) }]])), /holds 3/);
  // Tensors given one array share one storage file; different arrays, even with equal values, do not.
  const w = new Float32Array([1, 2]);
  const files = Object.keys(
    unzipSync(writeTorchCheckpoint(
      new Map([["a", { shape: [2], data: w }], ["b", { shape: [2], data: w }], ["c", { shape: [2], data: w.slice() }]]),
    )),
  );
  assert.deepEqual(files.filter((f) => f.includes("/data/")).sort(), ["archive/data/0", "archive/data/1"]);
});

Deno.test(
  `PyTorch reads copra's checkpoints and copra reads PyTorch's (float32, float16, bfloat16, int64, strided views)${
    python ? "" : " — skipped: no python3 with torch (apt-get install python3-torch)"
  }`,
  { ignore: python === null },
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      // PyTorch → copra
      const script = `
import torch, collections
t = torch.arange(12, dtype=torch.float32).reshape(3, 4) / 7
sd = collections.OrderedDict()
sd["plain"] = t
sd["transposed"] = t.t()                      # a strided view of the same storage
sd["row"] = t[1]                              # an offset into it
sd["half"] = torch.tensor([0.5, -2.0, 65504.0], dtype=torch.float16)
sd["bf16"] = torch.tensor([1.5, -3.0], dtype=torch.bfloat16)
sd["ids"] = torch.tensor([[1, -2], [3, 2**40]], dtype=torch.int64)
torch.save(sd, "${dir}/torch.pt")
`;
      const run = (code: string) =>
        new Deno.Command(python!, { args: ["-c", code], stderr: "piped", stdout: "piped" }).output();
      const made = await run(script);
      assert.equal(made.code, 0, new TextDecoder().decode(made.stderr));
      const got = readTorchCheckpoint(await Deno.readFile(`${dir}/torch.pt`), "torch.pt");
      const t = Array.from({ length: 12 }, (_, i) => Math.fround(i / 7));
      assert.deepEqual(Array.from(got.get("plain")!.data), t);
      assert.deepEqual(got.get("transposed")!.shape, [4, 3]);
      assert.deepEqual(
        Array.from(got.get("transposed")!.data),
        [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11].map((i) => t[i]),
      );
      assert.deepEqual(Array.from(got.get("row")!.data), t.slice(4, 8));
      assert.deepEqual(Array.from(got.get("half")!.data), [0.5, -2, 65504]);
      assert.deepEqual(Array.from(got.get("bf16")!.data), [1.5, -3]);
      assert.deepEqual(Array.from(got.get("ids")!.data), [1, -2, 3, 2 ** 40]);
      // copra → PyTorch
      const tied = new Float32Array([1, 2, 3, 4, 5, 6.25]);
      const mine = new Map([
        ["a.weight", { shape: [2, 3], data: tied }],
        ["a.bias", { shape: [3], data: new Float32Array([-1, 0, 1e-7]) }],
        ["head.weight", { shape: [2, 3], data: tied }], // tied to a.weight: one storage, as torch.save writes it
      ]);
      await Deno.writeFile(`${dir}/copra.pt`, writeTorchCheckpoint(mine));
      const loaded = await run(`
import torch, json
sd = torch.load("${dir}/copra.pt")
tied = sd["a.weight"].data_ptr() == sd["head.weight"].data_ptr()
print(json.dumps({"tied": tied, **{k: {"shape": list(v.shape), "dtype": str(v.dtype), "data": v.flatten().tolist()} for k, v in sd.items()}}))
`);
      assert.equal(loaded.code, 0, new TextDecoder().decode(loaded.stderr));
      const json = JSON.parse(new TextDecoder().decode(loaded.stdout).trim().split("\n").at(-1)!);
      assert.deepEqual(Object.keys(json), ["tied", "a.weight", "a.bias", "head.weight"]);
      assert.equal(json.tied, true, "tied tensors share one storage in PyTorch");
      delete json.tied;
      for (const [key, value] of mine) {
        assert.deepEqual(json[key].shape, value.shape);
        assert.equal(json[key].dtype, "torch.float32");
        assert.deepEqual(json[key].data, Array.from(value.data));
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/** A checkpoint-shaped zip around `pickle`. */
function zipOf(pickle: Uint8Array, extra: Record<string, Uint8Array> = {}): Uint8Array {
  return zipSync({ "evil/data.pkl": [pickle, { level: 0 }], ...extra });
}

Deno.test("hostile and broken files are refused with what is wrong, and nothing runs", () => {
  // pickle.dumps of os.system / builtins.eval calls: GLOBAL names outside the allowed list
  for (const [module, name] of [["posix", "system"], ["os", "system"], ["builtins", "eval"], ["subprocess", "Popen"]]) {
    const pickle = latin1(`\x80\x02c${module}\n${name}\nX\x05\x00\x00\x00touch)R.`);
    assert.throws(
      () => readTorchCheckpoint(zipOf(pickle), "evil.pt"),
      (e: unknown) => e instanceof PickleError && e.message.includes(`refuses the global ${module}.${name}`),
    );
  }
  // the same through STACK_GLOBAL (protocol 4)
  const stackGlobal = latin1("\x80\x04\x8c\x02os\x8c\x06system\x93.");
  assert.throws(() => readPickle(stackGlobal, "p4.pkl"), /refuses the global os\.system/);
  // an allowed global called with other arguments, and the storage classes are not callable
  assert.throws(() => readPickle(latin1("\x80\x02ctorch\nFloatStorage\n)R."), "s.pkl"), /cannot be called/);
  // truncated: the zip, and a pickle cut inside a valid zip
  const good = writeTorchCheckpoint(new Map([["w", { shape: [2], data: new Float32Array([1, 2]) }]]));
  assert.throws(() => readTorchCheckpoint(good.subarray(0, good.length - 30), "cut.pt"), /not a PyTorch checkpoint/);
  const pickle = readPickleBytes(good);
  assert.throws(
    () => readTorchCheckpoint(zipOf(pickle.subarray(0, pickle.length - 9)), "cut-pickle.pt"),
    /unexpected end of the pickle/,
  );
  // mislabelled: a safetensors file, a zip without data.pkl, a storage missing from the archive
  const safetensors = new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0, ...enc.encode('{"a":1} ')]);
  assert.throws(() => readTorchCheckpoint(safetensors, "model.safetensors"), /not a PyTorch checkpoint/);
  assert.throws(() => readTorchCheckpoint(zipSync({ "x/other": new Uint8Array(1) }), "x.zip"), /has 0/);
  assert.throws(() => readTorchCheckpoint(zipOf(pickle), "no-storage.pt"), /data\/0 is missing/);
  // a view that reaches past its storage
  const short = zipOf(pickle, { "evil/data/0": new Uint8Array(4) });
  assert.throws(() => readTorchCheckpoint(short, "short.pt"), /has 4 bytes for 2 float32s/);
});

/** The data.pkl of a checkpoint copra wrote. */
function readPickleBytes(checkpoint: Uint8Array): Uint8Array {
  // the pickle is the first stored entry: its local header is 30 bytes + the name
  const nameLength = checkpoint[26] | (checkpoint[27] << 8), extra = checkpoint[28] | (checkpoint[29] << 8);
  const size = checkpoint[18] | (checkpoint[19] << 8) | (checkpoint[20] << 16) | (checkpoint[21] << 24);
  const start = 30 + nameLength + extra;
  return checkpoint.subarray(start, start + size);
}
