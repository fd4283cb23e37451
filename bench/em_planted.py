"""EM tie probabilities against a planted influence process (graphcrm.demo.plant_influence).

    python bench/em_planted.py                     # 2,000-owner demo, seed 0, 20 influencers, horizon 14 d

Spearman rank correlation of each EM setting's probabilities with the planted per-post
probabilities over the planted ties, mean probability on transmitting (p > 0) and silent
(p = 0) planted ties, beside the learned model's (docs/validation.md "Planted truth": 0.80).
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from graphcrm.algorithms.influence_em import em_influence
from graphcrm.algorithms.influence_learning import learn_influence
from graphcrm.community import Community
from graphcrm.demo import generate_demo, plant_influence


def _series(c: Community, df: pd.DataFrame, col: str) -> pd.Series:
    return pd.Series(df[col].to_numpy(), index=pd.MultiIndex.from_arrays([c.owner_ids[df["src"]],
                                                                          c.owner_ids[df["dst"]]]))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--owners", type=int, default=2000)
    ap.add_argument("--influencers", type=int, default=20)
    ap.add_argument("--horizon-days", type=float, default=14.0)
    args = ap.parse_args(argv)
    tables, _ = generate_demo(args.owners, seed=0)
    planted, truth = plant_influence(tables, influencers=args.influencers, seed=1)
    c = Community(planted)
    true = pd.Series(truth["ties"]["p"], index=pd.MultiIndex.from_arrays([truth["ties"]["src"], truth["ties"]["dst"]]))
    print(f"{args.owners:,} owners, {len(true):,} planted ties ({int((true > 0).sum()):,} transmitting), "
          f"horizon {args.horizon_days} d")
    print("| model | ties covered | Spearman | mean on p > 0 | mean on p = 0 |")
    print("|---|---|---|---|---|")

    def row(name: str, s: pd.Series) -> None:
        got = s.reindex(true.index)
        ok = got.notna()
        rho = spearmanr(true[ok], got[ok])[0]
        print(f"| {name} | {int(ok.sum()):,} | {rho:.3f} | {got[(true > 0) & ok].mean():.3f} | "
              f"{got[(true == 0) & ok].mean():.3f} |")

    li = learn_influence(c, horizon_days=args.horizon_days)
    row("learned", _series(c, li.edges, "prob"))
    for parents in ("neighbours", "sources"):
        for prior in (0.0, 2.0):
            ties, _ = em_influence(c, horizon_days=args.horizon_days, parents=parents, prior_trials=prior)
            row(f"em kappa, parents {parents}, prior {prior:g}", _series(c, ties, "kappa"))
            for act in ("share", "recent"):
                t2, _ = em_influence(c, horizon_days=args.horizon_days, parents=parents, prior_trials=prior,
                                     activity=act)
                row(f"em prob, parents {parents}, prior {prior:g}, activity {act}", _series(c, t2, "prob"))
    return None


if __name__ == "__main__":
    sys.exit(main())
