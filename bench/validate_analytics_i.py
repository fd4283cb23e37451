"""Validation runs of analytics I (KOCs, circles, referral chains): prints the numbers.

    python bench/validate_analytics_i.py                # everything (a few minutes on 2 cores)
    python bench/validate_analytics_i.py --only demo    # demo | temporal | circles | referrals | timing
    python bench/validate_analytics_i.py --quick        # smaller demo, skip Higgs

Sections:

* demo: precision@k of the KOC ranking against the planted KOCs of the demo community
  (k = number planted), where the planted like ring lands, and the same with the anti-gaming
  rules switched off;
* temporal: on timestamped real data in ../shared/data (Stack Exchange, CollegeMsg, Higgs),
  score on the first 70% of the time span and check how well the score predicts who receives
  engagement from the most distinct owners in the last 30%, against raw activity counts
  (Spearman rho and precision@50);
* circles: NMI and ARI of the circles against the SocioPatterns class / department labels, next
  to networkx's Louvain (seeded) on the same weighted contact graph;
* referrals: integrity findings against the demo's planted referral anomalies;
* timing: wall time of each analysis on demo communities of growing size.

The real data are mapped onto the data contract by small adapters here (never copied).
"""
from __future__ import annotations

import argparse
import gzip
import io
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from graphcrm.community import Community
from graphcrm.demo import generate_demo
from graphcrm.algorithms.circles import circle_profiles, circles, compare_partitions
from graphcrm.algorithms.koc import kocs
from graphcrm.algorithms.referrals import (
    referral_attribution,
    referral_chains,
    referral_issues,
    top_referrers,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def say(text: str = "") -> None:
    print(text, flush=True)


# ---------------------------------------------------------------------------------------------
# demo: planted KOCs and like ring
# ---------------------------------------------------------------------------------------------
def run_demo(n_owners: int, seeds: list[int]) -> None:
    say(f"## KOCs on the demo community ({n_owners:,} owners)")
    say("| seed | planted | precision@k | ring best rank | ring best rank, no anti-gaming | kocs() s |")
    say("|---|---|---|---|---|---|")
    for seed in seeds:
        tables, truth = generate_demo(n_owners, seed=seed)
        c = Community(tables)
        circ = circles(c)
        t = time.perf_counter()
        df = kocs(c, circles_frame=circ)
        secs = time.perf_counter() - t
        planted, ring = set(truth["kocs"]), set(truth["like_ring"])
        k = len(planted)
        prec = len(set(df["owner_id"].head(k)) & planted) / k
        ring_rank = int(df.loc[df["owner_id"].isin(ring), "rank"].min())
        raw = kocs(c, circles_frame=circ, closed_group_discount=0.0, min_distinct_engagers=1, min_distinct_days=1)
        raw_rank = int(raw.loc[raw["owner_id"].isin(ring), "rank"].min())
        say(f"| {seed} | {k} KOCs, ring of {len(ring)} | {prec:.2f} | {ring_rank} | {raw_rank} | {secs:.1f} |")
    say()


# ---------------------------------------------------------------------------------------------
# temporal prediction on real data
# ---------------------------------------------------------------------------------------------
def stackexchange_frames(folder: Path) -> dict[str, pd.DataFrame]:
    """Answer = reply to the question, comment = comment on the post, accept = favourite of the
    answer; engager = src_user, author = dst_user.  Votes are anonymous in the dumps: left out."""
    e = pd.read_csv(folder / "derived_user_interactions.csv", dtype=str)
    post = np.where(e["type"] == "answer", e["ref_id"], e["post_id"])
    e = e.assign(post="p" + pd.Series(post), author="u" + e["dst_user"], who="u" + e["src_user"],
                 when=pd.to_datetime(e["timestamp"]),
                 kind=e["type"].map({"answer": "reply", "comment": "comment", "accept": "favorite"}))
    return _frames(e)


def collegemsg_frames(folder: Path) -> dict[str, pd.DataFrame]:
    """A message SRC -> TGT is a comment by SRC on TGT's wall (one pseudo-post per recipient)."""
    e = pd.read_csv(folder / "CollegeMsg.txt", sep=" ", header=None, names=["s", "t", "ts"], dtype=str)
    e = e.assign(post="wall" + e["t"], author="u" + e["t"], who="u" + e["s"],
                 when=pd.to_datetime(e["ts"].astype(np.int64), unit="s"), kind="comment")
    return _frames(e)


def higgs_frames(folder: Path) -> dict[str, pd.DataFrame]:
    """A retweets / mentions / replies to B: a share / comment / reply by A on B's timeline."""
    with gzip.open(folder / "higgs-activity_time.txt.gz", "rt") as f:
        e = pd.read_csv(f, sep=" ", header=None, names=["s", "t", "ts", "k"], dtype=str)
    e = e.assign(post="tl" + e["t"], author="u" + e["t"], who="u" + e["s"],
                 when=pd.to_datetime(e["ts"].astype(np.int64), unit="s"),
                 kind=e["k"].map({"RT": "share", "MT": "comment", "RE": "reply"}))
    return _frames(e)


def _frames(e: pd.DataFrame) -> dict[str, pd.DataFrame]:
    e = e[e["who"] != e["author"]]
    owners = pd.DataFrame({"owner_id": np.unique(np.concatenate([e["author"].to_numpy(), e["who"].to_numpy()]))})
    posts = (e.groupby("post", sort=True).agg(author_id=("author", "first"), created_at=("when", "min"))
             .reset_index().rename(columns={"post": "post_id"}))
    inter = (e[["who", "post", "kind", "when"]].set_axis(["owner_id", "post_id", "kind", "created_at"], axis=1)
             .drop_duplicates())
    return {"owners": owners, "posts": posts, "interactions": inter}


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


def _precision_at(score: pd.Series, target: pd.Series, k: int) -> float:
    top_s = score.sort_values(ascending=False, kind="mergesort").head(k).index
    top_t = target.sort_values(ascending=False, kind="mergesort").head(k).index
    return len(set(top_s) & set(top_t)) / k


def temporal(name: str, frames: dict[str, pd.DataFrame], split: float = 0.7, k: int = 50) -> None:
    t0 = time.perf_counter()
    inter = frames["interactions"]
    lo, hi = inter["created_at"].min(), inter["created_at"].max()
    cut = lo + (hi - lo) * split
    train = Community.from_frames(frames, until=cut)
    load_s = time.perf_counter() - t0
    t = time.perf_counter()
    df = kocs(train).set_index("owner_id")
    koc_s = time.perf_counter() - t
    # who was active (engaged or was engaged) in the training window
    ti = train.tables["interactions"]
    author = ti["post_id"].map(frames["posts"].set_index("post_id")["author_id"])
    active = pd.Index(np.unique(np.concatenate([ti["owner_id"].to_numpy(), author.to_numpy()])))
    received = author.value_counts().reindex(active, fill_value=0)
    made = ti["owner_id"].value_counts().reindex(active, fill_value=0)
    # target: distinct owners engaging with them after the cut
    test = inter[inter["created_at"] > cut]
    test_author = test["post_id"].map(frames["posts"].set_index("post_id")["author_id"])
    tgt = (pd.DataFrame({"a": test_author.to_numpy(), "e": test["owner_id"].to_numpy()})
           .query("a != e").drop_duplicates().groupby("a").size().reindex(active, fill_value=0))
    score = df["score"].reindex(active).fillna(0.0)
    reach_only = df["effective_reach"].reindex(active).fillna(0.0)
    rows = [("KOC score (default weights)", score), ("raw interactions received", received),
            ("raw activity (made + received)", made + received), ("KOC reach component alone", reach_only)]
    say(f"### {name}: {len(active):,} owners active before the cut, {len(ti):,} training interactions, "
        f"{len(test):,} after; cut at {cut:%Y-%m-%d %H:%M} (load {load_s:.1f} s, kocs {koc_s:.1f} s)")
    say(f"| predictor | Spearman rho | precision@{k} |")
    say("|---|---|---|")
    for label, s in rows:
        say(f"| {label} | {_spearman(s.to_numpy(), tgt.to_numpy()):.3f} | {_precision_at(s, tgt, k):.2f} |")
    say()


def run_temporal(quick: bool) -> None:
    say("## KOC score as a predictor of future engagement (first 70% -> last 30%)")
    say()
    sets = [("stackexchange_quantumcomputing", stackexchange_frames),
            ("stackexchange_conlang", stackexchange_frames),
            ("collegemsg", collegemsg_frames)]
    if not quick:
        sets.append(("higgs_twitter", higgs_frames))
    for name, fn in sets:
        folder = DATA / name
        if not folder.exists():
            say(f"(skipped {name}: {folder} absent)")
            continue
        temporal(name, fn(folder), k=50 if name != "stackexchange_conlang" else 10)


# ---------------------------------------------------------------------------------------------
# circles on SocioPatterns
# ---------------------------------------------------------------------------------------------
def _read_contacts(path: Path) -> pd.DataFrame:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            raw = z.read(z.namelist()[0]).decode()
        f = io.StringIO(raw)
    else:
        f = gzip.open(path, "rt")
    df = pd.read_csv(f, sep=r"\s+", header=None, usecols=[0, 1, 2], names=["t", "i", "j"], dtype=str)
    return df


def sociopatterns_frames(contacts: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each 20-second contact "t i j" is a two-person gathering: an event with i and j attending.

    Through the co-attendance projection (1/(n-1) per shared event) the tie weight of a pair is
    then exactly its number of 20-second contact windows, i.e. the usual weighted contact graph.
    """
    n = len(contacts)
    ev = "c" + pd.Series(np.arange(n)).astype(str)
    t = contacts["t"].astype(np.int64).to_numpy()
    # some files count seconds from the start of the study, others are unix times
    when = pd.Timestamp("2020-01-01") + pd.to_timedelta(t - (t.min() if t.max() > 10**8 else 0), unit="s")
    events = pd.DataFrame({"event_id": ev, "starts_at": when})
    att = pd.DataFrame({"event_id": np.concatenate([ev, ev]),
                        "owner_id": np.concatenate([contacts["i"].to_numpy(), contacts["j"].to_numpy()])})
    owners = pd.DataFrame({"owner_id": np.unique(att["owner_id"])})
    return {"owners": owners, "events": events, "attendance": att}


def run_circles() -> None:
    import networkx as nx

    sp = DATA / "sociopatterns"
    say("## Circles against SocioPatterns labels (NMI / ARI; Leiden = graphcrm circles(), seed 0)")
    if not sp.exists():
        say(f"(skipped: {sp} absent)")
        return
    sets = [
        ("primary school (10 classes + teachers)", "primaryschool.csv.gz", "primaryschool_metadata.txt"),
        ("high school 2013 (9 classes)", "HighSchool2013_proximity_net.csv.gz", "HighSchool2013_metadata.txt"),
        ("workplace 2015 (12 departments)", "workplace_InVS15_tij.dat.gz", "workplace_InVS15_metadata.txt"),
        ("workplace 2013 (5 departments)", "workplace_InVS_tij.dat.zip", "workplace_InVS_metadata.txt"),
    ]
    say("| data set | people | labels | Leiden circles | Leiden NMI | Leiden ARI | Louvain groups | Louvain NMI | Louvain ARI | Leiden res 0.5 NMI / ARI | Leiden res 2 NMI / ARI | igraph engine NMI / ARI |")
    say("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for label, cfile, mfile in sets:
        contacts = _read_contacts(sp / cfile)
        meta = pd.read_csv(sp / mfile, sep="\t", header=None, dtype=str).iloc[:, :2]
        meta.columns = ["owner_id", "group"]
        c = Community.from_frames(sociopatterns_frames(contacts))
        truth = meta.set_index("owner_id")["group"].reindex(c.owner_ids)
        known = truth.notna().to_numpy()
        res = {}
        for r in (1.0, 0.5, 2.0, "igraph"):
            opts = dict(resolution=r) if r != "igraph" else dict(engine="igraph")
            circ = circles(c, seed=0, **opts).set_index("owner_id").reindex(c.owner_ids)
            res[r] = compare_partitions(truth[known], circ["circle"].to_numpy()[known]), circ["circle"].nunique()
        # Louvain baseline on the same weighted contact graph
        agg = contacts.groupby(["i", "j"]).size().reset_index(name="w")
        G = nx.Graph()
        G.add_nodes_from(c.owner_ids)
        G.add_weighted_edges_from(agg.itertuples(index=False, name=None))
        comms = nx.community.louvain_communities(G, weight="weight", seed=0)
        lv = {v: i for i, cm in enumerate(comms) for v in cm}
        louv = np.array([lv[o] for o in c.owner_ids])
        lr = compare_partitions(truth[known], louv[known])
        m1, n1 = res[1.0]
        say(f"| {label} | {len(c.owner_ids)} | {truth.nunique()} | {n1} | {m1['nmi']:.3f} | {m1['ari']:.3f} | "
            f"{len(comms)} | {lr['nmi']:.3f} | {lr['ari']:.3f} | "
            f"{res[0.5][0]['nmi']:.3f} / {res[0.5][0]['ari']:.3f} | {res[2.0][0]['nmi']:.3f} / {res[2.0][0]['ari']:.3f} | "
            f"{res['igraph'][0]['nmi']:.3f} / {res['igraph'][0]['ari']:.3f} |")
    say()


# ---------------------------------------------------------------------------------------------
# referral integrity against the planted anomalies
# ---------------------------------------------------------------------------------------------
def run_referrals(n_owners: int, seeds: list[int]) -> None:
    say(f"## Referral integrity against the demo's planted anomalies ({n_owners:,} owners)")
    say("| seed | self-referrals | cycles | double claims (first-touch winner right) | staff | after delivery | burst | other findings |")
    say("|---|---|---|---|---|---|---|---|")
    for seed in seeds:
        tables, truth = generate_demo(n_owners, seed=seed)
        c = Community(tables)
        iss = referral_issues(c)
        a = truth["referral_anomalies"]
        found = {k: iss[iss["kind"] == k] for k in iss["kind"].unique()}
        empty = iss.iloc[0:0]

        def hits(kind, want):
            got = found.get(kind, empty)
            return f"{len(set(want) & set(got['owners']))}/{len(want)}", len(set(got["owners"]) - set(want))

        s_hit, s_fp = hits("self_referral", a["self_referrals"])
        cyc = found.get("cycle", empty)
        want_c = [",".join(sorted(x)) for x in a["cycles"]]
        c_hit = f"{len(set(want_c) & set(cyc['owners']))}/{len(want_c)}"
        c_fp = len(set(cyc["owners"]) - set(want_c))
        dc = found.get("double_claim", empty).set_index("owner_id")
        ok = sum(1 for d in a["double_claims"] if d["referee_id"] in dc.index
                 and f"keeps {d['first_touch_referrer']} " in dc.loc[d["referee_id"], "reason"])
        d_fp = len(set(dc.index) - {d["referee_id"] for d in a["double_claims"]})
        st_hit, st_fp = hits("staff_referral", [f"{x['referrer_id']},{x['referee_id']}" for x in a["staff_referrals"]])
        late_hit, late_fp = hits("after_delivery", [f"{x['referrer_id']},{x['referee_id']}" for x in a["after_purchase"]])
        b = found.get("burst", empty)
        b_hit = f"{int(a['burst']['referrer_id'] in set(b['owner_id']))}/1"
        b_fp = len(set(b["owner_id"]) - {a["burst"]["referrer_id"]})
        fp = s_fp + c_fp + d_fp + st_fp + late_fp + b_fp
        say(f"| {seed} | {s_hit} | {c_hit} | {ok}/{len(a['double_claims'])} | {st_hit} | {late_hit} | {b_hit} | {fp} |")
    say()


# ---------------------------------------------------------------------------------------------
# timing
# ---------------------------------------------------------------------------------------------
def run_timing(sizes: list[int]) -> None:
    say("## Wall time (s) on demo communities, 2 cores")
    say("| owners | interactions | combined-graph ties | circles (leidenalg) | circles (igraph engine) | circle_profiles | kocs (circles cached) | referral_chains | referral_attribution | top_referrers | referral_issues |")
    say("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        tables, _ = generate_demo(n, seed=0)
        c = Community(tables)
        c.graph("coattendance")
        c.graph("interactions")
        times = {}

        def timed(label, fn):
            t = time.perf_counter()
            out = fn()
            times[label] = time.perf_counter() - t
            return out

        from graphcrm.algorithms.circles import combined_graph

        u, _, _ = combined_graph(c)
        circ = timed("circles", lambda: circles(c, engine="leidenalg"))
        timed("circles_ig", lambda: circles(c, engine="igraph"))
        k = timed("kocs", lambda: kocs(c, circles_frame=circ))
        timed("profiles", lambda: circle_profiles(c, circles_frame=circ, kocs_frame=k))
        timed("chains", lambda: referral_chains(c))
        timed("attribution", lambda: referral_attribution(c))
        timed("board", lambda: top_referrers(c))
        timed("issues", lambda: referral_issues(c))
        say(f"| {n:,} | {len(tables['interactions']):,} | {len(u):,} | {times['circles']:.1f} | {times['circles_ig']:.1f} | "
            f"{times['profiles']:.1f} | {times['kocs']:.1f} | {times['chains']:.2f} | {times['attribution']:.2f} | "
            f"{times['board']:.2f} | {times['issues']:.2f} |")
    say()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", choices=["demo", "temporal", "circles", "referrals", "timing"], default=None)
    p.add_argument("--quick", action="store_true", help="smaller demo, skip Higgs")
    a = p.parse_args(argv)
    n = 5_000 if a.quick else 20_000
    seeds = [0, 1, 2]
    # warm up numba (compiled once, cached) so that timings measure the algorithms
    warm = Community(generate_demo(1_000, seed=0)[0])
    referral_chains(warm)
    top_referrers(warm)
    kocs(warm)
    if a.only in (None, "demo"):
        run_demo(n, seeds)
    if a.only in (None, "temporal"):
        run_temporal(a.quick)
    if a.only in (None, "circles"):
        run_circles()
    if a.only in (None, "referrals"):
        run_referrals(n, seeds)
    if a.only in (None, "timing"):
        run_timing([5_000, 20_000] if a.quick else [5_000, 20_000, 100_000])


if __name__ == "__main__":
    main(sys.argv[1:])
