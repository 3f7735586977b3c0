/**
 * Attention's softmax as WGSL passes on the WebGPU backend (internal to the model package), one thread per row of
 * the (B,H,T,K) scores:
 * - `CopraMaskedSoftmax`: s = softmax(x·scale + bias) from the raw products x = q·kᵀ and the additive mask bias
 *   (B or 1, 1, T, K) — the composite's scale, mask and softmax passes in one;
 * - `CopraSoftmaxGrad`: ds·scale = s ⊙ (dp − Σₖ dp ⊙ s)·scale — the composite's product, sum, difference, product and
 *   the two scalings of dq and dk in one.
 * Registered for `webgpu` only; `attention.ts` keeps the composites elsewhere and with dropout.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { webgpu_util } from "@tensorflow/tfjs-backend-webgpu";

/** The forward kernel's name (inputs x (B,H,T,K), bias (B|1,1,T,K); attr scale). */
export const MASKED_SOFTMAX_KERNEL = "CopraMaskedSoftmax";
/** The backward kernel's name (inputs dp and s (B,H,T,K); attr scale; output ds·scale). */
export const SOFTMAX_GRAD_KERNEL = "CopraSoftmaxGrad";

/** A program with one thread per row of K entries. */
class RowProgram {
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  uniforms = "rows : i32, heads : i32, queries : i32, keys : i32, biasBatch : i32, scale : f32,";

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
          let base = row * uniforms.keys;
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

/** The uniforms of a (B,H,T,K) tensor and a mask with `biasBatch` rows of batch. */
function uniformsOf(shape: number[], biasBatch: number, scale: number): { type: string; data: number[] }[] {
  const [B, H, T, K] = shape;
  return [
    { type: "int32", data: [B * H * T] },
    { type: "int32", data: [H] },
    { type: "int32", data: [T] },
    { type: "int32", data: [K] },
    { type: "int32", data: [biasBatch] },
    { type: "float32", data: [scale] },
  ];
}

let registered = false;

/** Registers both kernels for the webgpu backend (once). */
export function registerAttentionWebGpu(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: MASKED_SOFTMAX_KERNEL,
    backendName: "webgpu",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, bias } = inputs as Record<string, tf.TensorInfo>;
      const program = new RowProgram(
        ["x", "bias"],
        "copra_masked_softmax",
        `// the mask row: batch b (or 0 when the mask is shared), query t
          let t = row % uniforms.queries;
          let b = row / (uniforms.heads * uniforms.queries);
          let maskBase = ((b % uniforms.biasBatch) * uniforms.queries + t) * uniforms.keys;
          var m = -3.402823e+38;
          for (var j = 0; j < uniforms.keys; j++) {
            m = max(m, x[base + j] * uniforms.scale + bias[maskBase + j]);
          }
          var total = 0.0;
          for (var j = 0; j < uniforms.keys; j++) {
            let e = exp(x[base + j] * uniforms.scale + bias[maskBase + j] - m);
            result[base + j] = e;
            total = total + e;
          }
          for (var j = 0; j < uniforms.keys; j++) {
            result[base + j] = result[base + j] / total;
          }`,
        x.shape,
      );
      return (backend as unknown as ProgramRunner).runWebGPUProgram(
        program,
        [x, bias],
        "float32",
        uniformsOf(x.shape, bias.shape[0], (attrs as { scale: number }).scale),
      );
    },
  });
  tf.registerKernel({
    kernelName: SOFTMAX_GRAD_KERNEL,
    backendName: "webgpu",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { dp, s } = inputs as Record<string, tf.TensorInfo>;
      const program = new RowProgram(
        ["dp", "s"],
        "copra_softmax_grad",
        `var dot = 0.0;
          for (var j = 0; j < uniforms.keys; j++) {
            dot = dot + dp[base + j] * s[base + j];
          }
          for (var j = 0; j < uniforms.keys; j++) {
            result[base + j] = s[base + j] * (dp[base + j] - dot) * uniforms.scale;
          }`,
        dp.shape,
      );
      return (backend as unknown as ProgramRunner).runWebGPUProgram(
        program,
        [dp, s],
        "float32",
        uniformsOf(dp.shape, 1, (attrs as { scale: number }).scale),
      );
    },
  });
}
