import assert from "node:assert/strict";
import {
  disposeParams,
  gpt2Config,
  initParams,
  officialModuleOf,
  officialSizes,
  officialStateDict,
  paramsFromOfficial,
  readTorchCheckpoint,
  type TorchTensor,
  writeTorchCheckpoint,
} from "./mod.ts";

const config = gpt2Config("nano", { vocab_size: 12, n_positions: 8, n_embd: 8, n_head: 2, n_layer: 2 });
const absolute = { ...config, position_embedding_type: "absolute" as const };

/** The official keys of a 2-block GPT-2, written out by hand in the order PyTorch's state_dict lists them. */
function officialKeys(prefix: string): string[] {
  const block = (i: number) =>
    [
      "ln_1.weight",
      "ln_1.bias",
      "attn.c_attn.weight",
      "attn.c_attn.bias",
      "attn.c_proj.weight",
      "attn.c_proj.bias",
      "ln_2.weight",
      "ln_2.bias",
      "mlp.c_fc.weight",
      "mlp.c_fc.bias",
      "mlp.c_proj.weight",
      "mlp.c_proj.bias",
    ].map((k) => `${prefix}transformer.h.${i}.${k}`);
  return [
    `${prefix}transformer.wte.weight`,
    `${prefix}transformer.wpe.weight`,
    ...block(0),
    ...block(1),
    `${prefix}transformer.ln_f.weight`,
    `${prefix}transformer.ln_f.bias`,
    `${prefix}lm_head.weight`,
  ];
}

Deno.test("the official state dict: Coconut's and GPT2LMHeadModel's keys in PyTorch's order, tied tensors shared", async () => {
  const params = initParams(absolute, { seed: 2 });
  try {
    const coconut = await officialStateDict(params, absolute, "coconut");
    assert.deepEqual([...coconut.keys()], [...officialKeys("base_causallm."), "embedding.weight"]);
    const wte = coconut.get("base_causallm.transformer.wte.weight")!;
    assert.equal(coconut.get("base_causallm.lm_head.weight")!.data, wte.data);
    assert.equal(coconut.get("embedding.weight")!.data, wte.data);
    assert.deepEqual(coconut.get("base_causallm.transformer.h.1.attn.c_attn.weight")!.shape, [8, 24]); // Conv1D (in, out)
    assert.deepEqual(
      Array.from(coconut.get("base_causallm.transformer.h.1.mlp.c_fc.bias")!.data),
      Array.from(await params["h.1.mlp.c_fc.bias"].data()),
    );
    const plain = await officialStateDict(params, absolute, "causallm");
    assert.deepEqual([...plain.keys()], officialKeys(""));
    // An official vocabulary that ends earlier keeps the first rows, still one array for the tied tensors.
    const trimmed = await officialStateDict(params, absolute, "coconut", { vocabSize: 10 });
    const rows = trimmed.get("base_causallm.transformer.wte.weight")!;
    assert.deepEqual(rows.shape, [10, 8]);
    assert.deepEqual(Array.from(rows.data), Array.from((await params["wte.weight"].data()).slice(0, 80)));
    assert.equal(trimmed.get("embedding.weight")!.data, rows.data);
    assert.equal(trimmed.get("base_causallm.lm_head.weight")!.data, rows.data);
    for (const bad of [0, 13, 2.5]) {
      await assert.rejects(
        officialStateDict(params, absolute, "coconut", { vocabSize: bad }),
        /vocabSize.*1 to the model's 12/,
      );
    }
    await assert.rejects(
      officialStateDict(params, { ...config, position_embedding_type: "rotary" }, "coconut"),
      /position_embedding_type.*absolute/,
    );
  } finally {
    disposeParams(params);
  }
});

Deno.test("reading an official state dict: wrapper prefixes, buffers and float64 accepted; what is wrong named", async () => {
  const params = initParams(absolute, { seed: 4 });
  const sd = await officialStateDict(params, absolute, "coconut");
  const tensors = readTorchCheckpoint(writeTorchCheckpoint(sd), "checkpoint_5");
  assert.equal(officialModuleOf(tensors.keys()), "coconut");
  assert.deepEqual(officialSizes(tensors, "checkpoint_5"), { vocab_size: 12, n_positions: 8, n_embd: 8, n_layer: 2 });
  const back = paramsFromOfficial(tensors, absolute, "checkpoint_5");
  for (const name of Object.keys(params)) {
    assert.deepEqual(await back[name].data(), await params[name].data(), name);
  }
  disposeParams(back);

  // What FSDP/DDP and torch.compile put into keys, an attention buffer of older transformers, float64 values.
  const wrapped = new Map<string, TorchTensor>();
  for (const [key, t] of tensors) {
    const data = key.endsWith("ln_f.bias") ? Float64Array.from(t.data) : t.data;
    wrapped.set(`module._orig_mod.${key.replace("transformer.h.0.", "transformer.h.0._fsdp_wrapped_module.")}`, {
      ...t,
      data,
    });
  }
  wrapped.set("module.base_causallm.transformer.h.0.attn.bias", { dtype: "bool", shape: [1], data: new Uint8Array(1) });
  assert.equal(officialModuleOf(wrapped.keys()), "coconut");
  const unwrapped = paramsFromOfficial(wrapped, absolute, "checkpoint_5");
  assert.deepEqual(await unwrapped["ln_f.bias"].data(), await params["ln_f.bias"].data());
  disposeParams(unwrapped);

  const edited = (key: string, change: (t: TorchTensor) => TorchTensor | null) => {
    const copy = new Map(tensors);
    const t = change(copy.get(key)!);
    if (t === null) copy.delete(key);
    else copy.set(key, t);
    return copy;
  };
  const nudged = (t: TorchTensor) => ({ ...t, data: Float32Array.from(t.data, (x, i) => i === 0 ? x + 1 : x) });
  assert.throws(
    () => paramsFromOfficial(edited("embedding.weight", nudged), absolute, "ck"),
    /ck: embedding\.weight.*differs from the wrapped model's wte/,
  );
  assert.throws(
    () => paramsFromOfficial(edited("base_causallm.lm_head.weight", nudged), absolute, "ck"),
    /base_causallm\.lm_head\.weight.*tied/,
  );
  assert.throws(
    () => paramsFromOfficial(edited("base_causallm.transformer.h.1.ln_2.bias", () => null), absolute, "ck"),
    /h\.1\.ln_2\.bias.*missing/,
  );
  assert.throws(
    () =>
      paramsFromOfficial(
        edited("base_causallm.transformer.ln_f.weight", (t) => ({ ...t, dtype: "int64", data: new Float64Array(8) })),
        absolute,
        "ck",
      ),
    // int64 values come back in a Float64Array, as float64's do: the dtype is what refuses them
    /ck: base_causallm\.transformer\.ln_f\.weight.*not a floating-point tensor/,
  );
  assert.throws(
    () =>
      paramsFromOfficial(
        edited("base_causallm.transformer.ln_f.weight", (t) => ({ ...t, dtype: "int32", data: new Int32Array(8) })),
        absolute,
        "ck",
      ),
    /ck: base_causallm\.transformer\.ln_f\.weight.*not a floating-point tensor/,
  );
  assert.throws(
    () => paramsFromOfficial(tensors, { ...absolute, n_layer: 3 }, "ck"),
    /h\.2\..*missing/,
  );
  assert.throws(() => officialSizes(new Map(), "ck"), /ck: wte\.weight.*not a GPT-2 state dict/);
  disposeParams(params);
});
