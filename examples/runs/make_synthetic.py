#!/usr/bin/env python3
"""examples/runs/make_synthetic.py — writes synthetic_runs.jsonl, a run-record file (DESIGN §3
"Run record") generated from a known truth, for `dwplan fit DATA --critical-depth`.

Truth (the paper's model, arXiv 2601.20994 §4.7-4.8):
  persistence length   tau(W)  = 0.9 * W**0.44
  gradient norms       g_l     = g_D * exp(-(D - l)/tau) * (1 + 0.02 N(0,1)),  l = 1..D
                       (stored input side first: grad_norms[0] is layer 1)
  critical depth       D_crit  = 2.43 * ln W
  final train loss     L       = 2.5 + 0.3 ln(D/D_crit)**2 + 0.5 (W/256)**-0.3 + 0.003 N(0,1)
  held-out loss        val_loss = L + 0.02 + 0.003 N(0,1)
for widths 64..1024 and depths 2..32, one run per shape (seed 1), all at 2e9 tokens.
Depth-2 runs have only two layers, too few for a tau; they still count for D_crit.

Standard library only; seeded, so the file is byte-for-byte reproducible:
  python3 examples/runs/make_synthetic.py > examples/runs/synthetic_runs.jsonl
"""
import json
import math
import random
import sys

WIDTHS = [64, 128, 256, 512, 1024]
DEPTHS = [2, 4, 6, 8, 12, 16, 24, 32]
TOKENS = 2_000_000_000
VOCAB = 50304
SEQ_LEN = 1024
MLP_RATIO = 4


def tau_true(w):
    return 0.9 * w ** 0.44


def dcrit_true(w):
    return 2.43 * math.log(w)


def main():
    rng = random.Random(20260121)
    out = sys.stdout
    for w in WIDTHS:
        for d in DEPTHS:
            tau = tau_true(w)
            g_out = 0.5 * (1 + 0.1 * rng.random())  # norm at the last layer
            grads = [g_out * math.exp(-(d - l) / tau) * (1 + 0.02 * rng.gauss(0, 1))
                     for l in range(1, d + 1)]
            loss = (2.5 + 0.3 * math.log(d / dcrit_true(w)) ** 2 + 0.5 * (w / 256) ** -0.3
                    + 0.003 * rng.gauss(0, 1))
            val_loss = loss + 0.02 + 0.003 * rng.gauss(0, 1)
            params_nonembed = 12 * d * w * w
            params = params_nonembed + VOCAB * w
            rec = {
                "depth": d, "width": w, "heads": max(1, w // 64), "mlp_ratio": MLP_RATIO,
                "vocab": VOCAB, "seq_len": SEQ_LEN, "params": params,
                "params_nonembed": params_nonembed, "tokens": TOKENS,
                "flops": 6 * params * TOKENS,
                "loss": round(loss, 5), "val_loss": round(val_loss, 5),
                "grad_norms": [float("%.6g" % x) for x in grads], "grad_step": 1000,
                "seed": 1, "dataset": "synthetic", "backend": "synthetic",
                "tokens_per_s": None, "status": "ok", "dwplan_version": "synthetic",
            }
            out.write(json.dumps(rec, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
