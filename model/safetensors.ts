/**
 * The safetensors format, read and written by copra itself.
 *
 * Layout: 8 bytes little-endian header length N; N bytes of UTF-8 JSON mapping each tensor name to
 * `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to the data that follows; an optional
 * `__metadata__` maps strings to strings); then the data, which the tensors must cover exactly, without gaps or
 * overlaps. copra reads F32, F16 and BF16 (converted to float32) and writes F32.
 *
 * @module
 */

import { ModelError } from "./errors.ts";

/** Element types copra reads. */
export type SafetensorsDtype = "F32" | "F16" | "BF16";

/** One tensor of a safetensors file, as float32 values. */
export interface SafeTensor {
  /** The dtype stored in the file (values are always returned as float32). */
  dtype: SafetensorsDtype;
  /** The shape. */
  shape: number[];
  /** The values, row-major. */
  values: Float32Array;
}

/** A parsed safetensors file. */
export interface SafetensorsFile {
  /** Tensors by name, in the order of their data. */
  tensors: Map<string, SafeTensor>;
  /** The `__metadata__` strings (empty when absent). */
  metadata: Record<string, string>;
}

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
const KNOWN_OTHER_DTYPES = ["F64", "I64", "I32", "I16", "I8", "U8", "U16", "U32", "U64", "BOOL", "F8_E4M3", "F8_E5M2"];
/** The format's own bound on the header (100 MB). */
const MAX_HEADER = 100_000_000;

/**
 * Parses safetensors bytes. Every defect — short file, header length past the end, bad JSON, unknown or
 * unsupported dtype, bad shape, offsets that do not match the shape or leave gaps/overlaps in the data — throws
 * a {@link ModelError} naming `source` and the tensor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSafetensors, serializeSafetensors } from "@copra/model";
 * const bytes = serializeSafetensors({ w: { shape: [2], values: new Float32Array([1, 2]) } }, { step: "3" });
 * const file = parseSafetensors(bytes);
 * assert.deepEqual([...file.tensors.get("w")!.values], [1, 2]);
 * assert.equal(file.metadata.step, "3");
 * ```
 */
export function parseSafetensors(bytes: Uint8Array, source = "model.safetensors"): SafetensorsFile {
  const fail = (field: string, value: unknown, problem: string, hint?: string): never => {
    throw new ModelError({ source, field, value, problem, hint });
  };
  if (bytes.length < 8) {
    fail("(file)", bytes.length, "too short for a safetensors file (needs an 8-byte header length)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER || 8 + headerLength > bytes.length) {
    fail(
      "(header length)",
      headerLength,
      `runs past the end of the ${bytes.length}-byte file`,
      "the file is truncated or not safetensors",
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    fail("(header)", headerLength, `is not valid UTF-8 JSON: ${(error as Error).message}`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    fail("(header)", header, "expected a JSON object");
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (
        typeof raw !== "object" || raw === null || Array.isArray(raw) ||
        Object.values(raw).some((v) => typeof v !== "string")
      ) {
        fail("__metadata__", raw, "must map strings to strings");
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    if (typeof raw !== "object" || raw === null) fail(name, raw, "expected {dtype, shape, data_offsets}");
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (typeof dtype !== "string" || !(dtype in BYTES)) {
      fail(
        `${name}.dtype`,
        dtype,
        KNOWN_OTHER_DTYPES.includes(dtype as string) ? "dtype not supported" : "unknown dtype",
        "copra reads F32, F16 and BF16 tensors",
      );
    }
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      fail(`${name}.shape`, shape, "must be an array of non-negative integers");
    }
    if (
      !Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0) ||
      offsets[0] > offsets[1] || offsets[1] > dataLength
    ) {
      fail(
        `${name}.data_offsets`,
        offsets,
        `must be [begin, end] with 0 ≤ begin ≤ end ≤ ${dataLength} (the data size)`,
      );
    }
    const [begin, end] = offsets as [number, number];
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = numel * BYTES[dtype as SafetensorsDtype];
    if (end - begin !== expected) {
      fail(`${name}.data_offsets`, offsets, `span ${end - begin} bytes, but ${dtype} [${shape}] needs ${expected}`);
    }
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of entries) {
    if (e.begin !== cursor) {
      fail(
        `${e.name}.data_offsets`,
        [e.begin, e.end],
        e.begin < cursor ? "overlaps another tensor" : `leaves a gap after byte ${cursor}`,
      );
    }
    cursor = e.end;
  }
  if (cursor !== dataLength) fail("(data)", dataLength, `${dataLength - cursor} trailing bytes belong to no tensor`);

  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, values: toFloat32(raw, e.dtype) });
  }
  return { tensors, metadata };
}

/**
 * Serializes float32 tensors (in the given order) with optional string metadata.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serializeSafetensors } from "@copra/model";
 * const bytes = serializeSafetensors({ b: { shape: [], values: new Float32Array([7]) } });
 * assert.equal((8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))) % 8, 0); // data is 8-aligned
 * assert.equal(bytes.length % 4, 0);
 * ```
 */
export function serializeSafetensors(
  tensors: Record<string, { shape: readonly number[]; values: Float32Array }>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.values.length) {
      throw new ModelError({
        source: "argument",
        field: name,
        value: t.values.length,
        problem: `holds ${t.values.length} values but shape [${t.shape}] needs ${numel}`,
      });
    }
    header[name] = { dtype: "F32", shape: [...t.shape], data_offsets: [offset, offset + 4 * numel] };
    offset += 4 * numel;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  const jsonBytes = () => new TextEncoder().encode(json);
  while ((8 + jsonBytes().length) % 8 !== 0) json += " ";
  const head = jsonBytes();
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength), at);
    at += t.values.byteLength;
  }
  return out;
}

/** Decodes little-endian F32, F16 or BF16 bytes to float32. */
function toFloat32(raw: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  // A copy gives an aligned buffer; every platform tfjs runs on is little-endian.
  if (dtype === "F32") return new Float32Array(raw.slice().buffer);
  const out = new Float32Array(raw.length / 2);
  if (dtype === "BF16") {
    // bfloat16 is the top half of a float32.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < out.length; i++) bits[i] = view.getUint16(2 * i, true) << 16;
    return out;
  }
  for (let i = 0; i < out.length; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  return out;
}

/** IEEE 754 half precision → number (subnormals, infinities and NaN included). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
