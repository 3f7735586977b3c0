#!/usr/bin/env python3
"""PyTorch reference for copra's GPT-2: the same model, built the way Hugging Face's GPT2LMHeadModel is.

Debian's python3-torch is enough (transformers and safetensors are not needed):
  gelu_new, LayerNorm eps 1e-5, causal mask, attention scaled by 1/sqrt(head_dim), Conv1D weights (in, out),
  LM head tied to wte, HF's label shift for the loss.

Subcommands
  fixtures OUT_DIR     write the parity fixtures copra's tests compare against (small, committed)
  coconut-step [--preset micro] [--seq 280] [--thoughts 6] [--threads 1] [--serve]
                       time one Coconut training step (thoughts + 1 passes with a KV cache)
  train-step [--preset tiny] [--steps N] [--threads 1] [--serve]
                       time forward+backward+Adam steps on random ids; prints one JSON line {"torch_ms": ...};
                       with --serve, blocks of steps on request instead (one step count per stdin line)
  logits DIR IDS       load a checkpoint folder (config.json + model.safetensors, e.g. saved by copra) and
                       print the logits for IDS (a JSON list of lists) as one JSON line
  decode [--preset nano] [--batch 1] [--prompt 64] [--new 64] [--threads 1]
                       time greedy decoding with the KV cache (prompt pass, then one position per token);
                       prints {"torch_ms_per_token": ...}; --threads 0 keeps PyTorch's default thread count;
                       with --serve, generations on request (lines "N BATCH", see serve_blocks)

Threads: --threads N sets PyTorch's intra-op threads; the BLAS library PyTorch calls (OpenBLAS on Debian) sizes its own
pool from OPENBLAS_NUM_THREADS when it is loaded, which the caller sets (copra's benchmarks pin it to N, and leave it as
the user had it for --threads 0). Every timing line reports both counts ("threads", "blas_threads").
  hf-layout OUT_DIR    write a full-size GPT-2 124M checkpoint in the Hugging Face hub layout (random
                       weights, attention-mask buffers included) for checkpoint-loading checks
"""

import argparse
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn.functional as F

PRESETS = {
    # name: (vocab, positions, n_embd, n_layer, n_head)
    "gpt2": (50257, 1024, 768, 12, 12),
    "tiny": (256, 64, 128, 2, 4),
    "nano": (50257, 512, 48, 3, 3),
    "micro": (50257, 512, 128, 4, 4),
    "mini": (50257, 1024, 256, 6, 8),
    "parity": (50, 16, 32, 2, 4),
}


def param_shapes(V, P, C, L):
    shapes = {"wte.weight": (V, C), "wpe.weight": (P, C)}
    for i in range(L):
        h = f"h.{i}"
        shapes.update({
            f"{h}.ln_1.weight": (C,), f"{h}.ln_1.bias": (C,),
            f"{h}.attn.c_attn.weight": (C, 3 * C), f"{h}.attn.c_attn.bias": (3 * C,),
            f"{h}.attn.c_proj.weight": (C, C), f"{h}.attn.c_proj.bias": (C,),
            f"{h}.ln_2.weight": (C,), f"{h}.ln_2.bias": (C,),
            f"{h}.mlp.c_fc.weight": (C, 4 * C), f"{h}.mlp.c_fc.bias": (4 * C,),
            f"{h}.mlp.c_proj.weight": (4 * C, C), f"{h}.mlp.c_proj.bias": (C,),
        })
    shapes["ln_f.weight"] = (C,)
    shapes["ln_f.bias"] = (C,)
    return shapes


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def rope(x, position_ids, theta):
    """Rotary positions (GPT-NeoX layout, pair i = coordinates i and i + D/2) on x (B,H,T,D)."""
    D = x.shape[-1]
    half = D // 2
    inv = torch.tensor([theta ** (-(2 * (j % half)) / D) for j in range(D)], dtype=torch.float32)
    angles = position_ids.float()[:, None, :, None] * inv  # (B,1,T,D)
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * torch.cos(angles) + rotated * torch.sin(angles)


def forward(p, n_layer, n_head, ids, attention_mask=None, position_ids=None, eps=1e-5, fast=False, rotary=None):
    """GPT-2 forward as HF computes it (eval mode). Returns (hidden after ln_f, logits).

    rotary=θ: copra's rotary variant (no wpe; queries and keys turned by position with base θ).

    fast=True uses PyTorch's fused tanh-GELU and addmm (the same function up to float rounding): what a
    tuned PyTorch training step would run, so the benchmark compares against PyTorch at its best.
    """
    act = (lambda t: F.gelu(t, approximate="tanh")) if fast else gelu_new

    def linear(t, w, b):
        return torch.addmm(b, t.reshape(-1, t.shape[-1]), w).view(*t.shape[:-1], w.shape[1]) if fast else t @ w + b

    B, T = ids.shape
    C = p["wte.weight"].shape[1]
    D = C // n_head
    if position_ids is None:
        position_ids = torch.arange(T, device=ids.device).unsqueeze(0).expand(B, T)
    x = p["wte.weight"][ids] if rotary else p["wte.weight"][ids] + p["wpe.weight"][position_ids]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool, device=ids.device)).view(1, 1, T, T)
    min_value = torch.finfo(torch.float32).min
    for i in range(n_layer):
        h = f"h.{i}"
        a = F.layer_norm(x, (C,), p[f"{h}.ln_1.weight"], p[f"{h}.ln_1.bias"], eps)
        qkv = linear(a, p[f"{h}.attn.c_attn.weight"], p[f"{h}.attn.c_attn.bias"])
        q, k, v = qkv.split(C, dim=2)
        q, k, v = (t.view(B, T, n_head, D).transpose(1, 2) for t in (q, k, v))
        if rotary:
            q, k = rope(q, position_ids, rotary), rope(k, position_ids, rotary)
        w = (q @ k.transpose(-1, -2)) / math.sqrt(D)
        w = torch.where(causal, w, torch.tensor(min_value, device=ids.device))
        if attention_mask is not None:
            w = w + (1.0 - attention_mask.view(B, 1, 1, T).float()) * min_value
        w = torch.softmax(w, dim=-1)
        y = (w @ v).transpose(1, 2).reshape(B, T, C)
        x = x + linear(y, p[f"{h}.attn.c_proj.weight"], p[f"{h}.attn.c_proj.bias"])
        m = F.layer_norm(x, (C,), p[f"{h}.ln_2.weight"], p[f"{h}.ln_2.bias"], eps)
        m = act(linear(m, p[f"{h}.mlp.c_fc.weight"], p[f"{h}.mlp.c_fc.bias"]))
        x = x + linear(m, p[f"{h}.mlp.c_proj.weight"], p[f"{h}.mlp.c_proj.bias"])
    hidden = F.layer_norm(x, (C,), p["ln_f.weight"], p["ln_f.bias"], eps)
    return hidden, hidden @ p["wte.weight"].t()


def forward_cached(p, n_layer, n_head, embeds, positions, past=None, eps=1e-5):
    """One chunk of positions with a KV cache (for the Coconut step): embeds (B,t,C) are the token part;
    returns (hidden, logits, cache). Fused GELU/addmm as in the timed train step."""
    B, t, C = embeds.shape
    D = C // n_head
    P = 0 if past is None else past[0][0].shape[2]
    x = embeds + p["wpe.weight"][positions]
    allowed = torch.arange(P + t, device=embeds.device).view(1, -1) <= (P + torch.arange(t, device=embeds.device)).view(-1, 1)
    cache = []
    for i in range(n_layer):
        h = f"h.{i}"
        a = F.layer_norm(x, (C,), p[f"{h}.ln_1.weight"], p[f"{h}.ln_1.bias"], eps)
        qkv = torch.addmm(p[f"{h}.attn.c_attn.bias"], a.reshape(-1, C), p[f"{h}.attn.c_attn.weight"]).view(B, t, 3 * C)
        q, k, v = (u.view(B, t, n_head, D).transpose(1, 2) for u in qkv.split(C, dim=2))
        if past is not None:
            k = torch.cat([past[i][0], k], dim=2)
            v = torch.cat([past[i][1], v], dim=2)
        cache.append((k, v))
        w = (q @ k.transpose(-1, -2)) / math.sqrt(D)
        w = w.masked_fill(~allowed, torch.finfo(torch.float32).min)
        y = (torch.softmax(w, dim=-1) @ v).transpose(1, 2).reshape(B, t, C)
        x = x + torch.addmm(p[f"{h}.attn.c_proj.bias"], y.reshape(-1, C), p[f"{h}.attn.c_proj.weight"]).view(B, t, C)
        m = F.layer_norm(x, (C,), p[f"{h}.ln_2.weight"], p[f"{h}.ln_2.bias"], eps)
        m = F.gelu(torch.addmm(p[f"{h}.mlp.c_fc.bias"], m.reshape(-1, C), p[f"{h}.mlp.c_fc.weight"]), approximate="tanh")
        x = x + torch.addmm(p[f"{h}.mlp.c_proj.bias"], m, p[f"{h}.mlp.c_proj.weight"]).view(B, t, C)
    hidden = F.layer_norm(x, (C,), p["ln_f.weight"], p["ln_f.bias"], eps)
    return hidden, hidden @ p["wte.weight"].t(), cache


def coconut_step(preset, steps, batch, seq, thoughts, vocab, threads=1, serve=False):
    """Median ms of one Coconut training step: thoughts + 1 passes with a KV cache, as the official code."""
    set_threads(threads)
    torch.manual_seed(0)
    _, P, C, L, H = PRESETS[preset]
    V = vocab
    p = {k: (0.02 * torch.randn(s)).requires_grad_(True) for k, s in param_shapes(V, P, C, L).items()}
    opt = torch.optim.Adam(list(p.values()), lr=3e-4)
    first = seq - thoughts - 12  # question, <bot>, thoughts, <eot>, a short answer

    def step():
        ids = torch.randint(0, V, (batch, seq))
        labels = ids.clone()
        labels[:, : first + thoughts + 1] = -100
        positions = torch.arange(seq).unsqueeze(0).expand(batch, seq)
        t0 = time.perf_counter()
        opt.zero_grad()
        embeds = p["wte.weight"][ids]
        logits, past, start, end, hidden = [], None, 0, first, None
        for k in range(thoughts + 1):
            chunk = embeds[:, start:end]
            if k > 0:
                chunk = torch.cat([hidden[:, -1:], chunk[:, 1:]], dim=1)
            hidden, lg, past = forward_cached(p, L, H, chunk, positions[:, start:end], past)
            logits.append(lg)
            start, end = end, (seq if k + 1 >= thoughts else end + 1)
        loss = causal_lm_loss(torch.cat(logits, dim=1), labels)
        loss.backward()
        opt.step()
        float(loss.detach())
        return (time.perf_counter() - t0) * 1000

    median = timed(step, 2, steps, serve)
    if median is not None:
        print(json.dumps({"torch_ms": median, "torch": torch.__version__, **thread_counts()}))


def decode(preset, batch, prompt, new, threads, serve=False):
    """Median ms per generated token of greedy decoding with a KV cache (random weights, no <eos>)."""
    set_threads(threads)
    torch.manual_seed(0)
    V, P, C, L, H = PRESETS[preset]
    p = {k: 0.02 * torch.randn(s) for k, s in param_shapes(V, P, C, L).items()}

    @torch.no_grad()
    def generation(b):
        ids = torch.randint(0, V, (b, prompt))
        t0 = time.perf_counter()
        positions = torch.arange(prompt).unsqueeze(0).expand(b, prompt)
        _, logits, past = forward_cached(p, L, H, p["wte.weight"][ids], positions)
        nxt = logits[:, -1].argmax(-1)
        for k in range(new - 1):
            pos = torch.full((b, 1), prompt + k, dtype=torch.long)
            _, logits, past = forward_cached(p, L, H, p["wte.weight"][nxt].unsqueeze(1), pos, past)
            nxt = logits[:, -1].argmax(-1)
        nxt.tolist()
        return (time.perf_counter() - t0) * 1000 / new

    if serve:
        warm = set()

        def at_batch(b=batch):
            if b not in warm:  # the first generation at a batch size is not timed
                generation(b)
                warm.add(b)
            return generation(b)

        serve_blocks(at_batch)
        return
    generation(batch)
    times = sorted(generation(batch) for _ in range(4))
    print(json.dumps({"torch_ms_per_token": times[len(times) // 2], "torch": torch.__version__, **thread_counts()}))


def set_threads(threads):
    """--threads N: N intra-op threads; 0 keeps PyTorch's default."""
    if threads > 0:
        torch.set_num_threads(threads)


def thread_counts():
    """PyTorch's intra-op threads and the pool of the OpenBLAS it calls (None when that is not OpenBLAS)."""
    blas = None
    try:
        import ctypes
        blas = ctypes.CDLL("libopenblas.so.0").openblas_get_num_threads()
    except (OSError, AttributeError):
        pass
    return {"threads": torch.get_num_threads(), "blas_threads": blas}


def causal_lm_loss(logits, labels):
    """HF's loss from labels: shift by one, ignore -100, mean over counted tokens."""
    V = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1), ignore_index=-100)


def write_safetensors(path, tensors, metadata=None):
    """Minimal safetensors writer (F32), the same layout as the reference implementation."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    offset = 0
    blobs = []
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * ((8 - (8 + len(head)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """Minimal safetensors reader (F32 only), independent of copra's."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", f"{name}: {info['dtype']}"
        begin, end = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[base + begin : base + end]), dtype=torch.float32).reshape(info["shape"])
    return out


def logits_of_checkpoint(folder, ids_json):
    """What a PyTorch user gets from a copra checkpoint: keys as in HF GPT2Model, LM head tied to wte."""
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    p = read_safetensors(os.path.join(folder, "model.safetensors"))
    ids = torch.tensor(json.loads(ids_json))
    with torch.no_grad():
        _, logits = forward(p, cfg["n_layer"], cfg["n_head"], ids, eps=cfg["layer_norm_epsilon"])
    print(json.dumps({"logits": logits.reshape(-1).tolist()}))


def config_json(V, P, C, L, H, rotary=None):
    config = {
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": V, "n_positions": P,
        "n_ctx": P, "n_embd": C, "n_layer": L, "n_head": H, "n_inner": None, "activation_function": "gelu_new",
        "resid_pdrop": 0.1, "embd_pdrop": 0.1, "attn_pdrop": 0.1, "layer_norm_epsilon": 1e-5,
        "initializer_range": 0.02,
    }
    if rotary:
        config.update({"position_embedding_type": "rotary", "rope_theta": rotary})
    return config


def fixtures(out_dir):
    """Random tiny GPT-2, two inputs (plain, left-padded), outputs, loss, gradients, two AdamW steps."""
    torch.manual_seed(1234)
    V, P, C, L, H = PRESETS["parity"]
    shapes = param_shapes(V, P, C, L)
    # Larger than GPT-2's init (std 0.02) so that every weight visibly matters; LayerNorm gains around 1.
    p = {}
    for name, shape in shapes.items():
        if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "ln_f.weight":
            p[name] = 1.0 + 0.1 * torch.randn(shape)
        else:
            p[name] = 0.2 * torch.randn(shape)
    ckpt = os.path.join(out_dir, "tiny_gpt2")
    os.makedirs(ckpt, exist_ok=True)
    write_safetensors(os.path.join(ckpt, "model.safetensors"), p, {"format": "pt"})
    with open(os.path.join(ckpt, "config.json"), "w") as f:
        json.dump(config_json(V, P, C, L, H), f, indent=2)

    B, T = 2, 8
    ids = torch.randint(0, V, (B, T))
    labels = ids.clone()
    labels[0, :3] = -100  # a question part that does not count
    labels[1, 5] = -100

    params = {k: v.clone().requires_grad_(True) for k, v in p.items()}
    hidden, logits = forward(params, L, H, ids)
    loss = causal_lm_loss(logits, labels)
    loss.backward()
    grad_names = list(shapes)  # every parameter, weights and biases

    # Left padding: row 1 gets 3 pads in front; its real tokens use positions 0..T-4.
    pad = 3
    ids_pad = ids.clone()
    ids_pad[1, pad:] = ids[1, : T - pad]
    ids_pad[1, :pad] = 0
    mask = torch.ones(B, T, dtype=torch.long)
    mask[1, :pad] = 0
    pos = torch.arange(T).unsqueeze(0).repeat(B, 1)
    pos[1] = torch.clamp(torch.arange(T) - pad, min=0)
    with torch.no_grad():
        hidden_pad, logits_pad = forward(p, L, H, ids_pad, attention_mask=mask, position_ids=pos)

    # Two AdamW steps (lr 1e-2, wd 0.01, clip 1.0) on fresh copies, as copra's trainer would run them.
    opt_params = {k: v.clone().requires_grad_(True) for k, v in p.items()}
    opt = torch.optim.AdamW(list(opt_params.values()), lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    norms = []
    for _ in range(2):
        opt.zero_grad()
        _, lg = forward(opt_params, L, H, ids)
        causal_lm_loss(lg, labels).backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(list(opt_params.values()), 1.0)))
        opt.step()

    out = {
        "ids": ids.float(), "labels": labels.float(), "hidden": hidden, "logits": logits,
        "ids_pad": ids_pad.float(), "mask_pad": mask.float(), "pos_pad": pos.float(),
        "hidden_pad": hidden_pad, "logits_pad": logits_pad,
    }
    for n in grad_names:
        out[f"grad.{n}"] = params[n].grad
    for n in ["wte.weight", "h.0.attn.c_attn.weight", "ln_f.bias"]:
        out[f"adamw2.{n}"] = opt_params[n]
    meta = {"loss": repr(float(loss)), "grad_norms": json.dumps(norms), "torch": torch.__version__,
            "config": json.dumps([V, P, C, L, H])}
    write_safetensors(os.path.join(out_dir, "parity.safetensors"), out, meta)
    print(json.dumps({"fixtures": out_dir, "loss": float(loss), "grad_norms": norms}))
    rope_fixtures(out_dir, p, ids, labels, ids_pad, mask, pos)


def rope_fixtures(out_dir, p, ids, labels, ids_pad, mask, pos, theta=100.0):
    """The same tiny model with rotary positions (θ 100, so that the angles vary within 8 positions; no wpe):
    logits, hidden states, loss and every gradient, and the left-padded logits (position ids shifted)."""
    V, P, C, L, H = PRESETS["parity"]
    p = {k: v for k, v in p.items() if k != "wpe.weight"}
    ckpt = os.path.join(out_dir, "tiny_gpt2_rope")
    os.makedirs(ckpt, exist_ok=True)
    write_safetensors(os.path.join(ckpt, "model.safetensors"), p, {"format": "pt"})
    with open(os.path.join(ckpt, "config.json"), "w") as f:
        json.dump(config_json(V, P, C, L, H, rotary=theta), f, indent=2)
    params = {k: v.clone().requires_grad_(True) for k, v in p.items()}
    B, T = ids.shape
    positions = torch.arange(T).unsqueeze(0).repeat(B, 1)
    hidden, logits = forward(params, L, H, ids, position_ids=positions, rotary=theta)
    loss = causal_lm_loss(logits, labels)
    loss.backward()
    with torch.no_grad():
        _, logits_pad = forward(p, L, H, ids_pad, attention_mask=mask, position_ids=pos, rotary=theta)
    out = {"hidden": hidden, "logits": logits, "logits_pad": logits_pad}
    for n in p:
        out[f"grad.{n}"] = params[n].grad
    meta = {"loss": repr(float(loss)), "grad_norms": "[]", "torch": torch.__version__,
            "config": json.dumps([V, P, C, L, H]), "rope_theta": repr(theta)}
    write_safetensors(os.path.join(out_dir, "parity_rope.safetensors"), out, meta)
    print(json.dumps({"fixtures": out_dir, "rope_loss": float(loss)}))


def train_step(preset, steps, batch, seq, device="cpu", threads=1, serve=False):
    """Median ms of forward+backward+Adam on random ids (DESIGN.md §5); --threads on CPU, fp32 on CUDA."""
    if device == "cpu":
        set_threads(threads)
    torch.manual_seed(0)
    V, P, C, L, H = PRESETS[preset]
    T = seq or P
    p = {k: (0.02 * torch.randn(s, device=device)).requires_grad_(True) for k, s in param_shapes(V, P, C, L).items()}
    opt = torch.optim.Adam(list(p.values()), lr=3e-4)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def step():
        ids = torch.randint(0, V, (batch, T), device=device)
        sync()
        t0 = time.perf_counter()
        opt.zero_grad()
        _, logits = forward(p, L, H, ids, fast=True)
        loss = causal_lm_loss(logits, ids)
        loss.backward()
        opt.step()
        float(loss.detach())  # as copra does: read the loss every step
        sync()
        return (time.perf_counter() - t0) * 1000

    median = timed(step, 3, steps, serve)
    if median is None:
        return
    out = {"torch_ms": median, "torch": torch.__version__, "device": device, "preset": preset, "batch": batch, "seq": T}
    if device == "cpu":
        out.update(thread_counts())
    else:
        out["gpu"] = torch.cuda.get_device_name(0)
    print(json.dumps(out))


def timed(step, warmup, steps, serve):
    """warmup untimed calls of step, then with --serve the blocks of serve_blocks (None), else the median ms of steps
    timed calls."""
    for _ in range(warmup):
        step()
    if serve:
        serve_blocks(step)
        return None
    times = sorted(step() for _ in range(steps))
    return times[len(times) // 2]


def serve_blocks(step):
    """--serve, after the warm-up: one JSON line {"ready": true, threads…}, then for each line "N [A…]" read from stdin,
    N timed calls of step(A…) (whole-number arguments, e.g. decode's batch) and one JSON line {"times_ms": [...]}, until
    stdin closes. The caller runs its own steps between these blocks, so that both sides of a comparison are timed in
    the same stretch of the machine's speed."""
    print(json.dumps({"ready": True, "torch": torch.__version__, **thread_counts()}), flush=True)
    for line in sys.stdin:
        n, *extra = (int(field) for field in line.split())
        print(json.dumps({"times_ms": [step(*extra) for _ in range(n)]}), flush=True)


def hf_layout(out_dir):
    """GPT-2 124M in the layout of the Hugging Face hub's gpt2/model.safetensors (random weights)."""
    torch.manual_seed(0)
    V, P, C, L, H = PRESETS["gpt2"]
    tensors = {}
    for name, shape in param_shapes(V, P, C, L).items():
        tensors[name] = 0.02 * torch.randn(shape)
        if name.endswith(".ln_2.bias"):
            i = name.split(".")[1]
            tensors[f"h.{i}.attn.bias"] = torch.tril(torch.ones(P, P)).view(1, 1, P, P)
    os.makedirs(out_dir, exist_ok=True)
    write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors, {"format": "pt"})
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config_json(V, P, C, L, H), f, indent=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fixtures")
    f.add_argument("out_dir")
    t = sub.add_parser("train-step")
    t.add_argument("--preset", default="tiny", choices=sorted(PRESETS))
    t.add_argument("--steps", type=int, default=20)
    t.add_argument("--batch", type=int, default=16)
    t.add_argument("--seq", type=int, default=0, help="sequence length (default: n_positions)")
    t.add_argument("--device", default="cpu", help="cpu or cuda")
    t.add_argument("--threads", type=int, default=1, help="intra-op threads on CPU (0: PyTorch's default)")
    t.add_argument("--serve", action="store_true", help="time blocks of steps on request (see serve_blocks)")
    lg = sub.add_parser("logits")
    lg.add_argument("dir")
    lg.add_argument("ids")
    cs = sub.add_parser("coconut-step")
    cs.add_argument("--preset", default="micro", choices=sorted(PRESETS))
    cs.add_argument("--steps", type=int, default=5)
    cs.add_argument("--batch", type=int, default=8)
    cs.add_argument("--seq", type=int, default=280)
    cs.add_argument("--thoughts", type=int, default=6)
    cs.add_argument("--vocab", type=int, default=256)
    cs.add_argument("--threads", type=int, default=1, help="intra-op threads (0: PyTorch's default)")
    cs.add_argument("--serve", action="store_true", help="time blocks of steps on request (see serve_blocks)")
    d = sub.add_parser("decode")
    d.add_argument("--preset", default="nano", choices=sorted(PRESETS))
    d.add_argument("--batch", type=int, default=1)
    d.add_argument("--prompt", type=int, default=64)
    d.add_argument("--new", type=int, default=64)
    d.add_argument("--threads", type=int, default=1)
    d.add_argument("--serve", action="store_true", help="time generations on request: lines \"N BATCH\" (see serve_blocks)")
    h = sub.add_parser("hf-layout")
    h.add_argument("out_dir")
    args = ap.parse_args()
    if args.cmd == "fixtures":
        fixtures(args.out_dir)
    elif args.cmd == "coconut-step":
        coconut_step(args.preset, args.steps, args.batch, args.seq, args.thoughts, args.vocab, args.threads, args.serve)
    elif args.cmd == "logits":
        logits_of_checkpoint(args.dir, args.ids)
    elif args.cmd == "decode":
        decode(args.preset, args.batch, args.prompt, args.new, args.threads, args.serve)
    elif args.cmd == "train-step":
        train_step(args.preset, args.steps, args.batch, args.seq, args.device, args.threads, args.serve)
    else:
        hf_layout(args.out_dir)


if __name__ == "__main__":
    sys.exit(main())
