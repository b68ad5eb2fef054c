#!/usr/bin/env python3
"""tests/torch_crosscheck.py — dwplan's probe model against an independent PyTorch model.

    python3 tests/torch_crosscheck.py DWPLAN [--workdir DIR] [--tol 1e-4] [--keep]

For a few small configurations (with and without biases, one and several heads) it
  1. trains a probe model a few steps with `dwplan probe run ... --checkpoint DIR` (so every
     parameter, biases and LayerNorm included, is away from its initial value),
  2. writes a random batch and asks `dwplan probe eval --batch-file --grads` for our loss and
     gradients (fp32),
  3. loads the checkpoint directory into a reference model in float64:
       - transformers' GPTNeoXForCausalLM.from_pretrained(DIR) when transformers is
         installed (it reads our config.json and model.safetensors as they are), for models
         with biases (HF's GPT-NeoX MLP always has them);
       - otherwise the small GPT-NeoX written below from the Hugging Face definition
         (modeling_gpt_neox.py: Pre-LN blocks with use_parallel_residual false,
         query_key_value rows grouped per head as (NH, 3, HS), rotate-half RoPE on the full
         head with inv_freq = 1/base^(2i/HS), causal softmax(q·k/sqrt(HS)), exact-erf GELU,
         final LayerNorm, untied embed_out without bias),
  4. compares the loss and every parameter's gradient: relative error <= tol (gradients
     norm-wise per tensor: ||g_dwplan - g_ref|| / ||g_ref||).

safetensors files are read with the standard library (8-byte little-endian header length,
JSON header, raw little-endian float32), so the check needs only torch.
Exit: 0 pass, 1 fail, 77 torch missing. Ends with "torch_crosscheck: N passed, N failed".
"""
import argparse
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("torch_crosscheck: torch is not installed (Debian: python3-torch): skipped")
    sys.exit(77)

try:
    import transformers  # noqa: F401
    from transformers import GPTNeoXForCausalLM
    HAVE_HF = True
except Exception:
    HAVE_HF = False


def read_safetensors(path):
    """name -> float64 tensor, and the metadata dict."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    assert n % 8 == 0, "header length %d is not a multiple of 8" % n
    header = json.loads(data[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, t in header.items():
        assert t["dtype"] == "F32", (name, t["dtype"])
        b, e = t["data_offsets"]
        count = e - b
        assert count == 4 * math.prod(t["shape"]), (name, t)
        vals = struct.unpack("<%df" % (count // 4), data[base + b:base + e])
        out[name] = torch.tensor(vals, dtype=torch.float64).reshape(t["shape"])
    return out, meta


# ---------------------------------------------------------------------------
# the reference model (float64), from the Hugging Face GPT-NeoX definition

def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def neox_forward(P, cfg, ids):
    """Logits (B, T, V) of a GPT-NeoX model with parameters P (name -> tensor)."""
    B, T = ids.shape
    C, L, NH = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"]
    HS, eps = C // NH, cfg.get("layer_norm_eps", 1e-5)
    base = cfg.get("rotary_emb_base", cfg.get("rope_theta", 10000))
    rot = int(HS * cfg.get("rotary_pct", 1.0))
    assert not cfg.get("use_parallel_residual", False)
    inv_freq = 1.0 / (base ** (torch.arange(0, rot, 2, dtype=torch.float64) / rot))
    freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()  # (T, rot)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))

    def ln(x, name):
        return F.layer_norm(x, (C,), P[name + ".weight"], P.get(name + ".bias"), eps)

    def lin(x, name):
        return F.linear(x, P[name + ".weight"], P.get(name + ".bias"))

    x = P["gpt_neox.embed_in.weight"][ids]
    for l in range(L):
        pre = "gpt_neox.layers.%d." % l
        h = ln(x, pre + "input_layernorm")
        qkv = lin(h, pre + "attention.query_key_value").view(B, T, NH, 3 * HS)
        q = qkv[..., :HS].permute(0, 2, 1, 3)
        k = qkv[..., HS:2 * HS].permute(0, 2, 1, 3)
        v = qkv[..., 2 * HS:].permute(0, 2, 1, 3)
        q = torch.cat((q[..., :rot] * cos + rotate_half(q[..., :rot]) * sin, q[..., rot:]), -1)
        k = torch.cat((k[..., :rot] * cos + rotate_half(k[..., :rot]) * sin, k[..., rot:]), -1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(HS)
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).permute(0, 2, 1, 3).reshape(B, T, C)
        x = x + lin(y, pre + "attention.dense")
        h = ln(x, pre + "post_attention_layernorm")
        act = cfg.get("hidden_act", "gelu")
        assert act == "gelu", act
        x = x + lin(F.gelu(lin(h, pre + "mlp.dense_h_to_4h")), pre + "mlp.dense_4h_to_h")
    x = ln(x, "gpt_neox.final_layer_norm")
    return F.linear(x, P["embed_out.weight"])


def reference(ckdir, cfg, ids, targets):
    """(loss, {name: grad}, which) in float64."""
    if HAVE_HF and cfg.get("attention_bias", True) and cfg.get("dwplan", {}).get("biases", True):
        model = GPTNeoXForCausalLM.from_pretrained(ckdir, torch_dtype=torch.float64,
                                                   attn_implementation="eager")
        model.eval()
        logits = model(input_ids=ids).logits
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        loss.backward()
        grads = {n: p.grad.detach() for n, p in model.named_parameters() if p.grad is not None}
        return loss.item(), grads, "transformers GPTNeoXForCausalLM %s" % transformers.__version__
    P, _ = read_safetensors(os.path.join(ckdir, "model.safetensors"))
    for t in P.values():
        t.requires_grad_(True)
    logits = neox_forward(P, cfg, ids)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    loss.backward()
    return loss.item(), {n: t.grad for n, t in P.items()}, "independent GPT-NeoX (torch %s)" % torch.__version__


# ---------------------------------------------------------------------------

CONFIGS = [
    # name, dwplan run arguments, batch rows, tokens per row
    ("biases, 2 heads", ["--depth", "2", "--width", "32", "--heads", "2"], 3, 12),
    ("no biases, 1 head", ["--depth", "3", "--width", "16", "--no-biases"], 2, 16),
    ("4 heads, mlp ratio 2", ["--depth", "1", "--width", "32", "--heads", "4", "--mlp-ratio", "2"], 2, 9),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dwplan")
    ap.add_argument("--workdir")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    work = a.workdir or tempfile.mkdtemp(prefix="dwplan_torch_")
    os.makedirs(work, exist_ok=True)
    torch.set_num_threads(1)
    passed = failed = 0
    try:
        for k, (name, args, B, T) in enumerate(CONFIGS):
            ck = os.path.join(work, "ck%d" % k)
            run = [a.dwplan, "probe", "run", *args, "--steps", "4", "--batch", "2", "--seq", "16",
                   "--lr", "1e-2", "--val-batches", "1", "--synthetic-tokens", "65536",
                   "--threads", "1", "--quiet", "--checkpoint", ck]
            subprocess.run(run, check=True, stdout=subprocess.DEVNULL)
            cfg = json.load(open(os.path.join(ck, "config.json")))
            g = torch.Generator().manual_seed(1234 + k)
            V = cfg["vocab_size"]
            ids = torch.randint(0, V, (B, T), generator=g)
            targets = torch.randint(0, V, (B, T), generator=g)
            batch = os.path.join(work, "batch%d.json" % k)
            with open(batch, "w") as f:
                json.dump({"inputs": ids.tolist(), "targets": targets.tolist()}, f)
            gfile = os.path.join(work, "grads%d.safetensors" % k)
            out = subprocess.run([a.dwplan, "probe", "eval", "--checkpoint", ck, "--batch-file",
                                  batch, "--grads", gfile, "--threads", "1", "--json"],
                                 check=True, capture_output=True, text=True).stdout
            ours_loss = json.loads(out)["loss"]
            ours_grads, meta = read_safetensors(gfile)
            ref_loss, ref_grads, which = reference(ck, cfg, ids, targets)
            print("%s (%s):" % (name, which))
            err = abs(ours_loss - ref_loss) / abs(ref_loss)
            ok = err <= a.tol
            print("  loss dwplan %.9f reference %.9f rel err %.2e %s" %
                  (ours_loss, ref_loss, err, "ok" if ok else "FAIL"))
            passed, failed = passed + ok, failed + (not ok)
            missing = set(ref_grads) ^ set(ours_grads)
            if missing:
                print("  tensors in only one model: %s FAIL" % sorted(missing))
                failed += 1
            worst, worst_name = 0.0, ""
            for n in sorted(set(ref_grads) & set(ours_grads)):
                r, o = ref_grads[n], ours_grads[n]
                if r.shape != o.shape:
                    print("  %s: shape %s vs %s FAIL" % (n, tuple(o.shape), tuple(r.shape)))
                    failed += 1
                    continue
                e = (o - r).norm().item() / max(r.norm().item(), 1e-30)
                if e > worst:
                    worst, worst_name = e, n
                if e <= a.tol:
                    passed += 1
                else:
                    failed += 1
                    print("  %s: gradient rel err %.2e FAIL" % (n, e))
            print("  %d gradients, largest rel err %.2e (%s)" %
                  (len(ref_grads), worst, worst_name))
    finally:
        if not a.keep and not a.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print("torch_crosscheck: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
