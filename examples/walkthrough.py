# %% [markdown]
# # graphcrm walkthrough: the Python API on the demo community
#
# This walkthrough generates the demo community (a NIO-like owner community with planted KOCs,
# volunteers and referral anomalies), loads it into a temporary store and runs every analysis:
# KOCs, circles, referral chains and integrity, ambassadors, volunteer candidates, owner levels,
# incentive targets, and finally the HTML report.
#
# The same content exists as a plain script (`python examples/walkthrough.py --owners 3000`) and
# as a notebook (`examples/walkthrough.ipynb`).  Everything is seeded: same seed, same results.

# %%
import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

import graphcrm
from graphcrm.demo import write_demo

parser = argparse.ArgumentParser(description="graphcrm walkthrough on the demo community")
parser.add_argument("--owners", type=int, default=3000, help="owners in the demo community (at least 1,000)")
parser.add_argument("--out", type=Path, default=None, help="folder for the data, store and report (default: a temp folder)")
parser.add_argument("--lang", default="en", choices=["en", "zh"], help="language of reasons and the report")
args, _ = parser.parse_known_args()  # (in a notebook, ignore the kernel's own arguments)

OWNERS, LANG, SEED = args.owners, args.lang, 0
work = args.out or Path(tempfile.mkdtemp(prefix="graphcrm-walkthrough-"))
work.mkdir(parents=True, exist_ok=True)
pd.set_option("display.width", 200)
pd.set_option("display.max_columns", 12)
pd.set_option("display.max_colwidth", 70)
started = time.perf_counter()
print(f"working in {work}")

# %% [markdown]
# ## 1. The demo community, written as the CSV data contract
# `write_demo` writes `owners.csv`, `referrals.csv`, `events.csv`, `attendance.csv`, `posts.csv`
# and `interactions.csv`: what a community team's exports should look like.

# %%
truth = write_demo(work / "demo", OWNERS, seed=SEED)
print({name: Path(path).name for name, path in truth["files"].items()})
print(pd.read_csv(truth["files"]["owners"], nrows=3).drop(columns=["name"]))  # (names are PII: not printed)

# %% [markdown]
# ## 2. Load it into a store
# The default store is one local DuckDB file; `bolt://host:7687` opens Neo4j instead.  Loading
# validates every row and reports read = loaded + rejected per table.

# %%
cg = graphcrm.open(work / "community.duckdb")
report = cg.load(work / "demo")
print(report.format())
print(cg.info())

# %% [markdown]
# ## 3. Graph projections, and networkx for notebook users
# Three projections share one vertex order (owner_id): referrals (referrer → referee),
# interactions (engager → author, weighted by kind) and co-attendance (weighted by 1/(n−1) per event).

# %%
g = cg.graph("interactions")
print(g.summary().splitlines()[0])
G = cg.to_networkx("referrals")
print(f"networkx referral graph: {G.number_of_nodes():,} owners, {G.number_of_edges():,} referrals")
busiest = max(G.out_degree(), key=lambda kv: kv[1])
print(f"most direct referrals: {busiest[0]} with {busiest[1]}")

# %% [markdown]
# ## 4. KOCs: who moves other owners
# Each component is its own column; `reason` explains the score in plain words.

# %%
kocs = cg.kocs(lang=LANG)
print(kocs[["rank", "owner_id", "score", "reach", "engagement", "authority", "conversion", "bridging"]].head(10))
print(kocs["reason"].iloc[0])
planted = set(truth["kocs"])
print(f"planted KOCs in the top {len(planted)}: {len(planted & set(kocs['owner_id'].head(len(planted))))} of {len(planted)}")

# %% [markdown]
# ## 5. Circles (圈层): Leiden on shared events and interactions

# %%
circles = cg.circles(seed=SEED, lang=LANG)
profiles = cg.circle_profiles(circles_frame=circles, kocs_frame=kocs, lang=LANG)
print(profiles[["circle", "size", "top_cities", "density", "leaders"]].head(8))
print(f"bridges between circles: {int(circles['is_bridge'].sum()):,}")

# %% [markdown]
# ## 6. Referral chains, attribution, top referrers and integrity findings

# %%
chains = cg.referral_chains(lang=LANG)
roots = chains[chains["depth"] == 0].sort_values("chain_size", ascending=False)
print(roots[["owner_id", "chain_size", "chain_depth", "downstream_conversions"]].head(5))
credit = cg.referral_attribution(lang=LANG)
print(credit.head(5))
print(cg.top_referrers(period="quarter", top=5, lang=LANG)[["list", "rank", "owner_id", "conversions", "reason"]].head(8))
issues = cg.referral_issues(lang=LANG)
print(issues["kind"].value_counts())

# %% [markdown]
# ## 7. Ambassadors by influence maximization (OPIM-C with SUBSIM sampling)
# The picks come with their marginal gain; with `details=True` the side results are typed fields:
# `spread_curve` is the expected reach for k = 0..k and `mc_check` a Monte Carlo check of the final set.

# %%
amb, amb_info = cg.ambassadors(k=10, seed=SEED, lang=LANG, details=True)
print(amb[["rank", "owner_id", "city", "marginal_gain", "cumulative_reach", "main_channel"]])
mc = amb_info.mc_check
print(f"Monte Carlo spread of the 10 picks: {mc.mean:.0f} owners (95% CI {mc.ci_low:.0f}-{mc.ci_high:.0f}, {mc.runs} runs)")
print(amb_info.spread_curve.tail(3))

# %% [markdown]
# ## 8. Volunteer candidates, with the built-in hold-out validation

# %%
vol, info = cg.volunteer_candidates(seed=SEED, lang=LANG, details=True)  # details: typed side results
print(vol[["owner_id", "score", "events_attended", "events_led", "reason"]].head(8))
v = info.validation
print(f"validation: AUC {v.auc:.3f}, recall@{v.k} {v.recall_at_k:.2f} ({v.hidden} hidden volunteers)")

# %% [markdown]
# ## 9. Owner levels (fixed, explainable thresholds) and what each owner needs next

# %%
levels = cg.owner_levels(lang=LANG)
print(levels["level_name"].value_counts())
print(levels[["owner_id", "level_name", "contribution", "next_step"]].head(5))

# %% [markdown]
# ## 10. Incentive targets for the CRM (staff and opted-out owners never appear)

# %%
targets = cg.targets(campaign="walkthrough", seed=SEED, lang=LANG, ambassadors_k=10)
print(targets.groupby("program").size())
targets.to_csv(work / "targets.csv", index=False, encoding="utf-8-sig")
print(f"targets written to {work / 'targets.csv'}")

# %% [markdown]
# ## 11. The community report: one self-contained HTML file plus every table as CSV

# %%
html_path = cg.report(work / "report.html", lang=LANG, seed=SEED, ambassadors_k=10)
print(f"report: {html_path} ({html_path.stat().st_size / 1024:,.0f} KiB); tables in {work / 'report-csv'}")
cg.close()
print(f"walkthrough done in {time.perf_counter() - started:.1f} s")
