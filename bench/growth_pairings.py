"""Growth exponents over every pairing of several runs at two sizes (``bench/pipeline_bench.py
--json`` files): the exponent of the steps' summed wall seconds for each (small, large) pair, and
per step the range over the pairs, so one noisy run does not decide the exponent.

    python bench/growth_pairings.py --small k1.json k2.json k3.json --large m1.json m2.json

The exponent is log(t_large / t_small) / log(owners_large / owners_small).  Steps under 0.05 s in
a small run are left out of the per-step table (their exponents are timer noise).
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
from pathlib import Path


def _run(path: Path) -> dict:
    data = json.loads(path.read_text())
    return data[0] if isinstance(data, list) else data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", nargs="+", type=Path, required=True)
    ap.add_argument("--large", nargs="+", type=Path, required=True)
    a = ap.parse_args()
    small, large = [_run(p) for p in a.small], [_run(p) for p in a.large]
    span = math.log(large[0]["owners"] / small[0]["owners"])

    def steps(r: dict) -> dict[str, float]:
        return {s["step"]: s["seconds"] for s in r["steps"] if s["step"] != "worker" and not s.get("error")}

    total = []
    for p, s in zip(a.small, small):
        for q, g in zip(a.large, large):
            e = math.log(sum(steps(g).values()) / sum(steps(s).values())) / span
            total.append(e)
            print(f"{p.name} -> {q.name}: steps' sum {sum(steps(s).values()):.1f} -> {sum(steps(g).values()):.1f} s, "
                  f"exponent {e:.3f}")
    print(f"steps' sum: exponent {min(total):.2f}-{max(total):.2f} (median {statistics.median(total):.2f}) "
          f"over {len(total)} pairings")
    names = list(steps(large[0]))
    print(f"{'step':24s} {'min':>6s} {'median':>7s} {'max':>6s}")
    for name in names:
        es = [math.log(steps(g)[name] / steps(s)[name]) / span for s in small for g in large
              if steps(s).get(name, 0) >= 0.05 and steps(g).get(name, 0) > 0]
        if es:
            print(f"{name:24s} {min(es):6.2f} {statistics.median(es):7.2f} {max(es):6.2f}")


if __name__ == "__main__":
    main()
