/**
 * The attention half of a GPT-2 block with its residual, as one kernel each way on the wasm backend (internal to the
 * model package): `ln_1`, `c_attn`, the head split, rotary positions, the KV cache's concatenation, causal attention,
 * the head merge, `c_proj` and the residual add — the lines of `gpt.ts` without dropout, run by the same kernels in
 * the same order, so the numbers are the same bit for bit; what goes is the engine's bookkeeping between them (about
 * a dozen kernel calls and six custom-gradient scopes per layer and pass forward, more backward).
 *
 * Its outputs are three, the block's output and the layer's grown cache (keys and values), each with a gradient
 * (the cache feeds the next pass), which `tf.customGrad` (one output) cannot express: the op goes through the engine's
 * own custom-gradient entry, the one `customGrad` itself uses.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { productsPath } from "../products.ts";
import type { Tensor, Tensor3D, Tensor4D } from "../tensors.ts";
import { directKernels, freeScratch } from "../wasm_heap.ts";
import { MASKED_SOFTMAX_KERNEL, SOFTMAX_GRAD_KERNEL } from "./attention_webgpu.ts";
import { CAUSAL_PRODUCT_KERNEL, causalBlocks, type CausalKind, causalProductsAvailable } from "./causal.ts";
import { hasKernel } from "./custom_op.ts";
import {
  AFFINE_GRAD_KERNEL,
  AFFINE_KERNEL,
  LAYER_NORM_GRADS_SUMMED_KERNEL,
  ROPE_KERNEL,
  wasmProduct,
} from "./fused_wasm.ts";
import { MERGE_HEADS_KERNEL, SPLIT_HEADS_KERNEL } from "./heads.ts";
import { LAYER_NORM_KERNEL } from "./layer_norm_webgpu.ts";

/**
 * Inputs x, lnW, lnB, attnW, attnB, projW, projB, bias, and optionally pastK, pastV (the cache) and cos, sin (rotary
 * tables); attrs eps, heads, scale, blocks (the causal product's query blocks, [] for whole products), save → y, k, v
 * and, with save, the tensors the gradient reads: a = ln_1(x), q (rotated), s (the probabilities), o (the heads'
 * outputs merged).
 */
export const ATTENTION_RESIDUAL_KERNEL = "CopraAttentionResidual";
/**
 * Inputs dy, dk, dv (the outputs' gradients; dk and dv absent when the cache was not kept) and x, a, q, k, v, s, o,
 * lnW, attnW, projW, optionally cos, sin; attrs
 * eps, heads, scale, blocks, past (P) → dx, dlnW, dlnB, dattnW, dattnB, dprojW, dprojB and, with P > 0, dpastK, dpastV.
 */
export const ATTENTION_RESIDUAL_GRAD_KERNEL = "CopraAttentionResidualGrad";

/** The attention half's parameters (HF GPT-2's names in `gpt.ts`). */
export interface AttentionWeights {
  /** ln_1.weight (C). */
  lnWeight: Tensor;
  /** ln_1.bias (C). */
  lnBias: Tensor;
  /** attn.c_attn.weight (C,3C). */
  attnWeight: Tensor;
  /** attn.c_attn.bias (3C). */
  attnBias: Tensor;
  /** attn.c_proj.weight (C,C). */
  projWeight: Tensor;
  /** attn.c_proj.bias (C). */
  projBias: Tensor;
}

/** What the attention half takes besides x and the weights. */
export interface AttentionContext {
  /**
   * Whether the call's keys and values are wanted (default true). Without them (`false`, a last pass whose cache
   * nothing reads), a recorded call has one output, and its gradient no zero gradients for the cache to add.
   */
  keepCache?: boolean;
  /** Heads H. */
  heads: number;
  /** LayerNorm's epsilon. */
  eps: number;
  /** The additive mask (B|1,1,T,K), causal over the absolute positions (and padding). */
  bias: Tensor;
  /** The layer's cached keys and values (B,H,P,D) each. */
  past?: { k: Tensor; v: Tensor };
  /** Rotary tables (B|1,1,T,D) each, when positions are rotary. */
  rotary?: { cos: Tensor; sin: Tensor };
}

/** The block's output (B,T,C) and the layer's keys and values of all K positions (B,H,K,D). */
export interface AttentionResult {
  /** x + c_proj(attention(ln_1(x))). */
  y: Tensor3D;
  /** Keys (B,H,K,D); absent under a tape with `keepCache: false`. */
  k?: Tensor4D;
  /** Values (B,H,K,D); absent under a tape with `keepCache: false`. */
  v?: Tensor4D;
}

/**
 * Whether {@link attentionResidual} runs here: the wasm backend with the kernels registered, products that read
 * transposed operands (not tfjs's own), float32 inputs and even head sizes for rotary positions.
 */
export function attentionResidualAvailable(x: Tensor, context: AttentionContext): boolean {
  const C = x.shape[x.rank - 1] as number, D = C / context.heads;
  return hasKernel(ATTENTION_RESIDUAL_KERNEL) && productsPath() !== "tfjs" && x.dtype === "float32" &&
    x.rank === 3 && Number.isInteger(D) && (!context.rotary || D % 2 === 0) &&
    (context.past === undefined || (context.past.k.shape[2] as number) > 0); // an empty cache: the composite's concatenation
}

/** The engine's custom-gradient entry (`tf.customGrad` runs through it; it takes several outputs). */
interface CustomKernel {
  forwardFunc: (backend: unknown, save: (tensors: Tensor[]) => void) => Tensor[];
  backwardsFunc: (dys: Tensor | Tensor[], saved: Tensor[]) => Record<string, () => Tensor>;
  inputs: Record<string, Tensor>;
}
const engine = (): { runKernelFunc(kernel: CustomKernel): Tensor | Tensor[] } =>
  tf.engine() as unknown as { runKernelFunc(kernel: CustomKernel): Tensor | Tensor[] };

/**
 * `x + c_proj(attention(ln_1(x)))` and the grown cache, one kernel call each way (see the module doc). Only where
 * {@link attentionResidualAvailable}.
 */
export function attentionResidual(x: Tensor, weights: AttentionWeights, context: AttentionContext): AttentionResult {
  const { lnWeight, lnBias, attnWeight, attnBias, projWeight, projBias } = weights;
  const { heads, eps, bias, past, rotary } = context;
  const T = x.shape[1] as number, P = past ? past.k.shape[2] as number : 0, D = (x.shape[2] as number) / heads;
  const blocks = (causalProductsAvailable() && causalBlocks(T, P)) || [];
  const attrs = { eps, heads, scale: 1 / Math.sqrt(D), blocks };
  const constants: Record<string, Tensor> = { bias, ...(rotary ? { cos: rotary.cos, sin: rotary.sin } : {}) };
  const params = {
    lnW: lnWeight,
    lnB: lnBias,
    attnW: attnWeight,
    attnB: attnBias,
    projW: projWeight,
    projB: projBias,
  };
  const cache: Record<string, Tensor> = past ? { pastK: past.k, pastV: past.v } : {};
  const run = (save: boolean) =>
    tf.engine().runKernel(ATTENTION_RESIDUAL_KERNEL, { x, ...params, ...constants, ...cache }, {
      ...attrs,
      save,
    }) as Tensor[];
  if (!tf.engine().isTapeOn()) {
    const [y, k, v] = run(false);
    return { y: y as Tensor3D, k: k as Tensor4D, v: v as Tensor4D };
  }
  const differentiable: Record<string, Tensor> = { x, ...params, ...cache };
  const names = Object.keys(differentiable);
  const keep = context.keepCache !== false;
  const outs: Tensor | Tensor[] = engine().runKernelFunc({
    inputs: differentiable,
    forwardFunc: (_, save) => {
      const [y, k, v, a, q, s, o] = run(true);
      save([x, a, q, k, v, s, o, lnWeight, attnWeight, projWeight, ...Object.values(constants)]);
      if (!keep) return [y]; // k and v stay saved for the gradient
      return [y, k, v];
    },
    backwardsFunc: (dys, [sx, a, q, k, v, s, o, lnW, attnW, projW, ...rest]) => {
      const [dy, dk, dv] = Array.isArray(dys) ? dys : [dys]; // (one output's gradient comes as itself)
      const tables: Record<string, Tensor> = rotary ? { cos: rest[1], sin: rest[2] } : {};
      const cacheGrads: Record<string, Tensor> = keep ? { dk, dv } : {};
      const grads = tf.engine().runKernel(
        ATTENTION_RESIDUAL_GRAD_KERNEL,
        { dy, ...cacheGrads, x: sx, a, q, k, v, s, o, lnW, attnW, projW, ...tables },
        { ...attrs, past: P },
      ) as Tensor[];
      // in the order of `differentiable`: x, the six weights, then the cache's keys and values
      return Object.fromEntries(names.map((name, i) => [name, () => grads[i]]));
    },
  });
  const [y, k, v] = Array.isArray(outs) ? outs : [outs]; // (the engine gives a single output as itself)
  return keep ? { y: y as Tensor3D, k: k as Tensor4D, v: v as Tensor4D } : { y: y as Tensor3D };
}

let registered = false;

/**
 * Registers the two kernels on the wasm backend (once), composed of copra's wasm kernels (called directly, not
 * through the engine); nothing where one of those is missing.
 */
export function registerAttentionWasm(): void {
  if (registered) return;
  registered = true;
  const kernels = directKernels([
    LAYER_NORM_KERNEL,
    AFFINE_KERNEL,
    SPLIT_HEADS_KERNEL,
    ROPE_KERNEL,
    "Concat",
    MASKED_SOFTMAX_KERNEL,
    CAUSAL_PRODUCT_KERNEL,
    MERGE_HEADS_KERNEL,
    "Add",
    AFFINE_GRAD_KERNEL,
    SOFTMAX_GRAD_KERNEL,
    "SplitV",
    LAYER_NORM_GRADS_SUMMED_KERNEL,
  ]);
  if (!kernels) return;
  const [
    layerNormK,
    affineK,
    splitHeadsK,
    ropeK,
    concatK,
    softmaxK,
    causalK,
    mergeHeadsK,
    addK,
    affineGradK,
    softmaxGradK,
    splitVK,
    layerNormGradK,
  ] = kernels;
  type Info = tf.TensorInfo;
  /** attention's three products, as `attention.ts` runs them: block by block where `blocks` cut the queries. */
  const product = (kind: CausalKind, a: Info, b: Info, blocks: number[], backend: object): Info =>
    blocks.length > 0
      ? causalK(backend, { a, b }, { kind, blocks })[0]
      : wasmProduct(a, b, kind === "keys", kind === "scores", backend);

  tf.registerKernel({
    kernelName: ATTENTION_RESIDUAL_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, lnW, lnB, attnW, attnB, projW, projB, bias, pastK, pastV, cos, sin } = inputs as Record<string, Info>;
      const { eps, heads, scale, blocks, save } = attrs as unknown as {
        eps: number;
        heads: number;
        scale: number;
        blocks: number[];
        save: boolean;
      };
      const [a] = layerNormK(backend, { x, w: lnW, b: lnB }, { eps }); // (B,T,C)
      const [qkv] = affineK(backend, { x: a, w: attnW, b: attnB }); // (B,T,3C)
      let [q, kNew, vNew] = splitHeadsK(backend, { x: qkv }, { parts: 3, heads }); // (B,H,T,D) each
      const scratch = [qkv];
      if (cos) {
        // the cache keeps rotated keys
        scratch.push(q, kNew);
        [q] = ropeK(backend, { x: q, cos, sin }, { sign: 1 });
        [kNew] = ropeK(backend, { x: kNew, cos, sin }, { sign: 1 });
      }
      let k = kNew, v = vNew; // (B,H,K,D)
      if (pastK) {
        scratch.push(kNew, vNew);
        [k] = concatK(backend, [pastK, kNew], { axis: 2 }); // tfjs's Concat takes its inputs as a list
        [v] = concatK(backend, [pastV, vNew], { axis: 2 });
      }
      const scores = product("scores", q, k, blocks, backend); // (B,H,T,K)
      const [s] = softmaxK(backend, { x: scores, bias }, { scale });
      const heads4 = product("weights", s, v, blocks, backend); // (B,H,T,D)
      const [o] = mergeHeadsK(backend, { x0: heads4 }, { parts: 1, heads }); // (B,T,C)
      const [d] = affineK(backend, { x: o, w: projW, b: projB });
      const [y] = addK(backend, { a: x, b: d });
      scratch.push(scores, heads4, d);
      if (!save) scratch.push(a, q, s, o);
      freeScratch(backend, scratch);
      return save ? [y, k, v, a, q, s, o] : [y, k, v];
    },
  });
  tf.registerKernel({
    kernelName: ATTENTION_RESIDUAL_GRAD_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { dy, dk, dv, x, a, q, k, v, s, o, lnW, attnW, projW, cos, sin } = inputs as Record<string, Info>;
      const { eps, heads, scale, blocks, past } = attrs as unknown as {
        eps: number;
        heads: number;
        scale: number;
        blocks: number[];
        past: number;
      };
      // backwards through gpt.ts's lines, in the order the engine's backprop takes them
      const [dO, dProjW, dProjB] = affineGradK(backend, { dy, x: o, w: projW });
      const [dHeads] = splitHeadsK(backend, { x: dO }, { parts: 1, heads });
      // attention (attention.ts's gradient): dv = sᵀ·do, ds = softmax′(do·vᵀ), dq = ds·k, dk = dsᵀ·q
      const dvAtt = product("keys", s, dHeads, blocks, backend);
      const dp = product("scores", dHeads, v, blocks, backend);
      const [ds] = softmaxGradK(backend, { dp, s }, { scale });
      let dq = product("weights", ds, k, blocks, backend);
      const dkAtt = product("keys", ds, q, blocks, backend);
      // the cache's keys and values also fed the next pass, whose gradient arrived first
      // (without dk and dv the call's keys and values fed nothing else: the cache was not kept)
      const [dkAll] = dk ? addK(backend, { a: dk, b: dkAtt }) : [dkAtt];
      const [dvAll] = dv ? addK(backend, { a: dv, b: dvAtt }) : [dvAtt];
      const scratch = [dO, dHeads, dvAtt, dp, ds, dq, dkAtt, ...(dk ? [dkAll, dvAll] : [])];
      let dkNew = dkAll, dvNew = dvAll, dPast: Info[] = [];
      if (past > 0) {
        const split = { numOrSizeSplits: [past, q.shape[2]], axis: 2 };
        const [dPastK, dk2] = splitVK(backend, { x: dkAll }, split);
        const [dPastV, dv2] = splitVK(backend, { x: dvAll }, split);
        [dkNew, dvNew, dPast] = [dk2, dv2, [dPastK, dPastV]];
        scratch.push(dkNew, dvNew);
      }
      if (cos) {
        [dkNew] = ropeK(backend, { x: dkNew, cos, sin }, { sign: -1 });
        [dq] = ropeK(backend, { x: dq, cos, sin }, { sign: -1 });
        scratch.push(dkNew, dq);
      }
      const [dqkv] = mergeHeadsK(backend, { x0: dq, x1: dkNew, x2: dvNew }, { parts: 3, heads });
      const [da, dAttnW, dAttnB] = affineGradK(backend, { dy: dqkv, x: a, w: attnW });
      const [dxLn, dLnW, dLnB] = layerNormGradK(backend, { dy: da, x, w: lnW }, { eps });
      // x feeds ln_1 and the residual: the residual's dy arrives first, then ln_1's
      const [dx] = addK(backend, { a: dy, b: dxLn });
      scratch.push(dqkv, da, dxLn);
      freeScratch(backend, scratch);
      return [dx, dLnW, dLnB, dAttnW, dAttnB, dProjW, dProjB, ...dPast];
    },
  });
}
