/**
 * The cross-entropy gradient as one WGSL pass on the WebGPU backend (internal to the model package):
 * dx[i, j] = exp(x[i, j] − lse[i])·w[i] − (j = label[i] ? w[i] : 0) for logits x (N,V). The composite it replaces
 * (`loss.ts`: softmax, a product, a scatter into zeros, a difference) makes six passes over the N×V logits, where
 * N×V is the largest tensor of a GPT-2 step (2048 × 50,257 for B8 T256). Registered as the kernel
 * `CopraSoftmaxXentGrad` for `webgpu` only; other backends keep the composite.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { webgpu_util } from "@tensorflow/tfjs-backend-webgpu";

/** The kernel's name (its inputs: x (N,V) float32, lse (N,1) float32, labels (N) int32, w (N) float32). */
export const XENT_GRAD_KERNEL = "CopraSoftmaxXentGrad";

/** The program, in the shape tfjs-backend-webgpu's `runWebGPUProgram` expects. */
class SoftmaxXentGradProgram {
  variableNames = ["x", "lse", "labels", "w"];
  outputShape: number[];
  shaderKey = "copra_softmax_xent_grad";
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [128, 1, 1];
  size = true;
  uniforms = "vocab : i32,";

  constructor(N: number, V: number) {
    this.outputShape = [N, V];
    this.dispatchLayout = webgpu_util.flatDispatchLayout(this.outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, this.outputShape, this.workgroupSize);
  }

  getUserCode(): string {
    // One thread per entry: its row's log-sum-exp, weight and label, read once per entry from small arrays.
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let row = index / uniforms.vocab;
          let col = index - row * uniforms.vocab;
          let weight = w[row];
          var g = exp(x[index] - lse[row]) * weight;
          if (labels[row] == col) {
            g = g - weight;
          }
          result[index] = g;
        }
      }
    `;
  }
}

/** The slice of tfjs-backend-webgpu's backend the kernel calls. */
interface ProgramRunner {
  runWebGPUProgram(
    program: SoftmaxXentGradProgram,
    inputs: tf.TensorInfo[],
    dtype: tf.DataType,
    uniforms: { type: string; data: number[] }[],
  ): tf.TensorInfo;
}

let registered = false;

/** Registers the kernel for the webgpu backend (once). */
export function registerXentGradWebGpu(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: XENT_GRAD_KERNEL,
    backendName: "webgpu",
    kernelFunc: ({ inputs, backend }) => {
      const { x, lse, labels, w } = inputs as Record<string, tf.TensorInfo>;
      const [N, V] = x.shape;
      return (backend as unknown as ProgramRunner).runWebGPUProgram(
        new SoftmaxXentGradProgram(N, V),
        [x, lse, labels, w],
        "float32",
        [{ type: "int32", data: [V] }],
      );
    },
  });
}
