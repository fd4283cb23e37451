"""Backtest ambassadors against simple baselines on real timed data (and the demo community).

    python bench/backtest_real.py                       # every data set, k = 10, 50, 100
    python bench/backtest_real.py --only collegemsg --k 50
    python bench/backtest_real.py --only demo --demo-owners 20000

What stands for what (the data are read from ../shared/data, never copied):

* Higgs Twitter activity log: a retweet / mention / reply of B by A at time t is an
  interaction (share / comment / reply) of A on a post by B.  One post per author and day
  (``B@2012-07-04``): what B wrote that day.
* Stack Exchange (quantum computing, conlang): an answer is a reply on the question, a comment
  a comment on the commented post, an accept a favourite of the answer; the engager is the
  acting user, the author the post's owner (votes are anonymous: left out).  Posts are the
  site's posts.
* CollegeMsg: a message u -> v at time t is a comment by v... no: the *recipient* v took in
  something of u's, so it is an interaction of v on a post by u, one post per sender and day.
* Bitcoin OTC: a positive rating u -> v at t is u vouching for v, i.e. a referral u -> v
  (stage ``lead``, the first positive rating of each pair); negative ratings are left out.

Each data set goes through :func:`graphcrm.algorithms.backtest.backtest` with the defaults
(split at 70% of the time span, chains of at most 2 hops, 200 owner-bootstrap replicates).
"""
from __future__ import annotations

import argparse
import gzip
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from graphcrm.algorithms.backtest import backtest
from graphcrm.community import Community
from graphcrm.demo import generate_demo

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def say(text: str = "") -> None:
    print(text, flush=True)


def _owners(ids: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"owner_id": np.unique(ids), "is_staff": False, "marketing_opt_out": False})


def _engagement_frames(e: pd.DataFrame, post_per_day: bool) -> dict[str, pd.DataFrame]:
    """``e``: columns who (engager), author, when, kind, and post (unless ``post_per_day``)."""
    e = e[e["who"] != e["author"]].copy()
    if post_per_day:
        e["post"] = e["author"] + "@" + e["when"].dt.strftime("%Y-%m-%d")
    owners = _owners(np.concatenate([e["author"].to_numpy(), e["who"].to_numpy()]))
    posts = (e.groupby("post", sort=True).agg(author_id=("author", "first"), created_at=("when", "min"))
             .reset_index().rename(columns={"post": "post_id"}))
    inter = (e[["who", "post", "kind", "when"]].set_axis(["owner_id", "post_id", "kind", "created_at"], axis=1)
             .drop_duplicates())
    return {"owners": owners, "posts": posts, "interactions": inter}


def higgs(folder: Path) -> dict[str, pd.DataFrame]:
    with gzip.open(folder / "higgs-activity_time.txt.gz", "rt") as f:
        e = pd.read_csv(f, sep=" ", header=None, names=["s", "t", "ts", "k"], dtype=str)
    e = pd.DataFrame({"who": "u" + e["s"], "author": "u" + e["t"],
                      "when": pd.to_datetime(e["ts"].astype(np.int64), unit="s"),
                      "kind": e["k"].map({"RT": "share", "MT": "comment", "RE": "reply"})})
    return _engagement_frames(e, post_per_day=True)


def stackexchange(folder: Path) -> dict[str, pd.DataFrame]:
    e = pd.read_csv(folder / "derived_user_interactions.csv", dtype=str)
    post = np.where(e["type"] == "answer", e["ref_id"], e["post_id"])
    e = pd.DataFrame({"who": "u" + e["src_user"], "author": "u" + e["dst_user"], "post": "p" + pd.Series(post),
                      "when": pd.to_datetime(e["timestamp"]),
                      "kind": e["type"].map({"answer": "reply", "comment": "comment", "accept": "favorite"})})
    return _engagement_frames(e, post_per_day=False)


def collegemsg(folder: Path) -> dict[str, pd.DataFrame]:
    e = pd.read_csv(folder / "CollegeMsg.txt", sep=" ", header=None, names=["s", "t", "ts"], dtype=str)
    e = pd.DataFrame({"who": "u" + e["t"], "author": "u" + e["s"],
                      "when": pd.to_datetime(e["ts"].astype(np.int64), unit="s"), "kind": "comment"})
    return _engagement_frames(e, post_per_day=True)


def bitcoin_otc(folder: Path) -> dict[str, pd.DataFrame]:
    e = pd.read_csv(folder / "soc-sign-bitcoinotc.csv", header=None, names=["s", "t", "r", "ts"])
    e = e[e["r"] > 0].sort_values("ts", kind="stable").drop_duplicates(["s", "t"])
    e = e[e["s"] != e["t"]]
    ref = pd.DataFrame({"referrer_id": "u" + e["s"].astype(str), "referee_id": "u" + e["t"].astype(str),
                        "referred_at": pd.to_datetime(e["ts"], unit="s"), "stage": "lead"})
    owners = _owners(np.concatenate([ref["referrer_id"].to_numpy(), ref["referee_id"].to_numpy()]))
    return {"owners": owners, "referrals": ref}


def demo(n: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    tables, _ = generate_demo(n, seed=seed)
    return tables


SETS = {
    "stackexchange_conlang": lambda: stackexchange(DATA / "stackexchange_conlang"),
    "stackexchange_quantumcomputing": lambda: stackexchange(DATA / "stackexchange_quantumcomputing"),
    "collegemsg": lambda: collegemsg(DATA / "collegemsg"),
    "bitcoin_otc": lambda: bitcoin_otc(DATA / "bitcoin_otc"),
    "higgs_twitter": lambda: higgs(DATA / "higgs_twitter"),
}


def _contract_frames(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The adapters' frames with every contract column (the adapters build clean, typed data, so
    the loader's validation is not needed here; missing columns get their defaults)."""
    from graphcrm.community import empty_table
    from graphcrm.contract import TABLES

    out = {}
    for name, df in tables.items():
        base = empty_table(name)
        df = df.copy()
        for col in base.columns:
            if col not in df.columns:
                default = TABLES[name].column(col).default
                df[col] = default if default is not None else pd.Series([None] * len(df), dtype=base[col].dtype)
        out[name] = df[list(base.columns)]
    return out


def data_sets(only: list[str] | None, demo_owners: int, say=print):
    """``(name, tables)`` for each data set asked for (default: the demo, then every real set),
    a real set whose folder is absent skipped with a line said."""
    for name in only or ["demo", *SETS]:
        if name == "demo":
            yield name, demo(demo_owners)
            continue
        folder = DATA / name
        if not folder.exists():
            say(f"(skipped {name}: {folder} absent)")
            continue
        yield name, SETS[name]()


def demo_split(tables: dict[str, pd.DataFrame]) -> pd.Timestamp:
    """The demo's app (posts, interactions, events) starts years after its first referrals, so
    its split is 70% into the span of the interactions rather than of everything."""
    t = tables["interactions"]["created_at"]
    return t.min() + (t.max() - t.min()) * 0.7


def run(name: str, tables: dict[str, pd.DataFrame], ks: list[int], methods: list[str] | None,
        bootstrap: int, max_hops: int | None, inner: bool = False) -> None:
    t = time.perf_counter()
    c = Community(_contract_frames(tables)) if name != "demo" else Community(tables)
    if inner:  # an inner backtest: only the data before the outer split, split again the same way
        from graphcrm.algorithms.backtest import _split_time

        outer = demo_split(tables) if name == "demo" else _split_time(c, None)[1]
        c = Community(c.tables, until=outer)
        if name == "demo":
            t0 = tables["interactions"]["created_at"].min()
            tables = {"interactions": pd.DataFrame({"created_at": [t0, outer]})}
    load = time.perf_counter() - t
    for k in ks:
        t = time.perf_counter()
        at = demo_split(tables) if name == "demo" else None
        df, a = backtest(c, at=at, k=k, methods=methods, bootstrap=bootstrap, max_hops=max_hops, details=True)
        say(f"### {name}, k = {k} ({a.owners:,} owners; picks before {a.at:%Y-%m-%d %H:%M}, reach to "
            f"{a.end:%Y-%m-%d %H:%M}, {a.exposures_after:,} exposures after; best baseline "
            f"{a.best_baseline}; load {load:.1f} s, backtest {time.perf_counter() - t:.1f} s)")
        say("| method | reach (95% CI) | direct | ratio to best baseline (95% CI) | active picks | s |")
        say("|---|---|---|---|---|---|")
        for r in df.itertuples(index=False):
            say(f"| {r.method} | {r.reach:,} ({r.reach_low:,.0f}-{r.reach_high:,.0f}) | {r.direct_reach:,} | "
                f"{r.ratio_to_best_baseline:.3f} ({r.ratio_low:.3f}-{r.ratio_high:.3f}) | {r.active_picks} | "
                f"{r.seconds:.1f} |")
        if a.models:
            say("models: " + "; ".join(f"{m}: {v}" for m, v in a.models.items()))
        say()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=None, help="data sets (demo, " + ", ".join(SETS) + ")")
    ap.add_argument("--k", nargs="*", type=int, default=[10, 50, 100])
    ap.add_argument("--methods", nargs="*", default=None)
    ap.add_argument("--demo-owners", type=int, default=5000)
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--max-hops", type=int, default=2, help="0 = no limit")
    ap.add_argument("--inner", action="store_true",
                    help="backtest inside the picking period only (the data before the usual split, split "
                         "again at 70%%): for choosing settings without looking at the evaluation period")
    ap.add_argument("--label-share", type=float, default=None,
                    help="internal label window of the learned model as a share of the horizon")
    ap.add_argument("--credit-normalize", choices=("episodes", "user"), default=None,
                    help="credit model: average each owner's credit over all episodes or over its own (the paper)")
    ap.add_argument("--credit-half-life", type=float, default=None,
                    help="credit model: recency half-life of the episode weights, in episodes (default 1; 0 = none)")
    ap.add_argument("--credit-episode-share", type=float, default=None,
                    help="credit model: episode length as a share of the horizon (default 0.25)")
    ap.add_argument("--credit", choices=("share", "full"), default=None,
                    help="credit model: the paper's shared direct credit or full credit (coverage)")
    ap.add_argument("--credit-decay", action="store_true",
                    help="credit model: the paper's time-decayed direct credit instead of 1/N_in")
    args = ap.parse_args(argv)
    import graphcrm.algorithms.credit as cd

    if args.credit_normalize is not None:
        cd.DEFAULT_NORMALIZE = args.credit_normalize
    if args.credit is not None:
        cd.DEFAULT_CREDIT = args.credit
    cd.DEFAULT_DECAY = bool(args.credit_decay)
    if args.credit_episode_share is not None:
        cd.DEFAULT_EPISODE_SHARE = args.credit_episode_share
    if args.credit_half_life is not None:
        cd.DEFAULT_HALF_LIFE_EPISODES = args.credit_half_life or None
    if args.label_share is not None:
        import graphcrm.algorithms.influence_learning as il

        il.DEFAULT_LABEL_SHARE = args.label_share
    for name, tables in data_sets(args.only, args.demo_owners, say):
        run(name, tables, args.k, args.methods, args.bootstrap, args.max_hops or None, args.inner)


if __name__ == "__main__":
    sys.exit(main())
