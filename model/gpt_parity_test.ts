/**
 * copra's GPT-2 against PyTorch (fixtures from bench/torch_gpt2.py): logits, hidden states, loss, gradients
 * and two AdamW steps, on every backend: max |Δ| ≤ 1e-4 on cpu and wasm, ≤ 1e-3 on webgpu.
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
import { maxAbsDiff, readParityFixture, TINY_GPT2_DIR } from "./testdata/fixtures.ts";

const fixture = await readParityFixture();
const TOLERANCE: Record<BackendName, number> = { cpu: 1e-4, wasm: 1e-4, webgpu: 1e-3 };

for (const backend of ["cpu", "wasm", "webgpu"] as const) {
  const tol = TOLERANCE[backend];

  Deno.test(`parity ${backend}: logits and hidden states equal PyTorch's`, async () => {
    await useBackend(backend);
    const { config, params } = await loadCheckpoint(TINY_GPT2_DIR);
    const ids = fixture.tensor("ids", "int32") as tf.Tensor2D;
    const out = gpt2Forward(params, config, { ids });
    const dl = maxAbsDiff(await out.logits!.data(), fixture.values("logits"));
    const dh = maxAbsDiff(await out.hidden.data(), fixture.values("hidden"));
    assert.ok(dl <= tol, `logits max |Δ| = ${dl}`);
    assert.ok(dh <= tol, `hidden max |Δ| = ${dh}`);
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
        worst = Math.max(worst, maxAbsDiff(ours.subarray(at, at + V), theirs.subarray(at, at + V)));
      }
    }
    assert.ok(worst <= tol, `padded logits max |Δ| = ${worst}`);
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
    assert.ok(Math.abs(loss - fixture.loss) <= tol, `loss ${loss} vs ${fixture.loss}`);
    for (const name of ["wte.weight", "wpe.weight", "h.0.attn.c_attn.weight", "h.1.mlp.c_proj.weight", "ln_f.weight"]) {
      const d = maxAbsDiff(await grads[name].data(), fixture.values(`grad.${name}`));
      assert.ok(d <= tol, `grad ${name} max |Δ| = ${d}`);
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
      assert.ok(Math.abs(norm - fixture.gradNorms[step]) <= 10 * tol, `step ${step} grad norm ${norm}`);
      tf.dispose([value, gradNorm, ...Object.values(grads)]);
    }
    for (const name of ["wte.weight", "h.0.attn.c_attn.weight", "ln_f.bias"]) {
      const d = maxAbsDiff(await params[name].data(), fixture.values(`adamw2.${name}`));
      assert.ok(d <= tol, `after 2 AdamW steps, ${name} max |Δ| = ${d}`);
    }
    tf.dispose([ids, labels]);
    opt.dispose();
    disposeParams(params);
  });
}
