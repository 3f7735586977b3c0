/**
 * What copra's WGSL kernels share (internal to the model package): a program in the shape tfjs-backend-webgpu's
 * `runWebGPUProgram` expects, run either with one thread per output entry or with one workgroup of
 * {@link ROW_LANES} threads per row of the last axis; named uniforms; registration once per kernel name; and the
 * test kernels' callers use to pick them.
 *
 * A program's inputs become WGSL arrays named after them (`x[i]`), its output is `result`, its uniforms are
 * `uniforms.<name>`. Element bodies see `index` (the flat output index). Row bodies see `row`, `base` (the flat
 * index of the row's first entry), `lane` (the thread's place in the row's workgroup), `valid` (false for the
 * padding workgroups of a dispatch wider than the GPU's 65,535 per dimension), `uniforms.width` (entries per row),
 * and two reductions over the row's threads, `rowSum(v)` and `rowMax(v)`, which every thread of the workgroup
 * must reach (they hold barriers: call them outside loops and branches). {@link forEachColumn} writes the loop
 * over a thread's share of the row's entries.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { webgpu_util } from "@tensorflow/tfjs-backend-webgpu";

/** A scalar uniform of a program: `uniforms.<name>` in its WGSL. */
export interface Uniform {
  /** Its WGSL name. */
  name: string;
  /** Its WGSL type. */
  type: "i32" | "f32";
  /** Its value. */
  value: number;
}

/** What a kernel asks to run. */
export interface ProgramSpec {
  /** Distinguishes the program in tfjs's pipeline cache (shapes and dtypes are added by tfjs). */
  key: string;
  /** The inputs, by the names the WGSL uses, in binding order. */
  inputs: Record<string, tf.TensorInfo>;
  /** The output's shape (float32). */
  shape: number[];
  /** The WGSL run for each output entry (`"entries"`) or each row of the last axis (`"rows"`). */
  body: string;
  /** Scalar uniforms beyond the ones the mode adds. */
  uniforms?: Uniform[];
}

/** Threads per row in `"rows"` mode (a power of two). */
export const ROW_LANES = 64;
/** The most workgroups along one dispatch dimension (WebGPU's default limit). */
const MAX_WORKGROUPS = 65535;

/**
 * The WGSL loop over this thread's entries of its row (`j` from `lane` in steps of {@link ROW_LANES}), with a trip
 * count the same for every thread so that the reductions after it stay in uniform control flow.
 *
 * @example
 * ```ts ignore
 * forEachColumn("total = total + x[base + j];");
 * ```
 */
export function forEachColumn(body: string): string {
  return `for (var step = 0; step < uniforms.steps; step++) {
            let j = lane + step * ${ROW_LANES};
            if (valid && j < uniforms.width) {
              ${body}
            }
          }`;
}

/** The row reductions: a tree over workgroup memory, the result given to every thread. */
const ROW_REDUCTIONS = ["Sum", "Max"].map((name) => {
  const combine = name === "Sum" ? "a + b" : "max(a, b)";
  return `fn row${name}(v : f32) -> f32 {
      rowScratch[localIndex] = v;
      workgroupBarrier();
      for (var half = ${ROW_LANES / 2}u; half > 0u; half = half >> 1u) {
        if (localIndex < half) {
          let a = rowScratch[localIndex];
          let b = rowScratch[localIndex + half];
          rowScratch[localIndex] = ${combine};
        }
        workgroupBarrier();
      }
      let total = rowScratch[0];
      workgroupBarrier();
      return total;
    }`;
}).join("\n");

/** The program object tfjs-backend-webgpu compiles and dispatches. */
class Program {
  readonly variableNames: string[];
  readonly shaderKey: string;
  readonly outputShape: number[];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number];
  readonly size: boolean;
  readonly uniforms: string;
  readonly #main: string;

  constructor(spec: ProgramSpec, mode: "entries" | "rows", uniforms: Uniform[]) {
    this.variableNames = Object.keys(spec.inputs);
    this.shaderKey = `copra_${spec.key}`;
    this.outputShape = spec.shape;
    this.dispatchLayout = webgpu_util.flatDispatchLayout(spec.shape);
    this.size = mode === "entries";
    this.uniforms = uniforms.map((u) => `${u.name} : ${u.type},`).join(" ");
    if (mode === "entries") {
      // one thread per entry, bounded by tfjs's own `size` uniform
      this.workgroupSize = [128, 1, 1];
      this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, spec.shape, this.workgroupSize);
      this.#main = `fn main(index : i32) {
        if (index < uniforms.size) {
          ${spec.body}
        }
      }`;
    } else {
      // one workgroup per row (workgroup w gets the thread indices w·ROW_LANES …), wrapped onto a second
      // dimension past the per-dimension limit
      const rows = uniforms[0].value;
      this.workgroupSize = [ROW_LANES, 1, 1];
      const x = Math.max(1, Math.min(rows, MAX_WORKGROUPS));
      this.dispatch = [x, Math.ceil(rows / x), 1];
      this.#main = `var<workgroup> rowScratch : array<f32, ${ROW_LANES}>;
      ${ROW_REDUCTIONS}
      fn main(index : i32) {
        let row = index / ${ROW_LANES};
        let lane = index % ${ROW_LANES};
        let valid = row < uniforms.rows;
        let base = row * uniforms.width;
        ${spec.body}
      }`;
    }
  }

  getUserCode(): string {
    return this.#main;
  }
}

/** The slice of tfjs-backend-webgpu's backend copra's kernels call (a program: its fields and `getUserCode`). */
export interface WebGpuRunner {
  runWebGPUProgram(
    program: { getUserCode(): string },
    inputs: tf.TensorInfo[],
    dtype: tf.DataType,
    uniforms: { type: string; data: number[] }[],
  ): tf.TensorInfo;
  disposeData(dataId: tf.DataId): void;
}

function run(backend: unknown, spec: ProgramSpec, mode: "entries" | "rows", uniforms: Uniform[]): tf.TensorInfo {
  return (backend as WebGpuRunner).runWebGPUProgram(
    new Program(spec, mode, uniforms),
    Object.values(spec.inputs),
    "float32",
    uniforms.map((u) => ({ type: u.type === "i32" ? "int32" : "float32", data: [u.value] })),
  );
}

/** Runs `spec.body` once per output entry (`index`). */
export function runEntries(backend: unknown, spec: ProgramSpec): tf.TensorInfo {
  return run(backend, spec, "entries", spec.uniforms ?? []);
}

/** Runs `spec.body` by one workgroup per row of the output's last axis (see the module's documentation). */
export function runRows(backend: unknown, spec: ProgramSpec): tf.TensorInfo {
  const width = spec.shape[spec.shape.length - 1];
  const rows = spec.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return run(backend, spec, "rows", [
    { name: "rows", type: "i32", value: rows },
    { name: "width", type: "i32", value: width },
    { name: "steps", type: "i32", value: Math.ceil(width / ROW_LANES) },
    ...(spec.uniforms ?? []),
  ]);
}

/** Registers `kernelFunc` as `name` on the webgpu backend, unless it is registered already. */
export function registerWebGpuKernel(name: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(name, "webgpu") === undefined) {
    tf.registerKernel({ kernelName: name, backendName: "webgpu", kernelFunc });
  }
}
