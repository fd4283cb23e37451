"""Trial (not the default): consensus across resolutions and engines on the labelled real networks.

    python bench/circles_ensemble_trial.py            # about 2 minutes on 2 shared cores
    python bench/circles_ensemble_trial.py --demo     # the levels variant on the 20,000-owner demo
    python bench/circles_ensemble_trial.py --split    # splitting circles by a rewiring significance test
    python bench/circles_ensemble_trial.py --select   # Leiden or Infomap per network by asymptotical surprise

What it measures, next to the baselines computed in the same run (networkx Louvain, igraph
Leiden modularity, igraph Infomap; seeds 0-4, mean): for each variant, the circles of master
seeds 0, 1, 2 against the labels (NMI / ARI of seed 0) and the smallest NMI between the three
(seed stability).  The variants pool runs before one consensus (Lancichinetti & Fortunato 2012,
on existing ties, as ``circles()`` does):

* ``levels``: 10 Leiden-modularity runs (converged, ``n_iterations=-1``) at each of the three
  levels of the default granularity band (0.71, 1, 1.41) - a multiresolution consensus in the
  spirit of Jeub et al. (2018) - instead of keeping the single most seed-stable level;
* ``levels + Infomap``: the same plus 10 Infomap runs (consensus across engines).

The consensus rounds re-run Leiden modularity at resolution 1 on the consensus graph.  Results
and why neither became the default: docs/validation.md ("What was tried for quality").
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validate_circles import baselines, labelled_sets, planted_demo  # noqa: E402

from graphcrm.algorithms.circles import (  # noqa: E402
    _agreement,
    _consensus,
    _graph,
    _run_once,
    circles,
    combined_graph,
    compare_partitions,
)
from graphcrm.community import Community  # noqa: E402

VARIANTS = {"levels": dict(levels=(0.71, 1.0, 1.41), infomap=False),
            "levels + Infomap": dict(levels=(0.71, 1.0, 1.41), infomap=True)}


def pooled_consensus(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, *, levels: tuple[float, ...],
                     infomap: bool, seed: int, k: int = 10) -> np.ndarray:
    """One consensus over k converged Leiden runs per level (and k Infomap runs)."""
    g = _graph(n, u, v, w)
    wl = w.tolist()
    seeds = [int(s) for s in np.random.SeedSequence(seed).generate_state(200, dtype=np.uint32) % (2 ** 31 - 1)]
    parts, i = [], 0
    for level in levels:
        for _ in range(k):
            parts.append(_run_once(g, wl, method="modularity", resolution=level, seed=seeds[i], n_iterations=-1,
                                   engine="igraph"))
            i += 1
    if infomap:
        for _ in range(k):
            parts.append(_run_once(g, wl, method="infomap", resolution=None, seed=seeds[i], n_iterations=-1,
                                   engine="igraph"))
            i += 1

    def rerun(a, b, d, r):
        gg = _graph(n, a, b, d)
        return [_run_once(gg, d.tolist(), method="modularity", resolution=1.0, seed=seeds[100 + 10 * r + s],
                          n_iterations=-1, engine="igraph") for s in range(k)]

    return _consensus(n, u, v, parts, rerun)[0]


def demo(n: int = 20_000) -> None:
    """The *levels* variant on the demo community against its planted city and city x hobby circles."""
    c, _, planted, city = planted_demo(n)
    u, v, w = combined_graph(c)
    tied = np.zeros(len(c.owner_ids), dtype=bool)
    tied[u] = tied[v] = True
    pos = np.cumsum(tied) - 1
    d = circles(c).set_index("owner_id").loc[c.owner_ids, "circle"].to_numpy()[tied]
    p = pooled_consensus(int(tied.sum()), pos[u], pos[v], w, seed=0, **VARIANTS["levels"])
    print(f"| demo {n:,} owners | city NMI / ARI | city x hobby NMI / ARI |")
    print("|---|---|---|")
    for label, m in (("graphcrm default", d), ("levels", p)):
        a, b = compare_partitions(city[tied], m), compare_partitions(planted[tied], m)
        print(f"| {label} ({len(set(m))} circles) | {a['nmi']:.3f} / {a['ari']:.3f} | {b['nmi']:.3f} / {b['ari']:.3f} |")


def split_trial(z_min: float = 3.0) -> None:
    """Split every circle of 10+ owners again when Leiden (resolution 1) on its own ties beats a
    degree-preserving rewiring of them (weights shuffled; 5 rewirings) by more than ``z_min``
    standard deviations of modularity."""
    import random

    def leiden(sub, wl, seed):
        p = _run_once(sub, wl, method="modularity", resolution=1.0, seed=seed, n_iterations=-1, engine="igraph")
        return p, sub.modularity(p.tolist(), weights=wl)

    print("| network | graphcrm default | split when z > %g |" % z_min)
    print("|---|---|---|")
    rows = []
    for name, frames, lab in labelled_sets():
        c = Community.from_frames(frames)
        ids = c.owner_ids
        truth = lab.reindex(ids)
        known = truth.notna().to_numpy()
        memb = circles(c).set_index("owner_id").loc[ids, "circle"].to_numpy()
        u, v, w = combined_graph(c)
        g = _graph(len(ids), u, v, w)
        g.es["weight"] = w.tolist()
        new, nxt = memb.copy(), int(memb.max()) + 1
        for ci in range(int(memb.max()) + 1):
            vs = np.flatnonzero(memb == ci)
            if len(vs) < 10:
                continue
            sub = g.induced_subgraph(vs.tolist())
            wl = sub.es["weight"]
            p, q = leiden(sub, wl, 7)
            if p.max() < 1:
                continue
            rng = np.random.default_rng(11)
            null = []
            for i in range(5):
                h = sub.copy()
                random.seed(11 + i)
                h.rewire(n=10 * h.ecount(), allowed_edge_types="simple")
                null.append(leiden(h, rng.permutation(np.asarray(wl)).tolist(), 11 + i)[1])
            if (q - np.mean(null)) / max(float(np.std(null)), 1e-9) > z_min:
                for k in range(1, int(p.max()) + 1):
                    new[vs[p == k]] = nxt
                    nxt += 1
        a, b = compare_partitions(truth[known], memb[known]), compare_partitions(truth[known], new[known])
        rows.append((a["nmi"], a["ari"], b["nmi"], b["ari"]))
        print(f"| {name} | {a['nmi']:.3f} / {a['ari']:.3f} | {b['nmi']:.3f} / {b['ari']:.3f} |", flush=True)
    m = np.mean(rows, axis=0)
    print(f"| **mean** | {m[0]:.3f} / {m[1]:.3f} | {m[2]:.3f} / {m[3]:.3f} |")


def asymptotic_surprise(u: np.ndarray, v: np.ndarray, w: np.ndarray, memb: np.ndarray) -> float:
    """Asymptotical surprise per unit of tie weight (Traag, Aldecoa & Delvenne 2015), of a
    partition of the owners with ties: ``D(q || <q>)``, the Kullback-Leibler divergence of
    Bernoulli laws between ``q``, the share of the tie weight inside circles, and ``<q>``, the share
    of owner pairs inside circles.  A quality function with no resolution limit that neither
    Leiden (modularity) nor Infomap (map equation) optimises, so it can referee between them
    without labels (the total weight is the same for both partitions of one graph)."""
    tied = np.zeros(len(memb), dtype=bool)
    tied[u] = tied[v] = True
    m = memb[tied]
    n = len(m)
    q = float(w[memb[u] == memb[v]].sum() / w.sum())
    sizes = np.bincount(m - m.min()).astype(float)
    qe = float((sizes * (sizes - 1) / 2).sum() / (n * (n - 1) / 2))
    eps = 1e-12
    q, qe = min(max(q, eps), 1 - eps), min(max(qe, eps), 1 - eps)
    return q * np.log(q / qe) + (1 - q) * np.log((1 - q) / (1 - qe))


def select_trial() -> None:
    """Per network, graphcrm's consensus Leiden (the default) or its consensus Infomap, whichever
    partition has the higher asymptotical surprise on the network's own ties (label-free), for
    master seeds 0, 1, 2; against the labels next to the baselines of the same run."""
    names = ["graphcrm default", "graphcrm consensus Infomap", "selected by surprise", "networkx Louvain",
             "igraph Leiden (modularity)", "igraph Infomap"]
    print("| network | " + " | ".join(names) + " | picked (seeds 0-2) |")
    print("|---|" + "---|" * (len(names) + 1))
    rows = []
    for name, frames, lab in labelled_sets():
        c = Community.from_frames(frames)
        ids = c.owner_ids
        truth = lab.reindex(ids)
        known = truth.notna().to_numpy()
        u, v, w = combined_graph(c)
        res, picks, sel_parts = {}, [], []
        per = {"graphcrm default": [], "graphcrm consensus Infomap": []}
        for seed in (0, 1, 2):
            cand = {"graphcrm default": circles(c, seed=seed).set_index("owner_id").loc[ids, "circle"].to_numpy(),
                    "graphcrm consensus Infomap": circles(c, method="infomap", seed=seed
                                                          ).set_index("owner_id").loc[ids, "circle"].to_numpy()}
            for k, m in cand.items():
                per[k].append(m)
            sa = {k: asymptotic_surprise(u, v, w, m) for k, m in cand.items()}
            pick = max(sa, key=sa.get)
            picks.append("Leiden" if pick == "graphcrm default" else "Infomap")
            sel_parts.append(cand[pick])
        per["selected by surprise"] = sel_parts
        for k, parts in per.items():
            sc = [compare_partitions(truth[known], p[known]) for p in parts]
            st = min(_agreement(parts[a], parts[b])[0] for a, b in ((0, 1), (0, 2), (1, 2)))
            res[k] = (float(np.mean([x["nmi"] for x in sc])), float(np.mean([x["ari"] for x in sc])), st)
        for key, parts in baselines(c).items():
            sc = [compare_partitions(truth[known], p[known]) for p in parts]
            res[key] = (float(np.mean([x["nmi"] for x in sc])), float(np.mean([x["ari"] for x in sc])), float("nan"))
        rows.append(res)
        cells = [f"{res[k][0]:.3f} / {res[k][1]:.3f}" + (f" ({res[k][2]:.2f})" if np.isfinite(res[k][2]) else "")
                 for k in names]
        print(f"| {name} | " + " | ".join(cells) + f" | {', '.join(picks)} |", flush=True)
    print("| **mean** | " + " | ".join(f"{np.mean([r[k][0] for r in rows]):.3f} / {np.mean([r[k][1] for r in rows]):.3f}"
                                    for k in names) + " | |")


def main() -> None:
    if "--select" in sys.argv:
        select_trial()
        return
    if "--demo" in sys.argv:
        demo()
        return
    if "--split" in sys.argv:
        split_trial()
        return
    names = ["graphcrm default", *VARIANTS, "networkx Louvain", "igraph Leiden (modularity)", "igraph Infomap"]
    print("| network | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    rows = []
    for name, frames, lab in labelled_sets():
        c = Community.from_frames(frames)
        ids = c.owner_ids
        truth = lab.reindex(ids)
        known = truth.notna().to_numpy()
        u, v, w = combined_graph(c)
        res = {}
        d = circles(c).set_index("owner_id").loc[ids, "circle"].to_numpy()
        s = compare_partitions(truth[known], d[known])
        res["graphcrm default"] = (s["nmi"], s["ari"], float("nan"))
        for key, opts in VARIANTS.items():
            t = time.perf_counter()
            ps = [pooled_consensus(len(ids), u, v, w, seed=x, **opts) for x in (0, 1, 2)]
            s = compare_partitions(truth[known], ps[0][known])
            st = min(_agreement(ps[a], ps[b])[0] for a, b in ((0, 1), (0, 2), (1, 2)))
            res[key] = (s["nmi"], s["ari"], st)
            del t
        for key, parts in baselines(c).items():
            sc = [compare_partitions(truth[known], p[known]) for p in parts]
            res[key] = (float(np.mean([x["nmi"] for x in sc])), float(np.mean([x["ari"] for x in sc])), float("nan"))
        rows.append(res)
        cells = [f"{res[k][0]:.3f} / {res[k][1]:.3f}" + (f" (stab {res[k][2]:.2f})" if np.isfinite(res[k][2]) else "")
                 for k in names]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    print("| **mean** | " + " | ".join(f"{np.mean([r[k][0] for r in rows]):.3f} / {np.mean([r[k][1] for r in rows]):.3f}"
                                    for k in names) + " |")


if __name__ == "__main__":
    main()
