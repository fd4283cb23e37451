"""Influence-maximization benchmark: graphcrm's OPIM-C vs pynetim, top-degree and top-PageRank.

IC model with weighted-cascade probabilities (p(u->v) = 1/in-degree(v)), k = 50, on

* ``random``: a seeded random directed graph with 100,000 nodes and 1,000,000 distinct edges
  (uniform endpoints, no self-loops);
* ``higgs``: the Higgs retweet network (../shared/data/higgs_twitter): "A B w" means A
  retweeted B, so influence flows B -> A; repeated retweets count once (256,491 nodes,
  327,374 distinct edges).

Every method runs in its own subprocess (a fresh interpreter) and reports its wall time and
its peak RSS (``VmHWM`` from ``/proc/self/status``: the high-water mark of that process,
which includes the interpreter, the libraries and the graph; ``getrusage``'s ``ru_maxrss``
is not used because a child inherits the parent's value at fork) and the RSS before the
algorithm started.
graphcrm's time excludes numba's JIT compilation: the kernels are cached on disk
(``cache=True``) and each worker first runs a small warm-up; the compile time from an
empty cache is measured separately (``graphcrm-compile``).  pynetim (PyPI, C++ backend,
single-threaded) is a bench-only dependency.  pynetim runs that exceed ``--timeout`` are
killed and reported as such.  Finally the Monte Carlo spread of every seed set is measured
with the same compiled IC simulation (``--mc-runs`` runs, the same random worlds for every
set).

Usage::

    python bench/im_bench.py                      # both graphs, eps 0.5 and 0.1
    python bench/im_bench.py --graphs random --eps 0.5 --timeout 120 --mc-runs 2000
    python bench/im_bench.py --community 20000    # ambassador spread on the demo community (k = 30)

Not run by the tests.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CACHE = Path(tempfile.gettempdir()) / "graphcrm-im-bench"
METHODS = ("graphcrm", "pynetim-imm", "pynetim-opimc", "top-degree", "top-pagerank")
RANDOM_N, RANDOM_M, RANDOM_SEED = 100_000, 1_000_000, 20240601


# ----------------------------------------------------------------------------- graphs
def _random_graph() -> tuple[int, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(RANDOM_SEED)
    n, m = RANDOM_N, RANDOM_M
    keys = np.zeros(0, dtype=np.int64)
    while keys.size < m:
        s = rng.integers(0, n, 2 * (m - keys.size) + 1000)
        d = rng.integers(0, n, s.size)
        k = s[s != d] * n + d[s != d]
        keys = np.unique(np.r_[keys, k])
    keys = rng.permutation(keys)[:m]
    return n, (keys // n).astype(np.int64), (keys % n).astype(np.int64)


def _higgs_graph() -> tuple[int, np.ndarray, np.ndarray]:
    path = DATA / "higgs_twitter" / "higgs-retweet_network.edgelist.gz"
    if not path.exists():
        raise SystemExit(f"Higgs data not found at {path}")
    with gzip.open(path, "rt") as fh:
        arr = np.loadtxt(fh, dtype=np.int64, usecols=(0, 1))
    retweeter, author = arr[:, 0], arr[:, 1]
    ids, inv = np.unique(np.r_[author, retweeter], return_inverse=True)
    src, dst = inv[: len(author)], inv[len(author):]  # influence: author -> retweeter
    ok = src != dst
    n = len(ids)
    keys = np.unique(src[ok] * n + dst[ok])
    return n, keys // n, keys % n


def load_graph(name: str) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """``(n, src, dst, p)`` with weighted-cascade probabilities, cached in the temp dir."""
    CACHE.mkdir(parents=True, exist_ok=True)
    f = CACHE / f"{name}.npz"
    if f.exists():
        z = np.load(f)
        n, src, dst = int(z["n"]), z["src"], z["dst"]
    else:
        n, src, dst = {"random": _random_graph, "higgs": _higgs_graph}[name]()
        np.savez(f, n=n, src=src, dst=dst)
    indeg = np.bincount(dst, minlength=n)
    return n, src, dst, 1.0 / indeg[dst]


# ----------------------------------------------------------------------------- workers
def _status_mb(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _rss_mb() -> float:
    """Peak RSS of this process (VmHWM; ``ru_maxrss`` would include the parent's RSS at fork)."""
    return _status_mb("VmHWM")


def _current_rss_mb() -> float:
    return _status_mb("VmRSS")


def worker(method: str, graph: str, eps: float, k: int) -> dict:
    n, src, dst, p = load_graph(graph)
    out: dict = {"method": method, "graph": graph, "eps": eps, "k": k, "n": n, "m": int(src.size)}
    if method in ("graphcrm", "graphcrm-compile"):
        t = time.perf_counter()
        from graphcrm.algorithms import influence as im

        tiny = im.influence_graph(3, [0, 1], [1, 2], [0.5, 0.5])
        im.select_seeds(tiny, k=1, seed=0)  # loads (or compiles) every kernel used below
        out["warmup_s"] = time.perf_counter() - t
        if method == "graphcrm-compile":
            return out
        t = time.perf_counter()
        g = im.influence_graph(n, src, dst, p)
        out["prep_s"] = time.perf_counter() - t
        del src, dst, p
        out["rss_before_mb"] = _current_rss_mb()
        t = time.perf_counter()
        sel = im.select_seeds(g, k=k, eps=eps, seed=0)
        out["time_s"] = time.perf_counter() - t
        out["seeds"] = sel.picks.tolist()
        out["rr_sets"] = [sel.r1_sets, sel.r2_sets]
        out["rr_entries"] = sel.rr_entries
        out["approx"] = sel.approximation
        out["iterations"] = sel.iterations
        out["stages"] = sel.seconds
        out["rr_estimate"] = sel.reach
        out["threads"] = __import__("numba").get_num_threads()
    elif method.startswith("pynetim"):
        import pynetim

        t = time.perf_counter()
        G = pynetim.IMGraph(list(zip(src.tolist(), dst.tolist())), weights=p.tolist(), directed=True, renumber=False)
        out["prep_s"] = time.perf_counter() - t
        del src, dst, p
        out["rss_before_mb"] = _current_rss_mb()
        t = time.perf_counter()
        if method == "pynetim-imm":
            seeds = pynetim.IMMAlgorithm(G, model="IC", epsilon=eps, random_seed=0).run(k=k)
        else:
            seeds = pynetim.OPIMCAlgorithm(G, "IC", random_seed=0).run(k=k, epsilon=eps)
        out["time_s"] = time.perf_counter() - t
        out["seeds"] = sorted(int(s) for s in seeds)
    elif method == "top-degree":
        out["rss_before_mb"] = _current_rss_mb()
        t = time.perf_counter()
        deg = np.bincount(src, minlength=n)  # out-degree of influence = in-degree engager->author
        out["seeds"] = np.lexsort((np.arange(n), -deg))[:k].tolist()
        out["time_s"] = time.perf_counter() - t
    elif method == "top-pagerank":
        import igraph as ig

        t = time.perf_counter()
        G = ig.Graph(n=n, edges=np.column_stack([dst, src]), directed=True)  # engager -> author
        out["prep_s"] = time.perf_counter() - t
        out["rss_before_mb"] = _current_rss_mb()
        t = time.perf_counter()
        pr = np.asarray(G.pagerank(directed=True))
        out["seeds"] = np.lexsort((np.arange(n), -pr))[:k].tolist()
        out["time_s"] = time.perf_counter() - t
    else:
        raise SystemExit(f"unknown method {method}")
    out["peak_rss_mb"] = _rss_mb()
    return out


def run_worker(method: str, graph: str, eps: float, k: int, timeout: float, env: dict | None = None) -> dict:
    cmd = [sys.executable, __file__, "--worker", method, "--graphs", graph, "--eps", str(eps), "--k", str(k)]
    t = time.perf_counter()
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"method": method, "graph": graph, "eps": eps, "timeout": timeout}
    if res.returncode != 0:
        return {"method": method, "graph": graph, "eps": eps, "error": res.stderr.strip().splitlines()[-1:]}
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["process_s"] = time.perf_counter() - t
    return out


# ----------------------------------------------------------------------------- demo community
def community_validation(n_owners: int, k: int, mc_runs: int, seed: int = 0) -> None:
    """Ambassador spread on the demo community: our picks vs the obvious alternatives.

    Every seed set is limited to owners who may be targeted (not staff, not opted out) and is
    scored by the same Monte Carlo IC simulation on the influence graph that
    :func:`graphcrm.algorithms.influence.ambassadors` builds (weighted cascade).
    """
    import igraph as ig

    from graphcrm.algorithms import influence as im
    from graphcrm.algorithms.koc import kocs
    from graphcrm.community import Community
    from graphcrm.demo import generate_demo

    t = time.perf_counter()
    tables, _ = generate_demo(n_owners, seed=seed)
    c = Community(tables)
    print(f"# demo community: {n_owners:,} owners (seed {seed}), built in {time.perf_counter() - t:.1f} s; "
          f"k = {k}; Monte Carlo {mc_runs:,} runs per set")
    ids = c.owner_ids
    n = len(ids)
    edges = im.influence_edges(c)
    prob = im.edge_probabilities(edges, n)
    g = im.influence_graph(n, edges["src"].to_numpy(), edges["dst"].to_numpy(), prob)
    elig = c.eligible()
    order = lambda score: [v for v in np.lexsort((np.arange(n), -np.asarray(score, float))) if elig[v]][:k]  # noqa: E731
    sets: dict[str, list[int]] = {}
    times: dict[str, float] = {}
    for eps in (0.5, 0.1):
        t = time.perf_counter()
        df = im.ambassadors(c, k=k, eps=eps, mc_runs=0, seed=seed, probability="wc")  # the graph g above
        times[f"ambassadors eps={eps}"] = time.perf_counter() - t
        sets[f"ambassadors (OPIM-C, eps={eps})"] = c.index_of(df["owner_id"]).tolist()
    sets["top direct reach (out-degree)"] = order(np.bincount(edges["src"], minlength=n))
    ii = c.graph("interactions")
    sets["top PageRank (engager -> author)"] = order(ii.pagerank(weights="weight", directed=True))
    kk = kocs(c)
    sets["top KOC score"] = [v for v in c.index_of(kk["owner_id"]).tolist() if v >= 0 and elig[v]][:k]
    rng = np.random.default_rng(seed)
    sets["random eligible owners"] = rng.choice(np.flatnonzero(elig), size=k, replace=False).tolist()
    rows = []
    for name, seeds in sets.items():
        mc = im.spread_mc(g, seeds, runs=mc_runs, seed=777)
        rows.append((name, mc))
    best = max(mc["mean"] for _, mc in rows)
    print("\n| seed set | expected reach (MC, 95% CI) | vs ambassadors eps=0.1 |")
    print("|---|---|---:|")
    ref = dict(rows)["ambassadors (OPIM-C, eps=0.1)"]["mean"]
    for name, mc in rows:
        print(f"| {name} | {mc['mean']:,.0f} ({mc['ci_low']:,.0f}-{mc['ci_high']:,.0f}) | "
              f"{100 * (mc['mean'] / ref - 1):+.1f}% |")
    print(f"\nbest set: {max(rows, key=lambda r: r[1]['mean'])[0]} ({best:,.0f}); "
          + ", ".join(f"{k_} {v:.1f} s" for k_, v in times.items()))


# ----------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--graphs", default="random,higgs")
    ap.add_argument("--eps", default="0.5,0.1")
    ap.add_argument("--k", type=int, default=None, help="Seeds to pick (default 50; 30 with --community).")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--mc-runs", type=int, default=10_000)
    ap.add_argument("--timeout", type=float, default=600.0, help="Seconds before a worker is killed.")
    ap.add_argument("--repeat", type=int, default=1, help="Runs of graphcrm per setting (the fastest is kept).")
    ap.add_argument("--json", type=Path, default=None, help="Also write all results to this JSON file.")
    ap.add_argument("--community", type=int, default=None, metavar="OWNERS",
                    help="Instead: ambassador spread on a demo community of this many owners (docs/validation.md).")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.community:
        community_validation(a.community, a.k or 30, a.mc_runs)
        return
    a.k = a.k or 50
    if a.worker:
        print(json.dumps(worker(a.worker, a.graphs, float(a.eps), a.k)))
        return

    graphs = a.graphs.split(",")
    epss = [float(x) for x in a.eps.split(",")]
    methods = a.methods.split(",")
    print(f"# machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average at start {os.getloadavg()[0]:.2f}; python {platform.python_version()}")
    results = []
    with tempfile.TemporaryDirectory() as cold:
        env = dict(os.environ, NUMBA_CACHE_DIR=cold)
        r = run_worker("graphcrm-compile", graphs[0], epss[0], a.k, a.timeout, env=env)
        print(f"numba JIT compile of the kernels from an empty cache: {r.get('warmup_s', float('nan')):.1f} s "
              f"(excluded from the timings below; later runs load the cache)")
        results.append(r)
    for graph in graphs:
        n, src, dst, p = load_graph(graph)
        print(f"\n## {graph}: {n:,} nodes, {src.size:,} edges, IC weighted cascade, k = {a.k}")
        rows = []
        for method in methods:
            for eps in (epss if method.startswith(("graphcrm", "pynetim")) else [None]):
                reps = a.repeat if method == "graphcrm" else 1
                best = None
                for _ in range(reps):
                    r = run_worker(method, graph, eps if eps is not None else 0.0, a.k, a.timeout)
                    if best is None or r.get("time_s", 1e18) < best.get("time_s", 1e18):
                        best = r
                best["eps"] = eps
                rows.append(best)
                print(f"  {method} eps={eps}: " + (f"{best['time_s']:.2f} s, peak RSS {best['peak_rss_mb']:.0f} MB"
                                                   if "time_s" in best else
                                                   ("timeout" if "timeout" in best else f"error {best.get('error')}")),
                      flush=True)
        from graphcrm.algorithms import influence as im

        g = im.influence_graph(n, src, dst, p)
        for r in rows:
            if "seeds" in r:
                t = time.perf_counter()
                r["mc"] = im.spread_mc(g, r["seeds"], runs=a.mc_runs, seed=777)
                r["mc_s"] = time.perf_counter() - t
        best_mc = max(r["mc"]["mean"] for r in rows if "mc" in r)
        print(f"\n| method | eps | time (s) | peak RSS (MB) | RSS growth (MB) | RR sets | MC spread (95% CI) | vs best |")
        print("|---|---|---:|---:|---:|---:|---|---:|")
        for r in rows:
            eps = "" if r.get("eps") is None else f"{r['eps']:g}"
            if "mc" not in r:
                why = f"killed after {r['timeout']:.0f} s" if "timeout" in r else f"error: {r.get('error')}"
                print(f"| {r['method']} | {eps} | {why} | | | | | |")
                continue
            mc = r["mc"]
            growth = r["peak_rss_mb"] - r.get("rss_before_mb", float("nan"))
            rrs = f"{r['rr_sets'][0]:,} + {r['rr_sets'][1]:,}" if "rr_sets" in r else ""
            print(f"| {r['method']} | {eps} | {r['time_s']:.2f} | {r['peak_rss_mb']:.0f} | {growth:.0f} | {rrs} | "
                  f"{mc['mean']:,.0f} ({mc['ci_low']:,.0f}-{mc['ci_high']:,.0f}) | "
                  f"{100 * (mc['mean'] / best_mc - 1):+.1f}% |")
        for r in rows:
            if r["method"] == "graphcrm" and "stages" in r:
                st = r["stages"]
                print(f"  graphcrm eps={r['eps']:g}: {r['iterations']} OPIM-C rounds, {r['rr_entries']:,} node ids in "
                      f"R1+R2, certified ratio {r['approx']:.3f}, sampling {st['sampling']:.2f} s, greedy "
                      f"{st['greedy']:.2f} s, validation {st['validation']:.2f} s, {r['threads']} threads, "
                      f"RR estimate {r['rr_estimate']:,.0f}")
        results.extend(rows)
    if a.json:
        a.json.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
