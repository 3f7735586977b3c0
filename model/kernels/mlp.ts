/**
 * The MLP half of a GPT-2 block with its residual, `x + c_proj(gelu(c_fc(ln_2(x))))`, as one kernel each way on the
 * wasm backend.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { affine } from "../ops.ts";
import type { Tensor, Tensor3D } from "../tensors.ts";
import { directKernels, freeScratch } from "../wasm_heap.ts";
import { customOp, hasKernel } from "./custom_op.ts";
import { AFFINE_GRAD_KERNEL, AFFINE_KERNEL, LAYER_NORM_GRADS_SUMMED_KERNEL } from "./fused_wasm.ts";
import { geluNew } from "./gelu.ts";
import { GELU_GRAD_KERNEL, GELU_KERNEL } from "./gelu_webgpu.ts";
import { layerNorm } from "./layer_norm.ts";
import { LAYER_NORM_KERNEL } from "./layer_norm_webgpu.ts";

/**
 * x, ln weight and bias, c_fc weight and bias, c_proj weight and bias; attrs eps and save → y, then (save) the
 * tensors the gradient reads: ln_2(x), c_fc's output, its GELU and GELU's gate. Wasm only.
 */
export const MLP_RESIDUAL_KERNEL = "CopraMlpResidual";
/**
 * The gradient: dy and the saved tensors (x, ln_2(x), c_fc's output, GELU, gate, ln weight, c_fc and c_proj weights);
 * attr eps → dx and the six parameters' gradients. Wasm only.
 */
export const MLP_RESIDUAL_GRAD_KERNEL = "CopraMlpResidualGrad";

/** The MLP half's parameters, in the order of {@link mlpResidual}'s arguments after x. */
export interface MlpWeights {
  /** ln_2.weight (C). */
  lnWeight: Tensor;
  /** ln_2.bias (C). */
  lnBias: Tensor;
  /** mlp.c_fc.weight (C,4C) (Conv1D layout: in × out). */
  fcWeight: Tensor;
  /** mlp.c_fc.bias (4C). */
  fcBias: Tensor;
  /** mlp.c_proj.weight (4C,C). */
  projWeight: Tensor;
  /** mlp.c_proj.bias (C). */
  projBias: Tensor;
}

/**
 * `x + c_proj(gelu_new(c_fc(ln_2(x))))` for x (B,T,C): the MLP half of a GPT-2 block with its residual, without
 * dropout. On wasm it is one kernel call forward and one backward (`CopraMlpResidual`, `CopraMlpResidualGrad`),
 * which run the same kernels in the same order as the composite (`layerNorm`, `affine`, `geluNew`, `affine`, `add`)
 * and so give the same numbers bit for bit, without the engine's bookkeeping between them; elsewhere the composite.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { mlpResidual } from "@copra/model";
 * const C = 2, x = tf.tensor3d([[[1, 3]]]);
 * // c_proj's weights and bias at 0: the MLP adds nothing, the residual passes x through.
 * const y = mlpResidual(x, {
 *   lnWeight: tf.ones([C]), lnBias: tf.zeros([C]), fcWeight: tf.ones([C, 4 * C]), fcBias: tf.zeros([4 * C]),
 *   projWeight: tf.zeros([4 * C, C]), projBias: tf.zeros([C]),
 * }, 1e-5);
 * assert.deepEqual(await y.data(), new Float32Array([1, 3]));
 * ```
 */
export function mlpResidual(x: Tensor, weights: MlpWeights, eps: number): Tensor3D {
  const { lnWeight, lnBias, fcWeight, fcBias, projWeight, projBias } = weights;
  const inputs = [x, lnWeight, lnBias, fcWeight, fcBias, projWeight, projBias];
  if (!hasKernel(MLP_RESIDUAL_KERNEL) || !fits(inputs)) {
    const m = layerNorm(x, lnWeight, lnBias, eps);
    return tf.add(x, affine(geluNew(affine(m, fcWeight, fcBias)), projWeight, projBias)) as Tensor3D;
  }
  if (!tf.engine().isTapeOn()) {
    // no gradient will be asked for (inference): one kernel call, which frees its intermediates itself
    return tf.engine().runKernel(MLP_RESIDUAL_KERNEL, named(inputs), { eps, save: false }) as Tensor3D;
  }
  return mlpOp(eps)(...inputs) as Tensor3D;
}

/** Whether the one-kernel path takes these inputs: float32, x (B,T,C) and weights of the shapes it expects. */
function fits([x, lnW, lnB, fcW, fcB, projW, projB]: Tensor[]): boolean {
  const C = x.shape[2] as number, N = fcW.shape[1] as number;
  const shapes: [Tensor, number[]][] = [
    [lnW, [C]],
    [lnB, [C]],
    [fcW, [C, N]],
    [fcB, [N]],
    [projW, [N, C]],
    [projB, [C]],
  ];
  return x.rank === 3 && [x, lnW, lnB, fcW, fcB, projW, projB].every((t) => t.dtype === "float32") &&
    shapes.every(([t, shape]) => tf.util.arraysEqual(t.shape, shape));
}

/** The kernel's named inputs from x and the weights in {@link mlpResidual}'s order. */
function named([x, lnW, lnB, fcW, fcB, projW, projB]: Tensor[]): tf.NamedTensorMap {
  return { x, lnW, lnB, fcW, fcB, projW, projB };
}

const mlpOps = new Map<number, (...inputs: Tensor[]) => Tensor>();
function mlpOp(eps: number): (...inputs: Tensor[]) => Tensor {
  let op = mlpOps.get(eps);
  if (op) return op;
  op = customOp<Tensor[]>((inputs, save) => {
    const [y, m, u, g, s] = tf.engine().runKernel(MLP_RESIDUAL_KERNEL, named(inputs), { eps, save: true }) as Tensor[];
    const [x, lnW, , fcW, , projW] = inputs;
    save([x, m, u, g, s, lnW, fcW, projW]);
    return { value: y, gradFunc };
  });
  const gradFunc = (dy: Tensor, [x, m, u, g, s, lnW, fcW, projW]: Tensor[]): Tensor[] =>
    tf.engine().runKernel(MLP_RESIDUAL_GRAD_KERNEL, { dy, x, m, u, g, s, lnW, fcW, projW }, { eps }) as Tensor[];
  mlpOps.set(eps, op);
  return op;
}

let registered = false;

/**
 * Registers the two kernels on the wasm backend (once), composed of the kernels `fused_wasm.ts` registered there
 * (called directly, not through the engine); nothing where those are missing (no wasm SIMD).
 */
export function registerMlpWasm(): void {
  if (registered) return;
  registered = true;
  const kernels = directKernels([
    LAYER_NORM_KERNEL,
    AFFINE_KERNEL,
    GELU_KERNEL,
    "Add",
    AFFINE_GRAD_KERNEL,
    GELU_GRAD_KERNEL,
    LAYER_NORM_GRADS_SUMMED_KERNEL,
  ]);
  if (!kernels) return;
  const [layerNormK, affineK, geluK, addK, affineGradK, geluGradK, layerNormGradK] = kernels;

  tf.registerKernel({
    kernelName: MLP_RESIDUAL_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, lnW, lnB, fcW, fcB, projW, projB } = inputs as Record<string, tf.TensorInfo>;
      const { eps, save } = attrs as unknown as { eps: number; save: boolean };
      const [m] = layerNormK(backend, { x, w: lnW, b: lnB }, { eps }); // (B,T,C)
      const [u] = affineK(backend, { x: m, w: fcW, b: fcB }); // (B,T,4C)
      const [g, s] = geluK(backend, { x: u }); // (B,T,4C) each
      const [d] = affineK(backend, { x: g, w: projW, b: projB }); // (B,T,C)
      const [y] = addK(backend, { a: x, b: d });
      freeScratch(backend, save ? [d] : [m, u, g, s, d]);
      return save ? [y, m, u, g, s] : y;
    },
  });
  tf.registerKernel({
    kernelName: MLP_RESIDUAL_GRAD_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { dy, x, m, u, g, s, lnW, fcW, projW } = inputs as Record<string, tf.TensorInfo>;
      // backwards through the composite, in the order the engine's backprop would take
      const [dg, dProjW, dProjB] = affineGradK(backend, { dy, x: g, w: projW });
      const [du] = geluGradK(backend, { dy: dg, x: u, s });
      const [dm, dFcW, dFcB] = affineGradK(backend, { dy: du, x: m, w: fcW });
      const [dxLn, dLnW, dLnB] = layerNormGradK(backend, { dy: dm, x, w: lnW }, attrs);
      // x feeds ln_2 and the residual: the residual's dy arrives first, then ln_2's
      const [dx] = addK(backend, { a: dy, b: dxLn });
      freeScratch(backend, [dg, du, dm, dxLn]);
      return [dx, dLnW, dLnB, dFcW, dFcB, dProjW, dProjB];
    },
  });
}
