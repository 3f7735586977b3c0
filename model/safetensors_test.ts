import assert from "node:assert/strict";
import { ModelError, parseSafetensors, serializeSafetensors } from "./mod.ts";
import { TINY_GPT2_DIR } from "./testdata/fixtures.ts";

/** Builds a safetensors file from a header object and raw data bytes (to write malformed files on purpose). */
function file(header: unknown, data: Uint8Array = new Uint8Array(), headerText?: string): Uint8Array {
  const head = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + head.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  out.set(data, 8 + head.length);
  return out;
}

const fails = (bytes: Uint8Array, field: string, pattern: RegExp) =>
  assert.throws(() => parseSafetensors(bytes, "x.safetensors"), (e: unknown) => {
    assert.ok(e instanceof ModelError, String(e));
    assert.equal(e.source, "x.safetensors");
    assert.equal(e.field, field);
    assert.match(e.message, pattern);
    return true;
  });

Deno.test("reads the file PyTorch wrote for the parity fixtures", async () => {
  const parsed = parseSafetensors(await Deno.readFile(`${TINY_GPT2_DIR}/model.safetensors`));
  assert.equal(parsed.tensors.size, 2 + 2 * 12 + 2);
  assert.deepEqual(parsed.tensors.get("h.1.mlp.c_fc.weight")!.shape, [32, 128]);
  assert.equal(parsed.metadata.format, "pt");
});

Deno.test("F16 and BF16 decode to the hand-computed float32 values", () => {
  // F16: 0x3C00 = 1, 0xC000 = -2, 0x3555 ≈ 0.33325195, 0x0001 = 2^-24 (subnormal), 0x7C00 = +inf.
  const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00]).buffer);
  // BF16: 0x3F80 = 1, 0x4049 = 3.140625, 0xBF00 = -0.5.
  const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0x4049, 0xbf00]).buffer);
  const data = new Uint8Array([...f16, ...bf16]);
  const parsed = parseSafetensors(file({
    h: { dtype: "F16", shape: [5], data_offsets: [0, 10] },
    b: { dtype: "BF16", shape: [3], data_offsets: [10, 16] },
  }, data));
  assert.deepEqual([...parsed.tensors.get("h")!.values], [1, -2, Math.fround(0.333251953125), 2 ** -24, Infinity]);
  assert.deepEqual([...parsed.tensors.get("b")!.values], [1, 3.140625, -0.5]);
});

Deno.test("writer and reader round-trip exactly, with metadata", () => {
  const values = new Float32Array([Math.PI, -0, 1e-30, -3.4e38, NaN]);
  const parsed = parseSafetensors(
    serializeSafetensors({ a: { shape: [5, 1], values }, s: { shape: [], values: new Float32Array([2]) } }, {
      note: "x",
    }),
  );
  assert.deepEqual([...parsed.tensors.keys()], ["a", "s"]);
  assert.ok(Object.is(parsed.tensors.get("a")!.values[1], -0));
  assert.deepEqual([...parsed.tensors.get("a")!.values].slice(0, 4), [...values].slice(0, 4));
  assert.ok(Number.isNaN(parsed.tensors.get("a")!.values[4]));
  assert.deepEqual(parsed.tensors.get("s")!.shape, []);
  assert.deepEqual(parsed.metadata, { note: "x" });
  assert.throws(() => serializeSafetensors({ a: { shape: [2], values: new Float32Array(3) } }), /needs 2/);
});

Deno.test("malformed files are refused with the tensor and the reason", () => {
  const four = new Uint8Array(4);
  fails(new Uint8Array(5), "(file)", /too short/);
  const long = file({}, four);
  new DataView(long.buffer).setBigUint64(0, 1000n, true);
  fails(long, "(header length)", /past the end/);
  fails(file(null, four, "{not json"), "(header)", /not valid UTF-8 JSON/);
  fails(file([1, 2]), "(header)", /JSON object/);
  fails(file({ a: { dtype: "Q7", shape: [1], data_offsets: [0, 4] } }, four), "a.dtype", /unknown dtype/);
  fails(
    file({ a: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)),
    "a.dtype",
    /not supported.*F32, F16 and BF16/,
  );
  fails(file({ a: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, four), "a.shape", /non-negative integers/);
  fails(file({ a: { dtype: "F32", shape: [1], data_offsets: [0, 8] } }, four), "a.data_offsets", /≤ 4/);
  fails(file({ a: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, four), "a.data_offsets", /needs 8/);
  fails(
    file({
      a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      b: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
    }, new Uint8Array(8)),
    "b.data_offsets",
    /overlaps/,
  );
  fails(
    file({ a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
    "a.data_offsets",
    /gap after byte 0/,
  );
  fails(
    file({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, new Uint8Array(8)),
    "(data)",
    /4 trailing bytes/,
  );
  fails(file({ __metadata__: { a: 1 } }), "__metadata__", /strings to strings/);
});
