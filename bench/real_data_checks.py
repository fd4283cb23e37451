"""The checks behind stop 33's real-data claims (docs/benchmarks.md, "The weekly job on real data
(stop 33)"), each beside what a user would otherwise have (the previous code, the CSV file):

    python bench/real_folders.py OUT                      # the real folders first (outside the repository)
    python bench/real_data_checks.py OUT [--skip-first-touch]

1. **first touch**: the double-claim findings of the referral cleaning (``_first_touch``) as
   built now (column-wise) and as built before afdf651 (one pandas group per referee, kept below
   as ``_first_touch_loop``), on Bitcoin OTC's referrals: wall seconds of each and whether the
   findings and the forest are equal.
2. **the loader's phone masking** on every real folder: how many stored text values held a phone
   number (``LoadReport.hidden_digits``) and how many owner ids look like one (``phone_like_ids``):
   on real data both should be 0 (nothing of theirs is changed).
3. **ambassador picks that influence no one** (``direct_reach`` 0, left out of the CRM targets):
   how many there are among ``ambassadors(k=30)`` on each folder.
4. **a workbook**: the Stack Exchange quantum computing folder saved as one .xlsx per table (a
   Chinese sheet name) loads to the same tables as its CSV files.
5. **``PhoneIdMask``'s cost** over 1,000,000 ordinary ids and 1,000,000 mobile numbers.

Timings belong here and in docs/benchmarks.md, never in tests.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import graphcrm

REAL = ["bitcoin_otc", "collegemsg", "stackexchange_quantumcomputing", "stackexchange_conlang", "higgs_twitter"]


def _first_touch_loop(refs: pd.DataFrame):
    """``_first_touch`` as it was before afdf651 (one pandas group per referee claimed twice)."""
    from graphcrm.algorithms.referrals import REFERRAL_STAGES, _both, _d

    refs = refs.sort_values(["dst", "referred_at", "referrer_id"], kind="mergesort", na_position="last")
    max_rank = refs.groupby("dst", sort=False)["rank"].transform("max")
    n_claims = refs.groupby("dst", sort=False)["src"].transform("size")
    first = ~refs["dst"].duplicated(keep="first")
    multi = refs[n_claims.to_numpy() > 1]
    findings = []
    for _dst, grp in (multi.groupby("dst", sort=True) if len(multi) else ()):
        win = grp.iloc[0]
        stage = REFERRAL_STAGES[int(grp["rank"].max())]
        claims = ", ".join(f"{x.referrer_id} ({_d(x.referred_at)}, {x.stage})" for x in grp.itertuples(index=False))
        claims_zh = "、".join(f"{x.referrer_id}（{_d(x.referred_at)}，{x.stage}）" for x in grp.itertuples(index=False))
        same_day = (grp["referred_at"] == win.referred_at).sum() > 1
        why_en = "earliest claim; tie on date broken by the smaller referrer id" if same_day else "earliest claim"
        why_zh = "最早登记；同一时间则取编号较小者" if same_day else "最早登记"
        findings.append(dict(
            kind="double_claim", owner_id=win.referee_id,
            owners=",".join([win.referee_id] + list(grp["referrer_id"])),
            action="first touch",
            evidence=_both(en=f"{win.referee_id} claimed by {claims}; first-touch keeps "
                              f"{win.referrer_id} ({why_en}); other claims dropped; referee "
                              f"stage taken as {stage}",
                           zh=f"{win.referee_id} 被多人登记：{claims_zh}；按首次触达归属 "
                              f"{win.referrer_id}（{why_zh}），其余登记剔除；被推荐人阶段取 {stage}")))
    refs = refs.assign(rank=max_rank)[first.to_numpy()].copy()
    refs["stage"] = [REFERRAL_STAGES[i] for i in refs["rank"].to_numpy()]
    return refs, findings


def first_touch(folder: Path, tmp: Path) -> None:
    from graphcrm.algorithms import referrals as R

    cg = graphcrm.open(tmp / "ft.duckdb")
    cg.load(folder, rejects_path=tmp / "ft-rej.csv")
    refs, _ = R._drop_self_referrals(R._placed_claims(cg.community()))
    for name, fn in (("before afdf651 (a group at a time)", _first_touch_loop), ("now (column-wise)", R._first_touch)):
        best = min(_timed(fn, refs) for _ in range(3))
        print(f"  first touch, {name}: {best:.2f} s (best of 3) on {len(refs):,} claims")
    a, fa = _first_touch_loop(refs)
    b, fb = R._first_touch(refs)
    print(f"  same forest: {a.equals(b)}; same findings: {fa == fb} ({len(fb):,} referees claimed more than once)")
    cg.close()


def _timed(fn, *args) -> float:
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def loads(out: Path, tmp: Path) -> None:
    for name in REAL:
        folder = out / name
        if not folder.exists():
            print(f"  {name}: folder absent (python bench/real_folders.py {out} {name})")
            continue
        cg = graphcrm.open(tmp / f"{name}.duckdb")
        r = cg.load(folder, rejects_path=tmp / f"{name}-rej.csv")
        amb = cg.ambassadors(k=30, seed=0)
        print(f"  {name}: {r.loaded:,} rows loaded, {r.rejected:,} rejected; phone digits not stored: "
              f"{r.hidden_digits or 0}; phone-like owner ids: {r.phone_like_ids}; ambassadors(k=30): {len(amb)} "
              f"picks, {int((amb['direct_reach'] <= 0).sum())} with no tie to another owner")
        cg.close()


def workbook(out: Path, tmp: Path) -> None:
    src = out / "stackexchange_quantumcomputing"
    if not src.exists():
        print("  workbook: folder absent")
        return
    xl = tmp / "xl"
    xl.mkdir()
    for t in ("owners", "posts", "interactions"):
        pd.read_csv(src / f"{t}.csv").to_excel(xl / f"{t}.xlsx", index=False, sheet_name="数据")
    a, b = graphcrm.open(tmp / "csv.duckdb"), graphcrm.open(tmp / "xlsx.duckdb")
    a.load(src, rejects_path=tmp / "a.csv")
    b.load(xl, rejects_path=tmp / "b.csv")
    same = {t: a.table(t).equals(b.table(t)) for t in ("owners", "posts", "interactions")}
    print(f"  workbook (.xlsx, sheet 数据) against the CSV files, tables equal: {same}")
    a.close()
    b.close()


def mask_cost() -> None:
    from graphcrm.privacy import PhoneIdMask

    ordinary = np.array([f"O{i:07d}" for i in range(1_000_000)], dtype=object)
    phones = np.array([f"13{i:09d}" for i in range(1_000_000)], dtype=object)
    for name, ids in (("1,000,000 ordinary ids", ordinary), ("1,000,000 mobile numbers", phones)):
        print(f"  PhoneIdMask over {name}: {min(_timed(PhoneIdMask, ids) for _ in range(3)):.2f} s (best of 3)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path, help="the folder bench/real_folders.py wrote")
    ap.add_argument("--skip-first-touch", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if not a.skip_first_touch and (a.out / "bitcoin_otc").exists():
            print("1. first touch on Bitcoin OTC")
            first_touch(a.out / "bitcoin_otc", tmp)
        print("2-3. loads and ambassadors on the real folders")
        loads(a.out, tmp)
        print("4. a workbook")
        workbook(a.out, tmp)
        print("5. the report's phone-id mask")
        mask_cost()


if __name__ == "__main__":
    sys.exit(main())
