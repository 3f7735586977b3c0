import assert from "node:assert/strict";
import { configToJson, countParams, gpt2Config, ModelError, parseConfigJson, PRESETS } from "./mod.ts";

Deno.test("presets: OpenAI's sizes give the published parameter counts", () => {
  assert.equal(countParams(PRESETS.gpt2), 124_439_808); // GPT2Model, LM head tied
  assert.equal(countParams(PRESETS["gpt2-medium"]), 354_823_168);
  assert.deepEqual(
    [PRESETS.tiny.vocab_size, PRESETS.tiny.n_positions, PRESETS.tiny.n_embd, PRESETS.tiny.n_head, PRESETS.tiny.n_layer],
    [256, 64, 128, 4, 2],
  );
  assert.deepEqual([PRESETS.nano.n_layer, PRESETS.nano.n_embd], [3, 48]);
});

Deno.test("config.json round trip and Hugging Face's own gpt2 config.json", () => {
  for (const name of Object.keys(PRESETS) as (keyof typeof PRESETS)[]) {
    assert.deepEqual(parseConfigJson(configToJson(PRESETS[name])), PRESETS[name]);
  }
  // The gpt2 config.json on the Hugging Face hub (abridged to the keys that matter).
  const hub = `{"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
    "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
    "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12,
    "n_layer": 12, "n_positions": 1024, "resid_pdrop": 0.1, "summary_activation": null,
    "summary_first_dropout": 0.1, "summary_proj_to_labels": true, "summary_type": "cls_index",
    "summary_use_proj": true, "task_specific_params": {"text-generation": {"do_sample": true, "max_length": 50}},
    "vocab_size": 50257}`;
  assert.deepEqual(parseConfigJson(hub), PRESETS.gpt2);
});

Deno.test("bad configurations name the field", () => {
  const field = (name: string) => (e: unknown) => e instanceof ModelError && e.field === name;
  assert.throws(() => gpt2Config("nano", { n_head: 5 }), field("n_head"));
  assert.throws(() => gpt2Config("nano", { n_layer: 0 }), field("n_layer"));
  assert.throws(() => gpt2Config("nano", { attn_pdrop: 1 }), field("attn_pdrop"));
  assert.throws(() => gpt2Config("nano", { activation_function: "relu" as "gelu_new" }), field("activation_function"));
  assert.throws(() => gpt2Config("huge" as "nano"), field("preset"));
  assert.throws(() => parseConfigJson("{", "c.json"), (e: unknown) => e instanceof ModelError && e.source === "c.json");
  assert.throws(() => parseConfigJson('{"model_type": "llama"}'), field("model_type"));
  assert.throws(
    () => parseConfigJson('{"scale_attn_by_inverse_layer_idx": true}'),
    field("scale_attn_by_inverse_layer_idx"),
  );
  assert.throws(() => parseConfigJson('{"n_embd": "768"}'), field("n_embd"));
  assert.throws(
    () => gpt2Config("nano", { position_embedding_type: "alibi" as "rotary" }),
    field("position_embedding_type"),
  );
  // 48 channels over 16 heads: head size 3 cannot be split into rotation pairs.
  assert.throws(() => gpt2Config("nano", { n_head: 16, position_embedding_type: "rotary" }), field("n_head"));
  assert.throws(() => gpt2Config("nano", { rope_theta: 1 }), field("rope_theta"));
});

Deno.test("rotary positions survive config.json; a GPT-2 config.json reads as absolute positions", () => {
  const rotary = gpt2Config("micro", { position_embedding_type: "rotary", rope_theta: 500 });
  assert.deepEqual(parseConfigJson(configToJson(rotary)), rotary);
  assert.equal(parseConfigJson('{"n_layer": 2}').position_embedding_type, "absolute");
});
