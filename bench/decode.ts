/**
 * `deno task bench decode`: greedy decoding with the KV cache, milliseconds per generated token at batch 1 and 32
 * (the `nano` preset with random weights and GPT-2's vocabulary, a 64-token prompt, 64 new tokens, `<eos>` never
 * emitted), against the PyTorch reference's own cached decoder on the same model shape (`bench/torch_gpt2.py decode`)
 * with one thread and with PyTorch's default thread count, in the same run. copra decodes on its own SIMD products
 * (the default path of a machine without OpenBLAS; the LM head's panels are read for every token), its head packed
 * once as a chat session packs it: on one thread (`batch1_ms`, against PyTorch on one thread) and split over copra's
 * default threads for the head, every core up to 4 (`default_batch1_ms`, against PyTorch's default). Prints one JSON
 * line `{"bench":"decode","batch1_ms":…,"torch_batch1_ms":…,"ratio_batch1":…,"batch32_ms":…,…}` (ratio: PyTorch's
 * time over copra's, > 1 when copra is faster).
 *
 * @module
 */

import { generate } from "@copra/infer";
import {
  availableProducts,
  defaultPackThreads,
  disposeParams,
  gpt2Config,
  initParams,
  type PackedWeight,
  packTransposedThreads,
  productsPath,
  type Tensor2D,
  useBackend,
  useProducts,
} from "@copra/model";
import { Rng } from "@copra/random";
import { findTorchPython, median, runTorchReference } from "./util.ts";

/** The result line. */
export interface DecodeBenchResult {
  bench: "decode";
  new_tokens: number;
  batch1_ms: number;
  batch32_ms: number;
  /** With copra's default threads for the head (`default_threads`). */
  default_batch1_ms: number;
  default_batch32_ms: number;
  default_threads: number;
  /** copra's products path while decoding. */
  products: string;
  torch_batch1_ms: number | null;
  torch_batch32_ms: number | null;
  torch_default_batch1_ms: number | null;
  torch_default_batch32_ms: number | null;
  /** PyTorch's default intra-op threads + its BLAS pool's, e.g. "1+2". */
  torch_default_threads: string | null;
  ratio_batch1: number | null;
  ratio_batch32: number | null;
  ratio_default_batch1: number | null;
  ratio_default_batch32: number | null;
  blas: string | null;
  note?: string;
}

/** Runs the benchmark. */
export async function benchDecode(): Promise<DecodeBenchResult> {
  const info = await useBackend("wasm");
  const before = productsPath();
  const simd = (["simd-fma", "simd"] as const).find((p) => availableProducts().includes(p));
  if (simd) useProducts(simd);
  const prompt = 64, fresh = 64;
  const config = gpt2Config("nano", { n_positions: 512 });
  const params = initParams(config, { seed: 0 });
  const rng = new Rng(1);
  const perToken = async (batch: number, head: PackedWeight | null) => {
    const prompts = Array.from({ length: batch }, () => {
      const ids = Array.from({ length: prompt }, () => Math.floor(rng.next() * config.vocab_size));
      return { ids, positionIds: ids.map((_, i) => i), latentPositions: [] };
    });
    const options = { eosId: -1, head: head ?? undefined };
    await generate(params, config, prompts, { ...options, maxNewTokens: 4 }); // warm-up of the shapes
    const times: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      await generate(params, config, prompts, { ...options, maxNewTokens: fresh });
      times.push((performance.now() - t0) / fresh);
    }
    return median(times);
  };
  const wte = params["wte.weight"] as Tensor2D;
  const [one, many] = [await packTransposedThreads(wte, 1), await packTransposedThreads(wte, defaultPackThreads())];
  let b1: number, b32: number, m1: number, m32: number;
  try {
    // turn about, so that a phase of the machine's speed falls on both
    b1 = await perToken(1, one);
    m1 = await perToken(1, many);
    b32 = await perToken(32, one);
    m32 = await perToken(32, many);
  } finally {
    one?.dispose();
    many?.dispose();
    disposeParams(params);
    useProducts(before);
  }
  const python = await findTorchPython();
  const torch = async (batch: number, threads: 1 | "default") => {
    if (!python) return null;
    const r = await runTorchReference(python, ["decode", "--batch", String(batch)], threads);
    return "json" in r ? r.json : null;
  };
  const [t1, t32, d1, d32] = [
    await torch(1, 1),
    await torch(32, 1),
    await torch(1, "default"),
    await torch(32, "default"),
  ];
  const ms = (
    j: Record<string, unknown> | null,
  ) => (j ? Math.round((j.torch_ms_per_token as number) * 100) / 100 : null);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    bench: "decode",
    new_tokens: fresh,
    batch1_ms: round(b1),
    batch32_ms: round(b32),
    default_batch1_ms: round(m1),
    default_batch32_ms: round(m32),
    default_threads: many?.threads ?? 1,
    products: simd ?? before,
    torch_batch1_ms: ms(t1),
    torch_batch32_ms: ms(t32),
    torch_default_batch1_ms: ms(d1),
    torch_default_batch32_ms: ms(d32),
    torch_default_threads: d1 ? `${d1.threads}+${d1.blas_threads}` : null,
    ratio_batch1: t1 ? round((ms(t1) as number) / b1) : null,
    ratio_batch32: t32 ? round((ms(t32) as number) / b32) : null,
    ratio_default_batch1: d1 ? round((ms(d1) as number) / m1) : null,
    ratio_default_batch32: d32 ? round((ms(d32) as number) / m32) : null,
    blas: info.blas?.library ?? null,
    ...(python ? {} : { note: "no python3 with torch found: PyTorch reference skipped" }),
  };
}
