"""The GLM fits of ``ambassadors`` (learned model) and ``volunteer_candidates`` on their own inputs:
the numpy objective they used before commit ba453d8 vs the compiled one (algorithms/_glm.py).

    python bench/glm_fit_bench.py /tmp/gcrm-bench/bench-100000.duckdb
    OPENBLAS_NUM_THREADS=1 python bench/glm_fit_bench.py /tmp/gcrm-bench/bench-100000.duckdb

Runs ``ambassadors(k=30, seed=0)`` and ``volunteer_candidates(seed=0)`` on a copy of the store
(``GRAPHCRM_FRESH=1``) with the fit functions wrapped to capture their inputs, then, per captured
fit: the numpy products of one objective call (ms, mean of 20), and the whole fit with the numpy
objective and with the compiled one (wall and CPU seconds, L-BFGS evaluations, the largest
coefficient difference).  Timings depend on the load: print ``uptime`` beside them.
"""
from __future__ import annotations

import math
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np


def _numpy_objective(z, y, family):
    from scipy.special import expit

    def lg(w):
        eta = z @ w[1:] + w[0]
        if family == "binomial":
            loss = float(np.sum(np.logaddexp(0.0, eta) - y * eta))
            r = expit(eta) - y
        else:
            mu = np.exp(np.minimum(eta, 30.0))
            loss = float(np.sum(mu - y * eta))
            r = mu - y
        return loss, np.r_[r.sum(), z.T @ r]
    return lg


def _fit(z, y, family, l2, lg, nonneg):
    """L-BFGS-B as in influence_learning._fit_glm (nonneg=False) / volunteers._fit_logistic."""
    from scipy.optimize import minimize

    calls = [0]

    def f(w):
        calls[0] += 1
        loss, g = lg(w)
        loss += 0.5 * l2 * float(w[1:] @ w[1:])
        g[1:] += l2 * w[1:]
        return (loss, g) if nonneg else (loss / len(y), g / len(y))

    ybar = float(y.mean())
    b0 = math.log(ybar / (1 - ybar)) if family == "binomial" else math.log(max(ybar, 1e-6))
    bounds = [(None, None)] + [(0.0, None)] * z.shape[1] if nonneg else None
    res = minimize(f, np.r_[b0, np.zeros(z.shape[1])], jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": 500})
    return res.x, calls[0]


def main() -> int:
    os.environ["GRAPHCRM_FRESH"] = "1"
    warnings.filterwarnings("ignore")
    import graphcrm
    from graphcrm.algorithms import influence_learning as il
    from graphcrm.algorithms import volunteers as vo
    from graphcrm.algorithms._glm import loss_grad

    caps = []
    fit_glm, fit_logistic = il._fit_glm, vo._fit_logistic

    def cap_glm(x, y, *, family, l2):
        sd = x.std(axis=0)
        caps.append(("learned " + family, (x - x.mean(axis=0)) / np.where(sd > 1e-12, sd, 1.0), y.astype(float),
                     family, l2, False))
        return fit_glm(x, y, family=family, l2=l2)

    def cap_logistic(Z, y, l2, nonneg=True):
        caps.append(("volunteers", np.ascontiguousarray(Z), y.astype(float), "binomial", l2, True))
        return fit_logistic(Z, y, l2, nonneg)

    il._fit_glm, vo._fit_logistic = cap_glm, cap_logistic
    tmp = Path(tempfile.mkdtemp(prefix="gcrm-glm-"))
    shutil.copyfile(sys.argv[1], tmp / "store.duckdb")
    cg = graphcrm.open(tmp / "store.duckdb")
    cg.ambassadors(k=30, seed=0)
    cg.volunteer_candidates(seed=0)
    cg.close()
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(default)')}")
    seen = set()
    for name, z, y, family, l2, nonneg in caps:
        if (name, z.shape) in seen:
            continue
        seen.add((name, z.shape))
        w = np.full(z.shape[1] + 1, 0.05)
        eta = z @ w[1:]

        def ms(fn, reps=20):
            fn()
            t = time.perf_counter()
            for _ in range(reps):
                fn()
            return (time.perf_counter() - t) / reps * 1e3

        print(f"{name} {z.shape[0]:,} x {z.shape[1]}: z @ w {ms(lambda: z @ w[1:]):.2f} ms, z.T @ r "
              f"{ms(lambda: z.T @ eta):.2f} ms, numpy objective {ms(lambda: _numpy_objective(z, y, family)(w)):.2f} ms, "
              f"compiled {ms(lambda: loss_grad(z, y, w, family=family)):.2f} ms")
        out = {}
        for label, lg in (("numpy", _numpy_objective(z, y, family)),
                          ("compiled", lambda w_: loss_grad(z, y, w_, family=family))):
            c, t = time.process_time(), time.perf_counter()
            coef, calls = _fit(z, y, family, l2, lg, nonneg)
            out[label] = coef
            print(f"  fit, {label:8s} objective: {time.perf_counter() - t:.3f} s wall {time.process_time() - c:.3f} s CPU, "
                  f"{calls} evaluations")
        print(f"  largest coefficient difference {float(np.max(np.abs(out['numpy'] - out['compiled']))):.2e}")
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
