#!/usr/bin/env python3
"""PyTorch reference of the official Coconut code's module layout, for copra's export/import tests.

The official code (facebookresearch/coconut) wraps Hugging Face's GPT2LMHeadModel in a `Coconut` module and saves
`state_dict()` of it. This file rebuilds that module tree with plain torch.nn (Debian's python3-torch is enough;
transformers is not needed), so its state-dict keys, shapes and tied tensors are the official ones:

  Coconut
    base_causallm: GPT2LMHeadModel
      transformer: wte, wpe, h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj}, ln_f
      lm_head (tied to transformer.wte)
    embedding (the same module as base_causallm.transformer.wte)

and computes what the official `Coconut.forward` computes: every <|latent|> slot's input embedding is replaced,
slot by slot, by the last hidden state (after ln_f) of the position before it; logits of the final pass.

Subcommands
  logits CKPT --heads H [--latent-id N] --ids IDS
      torch.load CKPT (weights only), load it into the layout with strict=True (every key, shape present; nothing
      extra), print {"module": ..., "logits": [[[...]]]} for IDS (a JSON list of equal-length rows)
  save OUT --vocab V --positions P --embd C --layers L --heads H [--module coconut|causallm] [--seed S]
           [--latent-id N] [--ids IDS] [--dtype float32|bfloat16]
      torch.save a randomly initialised model's state_dict to OUT (as run.py saves checkpoint_<epoch>); with
      --ids, print its logits like `logits` does
"""

import argparse
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Conv1D(nn.Module):
    """Hugging Face's Conv1D: a linear layer whose weight is stored (in, out)."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_in, n_out) * 0.02)
        self.bias = nn.Parameter(torch.randn(n_out) * 0.02)

    def forward(self, x):
        return x @ self.weight + self.bias


class Attention(nn.Module):
    def __init__(self, C, H):
        super().__init__()
        self.n_head = H
        self.c_attn = Conv1D(C, 3 * C)
        self.c_proj = Conv1D(C, C)

    def forward(self, x):
        B, T, C = x.shape
        H = self.n_head
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, H, C // H).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(C // H)
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
        att = att.masked_fill(~causal, torch.finfo(att.dtype).min).softmax(-1)
        return self.c_proj((att @ v).transpose(1, 2).reshape(B, T, C))


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class MLP(nn.Module):
    def __init__(self, C):
        super().__init__()
        self.c_fc = Conv1D(C, 4 * C)
        self.c_proj = Conv1D(4 * C, C)

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, C, H):
        super().__init__()
        self.ln_1 = nn.LayerNorm(C, eps=1e-5)
        self.attn = Attention(C, H)
        self.ln_2 = nn.LayerNorm(C, eps=1e-5)
        self.mlp = MLP(C)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT2Model(nn.Module):
    def __init__(self, V, P, C, L, H):
        super().__init__()
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(P, C)
        self.h = nn.ModuleList([Block(C, H) for _ in range(L)])
        self.ln_f = nn.LayerNorm(C, eps=1e-5)
        nn.init.normal_(self.wte.weight, std=0.02)
        nn.init.normal_(self.wpe.weight, std=0.01)

    def forward(self, embeds):
        T = embeds.shape[1]
        x = embeds + self.wpe(torch.arange(T))
        for block in self.h:
            x = block(x)
        return self.ln_f(x)  # Hugging Face's last hidden state is after ln_f


class GPT2LMHeadModel(nn.Module):
    def __init__(self, V, P, C, L, H):
        super().__init__()
        self.transformer = GPT2Model(V, P, C, L, H)
        self.lm_head = nn.Linear(C, V, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tied, as in GPT-2

    def forward(self, embeds):
        hidden = self.transformer(embeds)
        return hidden, self.lm_head(hidden)


class Coconut(nn.Module):
    def __init__(self, base_causallm):
        super().__init__()
        self.base_causallm = base_causallm
        self.embedding = base_causallm.transformer.wte  # the official wrapper keeps the input embeddings


def coconut_logits(base, embedding, ids, latent_id):
    """The official forward without its KV cache: fill the latent slots one pass at a time, then the logits."""
    embeds = embedding(ids)
    slots = [[j for j in range(ids.shape[1]) if ids[i, j].item() == latent_id] for i in range(ids.shape[0])]
    for k in range(max((len(s) for s in slots), default=0)):
        hidden, _ = base(embeds)
        embeds = embeds.clone()
        for i, s in enumerate(slots):
            if k < len(s):
                embeds[i, s[k]] = hidden[i, s[k] - 1]
    return base(embeds)[1]


def build(V, P, C, L, H, module):
    base = GPT2LMHeadModel(V, P, C, L, H)
    return Coconut(base) if module == "coconut" else base


def logits_of(model, ids, latent_id):
    base = model.base_causallm if isinstance(model, Coconut) else model
    embedding = model.embedding if isinstance(model, Coconut) else model.transformer.wte
    with torch.no_grad():
        return coconut_logits(base, embedding, torch.tensor(ids), latent_id)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    lg = sub.add_parser("logits")
    lg.add_argument("ckpt")
    lg.add_argument("--heads", type=int, required=True)
    lg.add_argument("--latent-id", type=int, default=-1)
    lg.add_argument("--ids", required=True)
    sv = sub.add_parser("save")
    sv.add_argument("out")
    for name in ("vocab", "positions", "embd", "layers", "heads"):
        sv.add_argument(f"--{name}", type=int, required=True)
    sv.add_argument("--module", choices=["coconut", "causallm"], default="coconut")
    sv.add_argument("--seed", type=int, default=0)
    sv.add_argument("--latent-id", type=int, default=-1)
    sv.add_argument("--ids")
    sv.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    a = parser.parse_args()
    torch.set_num_threads(1)

    if a.cmd == "logits":
        try:
            sd = torch.load(a.ckpt, map_location="cpu", weights_only=True)
        except TypeError:  # torch without weights_only
            sd = torch.load(a.ckpt, map_location="cpu")
        module = "coconut" if any(k.startswith("base_causallm.") for k in sd) else "causallm"
        prefix = "base_causallm.transformer." if module == "coconut" else "transformer."
        V, C = sd[prefix + "wte.weight"].shape
        P = sd[prefix + "wpe.weight"].shape[0]
        L = len({k.split(".")[2 if module == "causallm" else 3] for k in sd if k.startswith(prefix + "h.")})
        model = build(V, P, C, L, a.heads, module)
        model.load_state_dict(sd, strict=True)
        # Storages of the file's tied tensors (torch.save writes a shared storage once; torch.load keeps it shared).
        tied = len({sd[k].data_ptr() for k in sd if k.endswith(("wte.weight", "lm_head.weight", "embedding.weight"))})
        logits = logits_of(model, json.loads(a.ids), a.latent_id)
        print(json.dumps({"module": module, "keys": list(sd.keys()), "tied_storages": tied, "logits": logits.tolist()}))
    else:
        torch.manual_seed(a.seed)
        model = build(a.vocab, a.positions, a.embd, a.layers, a.heads, a.module)
        if a.dtype == "bfloat16":
            model = model.to(torch.bfloat16)
        torch.save(model.state_dict(), a.out)
        if a.ids:
            model = model.float()
            print(json.dumps({"logits": logits_of(model, json.loads(a.ids), a.latent_id).tolist()}))


if __name__ == "__main__":
    main()
