"""Trial (issue #14): the resolution chosen by Newman's self-consistent estimate, on the labelled networks.

    python bench/circles_newman_trial.py            # the 8 SocioPatterns networks, seeds 0-4 (about 5 minutes)

Newman (2016, "Equivalence between modularity optimization and maximum likelihood methods for
community detection", Phys. Rev. E 94, 052315) shows that modularity at resolution gamma is the
log-likelihood of a degree-corrected planted-partition model whose in- and out-group rates
omega_in, omega_out satisfy gamma = (omega_in - omega_out) / (ln omega_in - ln omega_out).  Given
a partition, the rates have closed-form estimates (total tie weight w, strengths k, circle
strengths kappa_r, inside weight w_in):

    omega_in  = 2 w_in / (sum_r kappa_r^2 / 2w)
    omega_out = (2w - 2 w_in) / (2w - sum_r kappa_r^2 / 2w)

so gamma can be iterated to a fixed point: Leiden at gamma, re-estimate gamma from its circles,
until gamma moves less than 1e-3 (at most 30 rounds).  A resolution chosen from the data by a
stated model, not by stability or by the labels - a candidate for ``circles``' resolution rule.

Per network and seed (0-4) it prints NMI / ARI against the labels of:

* ``graphcrm default`` - ``circles(community, seed=s)`` as shipped;
* ``newman raw`` - Leiden (igraph, modularity, to convergence) at Newman's gamma, tie weights as
  loaded (the contact windows);
* ``newman unweighted`` - the same on the unweighted graph (every tie weight 1: the Poisson model
  counts ties, and contact windows are far more dispersed than Poisson counts);
* ``graphcrm at newman-unweighted gamma`` - ``circles(community, resolution=gamma)`` (graphcrm's
  consensus on the weighted graph) at the median unweighted gamma of the five seeds;
* the baselines on the same weighted graph, same seeds, same run: networkx Louvain, igraph
  Leiden (modularity, resolution 1) and igraph Infomap (``bench/validate_circles.py``'s).

Nothing here is used by the package: a trial whose numbers are in docs/validation.md.
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

import igraph as ig
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validate_circles import SEEDS, baselines, labelled_sets  # noqa: E402

from graphcrm.algorithms.circles import circles, combined_graph, compare_partitions  # noqa: E402
from graphcrm.community import Community  # noqa: E402


def newman_gamma(g: ig.Graph, w: np.ndarray, memb: np.ndarray) -> float | None:
    """Newman's gamma of a partition (None when it has no more weight inside than the null model)."""
    m2 = 2.0 * float(w.sum())
    k = np.asarray(g.strength(weights=w))
    el = np.asarray(g.get_edgelist())
    w_in2 = 2.0 * float(w[memb[el[:, 0]] == memb[el[:, 1]]].sum())
    s = float((np.bincount(memb, weights=k) ** 2).sum()) / m2
    w_in, w_out = w_in2 / s, (m2 - w_in2) / (m2 - s)
    if not (w_in > w_out > 0):
        return None
    return (w_in - w_out) / (np.log(w_in) - np.log(w_out))


def newman_leiden(g: ig.Graph, w: np.ndarray, seed: int, *, rounds: int = 30) -> tuple[float, np.ndarray]:
    """(gamma at the fixed point, Leiden's circles there), Leiden seeded by ``seed`` each round."""
    gamma, memb = 1.0, None
    for _ in range(rounds):
        random.seed(seed)
        memb = np.asarray(g.community_leiden(objective_function="modularity", weights=w, resolution=gamma,
                                             n_iterations=-1).membership)
        new = newman_gamma(g, w, memb)
        if new is None:
            break
        done = abs(new - gamma) < 1e-3
        gamma = new
        if done:
            break
    return gamma, memb


def main() -> None:
    sets = labelled_sets()
    if not sets:
        print("(skipped: ../shared/data/sociopatterns absent)")
        return
    print("| network | graphcrm default | newman raw (gamma) | newman unweighted (gamma) | graphcrm at that gamma "
          "| networkx Louvain | igraph Leiden | igraph Infomap |")
    print("|---|---|---|---|---|---|---|---|")
    for name, frames, lab in sets:
        c = Community.from_frames(frames)
        ids = c.owner_ids
        truth = lab.reindex(ids)
        known = truth.notna().to_numpy()
        u, v, w = combined_graph(c)
        w = np.asarray(w, dtype=float)
        g = ig.Graph(n=len(ids), edges=list(zip(u.tolist(), v.tolist())))

        def score(parts: list[np.ndarray]) -> str:
            sc = [compare_partitions(truth[known], p[known]) for p in parts]
            return f"{np.mean([x['nmi'] for x in sc]):.3f} / {np.mean([x['ari'] for x in sc]):.3f}"

        default = [circles(c, seed=s).set_index("owner_id").loc[ids, "circle"].to_numpy() for s in SEEDS]
        raw = [newman_leiden(g, w, s) for s in SEEDS]
        unw = [newman_leiden(g, np.ones_like(w), s) for s in SEEDS]
        gamma_u = float(np.median([x[0] for x in unw]))
        at = [circles(c, seed=s, resolution=gamma_u).set_index("owner_id").loc[ids, "circle"].to_numpy() for s in SEEDS]
        base = baselines(c)
        print(f"| {name} | {score(default)} | {score([m for _, m in raw])} ({np.median([x[0] for x in raw]):.2f}) "
              f"| {score([m for _, m in unw])} ({gamma_u:.2f}) | {score(at)} | {score(base['networkx Louvain'])} "
              f"| {score(base['igraph Leiden (modularity)'])} | {score(base['igraph Infomap'])} |", flush=True)


if __name__ == "__main__":
    main()
