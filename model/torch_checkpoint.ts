/**
 * PyTorch checkpoint files (what `torch.save(state_dict, path)` writes since PyTorch 1.6): a zip archive holding
 * `<name>/data.pkl` (the pickled dict, read by the restricted {@link readPickle}) and one `<name>/data/<key>` file of
 * raw little-endian values per storage. Reading never runs code from the file.
 *
 * @module
 */

import { unzipSync, zipSync } from "fflate";
import { PickleError, readPickle, type TorchDtype, type TorchTensorRef } from "./torch_pickle.ts";

/** A tensor of a PyTorch checkpoint, contiguous: floating types as float32, integer types as their own arrays. */
export interface TorchTensor {
  /** The element type in the file. */
  dtype: TorchDtype;
  /** Shape. */
  shape: number[];
  /** The values in row-major order (float16, bfloat16 and float64 converted to float32; int64 to float64). */
  data: Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array;
}

/** How each element type is stored and where copra puts its values. */
interface Layout {
  /** Bytes per element in the file. */
  bytes: number;
  /** The array the values go to. */
  array: (n: number) => TorchTensor["data"];
  /** The element at byte `at` (little-endian). */
  read: (view: DataView, at: number) => number;
}

/** bfloat16 → float32: the 16 bits are the float's high half. */
const bf16Bits = new Uint32Array(1), bf16Float = new Float32Array(bf16Bits.buffer);

const LAYOUTS: Record<TorchDtype, Layout> = {
  float32: { bytes: 4, array: (n) => new Float32Array(n), read: (v, at) => v.getFloat32(at, true) },
  float16: { bytes: 2, array: (n) => new Float32Array(n), read: (v, at) => halfToFloat(v.getUint16(at, true)) },
  bfloat16: {
    bytes: 2,
    array: (n) => new Float32Array(n),
    read: (v, at) => (bf16Bits[0] = v.getUint16(at, true) << 16, bf16Float[0]),
  },
  float64: { bytes: 8, array: (n) => new Float64Array(n), read: (v, at) => v.getFloat64(at, true) },
  int64: { bytes: 8, array: (n) => new Float64Array(n), read: (v, at) => Number(v.getBigInt64(at, true)) },
  int32: { bytes: 4, array: (n) => new Int32Array(n), read: (v, at) => v.getInt32(at, true) },
  int16: { bytes: 2, array: (n) => new Int16Array(n), read: (v, at) => v.getInt16(at, true) },
  int8: { bytes: 1, array: (n) => new Int8Array(n), read: (v, at) => v.getInt8(at) },
  uint8: { bytes: 1, array: (n) => new Uint8Array(n), read: (v, at) => v.getUint8(at) },
  bool: { bytes: 1, array: (n) => new Uint8Array(n), read: (v, at) => v.getUint8(at) },
};

/** IEEE half → float. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/**
 * Reads the tensors of a PyTorch checkpoint (`source` names the file in errors): a map from state-dict key to
 * tensor, in the file's order. Throws a {@link PickleError} for a file that is not such a checkpoint, is
 * truncated, or whose pickle names anything but the globals a state dict needs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTorchCheckpoint, writeTorchCheckpoint } from "@copra/model";
 * const bytes = writeTorchCheckpoint(new Map([["w", { shape: [2], data: new Float32Array([1, 2]) }]]));
 * const tensors = readTorchCheckpoint(bytes, "w.pt");
 * assert.deepEqual(Array.from(tensors.get("w")!.data), [1, 2]);
 * ```
 */
export function readTorchCheckpoint(bytes: Uint8Array, source: string): Map<string, TorchTensor> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (error) {
    throw new PickleError(
      source,
      0,
      `not a PyTorch checkpoint (zip archive) — ${(error as Error).message}; legacy (pre-1.6) torch.save files are ` +
        "not read: load and save the file again with a recent PyTorch",
    );
  }
  const pickles = Object.keys(files).filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    throw new PickleError(source, 0, `a PyTorch checkpoint holds one <name>/data.pkl; this zip has ${pickles.length}`);
  }
  const prefix = pickles[0].slice(0, -"data.pkl".length);
  const order = files[`${prefix}byteorder`];
  if (order && new TextDecoder().decode(order).trim() !== "little") {
    throw new PickleError(source, 0, "a big-endian checkpoint (byteorder file) — only little-endian ones are read");
  }
  const root = readPickle(files[pickles[0]], `${source}:${pickles[0]}`);
  if (!(root instanceof Map)) throw new PickleError(source, 0, "the pickle is not a dict of tensors (a state dict)");
  const out = new Map<string, TorchTensor>();
  for (const [key, value] of root) {
    if (typeof key !== "string") throw new PickleError(source, 0, `a state-dict key that is not a string: ${key}`);
    const ref = value as TorchTensorRef;
    if (!ref || typeof ref !== "object" || !("storage" in ref)) {
      throw new PickleError(source, 0, `${key}: not a tensor`);
    }
    out.set(key, materialize(ref, files[`${prefix}data/${ref.storage.key}`], `${source}: ${key}`));
  }
  return out;
}

/** A tensor's values, contiguous, from its storage's bytes. */
function materialize(ref: TorchTensorRef, raw: Uint8Array | undefined, what: string): TorchTensor {
  const { dtype, numel } = ref.storage;
  if (!raw) throw new PickleError(what, 0, `its storage data/${ref.storage.key} is missing from the archive`);
  if (raw.length < numel * LAYOUTS[dtype].bytes) {
    throw new PickleError(what, 0, `storage data/${ref.storage.key} has ${raw.length} bytes for ${numel} ${dtype}s`);
  }
  const size = ref.shape.reduce((a, b) => a * b, 1);
  // the last element the view reaches must lie inside the storage
  const last = ref.offset + ref.shape.reduce((a, d, i) => a + (d > 0 ? (d - 1) * ref.stride[i] : 0), 0);
  if (size > 0 && last >= numel) throw new PickleError(what, 0, "its view reaches past the end of its storage");
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const { bytes, read } = LAYOUTS[dtype];
  const data = LAYOUTS[dtype].array(size);
  // Walk the view in row-major order.
  const index = new Array(ref.shape.length).fill(0);
  for (let n = 0; n < size; n++) {
    let at = ref.offset;
    for (let d = 0; d < index.length; d++) at += index[d] * ref.stride[d];
    data[n] = read(view, at * bytes);
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d] < ref.shape[d]) break;
      index[d] = 0;
    }
  }
  return { dtype, shape: [...ref.shape], data };
}

/** A float32 tensor to write: its shape and row-major values. */
export interface TorchTensorInput {
  /** Shape. */
  shape: number[];
  /** Row-major values. */
  data: Float32Array;
}

/**
 * Bytes of a protocol-2 pickle of an ordered dict of float32 tensors; `storage[i]` is the storage key ("0", "1", …)
 * of entry i, shared by entries that share their values (tied weights, as `torch.save` writes them).
 */
function stateDictPickle(entries: [string, TorchTensorInput][], storage: number[], sizes: number[]): Uint8Array {
  const out: number[] = [];
  const encoder = new TextEncoder();
  const op = (...b: number[]) => out.push(...b);
  const str = (s: string) => {
    const b = encoder.encode(s);
    op(0x58, b.length & 255, (b.length >> 8) & 255, (b.length >> 16) & 255, (b.length >>> 24) & 255, ...b); // BINUNICODE
  };
  const int = (n: number) => {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`cannot pickle ${n} as a size`);
    op(0x4a, n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255); // BININT
  };
  const global = (module: string, name: string) => op(0x63, ...encoder.encode(`${module}\n${name}\n`));
  const tuple = (xs: number[]) => {
    op(0x28); // MARK
    xs.forEach(int);
    op(0x74); // TUPLE
  };
  op(0x80, 2); // PROTO 2
  global("collections", "OrderedDict");
  op(0x29, 0x52); // EMPTY_TUPLE REDUCE
  op(0x28); // MARK
  for (const [i, [key, t]] of entries.entries()) {
    str(key);
    global("torch._utils", "_rebuild_tensor_v2");
    op(0x28); // MARK (the arguments)
    op(0x28); // MARK (the persistent id)
    str("storage");
    global("torch", "FloatStorage");
    str(String(storage[i]));
    str("cpu");
    int(sizes[storage[i]]);
    op(0x74, 0x51); // TUPLE BINPERSID
    int(0); // storage offset
    tuple(t.shape);
    tuple(t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1))); // row-major strides
    op(0x89); // NEWFALSE (requires_grad)
    global("collections", "OrderedDict");
    op(0x29, 0x52); // backward hooks: OrderedDict()
    op(0x74, 0x52); // TUPLE REDUCE
  }
  op(0x75, 0x2e); // SETITEMS STOP
  return new Uint8Array(out);
}

/**
 * A PyTorch checkpoint of float32 tensors, as `torch.save(state_dict)` writes it (zip archive, `<name>/data.pkl`,
 * one raw little-endian storage per tensor under `<name>/data/`, `version`, `byteorder`); `torch.load` reads it.
 * Entries given the same `data` array (tied weights) share one storage, as they do in a saved PyTorch model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeTorchCheckpoint } from "@copra/model";
 * const bytes = writeTorchCheckpoint(new Map([["b", { shape: [1], data: new Float32Array([3]) }]]));
 * assert.equal(bytes[0], 0x50); // "PK": a zip archive
 * ```
 */
export function writeTorchCheckpoint(tensors: Map<string, TorchTensorInput>, name = "archive"): Uint8Array {
  const entries = [...tensors];
  // One storage per distinct values array: tensors given the same array (tied weights) share it, as in torch.save.
  const storages: Float32Array[] = [];
  const storage = entries.map(([key, t]) => {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) {
      throw new RangeError(`${key}: shape [${t.shape}] holds ${size} values, not ${t.data.length}`);
    }
    const shared = storages.indexOf(t.data);
    return shared >= 0 ? shared : storages.push(t.data) - 1;
  });
  const files: Record<string, [Uint8Array, { level: 0 }]> = {
    [`${name}/data.pkl`]: [stateDictPickle(entries, storage, storages.map((d) => d.length)), { level: 0 }],
    [`${name}/byteorder`]: [new TextEncoder().encode("little"), { level: 0 }],
  };
  for (const [i, data] of storages.entries()) {
    const le = new Uint8Array(data.length * 4);
    const view = new DataView(le.buffer);
    data.forEach((v, j) => view.setFloat32(j * 4, v, true));
    files[`${name}/data/${i}`] = [le, { level: 0 }];
  }
  files[`${name}/version`] = [new TextEncoder().encode("3\n"), { level: 0 }];
  return zipSync(files);
}
