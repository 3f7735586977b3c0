/**
 * A restricted reader of the pickles inside PyTorch checkpoints (`torch.save` of a state dict). Python's own
 * unpickler runs whatever callable a pickle names; this one knows a fixed list of globals — an ordered dict, the
 * tensor and parameter rebuilders, the storage types — and refuses every other global with a {@link PickleError}
 * naming it, before anything is built. It never executes code: each allowed global is a small TypeScript function.
 *
 * Supported: the opcodes of pickle protocols 2–4 that `torch.save` and `pickle.dump` of dicts, lists, tuples,
 * numbers, strings and tensors produce. Tensors come back as {@link TorchTensorRef}s pointing into storages that
 * the checkpoint keeps as separate files (`torch_checkpoint.ts` resolves them).
 *
 * @module
 */

/**
 * A pickle that cannot be read: truncated, malformed, or naming a global outside the allowed list.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PickleError } from "@copra/model";
 * const error = new PickleError("data.pkl", 3, "unexpected end");
 * assert.equal(error.offset, 3);
 * assert.equal(error.message, "data.pkl: byte 3: unexpected end");
 * ```
 */
export class PickleError extends Error {
  /** Byte offset in the pickle where reading stopped. */
  readonly offset: number;

  /** An error at byte `offset` of the pickle named `source`. */
  constructor(source: string, offset: number, problem: string) {
    super(`${source}: byte ${offset}: ${problem}`);
    this.name = "PickleError";
    this.offset = offset;
  }
}

/** The element types of PyTorch storages copra reads. */
export type TorchDtype =
  | "float32"
  | "float16"
  | "bfloat16"
  | "float64"
  | "int64"
  | "int32"
  | "int16"
  | "int8"
  | "uint8"
  | "bool";

/** A storage a tensor points into: its element type and its key (the file `data/<key>` of the checkpoint). */
export interface TorchStorageRef {
  /** Element type. */
  dtype: TorchDtype;
  /** The storage's key in the checkpoint. */
  key: string;
  /** Elements in the storage. */
  numel: number;
}

/** A tensor as the pickle describes it: a view (offset, shape, strides in elements) of a storage. */
export interface TorchTensorRef {
  /** The storage. */
  storage: TorchStorageRef;
  /** First element of the view in the storage. */
  offset: number;
  /** Shape. */
  shape: number[];
  /** Strides, in elements. */
  stride: number[];
}

/** Storage classes of `torch` and their element types. */
const STORAGES: Record<string, TorchDtype> = {
  FloatStorage: "float32",
  HalfStorage: "float16",
  BFloat16Storage: "bfloat16",
  DoubleStorage: "float64",
  LongStorage: "int64",
  IntStorage: "int32",
  ShortStorage: "int16",
  CharStorage: "int8",
  ByteStorage: "uint8",
  BoolStorage: "bool",
};

/** A reference to an allowed global, as the pickle names it. */
class Global {
  constructor(readonly name: string) {}
}

/** A Python tuple (kept apart from lists only where it matters: persistent ids). */
class Tuple {
  constructor(readonly items: unknown[]) {}
}

const MARK = Symbol("mark");

/** The globals a state dict needs; anything else is refused. */
const ALLOWED = new Set([
  "collections.OrderedDict",
  "torch._utils._rebuild_tensor_v2",
  "torch._utils._rebuild_parameter",
  ...Object.keys(STORAGES).map((s) => `torch.${s}`),
]);

/** What the allowed globals do when called (REDUCE). */
function call(fn: Global, args: unknown[], fail: (problem: string) => never): unknown {
  switch (fn.name) {
    case "collections.OrderedDict":
      if (args.length !== 0) fail("OrderedDict called with arguments (only the empty form is read)");
      return new Map<unknown, unknown>();
    case "torch._utils._rebuild_tensor_v2": {
      const [storage, offset, shape, stride] = args;
      const ints = (x: unknown) => Array.isArray(x) && x.every((v) => Number.isInteger(v) && v >= 0);
      if (
        !isStorage(storage) || !Number.isInteger(offset) || (offset as number) < 0 || !ints(shape) || !ints(stride) ||
        (shape as number[]).length !== (stride as number[]).length
      ) {
        fail("_rebuild_tensor_v2 with arguments that are not (storage, offset, shape, stride, …)");
      }
      return { storage, offset, shape, stride } as TorchTensorRef;
    }
    case "torch._utils._rebuild_parameter":
      if (!args[0] || typeof args[0] !== "object" || !("storage" in (args[0] as object))) {
        fail("_rebuild_parameter of something that is not a tensor");
      }
      return args[0];
    default:
      return fail(`${fn.name} cannot be called (it is not a function a state dict uses)`);
  }
}

function isStorage(x: unknown): x is TorchStorageRef {
  return typeof x === "object" && x !== null && "key" in x && "dtype" in x;
}

/** Limits that keep a hostile pickle from exhausting memory. */
const MAX_ITEMS = 10_000_000;

/**
 * Reads a pickle (`source` names it in errors). Dicts come back as `Map`s, lists and tuples as arrays, tensors as
 * {@link TorchTensorRef}s. Throws a {@link PickleError} on anything outside the allowed globals and opcodes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PickleError, readPickle } from "@copra/model";
 * // pickle.dumps({"a": 1}, protocol=2)
 * const bytes = new Uint8Array([0x80, 2, 0x7d, 0x71, 0, 0x58, 1, 0, 0, 0, 0x61, 0x71, 1, 0x4b, 1, 0x73, 0x2e]);
 * assert.deepEqual(readPickle(bytes, "small.pkl"), new Map([["a", 1]]));
 * // pickle.dumps(os.system, protocol=2): refused, not run
 * const evil = Uint8Array.from("\x80\x02cposix\nsystem\nq\x00.", (ch) => ch.charCodeAt(0));
 * assert.throws(() => readPickle(evil, "evil.pkl"), (e) => e instanceof PickleError && /posix\.system/.test(e.message));
 * ```
 */
export function readPickle(bytes: Uint8Array, source: string): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let pos = 0;
  let at = 0; // start of the current opcode
  const fail = (problem: string): never => {
    throw new PickleError(source, at, problem);
  };
  const need = (n: number) => {
    if (pos + n > bytes.length) fail("unexpected end of the pickle (truncated file?)");
  };
  const u8 = () => (need(1), bytes[pos++]);
  const u16 = () => (need(2), pos += 2, view.getUint16(pos - 2, true));
  const u32 = () => (need(4), pos += 4, view.getUint32(pos - 4, true));
  const i32 = () => (need(4), pos += 4, view.getInt32(pos - 4, true));
  const take = (n: number) => {
    if (n > MAX_ITEMS * 8) fail(`a ${n}-byte string is larger than a checkpoint's pickle holds`);
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const text = (n: number) => {
    try {
      return decoder.decode(take(n));
    } catch (error) {
      if (error instanceof PickleError) throw error;
      return fail("a string that is not UTF-8");
    }
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail("unexpected end of the pickle in a GLOBAL name");
    const s = new TextDecoder().decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };

  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const pop = () => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) fail("stack underflow");
    const v = stack.pop();
    if (v === MARK) fail("stack underflow");
    return v;
  };
  const popMark = () => {
    if (marks.length === 0) fail("no MARK to pop to");
    const start = marks.pop()!;
    return stack.splice(start);
  };
  const top = () => {
    if (stack.length === 0) fail("stack underflow");
    return stack[stack.length - 1];
  };
  const global = (module: string, name: string) => {
    const full = `${module}.${name}`;
    if (!ALLOWED.has(full)) {
      fail(
        `refuses the global ${full}: a checkpoint's pickle may only name ${[...ALLOWED].join(", ")} ` +
          "(this file could run code if Python loaded it; do not load it with torch.load either)",
      );
    }
    return new Global(full);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) fail("SETITEM(S) on something that is not a dict");
    if (items.length % 2 !== 0) fail("SETITEMS with an odd number of items");
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i];
      if (typeof key === "object" && key !== null) fail("a dict key that is not a string or number");
      (target as Map<unknown, unknown>).set(key, items[i + 1]);
    }
  };
  const count = () => {
    if (stack.length + memo.size > MAX_ITEMS) fail("more items than a checkpoint's pickle holds");
  };

  while (true) {
    at = pos;
    const op = u8();
    count();
    switch (op) {
      case 0x80: { // PROTO
        const version = u8();
        if (version < 2 || version > 5) fail(`pickle protocol ${version} (2 to 5 are read)`);
        break;
      }
      case 0x95: // FRAME (protocol 4): an 8-byte length, nothing to do
        take(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack`);
        return deepPlain(stack[0], new Set());
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new Tuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new Tuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new Tuple([pop()]));
        break;
      case 0x86: { // TUPLE2
        const b = pop(), a = pop();
        stack.push(new Tuple([a, b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop(), b = pop(), a = pop();
        stack.push(new Tuple([a, b, c]));
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: { // APPEND
        const v = pop();
        const list = top();
        if (!Array.isArray(list)) fail("APPEND to something that is not a list");
        (list as unknown[]).push(v);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        const list = top();
        if (!Array.isArray(list)) fail("APPENDS to something that is not a list");
        (list as unknown[]).push(...items);
        break;
      }
      case 0x64: { // DICT
        const d = new Map();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop(), k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: { // LONG1
        const n = u8();
        const b = take(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (n > 0 && b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) fail("an integer too large");
        stack.push(Number(v));
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x54: // BINSTRING
        stack.push(text(i32()));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(text(u8()));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: { // LONG_BINGET
        const i = op === 0x68 ? u8() : u32();
        if (!memo.has(i)) fail(`memo ${i} read before it was written`);
        stack.push(memo.get(i));
        break;
      }
      case 0x63: { // GLOBAL
        const module = line(), name = line();
        stack.push(global(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("STACK_GLOBAL of non-strings");
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop(), fn = pop();
        if (!(fn instanceof Global)) fail("REDUCE of something that is not an allowed global");
        if (!(args instanceof Tuple)) fail("REDUCE with arguments that are not a tuple");
        stack.push(call(fn as Global, (args as Tuple).items.map(plain), fail));
        break;
      }
      case 0x62: { // BUILD: state for the object below; a dict's attributes (state_dict's _metadata) are dropped
        pop();
        top();
        break;
      }
      case 0x51: { // BINPERSID: ('storage', StorageClass, key, location, numel)
        const pid = pop();
        const items = pid instanceof Tuple ? pid.items : null;
        if (!items || items[0] !== "storage" || items.length < 5) fail("a persistent id that is not a storage");
        const [, type, key, , numel] = items!;
        const dtype = type instanceof Global ? STORAGES[type.name.slice("torch.".length)] : undefined;
        if (!dtype) fail("a storage of an unknown type");
        if (typeof key !== "string" || !Number.isInteger(numel) || (numel as number) < 0) {
          fail("a malformed storage id");
        }
        stack.push({ dtype, key, numel } as TorchStorageRef);
        break;
      }
      default:
        fail(`opcode 0x${op.toString(16).padStart(2, "0")} is not read (not one a state dict uses)`);
    }
  }
}

/** A tuple's items as an array, recursively (what REDUCE's functions see). */
function plain(x: unknown): unknown {
  return x instanceof Tuple ? x.items.map(plain) : x;
}

/** The result with every tuple turned into an array, inside dicts and lists too (each container visited once). */
function deepPlain(x: unknown, seen: Set<unknown>): unknown {
  if (x instanceof Tuple) return x.items.map((v) => deepPlain(v, seen));
  if (seen.has(x)) return x;
  if (x instanceof Map) {
    seen.add(x);
    for (const [k, v] of x) x.set(k, deepPlain(v, seen));
  } else if (Array.isArray(x)) {
    seen.add(x);
    for (let i = 0; i < x.length; i++) x[i] = deepPlain(x[i], seen);
  }
  return x;
}
