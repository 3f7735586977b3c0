/**
 * LayerNorm as WGSL row passes on the WebGPU backend (internal to the model package), one thread per row of C
 * entries, the row's mean and 1/std recomputed where needed instead of saved:
 * - `CopraLayerNorm`: y = (x − mean)·rstd·w + b;
 * - `CopraLayerNormGrad`: dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·w;
 * - `CopraLayerNormDyXhat`: dy·x̂ (whose column sums are the weight's gradient).
 * They replace the composites' ~9 forward and ~9 backward elementwise and reduction passes (`layer_norm.ts`).
 * Registered for `webgpu` only.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { webgpu_util } from "@tensorflow/tfjs-backend-webgpu";

/** The forward kernel (inputs x (…,C), w (C), b (C); attr eps). */
export const LAYER_NORM_KERNEL = "CopraLayerNorm";
/** The input-gradient kernel (inputs dy, x (…,C), w (C); attr eps). */
export const LAYER_NORM_GRAD_KERNEL = "CopraLayerNormGrad";
/** dy·x̂ (inputs dy, x (…,C); attr eps). */
export const LAYER_NORM_DY_XHAT_KERNEL = "CopraLayerNormDyXhat";

/** The WGSL that sets `mean` and `rstd` for the row starting at `base`. */
const ROW_STATS = `
          var total = 0.0;
          for (var j = 0; j < uniforms.width; j++) {
            total = total + x[base + j];
          }
          let mean = total / f32(uniforms.width);
          var squares = 0.0;
          for (var j = 0; j < uniforms.width; j++) {
            let c = x[base + j] - mean;
            squares = squares + c * c;
          }
          let rstd = inverseSqrt(squares / f32(uniforms.width) + uniforms.eps);`;

/** A program with one thread per row of `width` entries. */
class RowProgram {
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  uniforms = "rows : i32, width : i32, eps : f32,";

  constructor(
    readonly variableNames: string[],
    readonly shaderKey: string,
    readonly body: string,
    shape: number[],
  ) {
    this.outputShape = shape;
    const rows = [shape.slice(0, -1).reduce((a, b) => a * b, 1)];
    this.dispatchLayout = webgpu_util.flatDispatchLayout(rows);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, rows, this.workgroupSize);
  }

  getUserCode(): string {
    return `
      fn main(row : i32) {
        if (row < uniforms.rows) {
          let base = row * uniforms.width;
          ${ROW_STATS}
          ${this.body}
        }
      }
    `;
  }
}

/** The slice of tfjs-backend-webgpu's backend the kernels call. */
interface ProgramRunner {
  runWebGPUProgram(
    program: RowProgram,
    inputs: tf.TensorInfo[],
    dtype: tf.DataType,
    uniforms: { type: string; data: number[] }[],
  ): tf.TensorInfo;
}

/** Runs `body` over the rows of `x`'s shape with `inputs`. */
function run(
  backend: unknown,
  names: string[],
  key: string,
  body: string,
  inputs: tf.TensorInfo[],
  shape: number[],
  eps: number,
): tf.TensorInfo {
  const width = shape[shape.length - 1];
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return (backend as ProgramRunner).runWebGPUProgram(new RowProgram(names, key, body, shape), inputs, "float32", [
    { type: "int32", data: [rows] },
    { type: "int32", data: [width] },
    { type: "float32", data: [eps] },
  ]);
}

let registered = false;

/** Registers the three kernels for the webgpu backend (once). */
export function registerLayerNormWebGpu(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: LAYER_NORM_KERNEL,
    backendName: "webgpu",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, w, b } = inputs as Record<string, tf.TensorInfo>;
      const body = `for (var j = 0; j < uniforms.width; j++) {
            result[base + j] = (x[base + j] - mean) * rstd * w[j] + b[j];
          }`;
      return run(
        backend,
        ["x", "w", "b"],
        "copra_layer_norm",
        body,
        [x, w, b],
        x.shape,
        (attrs as { eps: number }).eps,
      );
    },
  });
  tf.registerKernel({
    kernelName: LAYER_NORM_GRAD_KERNEL,
    backendName: "webgpu",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { dy, x, w } = inputs as Record<string, tf.TensorInfo>;
      const body = `var meanG = 0.0;
          var meanGX = 0.0;
          for (var j = 0; j < uniforms.width; j++) {
            let g = dy[base + j] * w[j];
            meanG = meanG + g;
            meanGX = meanGX + g * (x[base + j] - mean) * rstd;
          }
          meanG = meanG / f32(uniforms.width);
          meanGX = meanGX / f32(uniforms.width);
          for (var j = 0; j < uniforms.width; j++) {
            let xhat = (x[base + j] - mean) * rstd;
            result[base + j] = rstd * (dy[base + j] * w[j] - meanG - xhat * meanGX);
          }`;
      return run(
        backend,
        ["dy", "x", "w"],
        "copra_layer_norm_grad",
        body,
        [dy, x, w],
        x.shape,
        (attrs as { eps: number }).eps,
      );
    },
  });
  tf.registerKernel({
    kernelName: LAYER_NORM_DY_XHAT_KERNEL,
    backendName: "webgpu",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { dy, x } = inputs as Record<string, tf.TensorInfo>;
      const body = `for (var j = 0; j < uniforms.width; j++) {
            result[base + j] = dy[base + j] * (x[base + j] - mean) * rstd;
          }`;
      return run(
        backend,
        ["dy", "x"],
        "copra_layer_norm_dy_xhat",
        body,
        [dy, x],
        x.shape,
        (attrs as { eps: number }).eps,
      );
    },
  });
}
