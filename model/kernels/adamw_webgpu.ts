/**
 * AdamW's update as three WGSL passes per parameter on the WebGPU backend (internal to the model package),
 * registered as `CopraAdamW` for `webgpu` — the same kernel name, inputs and attributes as the wasm kernel
 * (`adamw_wasm.ts`), with the same arithmetic per element:
 * g' = g·scale; m' = β1·m + (1−β1)·g'; v' = β2·v + (1−β2)·g'²; p' = p·decay − step·m'/(√v'/√bc2 + ε).
 * The composite update it replaces takes about thirteen elementwise passes per parameter tensor — most of a small
 * model's WebGPU dispatches.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { webgpu_util } from "@tensorflow/tfjs-backend-webgpu";

/** One elementwise pass of the update over a parameter tensor's entries. */
class UpdateProgram {
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [128, 1, 1];
  size = true;
  uniforms = "beta1 : f32, beta2 : f32, decay : f32, step : f32, bc2sqrt : f32, eps : f32,";

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

/** The slice of tfjs-backend-webgpu's backend the kernel calls. */
interface ProgramRunner {
  runWebGPUProgram(
    program: UpdateProgram,
    inputs: tf.TensorInfo[],
    dtype: tf.DataType,
    uniforms: { type: string; data: number[] }[],
  ): tf.TensorInfo;
}

let registered = false;

/** Registers the kernel for the webgpu backend (once). */
export function registerAdamWWebGpu(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: "CopraAdamW",
    backendName: "webgpu",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { p, m, v, g, scale } = inputs as Record<string, tf.TensorInfo>;
      const a = attrs as Record<string, number>;
      const uniforms = [a.beta1, a.beta2, a.decay, a.step, a.bc2sqrt, a.eps].map((x) => ({
        type: "float32",
        data: [x],
      }));
      const run = backend as unknown as ProgramRunner;
      const m1 = run.runWebGPUProgram(
        new UpdateProgram(
          ["m", "g", "scale"],
          "copra_adamw_m",
          "result[index] = uniforms.beta1 * m[index] + (1.0 - uniforms.beta1) * (g[index] * scale[0]);",
          p.shape,
        ),
        [m, g, scale],
        "float32",
        uniforms,
      );
      const v1 = run.runWebGPUProgram(
        new UpdateProgram(
          ["v", "g", "scale"],
          "copra_adamw_v",
          `let gs = g[index] * scale[0];
          result[index] = uniforms.beta2 * v[index] + (1.0 - uniforms.beta2) * gs * gs;`,
          p.shape,
        ),
        [v, g, scale],
        "float32",
        uniforms,
      );
      const p1 = run.runWebGPUProgram(
        new UpdateProgram(
          ["p", "m1", "v1"],
          "copra_adamw_p",
          `result[index] = p[index] * uniforms.decay -
            uniforms.step * m1[index] / (sqrt(v1[index]) / uniforms.bc2sqrt + uniforms.eps);`,
          p.shape,
        ),
        [p, m1, v1],
        "float32",
        uniforms,
      );
      return [p1, m1, v1];
    },
  });
}
