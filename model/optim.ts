/**
 * AdamW with decoupled weight decay (PyTorch's `torch.optim.AdamW` update, step for step), global gradient-norm
 * clipping, a learning-rate schedule, and state that can be saved and restored exactly.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { hasKernel } from "./kernels/custom_op.ts";
import { GLOBAL_NORM_KERNEL } from "./kernels/fused_wasm.ts";
import { ADAMW_ALL_KERNEL } from "./kernels/adamw_wasm.ts";
import { firstShared } from "./wasm_heap.ts";
import { ModelError } from "./errors.ts";
import type { GPT2Params } from "./params.ts";
import { constantLr, type LrSchedule } from "./schedule.ts";
import type { Scalar, Tensor, Variable } from "./tensors.ts";

/** Options of {@link AdamW}. Defaults are Coconut's: lr 1e-4, β 0.9/0.999, ε 1e-8, weight decay 0.01. */
export interface AdamWOptions {
  /** Learning rate, or a schedule of the step. Default 1e-4. */
  lr?: number | LrSchedule;
  /** β1. Default 0.9. */
  beta1?: number;
  /** β2. Default 0.999. */
  beta2?: number;
  /** ε. Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay. Default 0.01. */
  weightDecay?: number;
  /** Which parameters decay. Default: all (as Coconut's official code). */
  decays?: (name: string) => boolean;
  /** Clip the global gradient norm to this value; `null` (default) for no clipping. */
  clipNorm?: number | null;
}

/** What one {@link AdamW.apply} did. */
export interface StepReport {
  /** The learning rate used. */
  lr: number;
  /** Global L2 norm of the gradients before clipping (a scalar tensor: read it with `await data()`). */
  gradNorm: Scalar;
}

/** The optimizer's state, as tensors and a step count (see {@link AdamW.state}). */
export interface AdamWState {
  /** Number of updates applied so far. */
  step: number;
  /** `m.<param>` and `v.<param>` moment tensors. */
  tensors: Record<string, Tensor>;
}

/**
 * AdamW over a parameter record.
 *
 * Per step t (1-based) and parameter p with gradient g, as PyTorch does:
 * p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { AdamW } from "@copra/model";
 * const params = { w: tf.variable(tf.tensor1d([1, -1])) };
 * const opt = new AdamW(params, { lr: 0.1, weightDecay: 0 });
 * const { grads } = tf.variableGrads(() => tf.sum(tf.square(params.w)), [params.w]);
 * opt.apply({ w: grads[params.w.name] });
 * // The first Adam step moves each weight by lr against its gradient's sign.
 * const w = await params.w.data();
 * assert.ok(Math.abs(w[0] - 0.9) < 1e-6 && Math.abs(w[1] + 0.9) < 1e-6);
 * ```
 */
export class AdamW {
  /** Number of updates applied so far. */
  step = 0;
  readonly #params: GPT2Params;
  readonly #m: Record<string, Variable> = {};
  readonly #v: Record<string, Variable> = {};
  readonly #lr: LrSchedule;
  readonly #beta1: number;
  readonly #beta2: number;
  readonly #eps: number;
  readonly #weightDecay: number;
  readonly #decays: (name: string) => boolean;
  readonly #clipNorm: number | null;

  /** Creates zeroed moments for every parameter. */
  constructor(params: GPT2Params, options: AdamWOptions = {}) {
    const lr = options.lr ?? 1e-4;
    this.#lr = typeof lr === "number" ? constantLr(lr) : lr;
    this.#beta1 = checkRange("beta1", options.beta1 ?? 0.9);
    this.#beta2 = checkRange("beta2", options.beta2 ?? 0.999);
    this.#eps = options.eps ?? 1e-8;
    this.#weightDecay = options.weightDecay ?? 0.01;
    this.#decays = options.decays ?? (() => true);
    this.#clipNorm = options.clipNorm ?? null;
    if (!(this.#eps > 0)) {
      throw new ModelError({ source: "argument", field: "eps", value: this.#eps, problem: "must be > 0" });
    }
    if (!(this.#weightDecay >= 0)) {
      throw new ModelError({
        source: "argument",
        field: "weightDecay",
        value: this.#weightDecay,
        problem: "must be ≥ 0",
      });
    }
    if (this.#clipNorm !== null && !(this.#clipNorm > 0)) {
      throw new ModelError({
        source: "argument",
        field: "clipNorm",
        value: this.#clipNorm,
        problem: "must be > 0 or null",
      });
    }
    this.#params = params;
    for (const [name, p] of Object.entries(params)) {
      this.#m[name] = tf.tidy(() => tf.variable(tf.zerosLike(p), false));
      this.#v[name] = tf.tidy(() => tf.variable(tf.zerosLike(p), false));
    }
  }

  /**
   * The learning rate the next step will use.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import * as tf from "@tensorflow/tfjs";
   * import { AdamW } from "@copra/model/browser";
   * assert.equal(new AdamW({ w: tf.variable(tf.zeros([1])) }, { lr: 3e-4 }).currentLr(), 3e-4);
   * ```
   */
  currentLr(): number {
    return this.#lr(this.step);
  }

  /**
   * Applies one update from gradients keyed like the parameters (missing keys: no update for that parameter).
   * Clips the global norm first when `clipNorm` is set. Does not dispose the gradients.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import * as tf from "@tensorflow/tfjs";
   * import { AdamW } from "@copra/model/browser";
   * const params = { w: tf.variable(tf.tensor1d([3, 4])) };
   * const opt = new AdamW(params, { clipNorm: 1 });
   * const report = opt.apply({ w: tf.tensor1d([3, 4]) });
   * assert.equal((await report.gradNorm.data())[0], 5);
   * assert.equal(opt.step, 1);
   * ```
   */
  apply(grads: Record<string, Tensor>): StepReport {
    const names = Object.keys(grads).filter((name) => name in this.#params);
    for (const name of Object.keys(grads)) {
      if (!(name in this.#params)) {
        throw new ModelError({ source: "argument", field: "grads", value: name, problem: "no parameter of that name" });
      }
    }
    const lr = this.#lr(this.step);
    this.step++;
    const t = this.step;
    const bc1 = 1 - this.#beta1 ** t, bc2 = 1 - this.#beta2 ** t;
    if (
      hasKernel(ADAMW_ALL_KERNEL) && names.every((name) => grads[name].dtype === "float32") &&
      firstShared(tf.engine().backend, names.flatMap((n) => [this.#params[n], this.#m[n], this.#v[n]])) < 0
    ) {
      // wasm: every parameter in one kernel call, norm and clip included, in place (kernels/adamw_wasm.ts)
      const kinds = { p: this.#params, m: this.#m, v: this.#v, g: grads };
      const inputs = Object.fromEntries(
        Object.entries(kinds).flatMap(([kind, of]) => names.map((name, i) => [`${kind}${i}`, of[name]])),
      );
      const decays = names.map((name) => this.#decays(name) && this.#weightDecay > 0 ? 1 - lr * this.#weightDecay : 1);
      const [gradNorm] = tf.engine().runKernel(ADAMW_ALL_KERNEL, inputs, {
        decays,
        beta1: this.#beta1,
        beta2: this.#beta2,
        eps: this.#eps,
        step: lr / bc1,
        bc2sqrt: Math.sqrt(bc2),
        clip: this.#clipNorm ?? -1,
      } as unknown as tf.NamedAttrMap) as unknown as Scalar[];
      return { lr, gradNorm };
    }
    const gradNorm = globalNorm(names.map((n) => grads[n]));
    tf.tidy(() => {
      // PyTorch's clip_grad_norm_: scale by max/(norm + 1e-6) when that is below 1.
      const scale = this.#clipNorm === null ? null : tf.minimum(tf.div(this.#clipNorm, tf.add(gradNorm, 1e-6)), 1);
      if (hasKernel("CopraAdamW")) {
        // wasm: one pass over the heap per parameter; webgpu: three WGSL passes (kernels/adamw_webgpu.ts)
        const unclipped = scale ?? tf.scalar(1); // one scalar for every parameter (an upload on WebGPU)
        const step = lr / bc1, bc2sqrt = Math.sqrt(bc2);
        for (const name of names) {
          const p = this.#params[name], m = this.#m[name], v = this.#v[name];
          const decay = this.#decays(name) && this.#weightDecay > 0 ? 1 - lr * this.#weightDecay : 1;
          const [p1, m1, v1] = tf.engine().runKernel(
            "CopraAdamW",
            { p, m, v, g: grads[name], scale: unclipped } as unknown as tf.NamedTensorMap,
            { decay, beta1: this.#beta1, beta2: this.#beta2, eps: this.#eps, step, bc2sqrt },
          ) as unknown as Tensor[];
          m.assign(m1);
          v.assign(v1);
          p.assign(p1);
        }
        return;
      }
      // The composite's numbers as scalars made once per update, not once per use and parameter (each is an upload
      // on WebGPU: 7 per parameter before). The same float32 values as the numbers themselves.
      const k = {
        decay: tf.scalar(1 - lr * this.#weightDecay),
        beta1: tf.scalar(this.#beta1),
        oneMinusBeta1: tf.scalar(1 - this.#beta1),
        beta2: tf.scalar(this.#beta2),
        oneMinusBeta2: tf.scalar(1 - this.#beta2),
        sqrtBc2: tf.scalar(Math.sqrt(bc2)),
        eps: tf.scalar(this.#eps),
        stepSize: tf.scalar(lr / bc1),
      };
      for (const name of names) {
        const p = this.#params[name], m = this.#m[name], v = this.#v[name];
        const g = scale ? tf.mul(grads[name], scale) : grads[name];
        const decayed = this.#decays(name) && this.#weightDecay > 0 ? tf.mul(p, k.decay) : p;
        m.assign(tf.add(tf.mul(m, k.beta1), tf.mul(g, k.oneMinusBeta1)));
        v.assign(tf.add(tf.mul(v, k.beta2), tf.mul(tf.square(g), k.oneMinusBeta2)));
        const denom = tf.add(tf.div(tf.sqrt(v), k.sqrtBc2), k.eps);
        p.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), k.stepSize)));
      }
    });
    return { lr, gradNorm };
  }

  /**
   * Zeroes the moments and the step count, as if the optimizer were created anew (Coconut's official code
   * recreates it every epoch; the paper at each stage switch).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import * as tf from "@tensorflow/tfjs";
   * import { AdamW } from "@copra/model/browser";
   * const params = { w: tf.variable(tf.tensor1d([1])) };
   * const opt = new AdamW(params);
   * opt.apply({ w: tf.tensor1d([1]) });
   * opt.reset();
   * assert.equal(opt.step, 0);
   * ```
   */
  reset(): void {
    this.step = 0;
    tf.tidy(() => {
      for (const name of Object.keys(this.#m)) {
        this.#m[name].assign(tf.zerosLike(this.#m[name]));
        this.#v[name].assign(tf.zerosLike(this.#v[name]));
      }
    });
  }

  /**
   * The state: step count and the moment tensors (`m.<name>`, `v.<name>`; the optimizer's own variables —
   * do not dispose them).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import * as tf from "@tensorflow/tfjs";
   * import { AdamW } from "@copra/model/browser";
   * const state = new AdamW({ w: tf.variable(tf.zeros([2])) }).state();
   * assert.deepEqual(Object.keys(state.tensors), ["m.w", "v.w"]);
   * ```
   */
  state(): AdamWState {
    const tensors: Record<string, Tensor> = {};
    for (const name of Object.keys(this.#m)) {
      tensors[`m.${name}`] = this.#m[name];
      tensors[`v.${name}`] = this.#v[name];
    }
    return { step: this.step, tensors };
  }

  /**
   * Restores a saved state exactly (values are copied). Throws a {@link ModelError} naming a missing or
   * mis-shaped tensor.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import * as tf from "@tensorflow/tfjs";
   * import { AdamW } from "@copra/model/browser";
   * const params = { w: tf.variable(tf.tensor1d([1])) };
   * const a = new AdamW(params);
   * a.apply({ w: tf.tensor1d([0.5]) });
   * const b = new AdamW(params);
   * b.loadState(a.state());
   * assert.equal(b.step, 1);
   * ```
   */
  loadState(state: AdamWState, source = "argument"): void {
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new ModelError({ source, field: "step", value: state.step, problem: "must be an integer ≥ 0" });
    }
    for (const name of Object.keys(this.#m)) {
      for (const [kind, store] of [["m", this.#m], ["v", this.#v]] as const) {
        const key = `${kind}.${name}`;
        const t = state.tensors[key];
        if (t === undefined || t.shape.join() !== store[name].shape.join()) {
          throw new ModelError({
            source,
            field: key,
            value: t?.shape,
            problem: t === undefined ? "missing from the optimizer state" : `expected shape [${store[name].shape}]`,
            hint: "restore optimizer state saved for the same model",
          });
        }
      }
    }
    for (const name of Object.keys(this.#m)) {
      this.#m[name].assign(state.tensors[`m.${name}`]);
      this.#v[name].assign(state.tensors[`v.${name}`]);
    }
    this.step = state.step;
  }

  /**
   * Disposes the moment variables.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import * as tf from "@tensorflow/tfjs";
   * import { AdamW } from "@copra/model/browser";
   * const w = tf.variable(tf.zeros([2]));
   * const before = tf.memory().numTensors;
   * new AdamW({ w }).dispose();
   * assert.equal(tf.memory().numTensors, before);
   * ```
   */
  dispose(): void {
    for (const t of [...Object.values(this.#m), ...Object.values(this.#v)]) t.dispose();
  }
}

function checkRange(field: string, value: number): number {
  if (!(value >= 0 && value < 1)) {
    throw new ModelError({ source: "argument", field, value, problem: "must be in [0, 1)" });
  }
  return value;
}

/**
 * Σ g² of one gradient. On WebGPU tfjs reduces a whole tensor to one number in a single workgroup (29 ms for
 * GPT-2's `wte` gradient on an H200), so a matrix is summed by rows first (one workgroup per row) and then once.
 */
/**
 * √Σ g² over all tensors together: one wasm kernel (float64 sums, `CopraGlobalNorm`), else a square and a sum per
 * tensor added pairwise (not addN: WebGPU's addN gives 0 with many inputs, seen with tfjs 4.22 on Mesa).
 */
function globalNorm(gs: Tensor[]): Scalar {
  const float32 = gs.every((g) => g.dtype === "float32");
  if (float32 && gs.length > 0 && hasKernel(GLOBAL_NORM_KERNEL)) {
    const inputs = Object.fromEntries(gs.map((g, i) => [`g${i}`, g]));
    return tf.engine().runKernel(GLOBAL_NORM_KERNEL, inputs) as Scalar;
  }
  return tf.tidy(() => tf.sqrt(gs.map(squaredSum).reduce((a, b) => tf.add(a, b), tf.scalar(0))) as Scalar);
}

function squaredSum(g: Tensor): Tensor {
  const squares = tf.square(g);
  return squares.rank >= 2 && tf.getBackend() === "webgpu" ? tf.sum(tf.sum(squares, -1)) : tf.sum(squares);
}
