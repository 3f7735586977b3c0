/**
 * copra's GPT-2 against PyTorch (fixtures from bench/torch_gpt2.py): logits, hidden states, loss, the gradient
 * of every parameter (weights and biases) and two AdamW steps, with learned and with rotary positions, on every
 * backend. Errors are relative to the reference's largest magnitude (see maxRelDiff): ≤ 1e-5 on cpu and wasm,
 * ≤ 1e-4 on webgpu. Measured here (2026-11-30): ≤ 6e-7 on all three (webgpu on Mesa's llvmpipe).
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  AdamW,
  type BackendName,
  causalLmLoss,
  disposeParams,
  gpt2Forward,
  loadCheckpoint,
  useBackend,
  valueAndGrads,
} from "./mod.ts";
import { maxRelDiff, readParityFixture, TINY_GPT2_DIR, TINY_GPT2_ROPE_DIR } from "./testdata/fixtures.ts";

const fixture = await readParityFixture();
const rope = await readParityFixture("parity_rope.safetensors");
const TOLERANCE: Record<BackendName, number> = { cpu: 1e-5, wasm: 1e-5, webgpu: 1e-4 };

for (const backend of ["cpu", "wasm", "webgpu"] as const) {
  const tol = TOLERANCE[backend];

  Deno.test(`parity ${backend}: logits and hidden states equal PyTorch's`, async () => {
    await useBackend(backend);
    const { config, params } = await loadCheckpoint(TINY_GPT2_DIR);
    const ids = fixture.tensor("ids", "int32") as tf.Tensor2D;
    const out = gpt2Forward(params, config, { ids });
    const dl = maxRelDiff(await out.logits!.data(), fixture.values("logits"));
    const dh = maxRelDiff(await out.hidden.data(), fixture.values("hidden"));
    assert.ok(dl <= tol, `logits relative error ${dl}`);
    assert.ok(dh <= tol, `hidden relative error ${dh}`);
    tf.dispose([ids, out.hidden, out.logits!, ...out.cache.flatMap((c) => [c.k, c.v])]);
    disposeParams(params);
  });

  Deno.test(`parity ${backend}: left padding with mask and position ids equals PyTorch's on real tokens`, async () => {
    await useBackend(backend);
    const { config, params } = await loadCheckpoint(TINY_GPT2_DIR);
    const ids = fixture.tensor("ids_pad", "int32") as tf.Tensor2D;
    const attentionMask = fixture.tensor("mask_pad", "int32") as tf.Tensor2D;
    const positionIds = fixture.tensor("pos_pad", "int32") as tf.Tensor2D;
    const out = gpt2Forward(params, config, { ids, attentionMask, positionIds });
    const mask = fixture.values("mask_pad");
    const [B, T, V] = out.logits!.shape;
    const ours = await out.logits!.data(), theirs = fixture.values("logits_pad");
    let worst = 0;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        if (mask[b * T + t] === 0) continue;
        const at = (b * T + t) * V;
        worst = Math.max(worst, maxRelDiff(ours.subarray(at, at + V), theirs.subarray(at, at + V)));
      }
    }
    assert.ok(worst <= tol, `padded logits relative error ${worst}`);
    tf.dispose([ids, attentionMask, positionIds, out.hidden, out.logits!, ...out.cache.flatMap((c) => [c.k, c.v])]);
    disposeParams(params);
  });

  Deno.test(`parity ${backend}: loss and gradients equal PyTorch's`, async () => {
    await useBackend(backend);
    const { config, params } = await loadCheckpoint(TINY_GPT2_DIR);
    const ids = fixture.tensor("ids", "int32") as tf.Tensor2D;
    const labels = fixture.tensor("labels", "int32") as tf.Tensor2D;
    const { value, grads } = valueAndGrads(
      params,
      () => causalLmLoss(gpt2Forward(params, config, { ids }).logits!, labels),
    );
    const loss = (await value.data())[0];
    assert.ok(Math.abs(loss - fixture.loss) <= tol * fixture.loss, `loss ${loss} vs ${fixture.loss}`);
    assert.equal(Object.keys(grads).length, 28);
    for (const name of Object.keys(params)) {
      const d = maxRelDiff(await grads[name].data(), fixture.values(`grad.${name}`));
      assert.ok(d <= tol, `grad ${name} relative error ${d}`);
    }
    tf.dispose([ids, labels, value, ...Object.values(grads)]);
    disposeParams(params);
  });

  Deno.test(`parity ${backend}: two AdamW steps with clipping equal torch.optim.AdamW's`, async () => {
    await useBackend(backend);
    const { config, params } = await loadCheckpoint(TINY_GPT2_DIR);
    const ids = fixture.tensor("ids", "int32") as tf.Tensor2D;
    const labels = fixture.tensor("labels", "int32") as tf.Tensor2D;
    const opt = new AdamW(params, { lr: 1e-2, weightDecay: 0.01, clipNorm: 1 });
    for (let step = 0; step < 2; step++) {
      const { value, grads } = valueAndGrads(
        params,
        () => causalLmLoss(gpt2Forward(params, config, { ids }).logits!, labels),
      );
      const { gradNorm } = opt.apply(grads);
      const norm = (await gradNorm.data())[0];
      const want = fixture.gradNorms[step];
      assert.ok(Math.abs(norm - want) <= tol * want, `step ${step} grad norm ${norm} vs ${want}`);
      tf.dispose([value, gradNorm, ...Object.values(grads)]);
    }
    for (const name of ["wte.weight", "h.0.attn.c_attn.weight", "ln_f.bias"]) {
      const d = maxRelDiff(await params[name].data(), fixture.values(`adamw2.${name}`));
      assert.ok(d <= tol, `after 2 AdamW steps, ${name} relative error ${d}`);
    }
    tf.dispose([ids, labels]);
    opt.dispose();
    disposeParams(params);
  });

  Deno.test(`parity ${backend}: rotary positions — logits, hidden states, loss and every gradient equal PyTorch's`, async () => {
    await useBackend(backend);
    const { config, params } = await loadCheckpoint(TINY_GPT2_ROPE_DIR);
    assert.equal(config.position_embedding_type, "rotary");
    const ids = fixture.tensor("ids", "int32") as tf.Tensor2D;
    const labels = fixture.tensor("labels", "int32") as tf.Tensor2D;
    const out = gpt2Forward(params, config, { ids });
    const dl = maxRelDiff(await out.logits!.data(), rope.values("logits"));
    const dh = maxRelDiff(await out.hidden.data(), rope.values("hidden"));
    assert.ok(dl <= tol && dh <= tol, `logits ${dl}, hidden ${dh}`);
    tf.dispose([out.hidden, out.logits!, ...out.cache.flatMap((c) => [c.k, c.v])]);
    const { value, grads } = valueAndGrads(
      params,
      () => causalLmLoss(gpt2Forward(params, config, { ids }).logits!, labels),
    );
    const loss = (await value.data())[0];
    assert.ok(Math.abs(loss - rope.loss) <= tol * rope.loss, `loss ${loss} vs ${rope.loss}`);
    assert.equal(Object.keys(grads).length, 27); // no wpe
    for (const name of Object.keys(params)) {
      const d = maxRelDiff(await grads[name].data(), rope.values(`grad.${name}`));
      assert.ok(d <= tol, `grad ${name} relative error ${d}`);
    }
    // Left padding: the real tokens' logits equal PyTorch's with the shifted position ids.
    const idsPad = fixture.tensor("ids_pad", "int32") as tf.Tensor2D;
    const attentionMask = fixture.tensor("mask_pad", "int32") as tf.Tensor2D;
    const positionIds = fixture.tensor("pos_pad", "int32") as tf.Tensor2D;
    const padded = gpt2Forward(params, config, { ids: idsPad, attentionMask, positionIds });
    const mask = fixture.values("mask_pad"), ours = await padded.logits!.data(), theirs = rope.values("logits_pad");
    const [B, T, V] = padded.logits!.shape;
    let worst = 0;
    for (let i = 0; i < B * T; i++) {
      if (mask[i] === 1) {
        worst = Math.max(worst, maxRelDiff(ours.subarray(i * V, (i + 1) * V), theirs.subarray(i * V, (i + 1) * V)));
      }
    }
    assert.ok(worst <= tol, `padded rotary logits relative error ${worst}`);
    tf.dispose([
      ids,
      labels,
      value,
      idsPad,
      attentionMask,
      positionIds,
      padded.hidden,
      padded.logits!,
      ...padded.cache.flatMap((c) => [c.k, c.v]),
      ...Object.values(grads),
    ]);
    disposeParams(params);
  });
}
