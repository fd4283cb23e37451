"""The hindsight ceiling of the backtest (issue #12): how much better than the baselines could ANY picks have done?

    python bench/backtest_ceiling.py                         # every data set, k = 10, 50, 100
    python bench/backtest_ceiling.py --only collegemsg --k 50
    python bench/backtest_ceiling.py --inner                 # the same inside the picking period

Per data set and k, on the split and replay of bench/backtest_real.py (the same adapters, the
same ``backtest()`` call with ``ambassadors:learned`` and the four simple baselines): each
eligible owner's own reach set after T, greedy max coverage with hindsight (a reach some k picks
really had: a lower bound on the best achievable), and a proven upper bound (the online bound of
greedy on the coverage, the textbook ``min(greedy / (1 - 1/e), k largest single reaches)``, and
the integer program's bound where HiGHS finishes within ``--exact-seconds``); see
algorithms/hindsight.py.  Then where the picks lose: for the hindsight, learned and best-baseline
picks, how many were active before T, their audience before T and in the recent window, their
rank by each baseline, how many act after T, and what share of each set's reach is direct.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backtest_real import SETS, _contract_frames, data_sets, demo_split  # noqa: E402

from graphcrm.algorithms import backtest as bt  # noqa: E402
from graphcrm.algorithms.hindsight import hindsight_ceiling  # noqa: E402
from graphcrm.community import Community  # noqa: E402

METHODS = ["ambassadors:learned", *bt.BASELINES]


def say(text: str = "") -> None:
    print(text, flush=True)


def _rank(score: np.ndarray, elig: np.ndarray) -> np.ndarray:
    """Rank among the eligible owners (1 = highest score; tied owners share the mean of their ranks, so
    owners no baseline scores, score 0, get the middle of the unscored block), by train vertex number."""
    s = np.sort(score[elig])
    above = len(s) - np.searchsorted(s, score, side="right")
    tied = np.searchsorted(s, score, side="right") - np.searchsorted(s, score, side="left")
    return 1 + above + (np.maximum(tied, 1) - 1) / 2


def _profile(name: str, picks: np.ndarray, c: Community, train: Community, feats: dict, single: np.ndarray,
             src, dst, tt, n: int, start: int, end: int, ex_tr_pairs: set | None, ceiling_set: set) -> dict:
    """Statistics of one pick set (owner ids)."""
    tr = train.index_of(picks)
    tr = tr[tr >= 0]
    full = c.index_of(picks)
    full = full[full >= 0]
    hops = bt.temporal_reach(src, dst, tt, n, full, start=start, end=end, max_hops=2)
    reached = np.flatnonzero(hops > 0)
    past = feats["past_audience"]
    # reached owners the picks had exposed before T (their old audience) vs new to them
    old = 0
    if ex_tr_pairs is not None and len(reached):
        pick_set = set(full.tolist())
        old = sum(1 for v in reached.tolist() if v in ex_tr_pairs.get("by_dst", {}) and
                  ex_tr_pairs["by_dst"][v] & pick_set)
    row = {
        "set": name, "k": len(full), "reach": len(reached), "direct": int((hops == 1).sum()),
        "active_before": int((past[tr] > 0).sum()), "active_after": int((single[full] > 0).sum()),
        "med_audience": float(np.median(past[tr])) if len(tr) else 0.0,
        "med_recent": float(np.median(feats["recent"][tr])) if len(tr) else 0.0,
        "med_own_after": float(np.median(np.maximum(single[full], 0))) if len(full) else 0.0,
        "sum_own_after": int(np.maximum(single[full], 0).sum()),
        "old_share": old / len(reached) if len(reached) else float("nan"),
        "in_ceiling": len(set(full.tolist()) & ceiling_set),
    }
    for b in ("out_degree", "pagerank", "recent_engagers", "kocs"):
        row[f"rank_{b}"] = float(np.median(feats["rank"][b][tr])) if len(tr) else float("nan")
    return row


def run(name: str, tables: dict, ks: list[int], bootstrap: int, inner: bool, exact_seconds: float) -> list[dict]:
    c = Community(_contract_frames(tables)) if name != "demo" else Community(tables)
    if inner:
        outer = demo_split(tables) if name == "demo" else bt._split_time(c, None)[1]
        c = Community(c.tables, until=outer)
        if name == "demo":
            t0 = tables["interactions"]["created_at"].min()
            tables = {"interactions": pd.DataFrame({"created_at": [t0, outer]})}
    ex = bt.exposures(c)
    n = len(c.owner_ids)
    out = []
    for k in ks:
        t_wall, t_cpu = time.perf_counter(), time.process_time()
        at = demo_split(tables) if name == "demo" else None
        df, a = bt.backtest(c, at=at, k=k, methods=METHODS, bootstrap=bootstrap, max_hops=2, details=True)
        t_bt = time.perf_counter() - t_wall
        cut, end = a.at, a.end
        start, end_ns = int(cut.value) + 1, int(end.value)
        train = Community(c.tables, since=c.since, until=cut)
        elig_tr = train.eligible()
        elig = np.zeros(n, dtype=bool)
        pos = c.index_of(train.owner_ids[elig_tr])
        elig[pos[pos >= 0]] = True
        win = (ex["t"].to_numpy() >= start) & (ex["t"].to_numpy() <= end_ns)
        src, dst, tt = (ex[col].to_numpy()[win] for col in ("src", "dst", "t"))
        t1 = time.perf_counter()
        ceil = hindsight_ceiling(src, dst, tt, n, elig, k=k, start=start, end=end_ns, max_hops=2,
                                 exact_seconds=exact_seconds or None)
        t_ceil = time.perf_counter() - t1
        # pre-T features of every training owner
        ex_tr = bt.exposures(train)
        n_tr = len(train.owner_ids)
        past = bt._distinct_out(ex_tr, n_tr)
        recent = bt._distinct_out(ex_tr, n_tr, since=int(cut.value) - int(a.recent_days * bt._NS_DAY))
        koc = c.memo("backtest_koc_scores", {"since": c.since, "until": cut}, lambda: bt._koc_scores(train))
        pr = bt._pagerank(ex_tr, n_tr)
        feats = {"past_audience": past, "recent": recent,
                 "rank": {"out_degree": _rank(past, elig_tr), "recent_engagers": _rank(recent, elig_tr),
                          "pagerank": _rank(pr, elig_tr), "kocs": _rank(np.asarray(koc), elig_tr)}}
        by_dst: dict[int, set] = {}
        full_of_tr = c.index_of(train.owner_ids)
        s_tr, d_tr = full_of_tr[ex_tr["src"].to_numpy()], full_of_tr[ex_tr["dst"].to_numpy()]
        pairs = pd.DataFrame({"s": s_tr, "d": d_tr}).drop_duplicates()
        ceiling_ids = c.owner_ids[ceil.picks]
        sets = {"hindsight": ceiling_ids, "learned": np.asarray(a.picks["ambassadors:learned"], dtype=object),
                f"best:{a.best_baseline}": np.asarray(a.picks[a.best_baseline], dtype=object)}
        relevant = set(c.index_of(np.concatenate([np.asarray(v, dtype=object) for v in sets.values()])).tolist())
        for s_, d_ in pairs[pairs["s"].isin(list(relevant))].itertuples(index=False):
            by_dst.setdefault(int(d_), set()).add(int(s_))
        cset = set(ceil.picks.tolist())
        profiles = [_profile(nm, ids, c, train, feats, ceil.single, src, dst, tt, n, start, end_ns,
                             {"by_dst": by_dst}, cset) for nm, ids in sets.items()]
        base = df.set_index("method")
        best_reach = int(base.loc[a.best_baseline, "reach"])
        learned = base.loc["ambassadors:learned"]
        cpu = time.process_time() - t_cpu
        ratio_hi = ceil.upper / best_reach if best_reach else float("nan")
        # the best set found: greedy, or the integer program's incumbent when it is better
        lower = max(ceil.greedy, int(ceil.exact)) if ceil.exact is not None and np.isfinite(ceil.exact) else ceil.greedy
        say(f"### {name}{' (inner)' if inner else ''}, k = {k} ({n:,} owners; T {cut:%Y-%m-%d %H:%M} -> "
            f"{end:%Y-%m-%d %H:%M}; {len(src):,} exposures after; {ceil.candidates:,} eligible owners who reach "
            f"anyone after T; backtest {t_bt:.1f} s, ceiling {t_ceil:.1f} s, cell CPU {cpu:.1f} s, "
            f"load {os.getloadavg()[0]:.2f})")
        ex_txt = ("not run" if ceil.exact is None else
                  f"{ceil.exact:,.0f} ({'optimal' if ceil.exact_optimal else 'time limit'}), bound {ceil.exact_bound:,.0f}")
        say(f"best baseline {a.best_baseline} {best_reach:,}; learned {int(learned['reach']):,} "
            f"({learned['ratio_to_best_baseline']:.3f}, CI {learned['ratio_low']:.3f}-{learned['ratio_high']:.3f}); "
            f"ceiling [{lower:,}, {ceil.upper:,.0f}] = [{lower / best_reach:.3f}, {ratio_hi:.3f}] x best (greedy {ceil.greedy:,}; "
            f"online bound {ceil.upper_online:,.0f}, textbook {ceil.upper_simple:,.0f}, exact {ex_txt})"
            + ("  ** even the ceiling is below 1.10 x best **" if ratio_hi < 1.10 else ""))
        # how well each baseline's score ranks the owners' own reach after T (eligible owners active before T)
        from scipy.stats import spearmanr

        tr_full = c.index_of(train.owner_ids)
        pool = np.flatnonzero(elig_tr & (past > 0) & (tr_full >= 0))
        own = np.maximum(ceil.single[tr_full[pool]], 0)
        scores = {"out_degree": past, "pagerank": pr, "recent_engagers": recent, "kocs": np.asarray(koc)}
        rho_txt = ", ".join(f"{b} {spearmanr(v[pool], own).statistic:.2f}" for b, v in scores.items()) if len(pool) > 2 else "n/a"
        topk = set(np.argsort(-own, kind="stable")[:k].tolist())
        hit_txt = ", ".join(f"{b} {len(topk & set(np.argsort(-v[pool], kind='stable')[:k].tolist()))}"
                            for b, v in scores.items())
        say(f"own reach after T of the {len(pool):,} eligible owners active before T ({int((own > 0).sum()):,} reach "
            f"anyone): Spearman with {rho_txt}; of the top {k} by own reach after T, in each baseline's top {k}: {hit_txt}")
        # a size-only oracle: the k owners with the largest own after-T reach, overlap ignored
        size_top = np.flatnonzero(ceil.single > 0)
        size_top = size_top[np.lexsort((size_top, -ceil.single[size_top]))][:k]
        size_reach = int((bt.temporal_reach(src, dst, tt, n, size_top, start=start, end=end_ns, max_hops=2) > 0).sum())
        say(f"size-only oracle (top {k} by own after-T reach, overlap ignored): {size_reach:,} = "
            f"{size_reach / best_reach:.3f} x best, {size_reach / max(lower, 1):.3f} x the best set found")
        say("| set | picks | reach | direct share | active before T | act after T | in hindsight set | "
            "median audience before T | median recent audience | median own reach after T | sum own reach | "
            "reached who were its audience before T | median rank out_degree / pagerank / recent / kocs |")
        say("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for p in profiles:
            say(f"| {p['set']} | {p['k']} | {p['reach']:,} | {p['direct'] / max(p['reach'], 1):.2f} | "
                f"{p['active_before']} | {p['active_after']} | {p['in_ceiling']} | {p['med_audience']:.0f} | "
                f"{p['med_recent']:.0f} | {p['med_own_after']:.0f} | {p['sum_own_after']:,} | {p['old_share']:.2f} | "
                f"{p['rank_out_degree']:.0f} / {p['rank_pagerank']:.0f} / {p['rank_recent_engagers']:.0f} / "
                f"{p['rank_kocs']:.0f} |")
        say()
        out.append({"data": name, "k": k, "best": a.best_baseline, "best_reach": best_reach,
                    "learned": int(learned["reach"]), "learned_ratio": float(learned["ratio_to_best_baseline"]),
                    "greedy": lower, "upper": ceil.upper, "size_oracle": size_reach, "exact": ceil.exact,
                    "exact_optimal": ceil.exact_optimal, "profiles": profiles})
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=None, help="data sets (demo, " + ", ".join(SETS) + ")")
    ap.add_argument("--k", nargs="*", type=int, default=[10, 50, 100])
    ap.add_argument("--demo-owners", type=int, default=5000)
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--inner", action="store_true", help="inside the picking period only (as backtest_real --inner)")
    ap.add_argument("--exact-seconds", type=float, default=60.0, help="time limit of the integer program (0: skip)")
    args = ap.parse_args(argv)
    say(f"{pd.Timestamp.now('UTC'):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()}")
    rows = []
    for name, tables in data_sets(args.only, args.demo_owners, say):
        rows += run(name, tables, args.k, args.bootstrap, args.inner, args.exact_seconds)
    say("| data set | k | best baseline: reach | learned: reach, ratio | best set found with hindsight, ratio | "
        "upper bound, ratio | size-only oracle, ratio | can 1.10 x best be met? |")
    say("|---|---|---|---|---|---|---|---|")
    for r in rows:
        b = r["best_reach"]
        say(f"| {r['data']} | {r['k']} | {r['best']} {b:,} | {r['learned']:,}, {r['learned_ratio']:.3f} | "
            f"{r['greedy']:,}, {r['greedy'] / b:.3f} | {r['upper']:,.0f}, {r['upper'] / b:.3f} | "
            f"{r['size_oracle']:,}, {r['size_oracle'] / b:.3f} | "
            f"{'no' if r['upper'] < 1.10 * b else 'yes (by the ceiling)'} |")
    ru = resource.getrusage(resource.RUSAGE_SELF)
    say(f"CPU user {ru.ru_utime:.0f} s, sys {ru.ru_stime:.0f} s, peak RSS {ru.ru_maxrss / 1024:.0f} MiB; "
        f"load {os.getloadavg()}")


if __name__ == "__main__":
    sys.exit(main())
