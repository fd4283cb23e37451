"""The community report: one self-contained HTML file, plus every table as CSV.

:func:`build_report` runs the analyses through the :class:`~graphcrm.api.CommunityGraph`
methods (the analyses of :data:`graphcrm.analyses.REGISTRY`, with ``details=True``: side
results are the typed details each analysis declares, and results already computed on the
community with the same options are reused from its cache), draws the charts with matplotlib (inline SVG, text kept as text so Chinese is drawn by
the browser's fonts) and writes one HTML file that needs no network: no scripts, fonts,
stylesheets or images from anywhere else.

Sections: headline numbers with the change against the previous period; the KOC leaderboard;
the circle map; referral chains (level and size distributions, the largest chains as trees);
referral integrity findings; ambassador picks with the spread-vs-k curve; the volunteer pipeline
with its validation AUC; owner levels as a pyramid.  A section whose analysis cannot run on the
data (:class:`~graphcrm.errors.GraphCRMError`) shows a visible note saying so instead of being
left out; an unexpected error in one section is reported in that
section (and logged) without stopping the others, unless ``strict=True``.

Privacy: owner names are never shown or written: owners appear by ``owner_id`` with city and car
model.  Every string that comes from the data is HTML-escaped.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import html
import itertools
import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pandas as pd

from graphcrm.contract import CONVERTED_STAGES
from graphcrm.errors import GraphCRMError, ResultContractError
from graphcrm.i18n import check_lang
from graphcrm.progress import Progress, steps
from graphcrm.reports import charts
from graphcrm.reports import headline as hl
from graphcrm.reports.text import t

log = logging.getLogger("graphcrm.report")

#: report sections in order: key, label key
SECTIONS: tuple[tuple[str, str], ...] = (
    ("headline", "sec_headline"),
    ("kocs", "sec_koc"),
    ("circles", "sec_circles"),
    ("referrals", "sec_referrals"),
    ("integrity", "sec_integrity"),
    ("ambassadors", "sec_ambassadors"),
    ("volunteers", "sec_volunteers"),
    ("levels", "sec_levels"),
)

#: columns never shown nor written (personal data)
PII_COLUMNS = ("name", "phone", "mobile", "email", "wechat", "id_card")

def esc(value: Any) -> str:
    """HTML-escape any value (None and NaN become an empty string)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


@dataclass
class Section:
    key: str
    title: str
    status: str = "ok"  #: ok | unavailable | failed
    body: str = ""
    note: str = ""


@dataclass
class _Ctx:
    cg: Any
    lang: str
    since: Any
    until: Any
    seed: int
    k: int
    top: int
    csv_dir: Path
    csv_href: str
    strict: bool
    progress: Progress = None
    community: Any = None
    full: Any = None
    meta: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)
    csvs: list = field(default_factory=list)

    def call(self, name: str, **options: Any) -> tuple[pd.DataFrame, Any]:
        """Run analysis ``name`` (of :data:`graphcrm.analyses.REGISTRY`) through its
        CommunityGraph method on the report's window with exactly ``options`` (an option the
        analysis does not take is an error, never dropped); return ``(table, details)``."""
        return getattr(self.cg, name)(since=self.since, until=self.until, details=True, **options)

    # -- owners -------------------------------------------------------------------------
    def owner_label(self, oid: str) -> str:
        city, model = self.meta.get(oid, ("", ""))
        return " · ".join(x for x in (str(oid), city, model) if x)

    def owner_cell(self, oid: Any) -> str:
        city, model = self.meta.get(str(oid), ("", ""))
        sub = " · ".join(x for x in (city, model) if x)
        return f'<span class="oid">{esc(oid)}</span>' + (f'<span class="meta">{esc(sub)}</span>' if sub else "")

    # -- CSV --------------------------------------------------------------------------
    def csv(self, df: pd.DataFrame, name: str) -> str:
        """Write ``df`` (PII columns dropped) as ``name``.csv (UTF-8 with BOM, formula-safe: see
        :func:`graphcrm.files.escape_formulas`); return the file name."""
        from graphcrm.files import write_csv

        df = _drop_pii(df)
        self.csv_dir.mkdir(parents=True, exist_ok=True)
        fname = f"{name}.csv"
        write_csv(df, self.csv_dir / fname, what="the report table")  # formula-safe, atomic
        if fname not in self.csvs:
            self.csvs.append(fname)
        return fname

    def csv_link(self, fname: str) -> str:
        href = f"{self.csv_href}/{fname}" if self.csv_href else fname
        return f'<a class="csv" href="{esc(href)}">{esc(fname)}</a>'


def _drop_pii(df: pd.DataFrame) -> pd.DataFrame:
    drop = [c for c in df.columns if str(c).lower() in PII_COLUMNS]
    return (df.drop(columns=drop) if drop else df).copy()


# ----------------------------------------------------------------------------------------------
# formatting
# ----------------------------------------------------------------------------------------------
def _num(x: Any, digits: int | None = None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return ""
    if isinstance(x, (bool, np.bool_)):
        return "✓" if x else ""
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}"
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if digits is not None:
            return f"{x:,.{digits}f}"
        if x.is_integer() and abs(x) < 1e12:
            return f"{int(x):,}"
        if abs(x) >= 100:
            return f"{x:,.0f}"
        if abs(x) >= 1:
            return f"{x:,.2f}"
        return f"{x:.3f}"
    return str(x)


def _pct(x: float, digits: int = 0) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x * 100:.{digits}f}%"


@dataclass
class Col:
    """A table column: source column, header, and how to render a cell."""
    name: str
    header: str
    kind: str = "text"  #: text | num | pct | owner | owners | reason
    digits: int | None = None


def table(ctx: _Ctx, df: pd.DataFrame, cols: list[Col], *, csv_name: str | None, total: int | None = None,
          rows: int | None = None, cls: str = "") -> str:
    """An HTML table of the first ``rows`` rows (every cell escaped) and a line naming its CSV."""
    rows = ctx.top if rows is None else rows
    total = len(df) if total is None else total
    missing = [c.name for c in cols if c.name not in df.columns]
    if missing:  # the sections name declared columns: a missing one is a bug, never skipped
        raise ResultContractError(f"report table {csv_name or ''}: no column(s) {missing}")
    head = "".join(f'<th class="{c.kind}">{esc(c.header)}</th>' for c in cols)
    body = []
    for rec in df.head(rows).to_dict("records"):
        cells = []
        for c in cols:
            v = rec.get(c.name)
            if c.kind == "owner":
                cell = ctx.owner_cell(v) if v not in (None, "") else ""
            elif c.kind == "owners":
                ids = [x for x in str(v or "").split(",") if x]
                cell = " ".join(f'<span class="oid">{esc(x)}</span>' for x in ids[:5]) + (" …" if len(ids) > 5 else "")
            elif c.kind == "num":
                cell = esc(_num(v, c.digits))
            elif c.kind == "pct":
                cell = esc(_pct(v, c.digits or 0))
            else:
                cell = esc(v)
            cells.append(f'<td class="{c.kind}">{cell}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        return f'<p class="muted">{esc(t("no_rows", ctx.lang))}</p>'
    out = f'<div class="tbl-wrap {cls}"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'
    if csv_name:
        key = "top_rows" if total > min(rows, len(df)) else "all_rows"
        out += (f'<p class="tbl-foot">{esc(t(key, ctx.lang, n=min(rows, len(df)), total=f"{total:,}"))} '
                f'{ctx.csv_link(csv_name)}</p>')
    return out


def _val(value: Any, lang: str) -> str:
    """A known enum value (channel, action) in ``lang``; anything else unchanged."""
    from graphcrm.reports.text import LABELS

    key = f"v_{value}"
    return t(key, lang) if key in LABELS else value


def _chart(svg: str, cls: str = "") -> str:
    return f'<figure class="chart {cls}">{svg}</figure>'


def _note(kind: str, text: str) -> str:
    icon = {"missing": "ⓘ", "unavailable": "⚠", "failed": "✖", "ok": "✓", "info": "ⓘ"}.get(kind, "ⓘ")
    return f'<div class="note note-{kind}"><span class="icon">{icon}</span><span>{esc(text)}</span></div>'


# ----------------------------------------------------------------------------------------------
# sections
# ----------------------------------------------------------------------------------------------
def _headline(ctx: _Ctx) -> str:
    L = ctx.lang
    full = ctx.full
    cur, prev, explicit = hl.periods(full.tables, full.as_of, ctx.since, ctx.until)
    ctx.results["periods"] = (cur, prev, explicit)
    df = hl.headline(full.tables, cur, prev)
    ctx.csv(df, "headline")
    m = df.set_index("metric")
    cards = []
    for key, note in (("owners", t("owners_note", L)), ("active_owners", t("active_note", L)),
                      ("events", t("events_note", L)), ("interactions", t("interactions_note", L)),
                      ("referred_share", t("referred_note", L, a=f"{int(m.loc['new_referred', 'current']):,}",
                                           b=f"{int(m.loc['new_owners', 'current']):,}")),
                      ("volunteers", t("volunteers_note", L, a=f"{int(m.loc['volunteers_led', 'current']):,}"))):
        cur_v, prev_v, ch = m.loc[key, "current"], m.loc[key, "previous"], m.loc[key, "change"]
        if key == "referred_share":
            value, prev_s = _pct(cur_v), _pct(prev_v)
            delta = "" if math.isnan(ch) else f"{ch:+.1f} {t('pp', L)}"
        else:
            value, prev_s = f"{int(cur_v):,}", f"{int(prev_v):,}"
            delta = "" if math.isnan(ch) else f"{ch * 100:+.1f}%"
        trend = "flat" if not delta or abs(ch) < 1e-9 else ("up" if ch > 0 else "down")
        arrow = {"up": "▲", "down": "▼", "flat": "■"}[trend]
        delta_html = (f'<span class="delta {trend}">{arrow} {esc(delta)}</span>' if delta
                      else f'<span class="delta flat">{esc(t("new", L)) if prev_v == 0 and cur_v else "–"}</span>')
        cards.append(
            f'<div class="kpi kpi-{key}"><div class="kpi-label">{esc(t(key, L))}</div>'
            f'<div class="kpi-value">{esc(value)}</div>'
            f'<div class="kpi-delta">{delta_html}<span class="prev">{esc(t("prev", L))} {esc(prev_s or "–")}</span></div>'
            f'<div class="kpi-note">{esc(note)}</div></div>')
    days = cur.days
    basis = (t("headline_basis_window", L, cur=cur.label(), prev=prev.label(), days=f"{days:g}") if explicit
             else t("headline_basis_default", L, cur=cur.label(), prev=prev.label()))
    weeks = int(min(104, max(12, math.ceil((cur.end - prev.start).days / 7) + 12)))
    wk = hl.weekly(full.tables, cur.end, weeks=weeks)
    ctx.csv(wk, "weekly_activity")
    labels = {k: t(k, L) for k in ("weekly_active", "weekly_new", "referred", "not_referred", "this_period",
                                   "prev_period", "activity_title")}
    svg = charts.activity_chart(wk, current=(cur.start, cur.end), previous=(prev.start, prev.end), labels=labels)
    return (f'<p class="basis">{esc(basis)}</p><div class="kpis">{"".join(cards)}</div>'
            + _chart(svg, "activity"))


def _koc_parts(df: pd.DataFrame) -> pd.DataFrame:
    """Each component's share of the score (log-normalised and weighted as in the KOC module)."""
    from graphcrm.algorithms.koc import COMPONENTS, DEFAULT_WEIGHTS

    parts = pd.DataFrame(index=df.index)
    for c in COMPONENTS:  # declared columns of KOCS
        x = df[c].clip(lower=0).to_numpy(float)
        mx = x.max() if len(x) else 0.0
        parts[c] = DEFAULT_WEIGHTS[c] * (np.log1p(x) / np.log1p(mx) if mx > 0 else 0.0)
    gated = ~df["qualified"].to_numpy(bool)
    for c in ("reach", "engagement", "authority", "bridging"):
        parts.loc[gated, c] = 0.0
    tot = parts.sum(axis=1).to_numpy()
    score = df["score"].to_numpy(float)
    scale = np.divide(score, tot, out=np.zeros_like(score), where=tot > 0)
    return parts.mul(scale, axis=0)


def _kocs(ctx: _Ctx) -> str:
    L = ctx.lang
    df, _ = ctx.call("kocs", lang=L)
    ctx.results["kocs"] = df
    fname = ctx.csv(df, "kocs")
    if df.empty:
        return _note("info", t("empty", L))
    top = df.head(min(15, ctx.top))
    parts = _koc_parts(df).loc[top.index]
    names = [ctx.owner_label(o) for o in top["owner_id"]]
    svg = charts.koc_chart(names, parts, part_labels={c: t(c, L) for c in parts.columns}, title=t("koc_chart", L),
                           score_label=t("score", L))
    cols = [Col("rank", "#", "num"), Col("owner_id", t("h_owner", L), "owner"), Col("score", t("score", L), "num", 1),
            Col("reach", t("reach", L), "num"), Col("engagement", t("engagement", L), "num", 0),
            Col("authority", t("authority", L), "num", 2), Col("conversion", t("conversion", L), "num", 1),
            Col("bridging", t("bridging", L), "num"), Col("reason", t("h_reason", L), "reason")]
    return (f'<p class="lead">{esc(t("koc_lead", L))}</p>' + _chart(svg)
            + table(ctx, df, cols, csv_name=fname, cls="scroll"))


def _inter_circle_ties(ctx: _Ctx, memb: np.ndarray) -> pd.DataFrame:
    """Owner pairs with a tie (shared event or interaction) between different circles, per circle pair."""
    c = ctx.community
    n = len(c.owner_ids)
    us, vs = [], []
    for kind in ("coattendance", "interactions"):
        g = c.graph(kind)
        if g.ecount():
            e = np.fromiter(itertools.chain.from_iterable(g.get_edgelist()), dtype=np.int64,
                            count=2 * g.ecount()).reshape(-1, 2)
            us.append(np.minimum(e[:, 0], e[:, 1]))
            vs.append(np.maximum(e[:, 0], e[:, 1]))
    if not us:
        return pd.DataFrame(columns=["a", "b", "weight"])
    u = np.concatenate(us)
    v = np.concatenate(vs)
    key = np.unique(u * n + v)
    u, v = key // n, key % n
    a, b = memb[u], memb[v]
    ok = (a >= 0) & (b >= 0) & (a != b)
    lo, hi = np.minimum(a[ok], b[ok]), np.maximum(a[ok], b[ok])
    if not len(lo):
        return pd.DataFrame(columns=["a", "b", "weight"])
    ties = pd.DataFrame({"a": lo, "b": hi}).groupby(["a", "b"]).size().rename("weight").reset_index()
    return ties


def _circles(ctx: _Ctx) -> str:
    L = ctx.lang
    circ, _ = ctx.call("circles", seed=ctx.seed, lang=L)
    ctx.results["circles"] = circ
    ctx.csv(circ, "circle_members")
    opts: dict[str, Any] = {"circles_frame": circ, "lang": L, "circle_options": {"seed": ctx.seed}}
    if isinstance(ctx.results.get("kocs"), pd.DataFrame):
        opts["kocs_frame"] = ctx.results["kocs"]
    else:
        opts["leaders"] = 0
    prof, _ = ctx.call("circle_profiles", **opts)
    fname = ctx.csv(prof, "circles")
    owners = ctx.community.owners
    memb = circ.set_index("owner_id")["circle"].reindex(ctx.community.owner_ids).fillna(-1).to_numpy(np.int64)
    real = prof[prof["circle"] >= 0]
    alone = int((memb < 0).sum())
    if real.empty:
        return _note("info", t("empty", L))
    drawn = real.sort_values(["size", "circle"], ascending=[False, True]).head(40)
    drawn = drawn[drawn["size"] >= 2] if (drawn["size"] >= 2).any() else drawn
    ids = set(drawn["circle"].astype(int))
    # each drawn circle is named after its main city and coloured by its main region (else city)
    def dominant(col: str) -> pd.Series:
        vals = owners[col].fillna("").astype(str).to_numpy() if col in owners else np.full(len(owners), "")
        d = pd.DataFrame({"circle": memb, "v": vals})
        d = d[d["circle"].isin(ids) & (d["v"] != "")]
        return (d.groupby(["circle", "v"]).size().rename("n").reset_index()
                .sort_values(["circle", "n", "v"], ascending=[True, False, True]).drop_duplicates("circle")
                .set_index("circle")["v"])
    city = dominant("city")
    group = dominant("region")
    if group.empty:
        group = city
    rank = (drawn.assign(g=drawn["circle"].map(group)).groupby("g")["size"].sum().sort_values(ascending=False))
    colored = list(rank.index[:9])
    cmap = {g: charts.SERIES[i] for i, g in enumerate(colored)}
    ties = _inter_circle_ties(ctx, memb)
    ties = ties[ties["a"].isin(ids) & ties["b"].isin(ids)]
    if len(ties):
        size = drawn.set_index("circle")["size"]
        ties = ties.assign(norm=ties["weight"] / np.sqrt(ties["a"].map(size) * ties["b"].map(size)))
        strongest = pd.concat([ties.sort_values(["norm", "a", "b"], ascending=[False, True, True]).groupby(col).head(2)
                               for col in ("a", "b")])
        ties = strongest.drop_duplicates(["a", "b"]).sort_values(["norm", "a", "b"], ascending=[False, True, True]).head(100)
    ctx.csv(ties[["a", "b", "weight"]].rename(columns={"a": "circle_a", "b": "circle_b", "weight": "ties"})
            if len(ties) else pd.DataFrame(columns=["circle_a", "circle_b", "ties"]), "circle_ties")
    order = drawn["circle"].astype(int).tolist()
    nodes = pd.DataFrame({
        "circle": order,
        "size": drawn["size"].to_numpy(),
        "color": [cmap.get(group.get(c, ""), charts.OTHER) for c in order],
        "name": [city.get(c, "") for c in order],
    })
    legend = [(g, cmap[g]) for g in colored] + ([(t("other_city", L), charts.OTHER)] if len(rank) > len(colored) else [])
    svg = charts.circle_map(nodes, ties[["a", "b", "weight"]] if len(ties) else pd.DataFrame(columns=["a", "b", "weight"]),
                            title=t("circle_map", L), legend=legend)
    covered = drawn["size"].sum() / max(int((memb >= 0).sum()), 1)
    summary = t("circles_summary", L, n=f"{len(real):,}", m=len(drawn), covered=covered, alone=f"{alone:,}")
    cols = [Col("circle", t("circle", L), "num"), Col("size", t("members", L), "num"), Col("share", "%", "pct", 1),
            Col("top_cities", t("h_cities", L), "text"), Col("top_car_models", t("h_models", L), "text"),
            Col("density", t("h_density", L), "num", 3), Col("internal_share", t("h_inside", L), "pct"),
            Col("leaders", t("h_leaders", L), "owners"), Col("bridges", t("h_bridges", L), "owners")]
    return (f'<p class="lead">{esc(t("circles_lead", L))}</p><p class="summary">{esc(summary)}</p>' + _chart(svg)
            + table(ctx, prof, cols, csv_name=fname, rows=min(ctx.top, 15), cls="scroll"))


def _size_bins(sizes: pd.Series) -> pd.Series:
    out = {}
    for lo, hi in charts.SIZE_BINS:
        lbl = f"{lo}" if lo == hi else (f"{lo}+" if hi is None else f"{lo}–{hi}")
        sel = (sizes >= lo) & ((sizes <= hi) if hi is not None else True)
        out[lbl] = int(sel.sum())
    s = pd.Series(out)
    nz = np.flatnonzero(s.to_numpy() > 0)
    return s.iloc[: nz.max() + 1] if len(nz) else s.iloc[:0]


#: largest chains drawn: at most this many owners per tree, and this many referees per owner
TREE_NODES = 500
TREE_CHILDREN = 25


def _tree_sample(m: pd.DataFrame, root: str, *, max_nodes: int, max_children: int) -> pd.DataFrame:
    """A readable part of one chain: breadth-first from the starter, at most ``max_children``
    referees per owner (those with the largest downstream first), at most ``max_nodes`` owners.
    Rows come parents first, the starter in row 0."""
    kids = (m[m["depth"] > 0].sort_values(["referrer_id", "total_downstream", "owner_id"],
                                          ascending=[True, False, True], kind="mergesort")
            .groupby("referrer_id", sort=False)["owner_id"].agg(list).to_dict())
    order = [root]
    head = 0
    while head < len(order) and len(order) < max_nodes:
        order.extend(kids.get(order[head], [])[:max_children][: max_nodes - len(order)])
        head += 1
    return m.set_index("owner_id").loc[order].reset_index()


def _referrals(ctx: _Ctx) -> str:
    L = ctx.lang
    ch, _ = ctx.call("referral_chains", lang=L)
    ctx.results["chains"] = ch
    ctx.csv(ch, "referral_chains")
    if ch.empty:
        return _note("info", t("empty", L))
    roots = ch[ch["depth"] == 0]
    converted = ch["stage"].isin(CONVERTED_STAGES)
    med = ch.assign(d=ch["days_to_delivery"]).groupby("root_id")["d"].median()
    conv = ch[converted].groupby("root_id").size()
    chains = pd.DataFrame({
        "root_id": roots["owner_id"].to_numpy(),
        "chain_size": roots["chain_size"].to_numpy(),
        "chain_depth": roots["chain_depth"].to_numpy(),
        "conversions": roots["owner_id"].map(conv).fillna(0).astype(int).to_numpy(),
        "median_days_to_delivery": roots["owner_id"].map(med).to_numpy(),
        "reason": roots["reason"].to_numpy(),
    }).sort_values(["chain_size", "chain_depth", "conversions", "root_id"],
                   ascending=[False, False, False, True], kind="mergesort").reset_index(drop=True)
    fname = ctx.csv(chains, "referral_trees")
    depth_counts = ch[ch["depth"] >= 1]["depth"].value_counts().sort_index()
    size_counts = _size_bins(roots["chain_size"])
    labels = {k: t(k, L) for k in ("depth_dist", "size_dist", "level", "owners_axis", "chains_axis", "top_chains",
                                   "converted", "not_converted", "chain_root", "level_rings")}
    parts = [f'<p class="lead">{esc(t("referrals_lead", L))}</p>',
             f'<p class="summary">{esc(t("chains_summary", L, chains=f"{len(roots):,}", owners=f"{len(ch):,}", largest=f"{int(chains.chain_size.max()):,}", deepest=int(chains.chain_depth.max())))}</p>']
    if len(depth_counts):
        parts.append(_chart(charts.referral_distributions(depth_counts, size_counts, labels=labels)))
    trees = []
    by_root = ch.groupby("root_id", sort=False)
    for rid in chains["root_id"].head(4):
        m = by_root.get_group(rid)
        total = len(m)
        sel = _tree_sample(m, rid, max_nodes=TREE_NODES, max_children=TREE_CHILDREN)
        pos = {o: i for i, o in enumerate(sel["owner_id"])}
        parent = [pos.get(r, -1) if i else -1 for i, r in enumerate(sel["referrer_id"])]
        size = int(chains.loc[chains["root_id"] == rid, "chain_size"].iloc[0])
        depth = int(chains.loc[chains["root_id"] == rid, "chain_depth"].iloc[0])
        trees.append({"title": t("chain_title", L, root=rid, size=f"{size:,}", depth=depth), "parent": parent,
                      "converted": sel["stage"].isin(CONVERTED_STAGES).to_numpy(),
                      "note": t("shown_of", L, a=f"{len(sel):,}", b=f"{total:,}") if total > len(sel) else ""})
    if trees and chains["chain_size"].iloc[0] >= 2:
        parts.append(_chart(charts.referral_trees(trees, labels=labels))
                     + f'<p class="caption">{esc(t("trees_caption", L, c=TREE_CHILDREN, n=TREE_NODES))}</p>')
    cols = [Col("root_id", t("h_starter", L), "owner"), Col("chain_size", t("owners_axis", L), "num"),
            Col("chain_depth", t("level", L), "num"), Col("conversions", t("conversion", L), "num"),
            Col("median_days_to_delivery", t("h_days", L), "num", 0), Col("reason", t("h_reason", L), "reason")]
    parts.append(table(ctx, chains, cols, csv_name=fname, rows=min(ctx.top, 10)))
    return "".join(parts)


_ISSUE_ORDER = ("self_referral", "cycle", "double_claim", "staff_referral", "after_delivery", "burst")


def _integrity(ctx: _Ctx) -> str:
    L = ctx.lang
    df, _ = ctx.call("referral_issues", lang=L)
    fname = ctx.csv(df, "referral_issues")
    if df.empty:
        return f'<p class="lead">{esc(t("integrity_lead", L))}</p>' + _note("ok", t("integrity_ok", L))
    counts = df["kind"].astype(str).value_counts()
    kinds = [k for k in _ISSUE_ORDER if k in counts.index] + sorted(k for k in counts.index if k not in _ISSUE_ORDER)
    names = [t(k, L) if k in _ISSUE_ORDER else k for k in kinds]
    svg = charts.hbar(names, [int(counts[k]) for k in kinds], title=t("integrity_chart", L), color=charts.SERIES[3],
                      width=7.5)
    shown = df.copy()
    shown["kind"] = [t(k, L) if k in _ISSUE_ORDER else k for k in shown["kind"].astype(str)]
    shown["action"] = [_val(a, L) for a in shown["action"]]
    cols = [Col("kind", t("h_kind", L), "text"), Col("owner_id", t("h_owner", L), "owner"), Col("owners", t("h_owners", L), "owners"),
            Col("action", t("h_action", L), "text"), Col("reason", t("h_evidence", L), "reason")]
    return (f'<p class="lead">{esc(t("integrity_lead", L))}</p>' + _chart(svg, "narrow")
            + table(ctx, shown, cols, csv_name=fname, total=len(df), cls="scroll"))


def _ambassadors(ctx: _Ctx) -> str:
    from graphcrm.reports.ambassador_side import ambassador_results

    L = ctx.lang
    df, side = ambassador_results(ctx.community, k=ctx.k, seed=ctx.seed, lang=L, progress=ctx.progress)
    fname = ctx.csv(df, "ambassadors")
    parts = [f'<p class="lead">{esc(t("ambassadors_lead", L))}</p>']
    mc_t = None
    if side.mc_mean is not None:
        mean, lo, hi = side.mc_mean, side.mc_ci_low, side.mc_ci_high
        mc_t = (mean, lo, hi)
        parts.append(f'<p class="summary">{esc(t("spread_mc", L, k=len(df), mean=f"{mean:,.0f}", lo=f"{lo:,.0f}", hi=f"{hi:,.0f}"))}</p>')
    curve = side.spread_curve
    if len(curve):
        ctx.csv(curve, "spread_curve")
        labels = {k: t(k, L) for k in ("spread_title", "spread_k", "spread_y")}
        svg = charts.spread_curve(curve["k"].to_numpy(float), curve["expected_reach"].to_numpy(float),
                                  lo=None, hi=None, picked=len(df) if len(df) else None,
                                  mc=mc_t if len(df) else None, labels=labels)
        parts.append(_chart(svg))
    cols = [Col("rank", "#", "num"), Col("owner_id", t("h_owner", L), "owner"),
            Col("marginal_gain", t("h_gain", L), "num", 1), Col("cumulative_reach", t("h_cum", L), "num", 0),
            Col("direct_reach", t("h_direct", L), "num"), Col("main_channel", t("h_channel", L), "text"),
            Col("reason", t("h_reason", L), "reason")]
    shown = df.copy()
    shown["main_channel"] = [_val(x, L) for x in shown["main_channel"]]
    parts.append(table(ctx, shown, cols, csv_name=fname, total=len(df), cls="scroll"))
    return "".join(parts)


def _volunteers(ctx: _Ctx) -> str:
    L = ctx.lang
    df, info = ctx.call("volunteer_candidates", seed=ctx.seed, lang=L)
    fname = ctx.csv(df, "volunteer_candidates")
    c = ctx.community
    owners = c.owners
    staff = owners["is_staff"].fillna(False).astype(bool)
    ids = owners["owner_id"][~staff].astype(str)
    att = c.tables["attendance"]
    att = att[att["checked_in"].fillna(True).astype(bool) & att["owner_id"].astype(str).isin(set(ids))]
    per = att.groupby("owner_id")["event_id"].nunique()
    led = att[att["role"].isin(("organizer", "host", "volunteer"))]["owner_id"].nunique()
    vols = int(owners["is_volunteer"].fillna(False).astype(bool)[~staff].sum())
    cands = int((df["score"] >= 0.5).sum())
    stages = [t("f_owners", L), t("f_attended", L), t("f_regular", L), t("f_led", L), t("f_volunteers", L),
              t("f_candidates", L)]
    values = [len(ids), int((per >= 1).sum()), int((per >= 3).sum()), int(led), vols, cands]
    ctx.csv(pd.DataFrame({"stage": ["owners", "attended", "attended_3_plus", "led_or_helped", "volunteers",
                                    "candidates_score_0_5"], "owners": values}), "volunteer_pipeline")
    svg = charts.funnel(stages, values, title=t("funnel_title", L), highlight_last=True)
    val = info.validation
    if val is not None and not math.isnan(val.auc):
        auc = val.auc
        rec = val.recall_at_k
        kk = val.k
        grade = "good" if auc >= 0.85 else ("fair" if auc >= 0.7 else "poor")
        side = (f'<div class="auc auc-{grade}"><div class="kpi-label">{esc(t("auc", L))}</div>'
                f'<div class="auc-value">{auc:.2f}</div>'
                + f'<div class="kpi-note">{esc(t("recall", L, k=kk))}: {esc(_pct(rec))}</div>'
                + f'<p class="auc-note">{esc(t("auc_note", L, hidden=val.hidden, auc=f"{auc:.2f}", recall=_pct(rec), k=kk))}</p></div>')
        ctx.csv(pd.DataFrame([dataclasses.asdict(val)]), "volunteer_validation")
    else:
        side = _note("info", t("no_validation", L))
    cols = [Col("owner_id", t("h_owner", L), "owner"), Col("score", t("score", L), "num", 2),
            Col("events_attended", t("f_attended", L), "num"), Col("events_led", t("f_led", L), "num"),
            Col("active_weeks", t("h_weeks", L), "num"), Col("helping", t("h_helping", L), "num"),
            Col("reason", t("h_reason", L), "reason")]
    return (f'<p class="lead">{esc(t("volunteers_lead", L))}</p>'
            f'<div class="split">{_chart(svg, "half")}{side}</div>'
            + table(ctx, df, cols, csv_name=fname, cls="scroll"))


def _levels(ctx: _Ctx) -> str:
    L = ctx.lang
    df, info = ctx.call("owner_levels", lang=L)
    fname = ctx.csv(df, "owner_levels")
    if df.empty:
        return _note("info", t("empty", L))
    levels = info.levels  # the ladder used, lowest first (level_rank is the position)
    names = [lv[L] for lv in levels]
    ranks = list(range(len(levels)))
    counts = df["level_rank"].value_counts().reindex(ranks, fill_value=0)
    med = df.groupby("level_rank")["contribution"].median().reindex(ranks)
    summary = pd.DataFrame({"level": [lv["level"] for lv in levels],
                            "level_name": names, "owners": counts.to_numpy(),
                            "share": counts.to_numpy() / max(len(df), 1), "median_contribution": med.to_numpy()})
    sname = ctx.csv(summary, "level_summary")
    svg = charts.pyramid(names, counts.to_numpy(), title=t("pyramid_title", L), width=5.6)
    close = df[(df["next_level"].astype(str) != "")].sort_values(["points_to_next", "level_rank", "contribution", "owner_id"],
                                                                 ascending=[True, False, False, True], kind="mergesort")
    close = close[close["level_rank"] >= 1] if (close["level_rank"] >= 1).any() else close
    cols_s = [Col("level_name", t("level", L), "text"), Col("owners", t("owners_axis", L), "num"),
              Col("share", "%", "pct", 1), Col("median_contribution", t("h_median_points", L), "num", 0)]
    cols = [Col("owner_id", t("h_owner", L), "owner"), Col("level_name", t("level", L), "text"),
            Col("contribution", t("h_points", L), "num", 0), Col("next_step", t("h_next", L), "reason")]
    return (f'<p class="lead">{esc(t("levels_lead", L))}</p>'
            f'<div class="split">{_chart(svg, "half")}<div>{table(ctx, summary, cols_s, csv_name=sname, rows=20)}</div></div>'
            + f'<h3>{esc(t("closest_title", L))}</h3>'
            + table(ctx, close, cols, csv_name=fname, total=len(df), rows=min(ctx.top, 10)))


_BUILDERS: dict[str, Callable[[_Ctx], str]] = {
    "headline": _headline, "kocs": _kocs, "circles": _circles, "referrals": _referrals,
    "integrity": _integrity, "ambassadors": _ambassadors, "volunteers": _volunteers, "levels": _levels,
}


def _run_section(ctx: _Ctx, key: str, label: str) -> Section:
    L = ctx.lang
    sec = Section(key=key, title=t(label, L))
    try:
        sec.body = _BUILDERS[key](ctx)
    except GraphCRMError as exc:
        if isinstance(exc, ResultContractError):  # a bug in graphcrm, not the data: a failed section
            if ctx.strict:
                raise
            log.exception("report section %s failed", key)
            sec.status, sec.note = "failed", t("failed", L, detail=f"{type(exc).__name__}: {exc}")
            return sec
        sec.status, sec.note = "unavailable", t("unavailable", L, detail=str(exc))
        log.info("report section %s: %s", key, exc)
    except Exception as exc:  # noqa: BLE001 - one broken section must not sink the weekly report
        if ctx.strict:
            raise
        log.exception("report section %s failed", key)
        sec.status, sec.note = "failed", t("failed", L, detail=f"{type(exc).__name__}: {exc}")
    return sec


# ----------------------------------------------------------------------------------------------
# page
# ----------------------------------------------------------------------------------------------
CSS = """
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f3f5fa;--card:#fff;--primary:#2563eb;
--good:#059669;--bad:#dc2626;--warn:#b45309;
--font:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans CJK SC","Noto Sans SC",
"Source Han Sans SC","PingFang SC","Hiragino Sans GB","Microsoft YaHei","WenQuanYi Micro Hei","Noto Sans",sans-serif;
--mono:ui-monospace,"SFMono-Regular",Menlo,Consolas,"Noto Sans Mono CJK SC","DejaVu Sans Mono",monospace}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font-family:var(--font);font-size:15px;line-height:1.5}
svg text{font-family:var(--font)!important}
header.top{background:linear-gradient(120deg,#0f172a 0%,#1e3a8a 55%,#2563eb 100%);color:#fff;padding:34px 0 84px}
.wrap{max-width:1160px;margin:0 auto;padding:0 24px}
header.top h1{margin:0 0 4px;font-size:32px;letter-spacing:.2px}
header.top .sub{opacity:.85;font-size:16px;margin:0 0 16px}
header.top .facts{display:flex;flex-wrap:wrap;gap:8px 22px;font-size:13px;opacity:.9}
header.top .facts b{font-weight:600;opacity:.75;margin-right:6px}
nav.toc{display:flex;flex-wrap:wrap;gap:8px;margin-top:18px}
nav.toc a{color:#fff;text-decoration:none;background:rgba(255,255,255,.14);border:1px solid rgba(255,255,255,.22);
padding:4px 12px;border-radius:999px;font-size:13px}
nav.toc a.st-missing,nav.toc a.st-unavailable,nav.toc a.st-failed{opacity:.6;border-style:dashed}
main{margin-top:-60px}
section.card{background:var(--card);border-radius:16px;box-shadow:0 1px 2px rgba(15,23,42,.06),0 8px 24px rgba(15,23,42,.06);
padding:24px 28px;margin:0 0 22px}
section.card h2{margin:0 0 6px;font-size:21px;display:flex;align-items:center;gap:10px}
section.card h2 .num{display:inline-flex;width:28px;height:28px;border-radius:8px;background:#eff6ff;color:var(--primary);
font-size:14px;align-items:center;justify-content:center}
section.card h3{font-size:15px;margin:18px 0 8px;color:var(--ink)}
p.lead{color:var(--muted);margin:0 0 12px;max-width:920px}
p.summary,p.basis{margin:0 0 14px;font-weight:500}
p.basis{color:var(--muted);font-weight:400;font-size:14px}
.kpis{display:grid;grid-template-columns:repeat(6,1fr);gap:14px;margin:6px 0 18px}
@media (max-width:1000px){.kpis{grid-template-columns:repeat(3,1fr)}}
@media (max-width:620px){.kpis{grid-template-columns:repeat(2,1fr)}}
.kpi{border:1px solid var(--line);border-radius:14px;padding:14px 14px 12px;background:linear-gradient(180deg,#fff,#fafbff)}
.kpi-label{font-size:13px;color:var(--muted);font-weight:600}
.kpi-value{font-size:30px;font-weight:750;letter-spacing:-.5px;margin:2px 0;font-variant-numeric:tabular-nums}
.kpi-delta{display:flex;gap:8px;align-items:center;flex-wrap:wrap;font-size:12.5px}
.delta{font-weight:700;padding:1px 7px;border-radius:999px}
.delta.up{color:var(--good);background:#ecfdf5}.delta.down{color:var(--bad);background:#fef2f2}
.delta.flat{color:var(--muted);background:#f3f4f6}
.prev{color:var(--muted)}
.kpi-note{font-size:12px;color:var(--muted);margin-top:6px;line-height:1.35}
figure.chart{margin:8px 0 16px;text-align:center}
p.caption{color:var(--muted);font-size:12.5px;margin:-8px 0 16px;text-align:center}
figure.chart svg{display:inline-block}
figure.chart.narrow svg{max-width:720px!important}
.split{display:grid;grid-template-columns:1.1fr 1fr;gap:22px;align-items:start}
@media (max-width:900px){.split{grid-template-columns:1fr}}
.auc{border-radius:14px;padding:18px 20px;border:1px solid var(--line);margin-top:8px}
.auc-good{background:#ecfdf5;border-color:#a7f3d0}.auc-fair{background:#fffbeb;border-color:#fde68a}
.auc-poor{background:#fef2f2;border-color:#fecaca}
.auc-value{font-size:44px;font-weight:800;letter-spacing:-1px}
.auc-note{color:var(--muted);font-size:13.5px;margin:8px 0 0}
.tbl-wrap{overflow:auto;border:1px solid var(--line);border-radius:12px}
.tbl-wrap.scroll{max-height:460px}
table{border-collapse:collapse;width:100%;font-size:13.5px}
thead th{position:sticky;top:0;background:#f8fafc;color:var(--muted);font-weight:600;text-align:left;
padding:8px 10px;border-bottom:1px solid var(--line);white-space:nowrap}
td{padding:7px 10px;border-bottom:1px solid #f1f5f9;vertical-align:top}
tbody tr:nth-child(even){background:#fbfcfe}
td.num,th.num,td.pct,th.pct{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.reason{color:#374151;min-width:280px;font-size:13px}
.oid{font-family:var(--mono);font-size:12.5px;background:#f1f5f9;border-radius:6px;padding:1px 6px;white-space:nowrap}
td.owner .meta{display:block;white-space:nowrap;color:var(--muted);font-size:12px;margin-top:2px}
td.owners .oid{margin:0 2px 2px 0;display:inline-block}
.tbl-foot{color:var(--muted);font-size:12.5px;margin:6px 2px 0}
a.csv{color:var(--primary);text-decoration:none;font-family:var(--mono);font-size:12px}
.note{display:flex;gap:10px;align-items:flex-start;border-radius:12px;padding:12px 14px;margin:8px 0;font-size:14px}
.note .icon{font-weight:700}
.note-missing,.note-info{background:#f1f5f9;color:#334155;border:1px dashed #cbd5e1}
.note-unavailable{background:#fffbeb;color:var(--warn);border:1px solid #fde68a}
.note-failed{background:#fef2f2;color:var(--bad);border:1px solid #fecaca}
.note-ok{background:#ecfdf5;color:var(--good);border:1px solid #a7f3d0}
.muted{color:var(--muted)}
ul.csvs{columns:3;font-size:13px;padding-left:18px}
@media (max-width:800px){ul.csvs{columns:1}}
footer{color:var(--muted);font-size:12.5px;text-align:center;padding:10px 0 40px}
@media print{body{background:#fff}section.card{box-shadow:none;border:1px solid var(--line);break-inside:avoid}
header.top{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


def _safe_store(uri: str) -> str:
    """The store for the page: a server URI without credentials, or a local file's name only."""
    uri = str(uri)
    try:
        parts = urlsplit(uri)
    except ValueError:
        parts = None
    if parts is not None and parts.scheme and parts.netloc:
        host = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    return Path(uri).name or uri


def _page(ctx: _Ctx, sections: list[Section], *, generated: str) -> str:
    L = ctx.lang
    from graphcrm import __version__

    cur, prev, _ = ctx.results.get("periods", (None, None, None))
    facts = []
    if cur is not None:
        facts.append(f'<span><b>{esc(t("period", L))}</b>{esc(cur.label())} · {esc(t("compared_with", L))} {esc(prev.label())}</span>')
    facts.append(f'<span><b>{esc(t("data_until", L))}</b>{esc(f"{ctx.full.as_of:%Y-%m-%d %H:%M}")}</span>')
    facts.append(f'<span><b>{esc(t("store", L))}</b>{esc(_safe_store(getattr(ctx.cg.store, "uri", "")))}</span>')
    facts.append(f'<span><b>{esc(t("generated", L))}</b>{esc(generated)}</span>')
    toc = "".join(f'<a href="#{s.key}" class="st-{s.status}">{esc(s.title)}</a>' for s in sections)
    cards = []
    for i, s in enumerate(sections, 1):
        body = s.body if s.status == "ok" else _note(s.status, s.note)
        cards.append(f'<section class="card sec-{s.key} st-{s.status}" id="{s.key}" data-status="{s.status}">'
                     f'<h2><span class="num">{i}</span>{esc(s.title)}</h2>{body}</section>')
    csv_items = "".join(f"<li>{ctx.csv_link(f)}</li>" for f in ctx.csvs)
    about = (f'<section class="card sec-about" id="about"><h2>{esc(t("sec_about", L))}</h2>'
             f'<p class="lead">{esc(t("privacy", L))}</p>'
             f'<p class="muted">{esc(t("csv_files", L))}: <span class="oid">{esc(ctx.csv_href or ".")}/</span></p>'
             f'<ul class="csvs">{csv_items}</ul></section>')
    lang_attr = "zh-CN" if L == "zh" else "en"
    return (f'<!DOCTYPE html>\n<html lang="{lang_attr}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="generator" content="graphcrm {esc(__version__)}">'
            f'<title>{esc(t("title", L))}</title><style>{CSS}</style></head><body>'
            f'<header class="top"><div class="wrap"><h1>{esc(t("title", L))}</h1>'
            f'<p class="sub">{esc(t("subtitle", L))}</p><div class="facts">{"".join(facts)}</div>'
            f'<nav class="toc" aria-label="{esc(t("contents", L))}">{toc}</nav></div></header>'
            f'<main class="wrap">{"".join(cards)}{about}</main>'
            f'<footer>{esc(t("footer", L, version=__version__))}</footer></body></html>\n')


def build_report(
    cg: Any,
    *,
    path: str | os.PathLike = "report.html",
    lang: str = "en",
    since: Any = None,
    until: Any = None,
    csv_dir: str | os.PathLike | None = None,
    seed: int = 0,
    k_ambassadors: int = 30,
    top: int = 20,
    progress: Progress = None,
    strict: bool = False,
) -> Path:
    """Write the self-contained HTML community report and its tables as CSV.

    Parameters
    ----------
    cg : graphcrm.CommunityGraph
        The community (``graphcrm.open(...)``).
    path : path, default "report.html"
        The HTML file to write (its folder is created).
    lang : {"en", "zh"}
        Language of headings, labels and reason texts.
    since, until : date-like, optional
        Time window of the analyses; the headline compares it with the window of the same length
        just before.  Without a window the headline compares the last 30 days of data with the
        30 days before, and the analyses use all data.
    csv_dir : path, optional
        Folder for the CSV files (UTF-8 with BOM so that Excel shows Chinese correctly); default:
        ``<html name>-csv`` next to the HTML file.
    seed : int, default 0
        Seed of the random parts (circles, ambassadors, volunteer validation, layouts).
    k_ambassadors : int, default 30
        Number of ambassadors picked.
    top : int, default 20
        Rows shown per table (the CSV files have every row).
    progress : bool or None
        Progress bar: ``None`` on a terminal only, ``True`` always, ``False`` never.
    strict : bool, default False
        Re-raise unexpected errors of a section (and a result that breaks its declaration,
        :class:`~graphcrm.errors.ResultContractError`) instead of reporting them in the page.
        Other :class:`~graphcrm.errors.GraphCRMError` (the data cannot support the analysis)
        are always reported as a note in their section.

    Returns
    -------
    pathlib.Path
        The HTML file written.  CSV files written: ``headline``, ``weekly_activity``, ``kocs``,
        ``circle_members``, ``circles``, ``circle_ties``, ``referral_chains``, ``referral_trees``,
        ``referral_issues``, ``ambassadors``, ``spread_curve``, ``volunteer_candidates``,
        ``volunteer_pipeline``, ``volunteer_validation``, ``owner_levels``, ``level_summary``
        (each only when its section could be computed).

    Raises
    ------
    ConfigError
        Bad ``lang``, dates or options.
    OutputFileError
        ``path`` is a folder or the store file, or ``csv_dir`` already holds input tables
        (``owners.csv`` ...); raised before any analysis runs.

    Example
    -------
    >>> import graphcrm, tempfile, pathlib                       # doctest: +SKIP
    >>> from graphcrm.demo import write_demo                     # doctest: +SKIP
    >>> d = pathlib.Path(tempfile.mkdtemp())                     # doctest: +SKIP
    >>> _ = write_demo(d / "demo", 1_500)                        # doctest: +SKIP
    >>> cg = graphcrm.open(d / "demo.duckdb"); _ = cg.load(d / "demo")  # doctest: +SKIP
    >>> cg.report(d / "report.html", lang="zh").exists()         # doctest: +SKIP
    True
    """
    from graphcrm.errors import ConfigError

    L = check_lang(lang)
    if int(k_ambassadors) < 1:
        raise ConfigError(f"k_ambassadors must be at least 1, got {k_ambassadors!r}")
    if int(top) < 1:
        raise ConfigError(f"top must be at least 1, got {top!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    csv_path = Path(csv_dir) if csv_dir is not None else path.with_name(f"{path.stem}-csv")
    from graphcrm.files import check_output_dir, check_output_path, store_files

    check_output_path(path, what="the report file", protect=store_files(getattr(cg, "store", None)))
    check_output_dir(csv_path, what="the CSV folder")  # never over a folder of input tables
    try:
        href = os.path.relpath(csv_path.resolve(), path.parent.resolve()).replace(os.sep, "/")
    except ValueError:  # different drives on Windows
        href = csv_path.resolve().as_uri()
    ctx = _Ctx(cg=cg, lang=L, since=since, until=until, seed=int(seed), k=int(k_ambassadors), top=int(top),
               csv_dir=csv_path, csv_href=href, strict=strict, progress=progress)
    names = ["load"] + [k for k, _ in SECTIONS] + ["write"]
    charts.reset_ids()
    with steps(names, desc="report", progress=progress) as step:
        step("load")
        ctx.full = cg.community()
        ctx.community = cg.community(since, until)
        o = ctx.community.owners
        city = o["city"].fillna("").astype(str) if "city" in o else pd.Series("", index=o.index)
        model = o["car_model"].fillna("").astype(str) if "car_model" in o else pd.Series("", index=o.index)
        ctx.meta = dict(zip(o["owner_id"].astype(str), zip(city, model)))
        sections = []
        for key, label in SECTIONS:
            step(key)
            sections.append(_run_section(ctx, key, label))
        step("write")
        generated = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        page = _page(ctx, sections, generated=generated)
        path.write_text(page, encoding="utf-8")
    log.info("report written to %s (%d CSV files in %s)", path, len(ctx.csvs), csv_path)
    return path
