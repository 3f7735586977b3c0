/**
 * GPT-2's GELU as two WGSL passes on the WebGPU backend (internal to the model package): the forward gives
 * σ(z) with z = k·x·(1 + a·x²) (from which `geluNew` takes x·σ(z) and keeps σ(z) for the gradient), the backward
 * dy·(σ + σ·(1 − σ)·x·k·(1 + 3a·x²)). The composites they replace (`gelu.ts`) take 6 and 10 elementwise passes.
 * Registered as `CopraGeluSigmoid` and `CopraGeluGrad` for `webgpu` only; other backends keep the composites.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { webgpu_util } from "@tensorflow/tfjs-backend-webgpu";

/** GELU's constants: z = GELU_K·x·(1 + GELU_A·x²) (GELU_K = 2·√(2/π), the tanh form's √(2/π) doubled for σ). */
export const GELU_K: number = 2 * Math.sqrt(2 / Math.PI);
/** See {@link GELU_K}. */
export const GELU_A = 0.044715;

/** The forward kernel's name (input x; output σ(k·x·(1 + a·x²))). */
export const GELU_SIGMOID_KERNEL = "CopraGeluSigmoid";
/** The backward kernel's name (inputs dy, x, s = the forward's σ; output dx). */
export const GELU_GRAD_KERNEL = "CopraGeluGrad";

/** An elementwise program over `variableNames`, as tfjs-backend-webgpu's `runWebGPUProgram` expects it. */
class ElementwiseProgram {
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [128, 1, 1];
  size = true;
  uniforms = "k : f32, a : f32,";

  constructor(
    readonly variableNames: string[],
    readonly shaderKey: string,
    readonly body: string,
    shape: number[],
  ) {
    this.outputShape = shape;
    this.dispatchLayout = webgpu_util.flatDispatchLayout(shape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, shape, this.workgroupSize);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${this.body}
        }
      }
    `;
  }
}

/** The slice of tfjs-backend-webgpu's backend the kernels call. */
interface ProgramRunner {
  runWebGPUProgram(
    program: ElementwiseProgram,
    inputs: tf.TensorInfo[],
    dtype: tf.DataType,
    uniforms: { type: string; data: number[] }[],
  ): tf.TensorInfo;
}

let registered = false;

/** Registers both kernels for the webgpu backend (once). */
export function registerGeluWebGpu(): void {
  if (registered) return;
  registered = true;
  const constants = [{ type: "float32", data: [GELU_K] }, { type: "float32", data: [GELU_A] }];
  tf.registerKernel({
    kernelName: GELU_SIGMOID_KERNEL,
    backendName: "webgpu",
    kernelFunc: ({ inputs, backend }) => {
      const { x } = inputs as Record<string, tf.TensorInfo>;
      const program = new ElementwiseProgram(
        ["x"],
        "copra_gelu_sigmoid",
        `let v = x[index];
          let z = v * (v * v * uniforms.a + 1.0) * uniforms.k;
          result[index] = 1.0 / (1.0 + exp(-z));`,
        x.shape,
      );
      return (backend as unknown as ProgramRunner).runWebGPUProgram(program, [x], "float32", constants);
    },
  });
  tf.registerKernel({
    kernelName: GELU_GRAD_KERNEL,
    backendName: "webgpu",
    kernelFunc: ({ inputs, backend }) => {
      const { dy, x, s } = inputs as Record<string, tf.TensorInfo>;
      const program = new ElementwiseProgram(
        ["dy", "x", "s"],
        "copra_gelu_grad",
        `let v = x[index];
          let sv = s[index];
          let dz = (v * v * (3.0 * uniforms.a) + 1.0) * uniforms.k;
          result[index] = dy[index] * (sv + sv * (1.0 - sv) * (v * dz));`,
        x.shape,
      );
      return (backend as unknown as ProgramRunner).runWebGPUProgram(program, [dy, x, s], "float32", constants);
    },
  });
}
