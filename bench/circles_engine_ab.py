"""Leiden in leidenalg or in igraph's C core, for graphs under ``AUTO_ENGINE_EDGES`` ties.

    python bench/circles_engine_ab.py                     # labelled networks + small demos
    python bench/circles_engine_ab.py --only labelled
    python bench/circles_engine_ab.py --only demo --owners 1500 5000 10000

``circles()`` runs the same protocol with either engine (the resolution scan on the scan's
fixed seeds, the seeded runs, the consensus rounds); only the Leiden implementation differs.
Below ``AUTO_ENGINE_EDGES`` ties ``engine="auto"`` used leidenalg up to this bench.  For every
labelled network of ``bench/validate_circles.py`` (SocioPatterns) and for small demo
communities (planted city x hobby circles), with master seeds 0-4: NMI / ARI against the labels
(mean, [range]), the seed stability (mean NMI between the five seeds' circles, min), the circles
found and the seconds per ``circles()`` call, next to the stock baselines of
``bench/validate_circles.py`` computed in the same run (their seconds: per single run, timed
alone).  On the demos every method is scored on the owners with ties (graphcrm's "no circle"
and the stock methods' singletons left out alike).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from validate_circles import SEEDS, _fmt, baselines, labelled_sets, planted_demo  # noqa: E402

from graphcrm.algorithms.circles import circles, combined_graph, compare_partitions  # noqa: E402
from graphcrm.community import Community  # noqa: E402

ENGINES = ("leidenalg", "igraph")


def say(text: str = "") -> None:
    print(text, flush=True)


def _ours(c: Community, truth: np.ndarray, known: np.ndarray, engine: str) -> tuple[str, tuple[float, float]]:
    parts, secs, eng = [], [], None
    for s in SEEDS:
        t = time.perf_counter()
        df, d = circles(c, seed=s, details=True, engine=engine)
        secs.append(time.perf_counter() - t)
        parts.append(df.set_index("owner_id").loc[c.owner_ids, "circle"].to_numpy())
        eng = d.engine
    return _row(f"graphcrm default, engine={engine} ({eng})", parts, truth, known, secs)


def _row(label: str, parts: list[np.ndarray], truth: np.ndarray, known: np.ndarray,
         secs: list[float] | None) -> tuple[str, tuple[float, float]]:
    sc = [compare_partitions(truth[known], p[known]) for p in parts]
    stab = [compare_partitions(parts[a][known], parts[b][known])["nmi"]
            for a in range(len(parts)) for b in range(a + 1, len(parts))]
    k = np.mean([len(set(p[known & (p >= 0)])) for p in parts])
    say(f"| {label} | {k:.1f} | {_fmt([x['nmi'] for x in sc])} | {_fmt([x['ari'] for x in sc])} | "
        f"{np.mean(stab):.3f} (min {min(stab):.3f}) | {np.mean(secs):.3f} |" if secs else
        f"| {label} | {k:.1f} | {_fmt([x['nmi'] for x in sc])} | {_fmt([x['ari'] for x in sc])} | "
        f"{np.mean(stab):.3f} (min {min(stab):.3f}) | - |")
    return label, (float(np.mean([x["nmi"] for x in sc])), float(np.mean([x["ari"] for x in sc])))


def _stock_seconds(c: Community) -> dict[str, float]:
    """Seconds per run of each stock baseline on this graph (mean of the five seeds), timed
    alone: networkx Louvain, igraph Leiden (modularity, to convergence), igraph Infomap."""
    import random

    import networkx as nx

    from validate_circles import _igraph
    from graphcrm.algorithms.circles import combined_graph

    u, v, w = combined_graph(c)
    G = nx.Graph()
    G.add_nodes_from(range(len(c.owner_ids)))
    G.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist()))
    g = _igraph(c)
    runs = {"networkx Louvain": lambda s: nx.community.louvain_communities(G, weight="weight", seed=s),
            "igraph Leiden (modularity)": lambda s: (random.seed(s), g.community_leiden(
                objective_function="modularity", weights="weight", n_iterations=-1)),
            "igraph Infomap": lambda s: (random.seed(s), g.community_infomap(edge_weights="weight"))}
    out = {}
    for label, run in runs.items():
        t = time.perf_counter()
        for s in SEEDS:
            run(s)
        out[label] = (time.perf_counter() - t) / len(SEEDS)
    return out


def _network(name: str, c: Community, truth: np.ndarray, known: np.ndarray, summary: list) -> None:
    say(f"### {name}")
    say("| method | circles | NMI | ARI | seed stability (NMI) | s per call |")
    say("|---|---|---|---|---|---|")
    rows = dict(_ours(c, truth, known, e) for e in ENGINES)
    t = time.perf_counter()
    stock = baselines(c)  # each baseline once per seed: 3 x len(SEEDS) runs
    per_run = (time.perf_counter() - t) / (3 * len(SEEDS))
    stock_secs = _stock_seconds(c)
    for label, parts in stock.items():
        rows.update([_row(label, parts, truth, known, [stock_secs.get(label, per_run)])])
    summary.append((name, rows))
    say()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", choices=["labelled", "demo"], default=None)
    p.add_argument("--owners", type=int, nargs="*", default=[1500, 5000])
    a = p.parse_args(argv)
    summary: list = []
    if a.only in (None, "labelled"):
        sets = labelled_sets()
        if not sets:
            say("(labelled networks skipped: ../shared/data/sociopatterns absent)")
        for name, frames, lab in sets:
            c = Community.from_frames(frames)
            truth = lab.reindex(c.owner_ids)
            known = truth.notna().to_numpy()
            _network(name, c, truth.to_numpy(), known, summary)
    if a.only in (None, "demo"):
        for n in a.owners:
            c, _, planted, city = planted_demo(n)
            # scored on the owners with ties: graphcrm gives the others "no circle" (-1), the stock
            # methods a singleton each - neither is a circle to compare with the planted ones
            u, v, _ = combined_graph(c)
            known = np.zeros(len(planted), dtype=bool)
            known[u] = True
            known[v] = True
            _network(f"demo {n:,} owners vs planted city x hobby", c, planted, known, summary)
            _network(f"demo {n:,} owners vs city", c, city, known, summary)
    if summary:
        say("### Summary: mean NMI / ARI over the seeds")
        names = list(summary[0][1])
        say("| network | " + " | ".join(names) + " |")
        say("|---|" + "---|" * len(names))
        for name, rows in summary:
            say(f"| {name} | " + " | ".join(f"{rows[k][0]:.3f} / {rows[k][1]:.3f}" for k in names) + " |")


if __name__ == "__main__":
    main()
