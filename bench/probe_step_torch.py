#!/usr/bin/env python3
"""bench/probe_step_torch.py — the probe model's training step in PyTorch on the CPU, the
reference for bench/probe_step.c (issue 5's benchmark; not a test).

The same model and step as dwplan's probe (probe/model.c, DESIGN §5): GPT-NeoX layout with
sequential residuals, LayerNorm eps 1e-5, query_key_value grouped per head, RoPE
(rotate-half, theta 10000, full head) on q and k, causal softmax attention with scale
1/sqrt(HS), exact-erf GELU MLP (r = 4), final LayerNorm, untied head without bias; a step is
forward + cross-entropy + backward + clip_grad_norm_(1.0) + AdamW(lr 3e-4, betas 0.9/0.95,
eps 1e-8, weight decay 0.1 on matrices only). Written for speed within eager PyTorch 1.13:
fused qkv, batched matmuls over (B, NH), a cached causal mask and RoPE tables, AdamW with
foreach=True, set_to_none gradients.

Prints one line per shape, `W D heads tokens_per_s step_ms loss`, after a header. Run it
with OpenBLAS's OpenMP build (LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp),
which bench/probe_step.sh does: 1.5-3x faster for PyTorch than the pthread build.

    probe_step_torch.py [--threads 2] [--widths 64,128,256,512] [--depths 2,4,8]
                        [--batch 8] [--seq 256] [--vocab 256] [--min-time 3]
"""
import argparse
import math
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print("probe_step_torch: PyTorch is not installed (Debian: apt-get install -y python3-torch)",
          file=sys.stderr)
    sys.exit(77)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Block(nn.Module):
    def __init__(self, C, NH, r):
        super().__init__()
        self.NH, self.HS = NH, C // NH
        self.ln1 = nn.LayerNorm(C, eps=1e-5)
        self.qkv = nn.Linear(C, 3 * C)
        self.dense = nn.Linear(C, C)
        self.ln2 = nn.LayerNorm(C, eps=1e-5)
        self.fc = nn.Linear(C, r * C)
        self.proj = nn.Linear(r * C, C)

    def forward(self, x, cos, sin, mask):
        B, T, C = x.shape
        h = self.qkv(self.ln1(x)).view(B, T, self.NH, 3 * self.HS).transpose(1, 2)
        q, k, v = h.split(self.HS, dim=-1)                       # (B, NH, T, HS) each
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        att = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(self.HS))
        att = att.masked_fill(mask, float("-inf")).softmax(dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(B, T, C)
        x = x + self.dense(y)
        return x + self.proj(F.gelu(self.fc(self.ln2(x))))


class Model(nn.Module):
    def __init__(self, L, C, NH, V, T, r=4, std=0.02):
        super().__init__()
        self.embed = nn.Embedding(V, C)
        self.blocks = nn.ModuleList(Block(C, NH, r) for _ in range(L))
        self.lnf = nn.LayerNorm(C, eps=1e-5)
        self.head = nn.Linear(C, V, bias=False)
        HS = C // NH
        inv_freq = 1.0 / (10000 ** (torch.arange(0, HS, 2).float() / HS))
        freqs = torch.outer(torch.arange(T).float(), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos", emb.cos(), persistent=False)
        self.register_buffer("sin", emb.sin(), persistent=False)
        self.register_buffer("mask", torch.triu(torch.ones(T, T, dtype=torch.bool), 1),
                             persistent=False)
        for n, p in self.named_parameters():
            if n.endswith("bias"):
                nn.init.zeros_(p)
            elif "ln" in n:
                nn.init.ones_(p)
            else:
                s = std / math.sqrt(2 * L) if n.endswith(("dense.weight", "proj.weight")) else std
                nn.init.normal_(p, 0.0, s)

    def forward(self, idx, targets):
        T = idx.shape[1]
        x = self.embed(idx)
        cos, sin, mask = self.cos[:T], self.sin[:T], self.mask[:T, :T]
        for b in self.blocks:
            x = b(x, cos, sin, mask)
        logits = self.head(self.lnf(x))
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--widths", default="64,128,256,512")
    ap.add_argument("--depths", default="2,4,8")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--vocab", type=int, default=256)
    ap.add_argument("--min-time", type=float, default=3.0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    B, T, V = a.batch, a.seq, a.vocab
    tok = torch.randint(0, V, (B, T + 1))
    x, y = tok[:, :-1].contiguous(), tok[:, 1:].contiguous()
    print(f"# torch {torch.__version__} threads={torch.get_num_threads()} batch={B} seq={T} "
          f"vocab={V}")
    print(f"# {'W':>5} {'D':>3} {'heads':>5} {'tokens_s':>11} {'step_ms':>9} {'loss':>8}")
    sys.stdout.flush()
    for W in [int(w) for w in a.widths.split(",")]:
        for D in [int(d) for d in a.depths.split(",")]:
            NH = max(W // 64, 1)
            m = Model(D, W, NH, V, T)
            decay = [p for n, p in m.named_parameters() if p.dim() == 2]
            other = [p for n, p in m.named_parameters() if p.dim() != 2]
            opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                                     {"params": other, "weight_decay": 0.0}],
                                    lr=3e-4, betas=(0.9, 0.95), eps=1e-8, foreach=True)
            # windows of >= 1 s (>= 2 steps) until min-time has passed; the fastest
            # window counts (as in probe_step.c)
            total, best, w_time, w_steps, it = 0.0, float("inf"), 0.0, 0, 0
            while True:
                t0 = time.perf_counter()
                loss = m(x, y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
                opt.step()
                dt = time.perf_counter() - t0
                it += 1
                if it == 1:
                    continue  # warm-up
                total += dt
                w_time += dt
                w_steps += 1
                if w_steps >= 2 and w_time >= 1.0:
                    best = min(best, w_time / w_steps)
                    w_time, w_steps = 0.0, 0
                    if total >= a.min_time:
                        break
            print(f"  {W:5d} {D:3d} {NH:5d} {B * T / best:11.0f} {1e3 * best:9.1f} "
                  f"{loss.item():8.4f}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
