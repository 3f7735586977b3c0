/**
 * What copra's WGSL kernels share (internal to the model package): a program in the shape tfjs-backend-webgpu's
 * `runWebGPUProgram` expects, run either with one thread per output entry or with one thread per row of the last
 * axis; named uniforms; registration once per kernel name; and the test kernels' callers use to pick them.
 *
 * A program's inputs become WGSL arrays named after them (`x[i]`), its output is `result`, its uniforms are
 * `uniforms.<name>`. Element bodies see `index` (the flat output index); row bodies see `row`, `base` (the flat
 * index of the row's first entry) and `uniforms.width` (entries per row).
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
    // entries: one thread per entry, bounded by tfjs's own `size` uniform; rows: one per row, bounded by `rows`
    const threads = mode === "entries" ? spec.shape : [uniforms[0].value];
    this.workgroupSize = mode === "entries" ? [128, 1, 1] : [64, 1, 1];
    this.dispatchLayout = webgpu_util.flatDispatchLayout(threads);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, threads, this.workgroupSize);
    this.size = mode === "entries";
    this.uniforms = uniforms.map((u) => `${u.name} : ${u.type},`).join(" ");
    this.#main = mode === "entries"
      ? `fn main(index : i32) {
        if (index < uniforms.size) {
          ${spec.body}
        }
      }`
      : `fn main(row : i32) {
        if (row < uniforms.rows) {
          let base = row * uniforms.width;
          ${spec.body}
        }
      }`;
  }

  getUserCode(): string {
    return this.#main;
  }
}

/** The slice of tfjs-backend-webgpu's backend the kernels call. */
interface ProgramRunner {
  runWebGPUProgram(
    program: Program,
    inputs: tf.TensorInfo[],
    dtype: tf.DataType,
    uniforms: { type: string; data: number[] }[],
  ): tf.TensorInfo;
}

function run(backend: unknown, spec: ProgramSpec, mode: "entries" | "rows", uniforms: Uniform[]): tf.TensorInfo {
  return (backend as ProgramRunner).runWebGPUProgram(
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

/** Runs `spec.body` once per row of the output's last axis (`row`, `base`, `uniforms.width`). */
export function runRows(backend: unknown, spec: ProgramSpec): tf.TensorInfo {
  const width = spec.shape[spec.shape.length - 1];
  const rows = spec.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return run(backend, spec, "rows", [
    { name: "rows", type: "i32", value: rows },
    { name: "width", type: "i32", value: width },
    ...(spec.uniforms ?? []),
  ]);
}

/** Registers `kernelFunc` as `name` on the webgpu backend, unless it is registered already. */
export function registerWebGpuKernel(name: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(name, "webgpu") === undefined) {
    tf.registerKernel({ kernelName: name, backendName: "webgpu", kernelFunc });
  }
}

/** Whether the active backend has the kernel `name` (copra's fused kernels exist on some backends only). */
export function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}
