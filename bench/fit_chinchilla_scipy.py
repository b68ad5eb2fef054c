#!/usr/bin/env python3
"""Baseline for bench/fit_chinchilla.sh (a benchmark, not a test).

Epoch AI's replication of the Chinchilla Approach-3 fit, done with scipy:
on the 240 rows of epoch_chinchilla.csv with epoch_outlier_excluded == 0, minimise

    sum_i huber(1e-3, LSE(a - alpha*log N_i, b - beta*log D_i, e) - log L_i)

(scipy.special.huber) with scipy.optimize.minimize(method='L-BFGS-B') and an analytic
gradient, from each point of the Hoffmann/Epoch grid
    e in {-1, -0.5, ..., 1}, a, b in {0, 5, ..., 25}, alpha, beta in {0, 0.5, ..., 2}
(5*6*6*5*5 = 4500 starts), and keep the best.

    fit_chinchilla_scipy.py [--starts K] [--csv PATH]

--starts K runs K of the 4500 starts, evenly spaced through the grid, and extrapolates
the time linearly to 4500 (the output says so). Exit 77 when scipy is missing.
"""
import argparse
import csv
import itertools
import os
import sys
import time

try:
    import numpy as np
    from scipy.optimize import minimize
    from scipy.special import huber, logsumexp
    import scipy
except ImportError as err:  # pragma: no cover
    print(f"fit_chinchilla_scipy.py: {err}; install the Debian package python3-scipy "
          f"(apt-get install -y python3-scipy) and run with /usr/bin/python3", file=sys.stderr)
    sys.exit(77)

DELTA = 1e-3
FULL = 4500


def grid():
    es = np.arange(-1.0, 1.0 + 1e-9, 0.5)      # 5
    abs_ = np.arange(0.0, 25.0 + 1e-9, 5.0)    # 6
    exps = np.arange(0.0, 2.0 + 1e-9, 0.5)     # 5
    # parameter order: a, b, e, alpha, beta (Epoch's order)
    return [np.array([a, b, e, al, be])
            for e, a, b, al, be in itertools.product(es, abs_, abs_, exps, exps)]


def load(path):
    logN, logD, logL = [], [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if float(row["epoch_outlier_excluded"]) != 0:
                continue
            logN.append(np.log(float(row["params_N"])))
            logD.append(np.log(float(row["tokens_D"])))
            logL.append(np.log(float(row["loss"])))
    return np.array(logN), np.array(logD), np.array(logL)


def make_objective(logN, logD, logL):
    n = len(logL)

    def f(p):
        a, b, e, al, be = p
        t = np.empty((3, n))
        t[0] = a - al * logN
        t[1] = b - be * logD
        t[2] = e
        lse = logsumexp(t, axis=0)
        r = lse - logL
        val = np.sum(huber(DELTA, r))
        w = np.exp(t - lse)                    # softmax weights, d lse / d(a, b, e)
        g = np.clip(r, -DELTA, DELTA)          # d huber / d r
        gw0, gw1 = g * w[0], g * w[1]
        grad = np.array([gw0.sum(), gw1.sum(), (g * w[2]).sum(),
                         -(gw0 * logN).sum(), -(gw1 * logD).sum()])
        return val, grad

    return f


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=FULL,
                    help="run K of the 4500 grid starts, evenly spaced (default all)")
    ap.add_argument("--csv", default=os.path.join(here, "..", "datasets", "public",
                                                  "epoch_chinchilla.csv"))
    args = ap.parse_args()
    if not 1 <= args.starts <= FULL:
        ap.error(f"--starts must be in [1, {FULL}]")

    logN, logD, logL = load(args.csv)
    f = make_objective(logN, logD, logL)
    starts = grid()
    assert len(starts) == FULL
    if args.starts < FULL:
        idx = np.unique(np.round(np.linspace(0, FULL - 1, args.starts)).astype(int))
        starts = [starts[i] for i in idx]
    k = len(starts)

    best = None
    t0 = time.perf_counter()
    for x0 in starts:
        res = minimize(f, x0, jac=True, method="L-BFGS-B")
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    secs = time.perf_counter() - t0

    a, b, e, al, be = best.x
    print(f"scipy {scipy.__version__} numpy {np.__version__}: {len(logL)} rows, "
          f"L-BFGS-B with analytic gradient, huber delta {DELTA:g}")
    print(f"starts {k}")
    if k < FULL:
        print(f"seconds {secs * FULL / k:.3f} (extrapolated from {k} starts: {secs:.3f} s "
              f"measured)")
    else:
        print(f"seconds {secs:.3f}")
    print(f"objective {best.fun:.10g}")
    print(f"objective_repr {best.fun!r}")
    print(f"E {np.exp(e):.6g} A {np.exp(a):.6g} B {np.exp(b):.6g} "
          f"alpha {al:.6g} beta {be:.6g}")


if __name__ == "__main__":
    main()
