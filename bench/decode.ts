/**
 * `deno task bench decode`: greedy decoding with the KV cache, milliseconds per generated token at batch 1 and 32
 * (the `nano` preset with random weights and GPT-2's vocabulary, a 64-token prompt, 64 new tokens, `<eos>` never
 * emitted), against the PyTorch reference's own cached decoder on the same model shape (`bench/torch_gpt2.py decode
 * --serve`) with one thread and with PyTorch's default thread count, in the same run: generation by generation in turn,
 * 5 rounds, each ratio the median of the rounds' own (`paired.ts`). copra decodes on its own SIMD products
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
import { blocksMs, openTorchPair, pairedBlocks, pairedRatio, type PairedSide } from "./paired.ts";

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
  /** Rounds of paired generations (`paired.ts`): each ratio the median of the rounds' own. */
  pairs: number;
  blas: string | null;
  note?: string;
}

/** Rounds of paired generations (each side one generation of 64 tokens per round, at each batch). */
const ROUNDS = 5;

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
  const prompts = (batch: number) =>
    Array.from({ length: batch }, () => {
      const ids = Array.from({ length: prompt }, () => Math.floor(rng.next() * config.vocab_size));
      return { ids, positionIds: ids.map((_, i) => i), latentPositions: [] };
    });
  /** ms per token of `n` generations at `batch` with the head `head`. */
  const perToken = (batch: number, head: PackedWeight | null) => async (n: number) => {
    const times: number[] = [];
    for (let r = 0; r < n; r++) {
      const rows = prompts(batch);
      const t0 = performance.now();
      await generate(params, config, rows, { eosId: -1, head: head ?? undefined, maxNewTokens: fresh });
      times.push((performance.now() - t0) / fresh);
    }
    return times;
  };
  const wte = params["wte.weight"] as Tensor2D;
  const [one, many] = [await packTransposedThreads(wte, 1), await packTransposedThreads(wte, defaultPackThreads())];
  const { one: t1, all: td, notes } = await openTorchPair(["decode"]);
  // per batch: copra one thread, PyTorch one thread, copra's default, PyTorch's default (its pools left to go quiet)
  const sides: { name: string; batch: number; side: PairedSide }[] = [];
  for (const batch of [1, 32]) {
    sides.push({ name: "copra", batch, side: { run: perToken(batch, one) } });
    if (t1) sides.push({ name: "torch", batch, side: { run: (n) => t1.block(n, batch) } });
    sides.push({ name: "copra_default", batch, side: { run: perToken(batch, many) } });
    if (td) sides.push({ name: "torch_default", batch, side: { run: (n) => td.block(n, batch), pauseMs: 300 } });
  }
  let result: Awaited<ReturnType<typeof pairedBlocks>>;
  try {
    // warm-up of the shapes, then the rounds
    for (const batch of [1, 32]) {
      for (const head of [one, many]) {
        await generate(params, config, prompts(batch), { eosId: -1, head: head ?? undefined, maxNewTokens: 4 });
      }
    }
    result = await pairedBlocks(sides.map((s) => s.side), { rounds: ROUNDS, block: 1 });
  } finally {
    one?.dispose();
    many?.dispose();
    disposeParams(params);
    useProducts(before);
    await Promise.all([t1?.close(), td?.close()]);
  }
  const times = (name: string, batch: number) => {
    const i = sides.findIndex((s) => s.name === name && s.batch === batch);
    return i < 0 ? [] : result.times[i];
  };
  const ratio = (copra: string, reference: string, batch: number) => {
    const r = pairedRatio(times(copra, batch), times(reference, batch));
    return r === null ? null : Math.round(r * 100) / 100;
  };
  notes.push(...result.errors.filter((e): e is string => e !== null));
  return {
    bench: "decode",
    new_tokens: fresh,
    batch1_ms: blocksMs(times("copra", 1))!,
    batch32_ms: blocksMs(times("copra", 32))!,
    default_batch1_ms: blocksMs(times("copra_default", 1))!,
    default_batch32_ms: blocksMs(times("copra_default", 32))!,
    default_threads: many?.threads ?? 1,
    products: simd ?? before,
    torch_batch1_ms: blocksMs(times("torch", 1)),
    torch_batch32_ms: blocksMs(times("torch", 32)),
    torch_default_batch1_ms: blocksMs(times("torch_default", 1)),
    torch_default_batch32_ms: blocksMs(times("torch_default", 32)),
    torch_default_threads: td?.threads ?? null,
    ratio_batch1: ratio("copra", "torch", 1),
    ratio_batch32: ratio("copra", "torch", 32),
    ratio_default_batch1: ratio("copra_default", "torch_default", 1),
    ratio_default_batch32: ratio("copra_default", "torch_default", 32),
    pairs: ROUNDS,
    blas: info.blas?.library ?? null,
    ...(notes.length ? { note: [...new Set(notes)].join("; ") } : {}),
  };
}
