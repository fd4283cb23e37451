"""Circles against real labelled networks, the demo's planted circles, and timing.

    python bench/validate_circles.py                  # everything (about 10 minutes on 2 cores)
    python bench/validate_circles.py --only labelled  # labelled | demo | timing
    python bench/validate_circles.py --only timing --owners 100000
    python bench/validate_circles.py --only timing --owners 1000000 --quick

* labelled: every labelled real network in ../shared/data (SocioPatterns primary school, high
  school - contacts, friendship, contact diaries, Facebook pairs -, workplace 2013 and 2015,
  hospital ward roles).  graphcrm's circles at default settings (``circles(community)``: consensus
  Leiden-modularity, resolution chosen by the seed-stability scan) against networkx Louvain,
  igraph Leiden (modularity, resolution 1) and igraph Infomap on the same weighted graph, five
  seeds each (mean and range); graphcrm's seed stability (mean NMI between the circles of five
  master seeds); overlapping circles (``circle_memberships``) against the labels by average
  best-match F1 both ways, next to the baselines' partitions read as covers.  Also the
  variants tried (consensus Infomap, granularity coarser / finer, a single run).
* demo: the circles of the demo community against its planted structure (city, and the
  city x hobby interest circles), for each granularity.
* timing: wall time and peak memory of kocs() (which computes the circles partition), circles(),
  circle_profiles() and circle_memberships() on a demo community.

Every contact "t i j" is loaded as a two-person event (the co-attendance tie weight of a pair is
its number of 20-second contact windows), exactly as a community team's data would be loaded.
"""
from __future__ import annotations

import argparse
import gzip
import io
import random
import sys
import time
import zipfile
from pathlib import Path

import igraph as ig
import numpy as np
import pandas as pd

from graphcrm.algorithms.circles import (
    _graph,
    circle_memberships,
    circle_profiles,
    circles,
    combined_graph,
    compare_partitions,
    overlap_f1,
)
from graphcrm.community import Community
from graphcrm.demo import HOBBIES, generate_demo

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SP = DATA / "sociopatterns"
SEEDS = [0, 1, 2, 3, 4]


def say(text: str = "") -> None:
    print(text, flush=True)


# ---------------------------------------------------------------------------------------------
# the labelled networks, mapped onto the data contract
# ---------------------------------------------------------------------------------------------
def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            f = io.StringIO(z.read(z.namelist()[0]).decode())
    else:
        f = gzip.open(path, "rt")
    return pd.read_csv(f, sep=r"\s+", header=None, dtype=str)


def _pairs_as_events(i: np.ndarray, j: np.ndarray, w: np.ndarray | None = None) -> dict[str, pd.DataFrame]:
    """Every (weighted) pair as that many two-person events: tie weight = the pair's weight."""
    if w is not None:
        rep = w.astype(np.int64)
        i, j = np.repeat(i, rep), np.repeat(j, rep)
    ev = "c" + pd.Series(np.arange(len(i))).astype(str)
    events = pd.DataFrame({"event_id": ev, "starts_at": pd.Timestamp("2020-01-01")})
    att = pd.DataFrame({"event_id": np.concatenate([ev, ev]), "owner_id": np.concatenate([i, j])})
    att = att.drop_duplicates()
    owners = pd.DataFrame({"owner_id": np.unique(att["owner_id"])})
    return {"owners": owners, "events": events, "attendance": att}


def labelled_sets() -> list[tuple[str, dict[str, pd.DataFrame], pd.Series]]:
    """(name, contract frames, label per owner_id) of every labelled network found."""
    out = []
    if not SP.exists():
        return out

    def meta(name: str) -> pd.Series:
        m = pd.read_csv(SP / name, sep="\t", header=None, dtype=str)
        return m.set_index(0)[1]

    hs = meta("HighSchool2013_metadata.txt")
    for label, cfile, lab in [
        ("primary school, contacts (10 classes + teachers)", "primaryschool.csv.gz", meta("primaryschool_metadata.txt")),
        ("high school 2013, contacts (9 classes)", "HighSchool2013_proximity_net.csv.gz", hs),
        ("workplace 2015, contacts (12 departments)", "workplace_InVS15_tij.dat.gz", meta("workplace_InVS15_metadata.txt")),
        ("workplace 2013, contacts (5 departments)", "workplace_InVS_tij.dat.zip", meta("workplace_InVS_metadata.txt")),
    ]:
        d = _read(SP / cfile)
        out.append((label, _pairs_as_events(d[1].to_numpy(), d[2].to_numpy()), lab))
    d = _read(SP / "hospital_lyon_contacts.dat.gz")
    roles = pd.concat([d[[1, 3]].set_axis(["id", "r"], axis=1), d[[2, 4]].set_axis(["id", "r"], axis=1)])
    out.append(("hospital ward, contacts (4 roles)", _pairs_as_events(d[1].to_numpy(), d[2].to_numpy()),
                roles.drop_duplicates("id").set_index("id")["r"]))
    f = _read(SP / "HighSchool2013_friendship_network.csv.gz")
    out.append(("high school 2013, friendship survey (9 classes)", _pairs_as_events(f[0].to_numpy(), f[1].to_numpy()), hs))
    d = _read(SP / "HighSchool2013_contactdiaries_network.csv.gz")
    out.append(("high school 2013, contact diaries (9 classes)",
                _pairs_as_events(d[0].to_numpy(), d[1].to_numpy(), d[2].astype(int).to_numpy()), hs))
    d = _read(SP / "HighSchool2013_facebook_known_pairs.csv.gz")
    d = d[d[2] == "1"]
    out.append(("high school 2013, Facebook friends (9 classes)", _pairs_as_events(d[0].to_numpy(), d[1].to_numpy()), hs))
    return out


# ---------------------------------------------------------------------------------------------
# baselines on the same weighted graph
# ---------------------------------------------------------------------------------------------
def _igraph(c: Community) -> ig.Graph:
    u, v, w = combined_graph(c)
    g = ig.Graph(n=len(c.owner_ids), edges=np.column_stack([u, v]).tolist())
    g.es["weight"] = w.tolist()
    return g


def baselines(c: Community) -> dict[str, list[np.ndarray]]:
    import networkx as nx

    u, v, w = combined_graph(c)
    G = nx.Graph()
    G.add_nodes_from(range(len(c.owner_ids)))
    G.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist()))
    g = _igraph(c)
    out: dict[str, list[np.ndarray]] = {"networkx Louvain": [], "igraph Leiden (modularity)": [], "igraph Infomap": []}
    for s in SEEDS:
        comms = nx.community.louvain_communities(G, weight="weight", seed=s)
        m = np.empty(len(c.owner_ids), dtype=np.int64)
        for k, cm in enumerate(comms):
            m[list(cm)] = k
        out["networkx Louvain"].append(m)
        random.seed(s)
        out["igraph Leiden (modularity)"].append(np.asarray(g.community_leiden(
            objective_function="modularity", weights="weight", n_iterations=-1).membership))
        random.seed(s)
        out["igraph Infomap"].append(np.asarray(g.community_infomap(edge_weights="weight").membership))
    return out


def _cover(ids: np.ndarray, memb: np.ndarray) -> list[tuple[str, int]]:
    return [(o, int(m)) for o, m in zip(ids, memb) if m >= 0]


def _fmt(xs: list[float]) -> str:
    return f"{np.mean(xs):.3f} [{min(xs):.3f}-{max(xs):.3f}]" if len(xs) > 1 else f"{xs[0]:.3f}"


def run_labelled() -> None:
    sets = labelled_sets()
    say("## Circles against labelled real networks (SocioPatterns)")
    if not sets:
        say(f"(skipped: {SP} absent)")
        return
    summary = []
    for name, frames, lab in sets:
        c = Community.from_frames(frames)
        ids = c.owner_ids
        truth = lab.reindex(ids)
        known = truth.notna().to_numpy()
        tcover = [(o, str(t)) for o, t in zip(ids, truth) if isinstance(t, str)]
        say(f"### {name}: {len(ids)} people, {truth.nunique()} labels, {len(combined_graph(c)[0])} ties")
        say("| method | circles | NMI | ARI | overlap F1 | seed stability (NMI) | s per run |")
        say("|---|---|---|---|---|---|---|")
        rows = {}

        def ours(label: str, **opts) -> None:
            parts, secs, info = [], [], None
            for s in SEEDS:
                t = time.perf_counter()
                df, d = circles(c, seed=s, details=True, **opts)
                secs.append(time.perf_counter() - t)
                parts.append(df.set_index("owner_id").loc[ids, "circle"].to_numpy())
                info = info or d
            sc = [compare_partitions(truth[known], p[known]) for p in parts]
            stab = [compare_partitions(parts[a], parts[b])["nmi"] for a in range(len(parts)) for b in range(a + 1, len(parts))]
            f1 = []
            if not opts:
                m = circle_memberships(c)
                f1 = [overlap_f1(tcover, m[["owner_id", "circle"]].itertuples(index=False, name=None))["f1"]]
                f1p = overlap_f1(tcover, _cover(ids, parts[0]))["f1"]
            extra = f" (partition {f1p:.3f})" if f1 else ""
            rows[label] = (np.mean([x["nmi"] for x in sc]), np.mean([x["ari"] for x in sc]))
            res = "infomap" if info.resolution is None else f"res {info.resolution:g}"
            say(f"| {label} ({res}) | {info.n_circles} | {_fmt([x['nmi'] for x in sc])} | {_fmt([x['ari'] for x in sc])} | "
                f"{(_fmt(f1) + extra) if f1 else '-'} | {np.mean(stab):.3f} (min {min(stab):.3f}) | {np.mean(secs):.2f} |")

        ours("**graphcrm default**")
        ours("graphcrm, single run", consensus_runs=1)
        ours("graphcrm, consensus Infomap", method="infomap")
        ours("graphcrm, granularity finer", granularity="finer")
        ours("graphcrm, granularity coarser", granularity="coarser")
        for label, parts in baselines(c).items():
            sc = [compare_partitions(truth[known], p[known]) for p in parts]
            stab = [compare_partitions(parts[a], parts[b])["nmi"] for a in range(len(parts)) for b in range(a + 1, len(parts))]
            f1 = [overlap_f1(tcover, _cover(ids, p))["f1"] for p in parts]
            rows[label] = (np.mean([x["nmi"] for x in sc]), np.mean([x["ari"] for x in sc]))
            say(f"| {label} | {np.mean([len(set(p)) for p in parts]):.1f} | {_fmt([x['nmi'] for x in sc])} | "
                f"{_fmt([x['ari'] for x in sc])} | {_fmt(f1)} | {np.mean(stab):.3f} (min {min(stab):.3f}) | - |")
        summary.append((name, rows))
        say()
    say("### Summary: mean NMI / ARI over the seeds")
    names = list(summary[0][1])
    say("| network | " + " | ".join(names) + " |")
    say("|---|" + "---|" * len(names))
    for name, rows in summary:
        best = max(rows[k][1] for k in names if not k.startswith("graphcrm") and not k.startswith("**"))
        say(f"| {name} | " + " | ".join(f"{rows[k][0]:.3f} / {rows[k][1]:.3f}" for k in names) + " |")
    say("| **mean** | " + " | ".join(f"{np.mean([r[k][0] for _, r in summary]):.3f} / {np.mean([r[k][1] for _, r in summary]):.3f}"
                                  for k in names) + " |")
    say()


# ---------------------------------------------------------------------------------------------
# the demo's planted circles
# ---------------------------------------------------------------------------------------------
def planted_demo(n: int, *, seed: int = 0) -> tuple[Community, dict, np.ndarray, np.ndarray]:
    """The ``n``-owner demo community (``seed``), its planted truth, and each owner's planted
    city x hobby circle and city in the community's owner order: ``(community, truth, planted, city)``."""
    tables, truth = generate_demo(n, seed=seed)
    c = Community(tables)
    planted = pd.Series(truth["circles"]["of_owner"], index=tables["owners"]["owner_id"].to_numpy()).reindex(c.owner_ids).to_numpy()
    return c, truth, planted, planted // len(HOBBIES)


def run_demo(n: int) -> None:
    c, truth, planted, city = planted_demo(n)
    names = np.array(truth["circles"]["names"])[planted]
    say(f"## The demo community's planted circles ({n:,} owners, seed 0; {len(set(city))} cities, "
        f"{len(set(planted))} city x hobby circles)")
    say("| circles() options | circles | no circle | resolution | vs city NMI / ARI | vs city x hobby NMI / ARI | "
        "memberships vs city x hobby F1 | s |")
    say("|---|---|---|---|---|---|---|---|")
    for opts in (dict(), dict(granularity="finer"), dict(granularity="coarser"), dict(consensus_runs=1)):
        t = time.perf_counter()
        df, d = circles(c, details=True, **opts)
        secs = time.perf_counter() - t
        memb = df.set_index("owner_id").loc[c.owner_ids, "circle"].to_numpy()
        k = memb >= 0
        a, b = compare_partitions(city[k], memb[k]), compare_partitions(planted[k], memb[k])
        m = circle_memberships(c, circle_options=opts or None)
        tc = [(o, x) for o, x, kk in zip(c.owner_ids, names, k) if kk]
        f1 = overlap_f1(tc, m[["owner_id", "circle"]].itertuples(index=False, name=None))["f1"]
        say(f"| {opts or 'default'} | {d.n_circles} | {d.n_no_circle} | {d.resolution:g} | {a['nmi']:.3f} / {a['ari']:.3f} | "
            f"{b['nmi']:.3f} / {b['ari']:.3f} | {f1:.3f} | {secs:.1f} |")
    prof = circle_profiles(c, leaders=0)
    say()
    say("Largest circles and their labels (default options):")
    say()
    say("| circle | label | size | top_cities | top_interests |")
    say("|---|---|---|---|---|")
    for r in prof.head(12).itertuples(index=False):
        say(f"| {r.circle} | {r.label} | {r.size} | {r.top_cities} | {r.top_interests} |")
    say()


# ---------------------------------------------------------------------------------------------
# timing
# ---------------------------------------------------------------------------------------------
def _peak_mib() -> float:
    """The process's peak resident memory so far (Linux VmHWM), MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def run_timing(n: int, *, quick: bool = False) -> None:
    """Wall and CPU seconds and peak memory per step; ``quick``: only circles() (computed, then
    cached), the profiles and the memberships (for 1M owners on a shared machine)."""
    import os

    t = time.perf_counter()
    tables, _ = generate_demo(n, seed=0)
    tgen = time.perf_counter() - t
    c = Community(tables)
    t = time.perf_counter()
    u, v, w = combined_graph(c)
    tg = time.perf_counter() - t
    say(f"## Timing on the demo community ({n:,} owners, {len(u):,} combined-graph ties, 2 shared cores, "
        f"load average {os.getloadavg()[0]:.1f} at the start)")
    say("| step | s | CPU s | peak MiB after | notes |")
    say("|---|---|---|---|---|")
    say(f"| demo generated in memory | {tgen:.1f} | | {_peak_mib():,.0f} | |")
    say(f"| combined graph (the two projections, pandas path) | {tg:.1f} | | {_peak_mib():,.0f} | |")
    from graphcrm.algorithms.koc import kocs

    def koc_row() -> None:
        t, cpu = time.perf_counter(), time.process_time()
        kocs(c)
        say(f"| kocs() (the circles partition cached) | {time.perf_counter() - t:.1f} | "
            f"{time.process_time() - cpu:.1f} | {_peak_mib():,.0f} | |")

    steps = (("circles(), default", {}), ("kocs", None), ("circles(), default again (cached)", {}),
             ("circles(), default, seed 1", dict(seed=1)), ("circles(), single run", dict(consensus_runs=1)))
    if quick:
        steps = (steps[0], steps[2])
    for label, opts in steps:
        if opts is None:
            koc_row()
            continue
        t, cpu = time.perf_counter(), time.process_time()
        _, d = circles(c, details=True, **opts)
        say(f"| {label} | {time.perf_counter() - t:.1f} | {time.process_time() - cpu:.1f} | {_peak_mib():,.0f} | {d.n_circles} circles, "
            f"res {d.resolution:g}, seed stability {d.seed_stability:.3f}, consensus on {d.coarse_groups:,} vertices, "
            f"{d.consensus_rounds} consensus rounds, engine {d.engine} |")
    # the baseline a user would run in a minute: stock igraph Leiden (modularity, resolution 1, run
    # to convergence as in the labelled baseline) once on the same combined graph, two seeds, and
    # their agreement
    stock = []
    for s in (0, 1):
        t, cpu = time.perf_counter(), time.process_time()
        random.seed(s)  # python-igraph draws from Python's random module
        # the graph built the fastest way python-igraph 1.0 offers from arrays (circles' _graph:
        # tuples in blocks; an (m, 2) ndarray is read element by element, 3-4x slower)
        g = _graph(len(c.owner_ids), u, v, w)
        tb = time.perf_counter() - t
        stock.append(np.asarray(g.community_leiden(objective_function="modularity", weights=w, n_iterations=-1).membership))
        say(f"| baseline: stock igraph Leiden (modularity, resolution 1, to convergence), seed {s}, graph built from "
            f"the arrays ({tb:.1f} s of it) | {time.perf_counter() - t:.1f} | {time.process_time() - cpu:.1f} | "
            f"{_peak_mib():,.0f} | {len(np.unique(stock[-1])):,} communities (owners without ties are singletons) |")
        del g
    ag = compare_partitions(stock[0], stock[1])
    say(f"| baseline seed stability (NMI / ARI between seeds 0 and 1) | | | | {ag['nmi']:.3f} / {ag['ari']:.3f} |")
    t, cpu = time.perf_counter(), time.process_time()
    circle_profiles(c, leaders=0)
    say(f"| circle_profiles() (circles cached, no leaders) | {time.perf_counter() - t:.1f} | "
        f"{time.process_time() - cpu:.1f} | {_peak_mib():,.0f} | |")
    t, cpu = time.perf_counter(), time.process_time()
    m = circle_memberships(c)
    say(f"| circle_memberships() (circles cached) | {time.perf_counter() - t:.1f} | {time.process_time() - cpu:.1f} | "
        f"{_peak_mib():,.0f} | "
        f"{len(m):,} memberships, {int((m.groupby('owner_id').size() > 1).sum()):,} owners in more than one circle |")
    say()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", choices=["labelled", "demo", "timing"], default=None)
    p.add_argument("--owners", type=int, default=None, help="demo size (demo: 20,000; timing: 100,000)")
    p.add_argument("--quick", action="store_true", help="timing: circles, profiles and memberships only")
    a = p.parse_args(argv)
    if a.only in (None, "labelled"):
        run_labelled()
    if a.only in (None, "demo"):
        run_demo(a.owners or 20_000)
    if a.only in (None, "timing"):
        run_timing(a.owners or 100_000, quick=a.quick)


if __name__ == "__main__":
    main(sys.argv[1:])
