import assert from "node:assert/strict";
import { combineRounds } from "./rounds.ts";

Deno.test("rounds: each ratio is the median of the rounds' own ratios, not a ratio of the medians", () => {
  // Round 2 ran in a slow phase for both sides (its ratio 1.0); round 3's sides fell in different phases. The
  // medians of the times would give 20 / 12 = 1.667; the rounds' own ratios say 1.1.
  const line = combineRounds([
    { bench: "s", copra_ms: 10, torch_ms: 11, ratio_vs_torch: 1.1 },
    { bench: "s", copra_ms: 30, torch_ms: 30, ratio_vs_torch: 1 },
    { bench: "s", copra_ms: 12, torch_ms: 20, ratio_vs_torch: 20 / 12 },
  ]);
  assert.equal(line.ratio_vs_torch, 1.1);
  assert.equal(line.copra_ms, 12);
  assert.equal(line.torch_ms, 20);
  assert.deepEqual(line.ratio_vs_torch_rounds, [1.1, 1, 20 / 12]);
  assert.equal(line.rounds, 3);
});

Deno.test("rounds: what is not a finite number in every round is the first round's", () => {
  const line = combineRounds([
    { bench: "s", blas: "lib", torch_ms: null, ratio_vs_torch: null, profile: { kernels: 3 } },
    { bench: "s", blas: "lib", torch_ms: null, ratio_vs_torch: null, profile: { kernels: 4 } },
  ]);
  assert.deepEqual(line, {
    bench: "s",
    blas: "lib",
    torch_ms: null,
    ratio_vs_torch: null,
    profile: { kernels: 3 },
    rounds: 2,
  });
  assert.deepEqual(combineRounds([{ bench: "s", copra_ms: 7 }]), { bench: "s", copra_ms: 7 });
});
