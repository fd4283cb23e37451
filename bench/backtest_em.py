"""Backtest EM-learned IC probabilities (Saito et al., KES 2008) against the simple baselines.

    python bench/backtest_em.py                              # every data set, k = 10, 50, 100
    python bench/backtest_em.py --only collegemsg --k 50
    python bench/backtest_em.py --inner                      # inside the picking period only
    python bench/backtest_em.py --variants em em_audience --episode-share 0.25 1.0 --parents sources

Labels: ``em@n0.25r`` = variant em, parents "neighbours" (n) or "sources" (s), episode share
0.25, activity factor "none" (n), "share" (s) or "recent" (r).

The library is not changed: the EM probabilities (:mod:`graphcrm.algorithms.influence_em`) are
computed on the data before the split, OPIM-C (``select_seeds``, eps 0.1, seed 0, chains of at
most 2 ties like the reach counted) picks on them, and the picks go through
:func:`graphcrm.algorithms.backtest.backtest` as its ``picks`` method, in the same call as
``ambassadors:learned`` and the simple baselines (same split, same replay, paired bootstrap).

Variants:

* ``em``: the IC graph of the EM ties alone (every pair with an exposure before the split).
* ``em_audience``: the learned model's graph (its new-audience leaves, shared-event nodes and
  the ties EM has no trials for: reverse-only, referral-only) with the EM probability on every
  tie EM estimates, i.e. only the tie estimator swapped.

The data adapters, the split and the demo's split are those of bench/backtest_real.py.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from graphcrm.algorithms.backtest import _split_time, backtest
from graphcrm.algorithms.influence import influence_graph, select_seeds
from graphcrm.algorithms.influence_em import em_influence
from graphcrm.community import Community

_spec = importlib.util.spec_from_file_location("backtest_real", Path(__file__).resolve().parent / "backtest_real.py")
br = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(br)

BASE = ["ambassadors:learned", "out_degree", "pagerank", "recent_engagers", "kocs"]
ONLY_BASELINES = ["out_degree", "pagerank", "recent_engagers", "kocs"]


#: (data set, k, method, reach, ratio) of every row printed, for the summary
CELLS: list[tuple[str, int, str, int, float]] = []


def say(text: str = "") -> None:
    print(text, flush=True)


def summary() -> None:
    """Per method over the cells: geometric mean of the ratio to the best baseline, its minimum,
    cells at >= 1.10, and cells ahead of / level with / behind ambassadors:learned."""
    df = pd.DataFrame(CELLS, columns=["set", "k", "method", "reach", "ratio"])
    if df.empty:
        return
    learned = df[df["method"] == "ambassadors:learned"].set_index(["set", "k"])["reach"]
    say(f"## summary over {df.groupby(['set', 'k']).ngroups} cells")
    say("| method | geometric mean ratio | min | cells >= 1.10 | ahead of / level with / behind learned |")
    say("|---|---|---|---|---|")
    for m, g in df.groupby("method", sort=False):
        r = g["ratio"].clip(lower=1e-3)
        lr = learned.reindex(pd.MultiIndex.from_frame(g[["set", "k"]])).to_numpy()
        rv = g["reach"].to_numpy()
        say(f"| {m} | {float(np.exp(np.log(r).mean())):.3f} | {r.min():.3f} | {int((r >= 1.10).sum())} | "
            f"{int((rv > lr).sum())} / {int((rv == lr).sum())} / {int((rv < lr).sum())} |")


def _pick(graph, n: int, elig: np.ndarray, k: int) -> np.ndarray:
    e = np.zeros(graph.n, dtype=bool)
    e[:n] = elig
    return select_seeds(graph, k=int(k), eps=0.1, seed=0, eligible=e).picks


def em_graph(ties: pd.DataFrame, n: int):
    return influence_graph(n, ties["src"].to_numpy(), ties["dst"].to_numpy(), ties["prob"].to_numpy(), max_hops=2)


def learned(train: Community, horizon_days: float):
    """The learned model of the data before the split (as ambassadors:learned fits it), or None
    when it would fall back to the weighted cascade."""
    from graphcrm.algorithms.influence_learning import MIN_POSITIVES, learn_influence

    li = learn_influence(train, horizon_days=horizon_days, coattendance="events")
    if li.info.get("positives_train", 0) < MIN_POSITIVES and li.info.get("new_audience_train", 0) < MIN_POSITIVES:
        return None
    return li


def em_audience_graph(li, n: int, ties: pd.DataFrame, calibrate: bool = False):
    """The learned model's graph with the EM probability on every tie EM estimates
    (``calibrate``: scaled so that they sum to the learned model's total on those ties, so only
    EM's ranking of the ties differs)."""
    import dataclasses

    from graphcrm.algorithms.influence_learning import learned_graph_arrays

    e = li.edges.copy()
    key = e["src"].to_numpy(np.int64) * n + e["dst"].to_numpy(np.int64)
    tkey = ties["src"].to_numpy(np.int64) * n + ties["dst"].to_numpy(np.int64)  # sorted
    pos = np.minimum(np.searchsorted(tkey, key), max(len(tkey) - 1, 0))
    hit = (tkey[pos] == key) if len(tkey) else np.zeros(len(key), bool)
    p = e["prob"].to_numpy(np.float64).copy()
    before = float(p[hit].sum())
    q = ties["prob"].to_numpy()[pos[hit]]
    if calibrate and q.sum() > 0:
        q = np.minimum(q * (before / q.sum()), 1.0)
    p[hit] = q
    e["prob"] = p
    li = dataclasses.replace(li, edges=e)
    n_ev = li.events.count if li.events is not None else 0
    n_total, src, dst, prob, _ = learned_graph_arrays(li, n)
    g = influence_graph(n_total, src, dst, prob, max_hops=2, leaf_start=n + n_ev, groups=(n, n + n_ev))
    return g, {"swapped_ties": int(hit.sum()), "learned_ties": len(e), "sum_learned": round(before, 1),
               "sum_em": round(float(p[hit].sum()), 1), "tie_model": li.info.get("tie_model")}


def run(name: str, tables: dict, ks: list[int], variants: list[str], shares: list[float], prior: float,
        bootstrap: int, inner: bool, parents: list[str], activity: list[str]) -> None:
    c = Community(br._contract_frames(tables)) if name != "demo" else Community(tables)
    if inner:
        outer = br.demo_split(tables) if name == "demo" else _split_time(c, None)[1]
        c = Community(c.tables, until=outer)
        if name == "demo":
            t0 = tables["interactions"]["created_at"].min()
            tables = {"interactions": pd.DataFrame({"created_at": [t0, outer]})}
    at = br.demo_split(tables) if name == "demo" else None
    t0, cut, t1 = _split_time(c, at)
    horizon = (t1 - cut).total_seconds() / 86400.0
    train = Community(c.tables, since=c.since, until=cut)
    n = len(train.owner_ids)
    elig = train.eligible()
    graphs = {}
    li = learned(train, horizon) if {"em_audience", "em_calibrated"} & set(variants) else None
    for share, par, act in [(s, p, a) for a in activity for p in parents for s in shares]:
        t = time.perf_counter()
        tag = f"{par[0]}{share}{act[0]}"
        ties, info = em_influence(train, horizon_days=horizon, episode_share=share, prior_trials=prior, parents=par,
                                  activity=act)
        say(f"## {name}: EM parents {par} share {share} prior {prior} activity {act}: {info['episodes']} episodes "
            f"of {info['episode_days']:.2f} d, "
            f"{info['ties']:,} ties, {info['trials']:,} trials, {info['activations']:,} activations, "
            f"mu {info['prior_mean']:.4f}, {info['iterations']} iterations (converged {info['converged']}), "
            f"loglik {info['log_likelihood']}, mean prob(H) {ties['prob'].mean():.4f}, "
            f"{time.perf_counter() - t:.1f} s")
        if "em" in variants:
            graphs[f"em@{tag}"] = (em_graph(ties, n), {})
        for v in ("em_audience", "em_calibrated"):
            if v in variants and li is not None:
                t = time.perf_counter()
                g, gi = em_audience_graph(li, n, ties, calibrate=v == "em_calibrated")
                graphs[f"{v}@{tag}"] = (g, gi)
                say(f"   {v}: {gi} ({time.perf_counter() - t:.1f} s)")
    for k in ks:
        first = True
        for label, (g, _) in graphs.items():
            t = time.perf_counter()
            sel = _pick(g, n, elig, k)
            secs = time.perf_counter() - t
            picks = train.owner_ids[sel]
            methods = BASE if first else ONLY_BASELINES
            df, a = backtest(c, at=cut, k=k, methods=methods, picks=list(picks), bootstrap=bootstrap, details=True)
            if first:
                say(f"### {name}, k = {k} ({a.owners:,} owners; picks before {a.at:%Y-%m-%d %H:%M}, reach to "
                    f"{a.end:%Y-%m-%d %H:%M}; horizon {horizon:.2f} d; best baseline {a.best_baseline})")
                say("| method | reach (95% CI) | direct | ratio to best baseline (95% CI) | active picks | s |")
                say("|---|---|---|---|---|---|")
                rows = df[df["method"] != "picks"]
            else:
                rows = df.iloc[0:0]
            r = df[df["method"] == "picks"].copy()
            r["method"] = label
            r["seconds"] = secs
            for x in pd.concat([rows, r]).itertuples(index=False):
                CELLS.append((name, k, x.method, int(x.reach), float(x.ratio_to_best_baseline)))
                say(f"| {x.method} | {x.reach:,} ({x.reach_low:,.0f}-{x.reach_high:,.0f}) | {x.direct_reach:,} | "
                    f"{x.ratio_to_best_baseline:.3f} ({x.ratio_low:.3f}-{x.ratio_high:.3f}) | {x.active_picks} | "
                    f"{x.seconds:.1f} |")
            first = False
        say()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--k", nargs="*", type=int, default=[10, 50, 100])
    ap.add_argument("--variants", nargs="*", default=["em", "em_audience"],
                    choices=["em", "em_audience", "em_calibrated"])
    ap.add_argument("--episode-share", nargs="*", type=float, default=[0.25])
    ap.add_argument("--prior-trials", type=float, default=2.0)
    ap.add_argument("--parents", nargs="*", default=["neighbours", "sources"], choices=["neighbours", "sources"])
    ap.add_argument("--activity", nargs="*", default=["none", "recent"], choices=["none", "share", "recent"])
    ap.add_argument("--demo-owners", type=int, default=5000)
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--inner", action="store_true")
    args = ap.parse_args(argv)
    names = args.only or ["demo", "stackexchange_quantumcomputing", "collegemsg", "bitcoin_otc", "higgs_twitter"]
    for name in names:
        if name == "demo":
            tables = br.demo(args.demo_owners)
        else:
            if not (br.DATA / name).exists():
                say(f"(skipped {name}: absent)")
                continue
            tables = br.SETS[name]()
        run(name, tables, args.k, args.variants, args.episode_share, args.prior_trials, args.bootstrap, args.inner,
            args.parents, args.activity)
    summary()


if __name__ == "__main__":
    sys.exit(main())
