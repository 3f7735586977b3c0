/**
 * Causal attention's products block by block on the wasm backend (internal to the model package). With T new
 * positions after P cached ones, query t sees keys 0…P+t: of the scores q·kᵀ (T×K) only a staircase is needed,
 * and the probabilities are exactly 0 above it. The queries are cut into blocks of rows; block [r0, r1) is
 * multiplied with keys 0…P+r1−1 only, so that with n blocks about (n−1)/2n of the masked triangle's products are
 * skipped (T = 262: 8 blocks, 44% of attention's product work). The numbers written are those of the full products:
 * the terms left out are products with exact zeros (or scores the mask replaces, which are written as 0).
 *
 * One kernel, three shapes of product (batch axes in front of each; every product through `products.ts`'s routine):
 * - `"scores"`: a (T,D) · b (K,D)ᵀ → (T,K): q·kᵀ and do·vᵀ; entries right of a block's last key are 0;
 * - `"weights"`: a (T,K) · b (K,D) → (T,D): p·v and ds·k (a's columns right of a block's last key must be 0);
 * - `"keys"`: a (T,K)ᵀ · b (T,D) → (K,D): pᵀ·do and dsᵀ·q, each key block summed over the queries that see it.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { type ProductCall, runProducts, simdProductsActive } from "../products.ts";
import { wasmHeap } from "../wasm_heap.ts";
import type { Tensor } from "../tensors.ts";

/** The kernel's name (wasm only): inputs a, b; attrs kind and blocks (the query rows' cuts); P is K − T. */
export const CAUSAL_PRODUCT_KERNEL = "CopraCausalProduct";

/** Which product {@link causalProduct} computes. */
export type CausalKind = "scores" | "weights" | "keys";

/** Fewest query rows in a block: below it a block's products cost more in calls than they skip. */
const MIN_ROWS = 32;
/** Most blocks: 8 skip 44% of the triangle, more would add calls for a few percent. */
const MAX_BLOCKS = 8;

/**
 * The cuts of T query rows after P cached positions into blocks, `[0, r1, …, T]`, each inner cut with P + r a
 * multiple of 4 (a block's key count — the products' N or K — is whole 4-float SIMD vectors); null when one block
 * would do (then the full products are as fast).
 */
export function causalBlocks(T: number, P: number): number[] | null {
  const n = Math.min(MAX_BLOCKS, Math.floor(T / MIN_ROWS));
  if (n < 2) return null;
  const cuts = [0];
  for (let i = 1; i < n; i++) {
    const r = Math.round((i * T) / n);
    const aligned = r - ((P + r) % 4);
    if (aligned > cuts[cuts.length - 1] && aligned < T) cuts.push(aligned);
  }
  cuts.push(T);
  return cuts.length > 2 ? cuts : null;
}

/**
 * Whether {@link causalProduct} runs now: the wasm backend with its products on copra's own SIMD kernel. Not on
 * OpenBLAS: its per-call cost ate the skipped work (interleaved A/B of bench coconut-step's step: 475.7 vs 473.5 ms),
 * and its sums' order depends on a product's size, so blocks would change OpenBLAS runs' numbers in the last bits.
 */
export function causalProductsAvailable(): boolean {
  return simdProductsActive() && tf.getKernel(CAUSAL_PRODUCT_KERNEL, "wasm") !== undefined;
}

/**
 * One of causal attention's products (see the module doc), with the query blocks `blocks` from
 * {@link causalBlocks}. Only where {@link causalProductsAvailable}.
 */
export function causalProduct(a: Tensor, b: Tensor, kind: CausalKind, blocks: number[]): Tensor {
  return tf.engine().runKernel(CAUSAL_PRODUCT_KERNEL, { a, b }, { kind, blocks }) as Tensor;
}

/** The calls of one batch matrix: offsets relative to its own A, B and C. */
function blockCalls(kind: CausalKind, T: number, K: number, D: number, cuts: number[]): ProductCall[] {
  const P = K - T, calls: ProductCall[] = [], ldc = kind === "scores" ? K : D;
  type Call = Omit<ProductCall, "transA" | "transB" | "ldb" | "ldc"> & { transA?: boolean; transB?: boolean };
  const call = (c: Call) => calls.push({ ...c, transA: c.transA ?? false, transB: c.transB ?? false, ldb: D, ldc });
  if (kind === "keys" && P > 0) call({ transA: true, M: P, N: D, K: T, lda: K, a: 0, b: 0, c: 0 });
  for (let i = 0; i + 1 < cuts.length; i++) {
    const r0 = cuts[i], r1 = cuts[i + 1];
    if (kind === "scores") call({ transB: true, M: r1 - r0, N: P + r1, K: D, lda: D, a: r0 * D, b: 0, c: r0 * K });
    else if (kind === "weights") call({ M: r1 - r0, N: D, K: P + r1, lda: K, a: r0 * K, b: 0, c: r0 * D });
    else call({ transA: true, M: r1 - r0, N: D, K: T - r0, lda: K, a: r0 * K + P + r0, b: r0 * D, c: (P + r0) * D });
  }
  return calls;
}

let registered = false;

/** Registers the kernel on the wasm backend (once). */
export function registerCausalWasm(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: CAUSAL_PRODUCT_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { kind, blocks } = attrs as unknown as { kind: CausalKind; blocks: number[] };
      const r = a.shape.length, lead = a.shape.slice(0, -2);
      const count = tf.util.sizeFromShape(lead);
      // scores: a (T,D), b (K,D); weights: a (T,K), b (K,D); keys: a (T,K), b (T,D)
      const T = a.shape[r - 2], D = b.shape[r - 1];
      const K = kind === "scores" ? b.shape[r - 2] : a.shape[r - 1];
      const shape = kind === "scores" ? [...lead, T, K] : kind === "weights" ? [...lead, T, D] : [...lead, K, D];
      const heap = wasmHeap(backend);
      const c = heap.makeOutput(shape, "float32");
      const one = blockCalls(kind, T, K, D, blocks);
      const sizeA = T * (kind === "scores" ? D : K), sizeB = kind === "keys" ? T * D : K * D;
      const sizeC = kind === "scores" ? T * K : kind === "weights" ? T * D : K * D;
      const calls: ProductCall[] = [];
      for (let i = 0; i < count; i++) {
        for (const call of one) {
          calls.push({ ...call, a: call.a + i * sizeA, b: call.b + i * sizeB, c: call.c + i * sizeC });
        }
      }
      if (!runProducts(calls, { a, b, c }, heap)) throw new Error(`${CAUSAL_PRODUCT_KERNEL}: no products routine`);
      if (kind === "scores") {
        // the masked entries right of each block's last key: 0 (the mask adds its −1e9 to them)
        const C = heap.typedArrayFromHeap(c);
        for (let i = 0; i < count; i++) {
          for (let j = 0; j + 1 < blocks.length; j++) {
            const end = K - T + blocks[j + 1];
            if (end === K) continue;
            for (let t = blocks[j]; t < blocks[j + 1]; t++) C.fill(0, i * sizeC + t * K + end, i * sizeC + (t + 1) * K);
          }
        }
      }
      return c;
    },
  });
}
