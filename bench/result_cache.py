"""What the one cache saves: repeated analyses, targets after the volunteer model, the referral forest.

    python bench/result_cache.py [--owners 20000] [--seed 0]

Generates the demo community and times, in one process, a cold ``kocs``, the same call again
(from the community's cache), ``volunteer_candidates(seed=0)`` with its validation, then
``targets`` (volunteer, referral and reactivation programs) on the same community - it reuses the
fitted volunteer model and the referral attribution - against the same ``targets`` on a fresh
community, and the four referral analyses on a fresh community (one cleaned forest for all).
Prints wall seconds per step.  Timings are never asserted in tests (tests/test_result_contract.py
counts the calls instead).
"""
from __future__ import annotations

import argparse
import time
import warnings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--owners", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")

    from graphcrm.algorithms.koc import kocs
    from graphcrm.algorithms.referrals import referral_attribution, referral_chains, referral_issues, top_referrers
    from graphcrm.algorithms.targeting import targets
    from graphcrm.algorithms.volunteers import volunteer_candidates
    from graphcrm.community import Community
    from graphcrm.demo import generate_demo

    tables, _ = generate_demo(args.owners, seed=args.seed)
    programs = ["volunteer_invite", "referral_reward", "reactivation"]

    def step(label: str, fn) -> None:
        t = time.perf_counter()
        fn()
        print(f"{label:62s} {time.perf_counter() - t:7.3f} s")

    c = Community(tables)
    step("kocs, cold (circles, referral forest, PageRank)", lambda: kocs(c))
    step("kocs again (from the cache)", lambda: kocs(c))
    step("volunteer_candidates(seed=0), with validation", lambda: volunteer_candidates(c, seed=0))
    step("targets (volunteer, referral, reactivation) after it", lambda: targets(c, programs=programs))
    fresh = Community(tables)
    step("the same targets on a fresh community", lambda: targets(fresh, programs=programs))
    other = Community(tables)
    step("chains, attribution, board, issues on a fresh community",
         lambda: (referral_chains(other), referral_attribution(other), top_referrers(other), referral_issues(other)))


if __name__ == "__main__":
    main()
