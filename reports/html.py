"""The community report: one self-contained HTML file, plus every table as CSV.

:func:`build_report` runs the analyses through the :class:`~graphcrm.api.CommunityGraph`
methods (the analyses of :data:`graphcrm.analyses.REGISTRY`, with ``details=True``: side
results are the typed details each analysis declares, and results already computed on the
community with the same options are reused from its cache), draws the charts with matplotlib (inline SVG, text kept as text so Chinese is drawn by
the browser's fonts) and writes one HTML file that needs no network: no scripts, fonts,
stylesheets or images from anywhere else.

Sections (:data:`SECTIONS`): "This week", the action list built from the targets and findings;
headline numbers with the change against the previous period and a drill-down; the KOC
leaderboard; the circle map; referral chains (level and size distributions, the largest chains
as trees); referral integrity findings; ambassador picks with the spread-vs-k curve and the
guarantee in words; the targets table for the CRM; the volunteer pipeline with its validation;
owner levels as a pyramid; movement (drifting owners, rising stars, level transitions, new-owner
cohorts); the backtest; recorded campaigns' lift.  Every table has a legend with each column's
unit and meaning from the analysis's :class:`~graphcrm.results.ResultSpec`.  A section whose analysis cannot run on the
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
import logging
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pandas as pd

from graphcrm.contract import CONVERTED_STAGES
from graphcrm.errors import GraphCRMError, ResultContractError
from graphcrm.i18n import check_lang, error_text
from graphcrm.privacy import PhoneIdMask
from graphcrm.progress import Progress, steps
from graphcrm.reports import charts
from graphcrm.reports import headline as hl
from graphcrm.reports.text import t

log = logging.getLogger("graphcrm.report")

#: report sections in the order shown: key, label key
SECTIONS: tuple[tuple[str, str], ...] = (
    ("actions", "sec_actions"),
    ("headline", "sec_headline"),
    ("kocs", "sec_koc"),
    ("circles", "sec_circles"),
    ("referrals", "sec_referrals"),
    ("integrity", "sec_integrity"),
    ("ambassadors", "sec_ambassadors"),
    ("targets", "sec_targets"),
    ("volunteers", "sec_volunteers"),
    ("levels", "sec_levels"),
    ("movement", "sec_movement"),
    ("backtest", "sec_backtest"),
    ("campaigns", "sec_campaigns"),
    ("regulars", "sec_regulars"),
)
#: sections built after all others (they read the others' results), shown where SECTIONS puts them
LATE = ("headline", "actions")
#: the sections' calls that need only the tables, with the options the sections pass (``lang`` is
#: added where the analysis takes it): ``graphcrm run --jobs 2`` computes them ahead in its first
#: worker (:class:`graphcrm.reports.prefetch.Ahead`), so a section that calls an analysis of this
#: kind lists it here rather than in the worker's code
TABLE_ONLY_CALLS: tuple[tuple[str, dict], ...] = (("new_owner_cohort", {}), ("event_regulars", {}))
#: sections that may be built after later ones (none of the others reads what they leave in the
#: context; only the LATE ones do), with the analyses each calls: while a second process
#: (``graphcrm run --jobs 2``) is still computing one of them
#: (:meth:`graphcrm.community.Community.pending`), the sections that are ready are built first,
#: so the report waits only when nothing else is left.  The page keeps :data:`SECTIONS`' order.
DEFERRABLE: dict[str, tuple[str, ...]] = {
    "referrals": ("referral_chains",), "integrity": ("referral_issues",), "ambassadors": ("ambassadors",),
    "volunteers": ("volunteer_candidates",), "levels": ("owner_levels",),
    "movement": ("drifting_owners", "rising_stars", "level_transitions", "movement", "new_owner_cohort"),
    "backtest": ("backtest",), "regulars": ("event_regulars",),
}

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
    csv_lang: str = "en"
    campaign: Any = None
    amb_options: dict = field(default_factory=dict)
    target_options: dict = field(default_factory=dict)
    community: Any = None
    full: Any = None
    segment: Any = None  #: graphcrm.segments.Segment or None (all owners)
    seg_owners: Any = None  #: the segment's owner ids (set) or None
    meta: dict = field(default_factory=dict)
    #: the owner ids that are phone numbers, masked in the page and the CSV tables (graphcrm.privacy)
    phone_ids: PhoneIdMask = field(default_factory=lambda: PhoneIdMask(()))
    results: dict = field(default_factory=dict)  #: what a later section reads (targets, issues, drifting owners, counts)
    csvs: list = field(default_factory=list)
    section: str = ""  #: the section being built
    csv_section: dict = field(default_factory=dict)  #: the section that first wrote each CSV file

    def call(self, name: str, *, whole: bool = False, **options: Any) -> tuple[pd.DataFrame, Any]:
        """Run analysis ``name`` (of :data:`graphcrm.analyses.REGISTRY`) through its
        CommunityGraph method on the report's window with exactly ``options`` (an option the
        analysis does not take is an error, never dropped); return ``(table, details)``.

        With a segment the analysis runs on the whole community and the table keeps the
        segment's owners (ambassadors and targets pick only them); ``whole=True`` asks for the
        whole community's table (e.g. to draw whole referral trees)."""
        seg = None if whole else self.segment
        return getattr(self.cg, name)(since=self.since, until=self.until, segment=seg, details=True, **options)

    def in_segment(self, ids: Any) -> np.ndarray:
        """A mask: which of ``ids`` are segment owners (all True without a segment)."""
        ids = pd.Series(ids).astype(str)
        if self.seg_owners is None:
            return np.ones(len(ids), dtype=bool)
        return hl.member(ids, self.seg_owners)

    def whole_note(self) -> str:
        """A note for a table about the whole community (shown only in a segment's report)."""
        return _note("info", t("seg_whole", self.lang)) if self.segment is not None else ""

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
        :func:`graphcrm.files.escape_formulas`); return the file name.  Decimals are rounded for
        people (:func:`round_for_people`); with ``csv_lang="zh"`` the headers are Chinese."""
        from graphcrm.files import write_csv
        from graphcrm.reports.text import csv_header

        df = round_for_people(_drop_pii(df))
        df = self.phone_ids.frame(df)
        if self.csv_lang == "zh":
            df = df.rename(columns={c: csv_header(str(c), "zh") for c in df.columns})
        self.csv_dir.mkdir(parents=True, exist_ok=True)
        fname = f"{name}.csv"
        write_csv(df, self.csv_dir / fname, what="the report table")  # formula-safe, atomic
        if fname not in self.csvs:
            self.csvs.append(fname)
            self.csv_section[fname] = self.section
        return fname

    def csv_link(self, fname: str) -> str:
        href = f"{self.csv_href}/{fname}" if self.csv_href else fname
        return f'<a class="csv" href="{esc(href)}">{esc(fname)}</a>'


def round_for_people(df: pd.DataFrame) -> pd.DataFrame:
    """Float columns rounded for people: 2 decimals, 3 for values below 1 (shares, scores 0-1)."""
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_float_dtype(s.dtype):
            small = s.abs().max() < 1 if s.notna().any() else False
            out[c] = s.round(3 if small else 2)
    return out


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
    """A table column: source column, header, how to render a cell, and where its meaning is
    declared (``src``: ``"analysis.column"`` of a ResultSpec, or ``"report.key"`` for a column
    the report derives; ``how``: a label key saying how the value is shown, e.g. as a multiple
    of the median)."""
    name: str
    header: str
    kind: str = "text"  #: text | num | pct | owner | owners | reason
    digits: int | None = None
    src: str = ""
    how: str = ""


def legend(ctx: _Ctx, cols: list[Col]) -> str:
    """The table's legend: for every column with a declared meaning, its header, the plain meaning
    and the unit (from the analysis's ResultSpec, see :func:`graphcrm.reports.text.meaning`)."""
    from graphcrm.reports.text import meaning

    items = []
    for c in cols:
        if not c.src:
            continue
        unit, text = meaning(c.src, ctx.lang)
        if not text:
            continue
        extra = f" {t(c.how, ctx.lang)}" if c.how else ""
        unit_s = f' <span class="unit">[{esc(unit)}]</span>' if unit else ""
        items.append(f"<li><b>{esc(c.header)}</b>{unit_s}: {esc(text)}{esc(extra)}</li>")
    if not items:
        return ""
    return f'<ul class="legend" aria-label="{esc(t("legend", ctx.lang))}">{"".join(items)}</ul>'


def table(ctx: _Ctx, df: pd.DataFrame, cols: list[Col], *, csv_name: str | None, total: int | None = None,
          rows: int | None = None, cls: str = "") -> str:
    """An HTML table of the first ``rows`` rows (every cell escaped), its legend and a line
    naming its CSV."""
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
            elif c.kind == "reason":
                cell = esc(_zh_values(v, ctx.lang) if isinstance(v, str) else v)
            else:
                cell = esc(v)
            cells.append(f'<td class="{c.kind}">{cell}</td>')
        body.append('<tr class="row">' + "".join(cells) + "</tr>")
    if not body:
        return f'<p class="muted">{esc(t("no_rows", ctx.lang))}</p>'
    out = (f'<div class="tbl-wrap {cls}"><table data-csv="{esc(csv_name or "")}"><thead><tr>{head}</tr></thead>'
           f'<tbody>{"".join(body)}</tbody></table></div>')
    out += legend(ctx, cols)
    if csv_name:
        key = "top_rows" if total > min(rows, len(df)) else "all_rows"
        out += (f'<p class="tbl-foot">{esc(t(key, ctx.lang, n=min(rows, len(df)), total=f"{total:,}"))} '
                f'{ctx.csv_link(csv_name)}</p>')
    return out


#: enum values (stages, event kinds) and formula words the analyses write into Chinese reasons and
#: circle names untranslated (e.g. "阶段 delivered", "深圳 · charity")
_ZH_ENUMS = {"lead": "线索", "test_drive": "试驾", "order": "下订", "delivered": "已提车", "delivery": "提车",
             "meetup": "聚会", "drive": "自驾", "charity": "公益", "launch": "新车发布", "training": "培训",
             "workshop": "工作坊", "test drive": "试驾", "max": "最大值",
             "MAD": "绝对中位差", "several cities": "多个城市", "no circle": "无圈层", "other": "其他"}
_ZH_RE = None


def _zh_values(text: Any, lang: str) -> Any:
    """Chinese text with the enum values it quotes translated (``阶段 delivered`` -> ``阶段 已提车``);
    only whole words between non-letters are replaced, so owner ids and car models stay."""
    global _ZH_RE
    if lang != "zh" or not isinstance(text, str):
        return text
    import re

    if _ZH_RE is None:
        words = sorted(_ZH_ENUMS, key=len, reverse=True)
        _ZH_RE = re.compile(r"(?<![A-Za-z_])(" + "|".join(re.escape(w) for w in words) + r")(?![A-Za-z_])")
    return _ZH_RE.sub(lambda m: _ZH_ENUMS[m.group(1)], text)


def _val(value: Any, lang: str) -> str:
    """A known enum value (channel, action) in ``lang``; anything else unchanged."""
    from graphcrm.reports.text import LABELS

    key = f"v_{value}"
    return t(key, lang) if key in LABELS else value


def _drawn(ctx: _Ctx, draw: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``draw(*args, **kwargs)`` (a chart of :mod:`graphcrm.reports.charts`: SVG markup or a list
    of it), kept with the results like the report's other intermediates: keyed by the chart, its
    inputs (frames and arrays by content) and the SVG id counter it starts from, so a report on
    the same data and kept results (``graphcrm report`` after ``graphcrm run``) reuses the
    markup byte for byte instead of drawing it again with matplotlib."""
    start = charts._counter[0]
    # object arrays by their values (freeze would hash their pointers)
    plain = [a.tolist() if isinstance(a, np.ndarray) and a.dtype == object else a for a in args]
    opts = {"args": plain, "kwargs": kwargs, "ids_from": start}

    def compute() -> dict[str, Any]:
        return {"svg": draw(*args, **kwargs), "ids_to": charts._counter[0]}

    got = ctx.community.memo(f"result:report_chart_{draw.__name__}", opts, compute)
    charts._counter[0] = got["ids_to"]
    return got["svg"]


def _chart(svg: str, cls: str = "") -> str:
    return f'<figure class="chart {cls}">{svg}</figure>'


def _panels(svgs: list[str], cls: str = "") -> str:
    """Panels of one chart (each its own SVG): side by side on a wide screen, one per row on
    a phone (the CSS grid of ``div.panels``), each keeping its own readable size."""
    if isinstance(svgs, str):
        return _chart(svgs, cls)
    figs = "".join(f'<figure class="chart panel {cls}">{svg}</figure>' for svg in svgs)
    return f'<div class="panels panels-{len(svgs)}" style="--panels:{len(svgs)}">{figs}</div>'


def segment_tables(tables: dict[str, pd.DataFrame], owners: set[str] | None) -> dict[str, pd.DataFrame]:
    """The community's tables as the segment's owners see them: their owner rows, the posts
    they wrote, the interactions and referrals they made, their attendance and the events they
    attended (the whole tables when ``owners`` is None)."""
    if owners is None:
        return tables
    keep = set(map(str, owners))

    def rows(df: pd.DataFrame, col: str) -> pd.DataFrame:
        return df[hl.member(df[col], keep)] if col in df.columns else df

    out = dict(tables)
    out["owners"] = rows(tables["owners"], "owner_id")
    out["posts"] = rows(tables["posts"], "author_id")
    out["interactions"] = rows(tables["interactions"], "owner_id")
    out["referrals"] = rows(tables["referrals"], "referrer_id")
    out["attendance"] = rows(tables["attendance"], "owner_id")
    ev = tables["events"]
    out["events"] = ev[ev["event_id"].isin(set(out["attendance"]["event_id"]))] if len(ev) else ev
    return out


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
    weeks = int(min(104, max(12, math.ceil((cur.end - prev.start).days / 7) + 12)))
    frames = _headline_frames(ctx, cur, prev, weeks)
    df = frames["headline"]
    ctx.csv(df, "headline")
    m = df.set_index("metric")
    cards = []
    links = {"owners": ("mv-cohort", "cohort_title"), "active_owners": ("mv-drifting", "drift_title"),
             "referred_share": ("mv-cohort", "cohort_title"), "volunteers": ("mv-transitions", "transitions_title"),
             "events": ("dd-events", "dd_short"), "interactions": ("dd-active_owners", "dd_short")}
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
            f'<div class="kpi-note">{esc(note)}</div>'
            f'<a class="kpi-link" href="#{links[key][0]}">{esc(t("why", L))} → {esc(t(links[key][1], L))}</a></div>')
    days = cur.days
    basis = (t("headline_basis_window", L, cur=cur.label(), prev=prev.label(), days=f"{days:g}") if explicit
             else t("headline_basis_default", L, cur=cur.label(), prev=prev.label()))
    wk = frames["weekly"]
    ctx.csv(wk, "weekly_activity")
    labels = {k: t(k, L) for k in ("weekly_active", "weekly_new", "referred", "not_referred", "this_period",
                                   "prev_period", "activity_title")}
    if L == "zh":
        labels["months"] = [f"{m}月" for m in range(1, 13)]
    svg = _drawn(ctx, charts.activity_chart, wk, current=(cur.start, cur.end), previous=(prev.start, prev.end), labels=labels)
    drill = frames["drilldown"]
    dname = ctx.csv(drill, "headline_drilldown")
    shown = drill.assign(measure_t=[t("dd_" + m, L) for m in drill["measure"]],
                         group_t=[_zh_values(g, L) if g else t("dd_none", L) for g in drill["group"].astype(str)],
                         change_t=[f"{c:+,d}" for c in drill["change"]])
    cols = [Col("measure_t", t("dd_measure", L), "text", src="report.dd_measure"),
            Col("group_t", t("dd_group", L), "text", src="report.dd_group"),
            Col("current", t("current", L), "num", src="report.dd_current"),
            Col("previous", t("previous", L), "num", src="report.dd_previous"),
            Col("change_t", t("change", L), "num", src="report.dd_change")]
    moved = _movement_links(ctx)
    anchors = "".join(f'<a id="dd-{m}"></a>' for m in dict.fromkeys(drill["measure"].astype(str)))
    return (f'<p class="basis">{esc(basis)}</p><div class="kpis">{"".join(cards)}</div>' + moved
            + _panels(svg, "activity") + f'<h3 id="drilldown">{anchors}{esc(t("dd_title", L))}</h3>'
            + table(ctx, shown, cols, csv_name=dname, rows=len(shown)))


def _headline_frames(ctx: _Ctx, cur: Any, prev: Any, weeks: int) -> dict[str, pd.DataFrame]:
    """The headline's numbers, weeks and drill-down (:mod:`graphcrm.reports.headline`), computed
    from one extraction of the dated activity and kept with the results (``result:`` memo keyed
    by the periods, the weeks and the segment's owners), so a report after ``graphcrm run``
    reads three small tables instead of going through every activity row again."""
    def compute() -> dict[str, pd.DataFrame]:
        tables = segment_tables(ctx.full.tables, ctx.seg_owners)
        act = hl.activity(tables)  # every dated activity, once for the numbers, the weeks and the drill-down
        return {"headline": hl.headline(tables, cur, prev, act=act),
                "weekly": hl.weekly(tables, cur.end, weeks=weeks, act=act),
                "drilldown": hl.drilldown(tables, cur, prev, top=5, act=act)}

    seg = None if ctx.seg_owners is None else pd.Index(sorted(str(o) for o in ctx.seg_owners))
    options = {"current": (cur.start, cur.end), "previous": (prev.start, prev.end), "weeks": weeks, "segment": seg}
    return ctx.full.memo("result:report_headline", options, compute)


def _movement_links(ctx: _Ctx) -> str:
    """The headline's line to the movement tables: how many moved up and down a level, rising
    stars, drifting owners and new owners, each a link to its table in the movement section
    (the section is built before the headline; nothing is shown when it did not run)."""
    L = ctx.lang
    mv = ctx.results.get("movement_counts")
    if not mv:
        return ""
    whole = ((f"（{t('seg_whole_short', L)}）" if L == "zh" else f" ({t('seg_whole_short', L)})")
             if ctx.segment is not None else "")  # those tables are not segmented
    items = [("mv-transitions", t("mv_up", L, n=f"{mv['up']:,}") + whole),
             ("mv-transitions", t("mv_down", L, n=f"{mv['down']:,}") + whole),
             ("mv-rising", t("mv_rising", L, n=f"{mv['rising']:,}")), ("mv-drifting", t("mv_drifting", L, n=f"{mv['drifting']:,}")),
             ("mv-cohort", t("mv_cohort", L, n=f"{mv['new']:,}") + whole),
             ("mv-cities", t("mv_where", L))]
    links = " · ".join(f'<a href="#{a}">{esc(txt)}</a>' for a, txt in items)
    return f'<p class="moved"><b>{esc(t("mv_line", L))}</b> {links}</p>'


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
    # the circles section reads the scores (its leaders); only what a later section reads stays
    # in ctx.results (a whole table of a million owners held to the report's end cost memory)
    every = ctx.call("kocs", whole=True, lang=L)[0] if ctx.segment is not None else df
    ctx.results["kocs_all"] = every[["owner_id", "score"]]
    fname = ctx.csv(df, "kocs")
    if df.empty:
        return _note("info", t("empty", L))
    top = df.head(min(15, ctx.top))
    parts = _koc_parts(df).loc[top.index]
    names = [ctx.owner_label(o) for o in top["owner_id"]]
    svg = _drawn(ctx, charts.koc_chart, names, parts, part_labels={c: t(c, L) for c in parts.columns}, title=t("koc_chart", L),
                           score_label=t("score", L))
    shown = top_share(df, "score", L, head=ctx.top)  # the rows shown; places among all owners
    shown = times_median(shown, ["reach", "engagement", "authority", "conversion", "bridging"], over=df)
    cols = [Col("rank", "#", "num", src="kocs.rank"), Col("owner_id", t("h_owner", L), "owner"),
            Col("standing", t("h_standing", L), "text", src="report.standing"),
            Col("score", t("score", L), "num", 1, src="kocs.score"),
            Col("reach_x", t("reach", L), "text", src="kocs.reach", how="how_median"),
            Col("engagement_x", t("engagement", L), "text", src="kocs.engagement", how="how_median"),
            Col("authority_x", t("authority", L), "text", src="kocs.authority", how="how_median"),
            Col("conversion_x", t("conversion", L), "text", src="kocs.conversion", how="how_median"),
            Col("bridging_x", t("bridging", L), "text", src="kocs.bridging", how="how_median"),
            Col("reason", t("h_reason", L), "reason")]
    return (f'<p class="lead">{esc(t("koc_lead", L))}</p>' + _chart(svg)
            + table(ctx, shown, cols, csv_name=fname, cls="scroll"))


def top_share(df: pd.DataFrame, col: str, lang: str = "en", *, head: int | None = None) -> pd.DataFrame:
    """``df`` with ``standing``: where each row's ``col`` stands among all rows, as "top x%"
    (x = share of rows with a value at least as high, rounded up to one decimal below 10%).

    ``head``: only the first ``head`` rows are returned (the places still count every row), so
    a table showing 20 rows does not format 100,000 texts."""
    v = df[col].to_numpy(float)
    n = max(len(v), 1)
    higher = np.searchsorted(np.sort(-v), -v, side="right")  # rows with a value >= this one
    share = higher / n * 100
    if head is not None:
        df, share = df.head(head), share[:head]
    text = [t("top_pct", lang, p=f"{math.ceil(x * 10) / 10:g}" if x < 10 else f"{math.ceil(x):g}") for x in share]
    return df.assign(standing=text, standing_share=share / 100)


def times_median(df: pd.DataFrame, cols: list[str], *, over: pd.DataFrame | None = None) -> pd.DataFrame:
    """``df`` with ``<col>_x``: each value as a multiple of the median over owners with a positive
    value ("3.2×"; "0" when the owner has none); the medians are taken over ``over`` (default
    ``df`` itself), e.g. all owners while ``df`` holds the rows shown."""
    out = df.copy()
    base = df if over is None else over
    for c in cols:
        v = df[c].to_numpy(float)
        allv = base[c].to_numpy(float)
        pos = allv[allv > 0]
        med = float(np.median(pos)) if len(pos) else 0.0
        out[f"{c}_x"] = ["0" if not x > 0 else (f"{x / med:.1f}×" if med > 0 else _num(x)) for x in v]
    return out


def _inter_circle_ties(ctx: _Ctx, memb: np.ndarray, drawn: set[int] | None = None) -> pd.DataFrame:
    """Owner pairs with a tie (shared event or interaction) between different circles, per circle
    pair (only pairs of ``drawn`` circles when given).

    Kept in the store with the analyses' results (``Community.memo`` with a ``result:`` name,
    keyed by the circle memberships and the drawn circles), so a report after ``graphcrm run``
    does not aggregate the projections again."""
    return _cached_circle_ties(ctx.community, memb, drawn)


def _cached_circle_ties(community: Any, memb: np.ndarray, drawn: set[int] | None) -> pd.DataFrame:
    from graphcrm.results import cache_key

    options = {"memberships": np.asarray(memb, dtype=np.int64),
               "drawn": sorted(int(x) for x in drawn) if drawn is not None else None}
    return community.memo("result:report_circle_ties", options,
                          lambda: _circle_ties(community, memb, drawn),
                          key=cache_key("report_circle_ties", options))


def _circle_ties(c: Any, memb: np.ndarray, drawn: set[int] | None) -> pd.DataFrame:
    """Owner pairs tied by a shared event or an interaction, between two different (drawn)
    circles, counted per circle pair.

    The pairs are those of the circles' combined graph with both layers at weight 1
    (:func:`graphcrm.algorithms.circles.combined_graph`: one row per owner pair tied in either
    layer, ``u < v``, the projections' default options), which the weekly job still holds when
    it counts these (right after ``circle_profiles``): at 1,000,000 demo owners building the two
    projections again for the counts cost 78 s CPU and +2.2 GB."""
    from graphcrm.algorithms.circles import combined_graph

    keep = (memb >= 0) if drawn is None else np.isin(memb, np.fromiter(drawn, dtype=np.int64))
    mine = np.where(keep, memb, -1)  # the circle of an owner in a (drawn) circle, else -1
    u, v, _ = combined_graph(c, layer_weights={"coattendance": 1.0, "interactions": 1.0})
    if not len(u):
        return pd.DataFrame(columns=["a", "b", "weight"])
    a, b = mine[u], mine[v]  # one look-up per end; only the pairs across two circles are kept
    ok = (a >= 0) & (b >= 0) & (a != b)
    lo, hi = np.minimum(a[ok], b[ok]), np.maximum(a[ok], b[ok])
    if not len(lo):
        return pd.DataFrame(columns=["a", "b", "weight"])
    ties = pd.DataFrame({"a": lo, "b": hi}).groupby(["a", "b"]).size().rename("weight").reset_index()
    return ties


def _memberships(community: Any, circ: pd.DataFrame) -> np.ndarray:
    """The circle of every owner of ``community`` (in its owner order; -1: none) from a circles table."""
    return circ.set_index("owner_id")["circle"].reindex(community.owner_ids).fillna(-1).to_numpy(np.int64)


def _drawn_circles(real: pd.DataFrame) -> pd.DataFrame:
    """The circles the map draws: the 40 largest of the profiles' real circles (ties by circle
    number), those of two members or more when there are any."""
    drawn = real.sort_values(["size", "circle"], ascending=[False, True]).head(40)
    return drawn[drawn["size"] >= 2] if (drawn["size"] >= 2).any() else drawn


def circle_ties_ahead(cg: Any, *, since: Any = None, until: Any = None, seed: int = 0, lang: str = "en") -> bool:
    """Compute the circles section's ties between the drawn circles now, as the report will ask
    for them (its cache entry, kept with the results), while the weekly job still holds the
    projections they are counted from (``graphcrm run`` and bench/pipeline_bench.py call it after
    their ``circle_profiles`` step, through :meth:`graphcrm.reports.prefetch.Ahead.after`).

    At 1,000,000 demo owners the report otherwise built the two projections again after
    ``targets`` (36M pairs) only for these counts.  Only for the report the job builds (no
    segment) and when the section would read the job's own ``circle_profiles`` table (the seed
    is the circles' default, see :func:`_profiles_as_default`); otherwise nothing is done.
    Returns whether the ties were computed (or found).

    Example
    -------
    >>> import graphcrm, tempfile, pathlib                       # doctest: +SKIP
    >>> from graphcrm.demo import write_demo                     # doctest: +SKIP
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = write_demo(d / "demo", 1_500)  # doctest: +SKIP
    >>> cg = graphcrm.open(d / "demo.duckdb"); _ = cg.load(d / "demo")  # doctest: +SKIP
    >>> circle_ties_ahead(cg)                                    # doctest: +SKIP
    True
    """
    import inspect

    from graphcrm.analyses import function

    if seed != inspect.signature(function("circles")).parameters["seed"].default:
        return False
    L = check_lang(lang)
    community = cg.community(since, until)
    circ = cg.circles(since=since, until=until, seed=seed, lang=L)
    prof = cg.circle_profiles(since=since, until=until, lang=L)
    real = prof[prof["circle"] >= 0]
    if real.empty:
        return False
    ids = set(_drawn_circles(real)["circle"].astype(int))
    _cached_circle_ties(community, _memberships(community, circ), ids)
    return True


def _profiles_as_default(ctx: _Ctx, leaders: bool) -> bool:
    """Whether the circles section's ``circle_profiles`` call (the report's circles frame, the
    report's KOC scores as leaders) asks for exactly what ``circle_profiles(lang=...)`` with its
    defaults computes: no segment, the report's seed is the circles' default seed (the frame is
    then the default ``circles`` table and the KOC scores the default ``kocs`` ones, which
    ``circle_profiles`` reads when given no frames) and leaders are wanted.  The weekly job
    (``graphcrm run``, bench/pipeline_bench.py) computes that call as its ``circle_profiles``
    step, so the section reads it back rather than profiling again."""
    import inspect

    from graphcrm.analyses import function

    if ctx.segment is not None or not leaders:
        return False
    return ctx.seed == inspect.signature(function("circles")).parameters["seed"].default


def _circles(ctx: _Ctx) -> str:
    L = ctx.lang
    circ, _ = ctx.call("circles", seed=ctx.seed, lang=L)  # the segment's owners (all without one)
    seg_circ = circ if ctx.segment is not None else None
    ctx.csv(circ, "circle_members")
    if ctx.segment is not None:  # the map and the profiles are of the whole community's circles
        circ = ctx.call("circles", whole=True, seed=ctx.seed, lang=L)[0]
    # the frames go into the cache key by content: without the reason texts (circle_profiles
    # reads neither them nor more than the KOC scores), hashing them is 0.37 -> 0.07 s at 100k
    opts: dict[str, Any] = {"circles_frame": circ.drop(columns=["reason"], errors="ignore"), "lang": L,
                            "circle_options": {"seed": ctx.seed}}
    if isinstance(ctx.results.get("kocs_all"), pd.DataFrame):
        opts["kocs_frame"] = ctx.results["kocs_all"]
    else:
        opts["leaders"] = 0
    if _profiles_as_default(ctx, "leaders" not in opts):
        # the same table as the weekly job's own circle_profiles step computed (and kept): read it
        # back instead of profiling again (at 1M owners that rebuilt the 45.5M-tie combined graph)
        opts = {"lang": L}
    prof, _ = ctx.call("circle_profiles", **opts)
    fname = ctx.csv(prof, "circles")
    owners = ctx.community.owners
    memb = _memberships(ctx.community, circ)
    real = prof[prof["circle"] >= 0]
    alone = int((memb < 0).sum())
    if real.empty:
        return _note("info", t("empty", L))
    drawn = _drawn_circles(real)
    ids = set(drawn["circle"].astype(int))
    # each drawn circle is named after its main city and coloured by its main region (else city)
    def dominant(col: str) -> pd.Series:
        vals = owners[col].fillna("").astype(str).to_numpy() if col in owners else np.full(len(owners), "")
        d = pd.DataFrame({"circle": memb, "v": vals})
        d = d[(d["circle"] >= 0) & (d["v"] != "")]
        return (d.groupby(["circle", "v"]).size().rename("n").reset_index()
                .sort_values(["circle", "n", "v"], ascending=[True, False, True]).drop_duplicates("circle")
                .set_index("circle")["v"])
    city = dominant("city")
    labels_of = circle_labels(prof, city, L)
    group = dominant("region")
    if group.empty:
        group = city
    rank = (drawn.assign(g=drawn["circle"].map(group)).groupby("g")["size"].sum().sort_values(ascending=False))
    colored = list(rank.index[:9])
    cmap = {g: charts.SERIES[i] for i, g in enumerate(colored)}
    ties = _inter_circle_ties(ctx, memb, ids)
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
        "name": [labels_of.get(c, f"#{c}") for c in order],
    })
    legend = [(g, cmap[g]) for g in colored] + ([(t("other_city", L), charts.OTHER)] if len(rank) > len(colored) else [])
    svg = _drawn(ctx, charts.circle_map, nodes, ties[["a", "b", "weight"]] if len(ties) else pd.DataFrame(columns=["a", "b", "weight"]),
                            title=t("circle_map", L), legend=legend)
    covered = drawn["size"].sum() / max(int((memb >= 0).sum()), 1)
    summary = t("circles_summary", L, n=f"{len(real):,}", m=len(drawn), covered=covered, alone=f"{alone:,}")
    shown = real.assign(label=real["circle"].map(lambda c: labels_of.get(int(c), f"#{int(c)}")))
    seg_note = ""
    if ctx.segment is not None:  # the circles the segment's owners are in, with how many of them
        mine = seg_circ[seg_circ["circle"] >= 0]["circle"].astype(int).value_counts()
        shown = shown[shown["circle"].astype(int).isin(mine.index)]
        shown = shown.assign(seg_members=shown["circle"].astype(int).map(mine).astype("int64"))
        seg_note = _note("info", t("seg_circles", L, n=f"{len(shown):,}"))
    cols = [Col("label", t("circle", L), "text", src="report.circle_label"),
            Col("size", t("members", L), "num", src="circle_profiles.size"),
            *([Col("seg_members", t("h_seg_members", L), "num", src="report.seg_members")] if ctx.segment is not None else []),
            Col("share", "%", "pct", 1, src="circle_profiles.share"),
            Col("top_cities", t("h_cities", L), "text", src="circle_profiles.top_cities"),
            Col("top_car_models", t("h_models", L), "text", src="circle_profiles.top_car_models"),
            Col("density", t("h_density", L), "pct", 1, src="circle_profiles.density"),
            Col("internal_share", t("h_inside", L), "pct", src="circle_profiles.internal_share"),
            Col("leaders", t("h_leaders", L), "owners", src="circle_profiles.leaders"),
            Col("bridges", t("h_bridges", L), "owners", src="circle_profiles.bridges")]
    ctx.results["circle_count"] = (len(real), alone)
    return (f'<p class="lead">{esc(t("circles_lead", L))}</p><p class="summary">{esc(summary)}</p>' + _chart(svg)
            + seg_note + table(ctx, shown, cols, csv_name=fname, total=len(shown), rows=min(ctx.top, 15), cls="scroll"))


def circle_labels(prof: pd.DataFrame, city: pd.Series, lang: str = "en") -> dict[int, str]:
    """One label per circle, the same on the map and in the table: the analysis's ``label``
    column when it has one, else ``#<circle> <main city>``."""
    real = prof[prof["circle"] >= 0]
    if "label" in real.columns:
        return {int(c): _zh_values(str(lbl), lang) for c, lbl in zip(real["circle"], real["label"].fillna(""))}
    return {int(c): (f"#{int(c)} {city.get(int(c), '')}".strip()) for c in real["circle"]}


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
    ctx.csv(ch, "referral_chains")
    if ch.empty:
        return _note("info", t("empty", L))
    from graphcrm.algorithms.referrals import referral_trees

    roots = ch[ch["depth"] == 0]
    # the one definition of a tree's numbers (graphcrm referral-trees prints the same table)
    # kept in the store with the analyses' results (graphcrm referral-trees computes the same table)
    trees_df = ctx.community.memo("result:report_referral_trees", {"lang": L},
                                  lambda: referral_trees(ctx.community, lang=L))
    trees_df = trees_df[ctx.in_segment(trees_df["root_id"])]  # chains started by the segment's owners
    chains = pd.DataFrame({
        "root_id": trees_df["root_id"], "chain_size": trees_df["size"], "chain_depth": trees_df["depth"],
        "conversions": trees_df["conversions"], "median_days_to_delivery": trees_df["median_days_to_delivery"],
        "reason": trees_df["reason"]}).reset_index(drop=True)
    fname = ctx.csv(chains, "referral_trees")
    depth_counts = ch[ch["depth"] >= 1]["depth"].value_counts().sort_index()
    size_counts = _size_bins(roots["chain_size"])
    labels = {k: t(k, L) for k in ("depth_dist", "size_dist", "level", "owners_axis", "chains_axis", "top_chains",
                                   "converted", "not_converted", "chain_root", "level_rings")}
    parts = [f'<p class="lead">{esc(t("referrals_lead", L))}</p>',
             f'<p class="summary">{esc(t("chains_summary", L, chains=f"{len(roots):,}", owners=f"{len(ch):,}", largest=f"{int(chains.chain_size.max()):,}", deepest=int(chains.chain_depth.max())))}</p>']
    if len(depth_counts):
        parts.append(_panels(_drawn(ctx, charts.referral_distributions, depth_counts, size_counts, labels=labels), "dist"))
    trees = []
    whole = ctx.call("referral_chains", whole=True, lang=L)[0] if ctx.segment is not None else ch
    by_root = whole.groupby("root_id", sort=False)  # whole trees, also their owners outside the segment
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
        key = "".join(f'<li><span style="color:{c}">{sym}</span>{esc(labels[k])}</li>' for k, sym, c in charts.TREE_KEY)
        parts.append(_panels(_drawn(ctx, charts.referral_trees, trees, labels=labels), "trees") + f'<ul class="chart-key">{key}</ul>'
                     + f'<p class="caption">{esc(t("trees_caption", L, c=TREE_CHILDREN, n=TREE_NODES))}</p>')
    cols = [Col("root_id", t("h_starter", L), "owner", src="referral_chains.root_id"),
            Col("chain_size", t("owners_axis", L), "num", src="referral_chains.chain_size"),
            Col("chain_depth", t("level", L), "num", src="referral_chains.chain_depth"),
            Col("conversions", t("conversion", L), "num", src="report.tree_conversions"),
            Col("median_days_to_delivery", t("h_days", L), "num", 1, src="report.tree_median_days"),
            Col("reason", t("h_reason", L), "reason")]
    parts.append(table(ctx, chains, cols, csv_name=fname, rows=min(ctx.top, 10)))
    return "".join(parts)


_ISSUE_ORDER = ("self_referral", "cycle", "double_claim", "staff_referral", "after_delivery", "burst")


def _integrity(ctx: _Ctx) -> str:
    L = ctx.lang
    df, _ = ctx.call("referral_issues", lang=L)
    ctx.results["issues"] = df
    fname = ctx.csv(df, "referral_issues")
    if df.empty:
        return f'<p class="lead">{esc(t("integrity_lead", L))}</p>' + _note("ok", t("integrity_ok", L))
    counts = df["kind"].astype(str).value_counts()
    kinds = [k for k in _ISSUE_ORDER if k in counts.index] + sorted(k for k in counts.index if k not in _ISSUE_ORDER)
    names = [t(k, L) if k in _ISSUE_ORDER else k for k in kinds]
    svg = _drawn(ctx, charts.hbar, names, [int(counts[k]) for k in kinds], title=t("integrity_chart", L), color=charts.SERIES[3],
                      width=7.5)
    shown = df.copy()
    shown["kind"] = [t(k, L) if k in _ISSUE_ORDER else k for k in shown["kind"].astype(str)]
    shown["action"] = [_val(a, L) for a in shown["action"]]
    cols = [Col("kind", t("h_kind", L), "text", src="referral_issues.kind"),
            Col("owner_id", t("h_owner", L), "owner", src="referral_issues.owner_id"),
            Col("owners", t("h_owners", L), "owners", src="referral_issues.owners"),
            Col("action", t("h_action", L), "text", src="referral_issues.action"),
            Col("reason", t("h_evidence", L), "reason")]
    return (f'<p class="lead">{esc(t("integrity_lead", L))}</p>' + _chart(svg, "narrow")
            + table(ctx, shown, cols, csv_name=fname, total=len(df), cls="scroll"))


def guarantee_text(approximation: float, *, constrained: str, lang: str, credit: bool = False) -> str:
    """The certified ratio in words, and why constraints lower it.  ``credit``: the picks of the
    credit-distribution model, whose ratio is exact (no sampling, no 1 - 1/e - ε aim to explain)."""
    pct = f"{approximation * 100:.0f}%"
    if credit:
        text = t("guarantee_credit", lang, ratio=f"{approximation:.3f}", pct=pct)
        return text + (" " + t({"caps": "guarantee_caps", "budget": "guarantee_budget"}[constrained], lang)
                       if constrained else "")
    key = {"": "guarantee_plain", "caps": "guarantee_caps", "budget": "guarantee_budget"}[constrained]
    return t("guarantee", lang, ratio=f"{approximation:.3f}", pct=pct) + " " + t(key, lang)


def _ambassadors(ctx: _Ctx) -> str:
    L = ctx.lang
    df, det = ctx.call("ambassadors", **ctx.amb_options, lang=L)
    fname = ctx.csv(df, "ambassadors")
    parts = [f'<p class="lead">{esc(t("ambassadors_lead", L))}</p>']
    mc_t = None
    mc = det.mc_check
    if mc is not None:
        mean, lo, hi = mc.mean, mc.ci_low, mc.ci_high
        mc_t = (mean, lo, hi)
        parts.append(f'<p class="summary">{esc(t("spread_mc", L, k=len(df), mean=f"{mean:,.0f}", lo=f"{lo:,.0f}", hi=f"{hi:,.0f}"))}</p>')
    else:
        parts.append(f'<p class="summary">{esc(t("spread_mc_skipped", L))}</p>')
    constrained = {"caps": "caps", "minimums": "caps", "budget": "budget"}.get(str(det.constrained or ""), "")
    credit = str(getattr(det, "model", "")) == "credit"  # exact credit from the history, not an expectation
    parts.append(f'<div class="note note-info guarantee"><span class="icon">ⓘ</span><span>'
                 f'{esc(guarantee_text(det.approximation, constrained=constrained, lang=L, credit=credit))}</span></div>')
    for note in det.notes:
        parts.append(_note("info", note))
    curve = det.spread_curve
    if len(curve):
        ctx.csv(curve, "spread_curve")
        labels = {k: t(k, L) for k in ("spread_title", "spread_k", "spread_y", "mc_ci")}
        svg = _drawn(ctx, charts.spread_curve, curve["k"].to_numpy(float), curve["expected_reach"].to_numpy(float),
                                  lo=None, hi=None, picked=len(df) if len(df) else None,
                                  mc=mc_t if len(df) else None, labels=labels)
        parts.append(_chart(svg))
    n = max(len(ctx.community.owners), 1)
    shown = df.copy()
    shown["main_channel"] = [_val(x, L) for x in shown["main_channel"]]
    shown["gain_share"] = shown["marginal_gain"] / n
    shown["cum_share"] = shown["cumulative_reach"] / n
    cols = [Col("rank", "#", "num", src="report.amb_rank"), Col("owner_id", t("h_owner", L), "owner"),
            Col("marginal_gain", t("h_gain", L), "num", 1, src="report.amb_gain_credit" if credit else "report.amb_gain"),
            Col("cum_share", t("h_cum", L), "pct", 1, src="report.amb_cum_credit" if credit else "report.amb_cum"),
            Col("direct_reach", t("h_direct", L), "num", src="report.amb_direct"),
            Col("main_channel", t("h_channel", L), "text", src="report.amb_channel"),
            Col("reason", t("h_reason", L), "reason")]
    parts.append(table(ctx, shown, cols, csv_name=fname, total=len(df), rows=max(ctx.top, len(df)), cls="scroll"))
    return "".join(parts)


def _targets(ctx: _Ctx) -> str:
    L = ctx.lang
    df, info = ctx.call("targets", **ctx.target_options, lang=L)
    ctx.results["targets"] = df
    fname = ctx.csv(df, "targets")
    parts = [f'<p class="lead">{esc(t("targets_lead", L))}</p>']
    if ctx.results.get("exclusions") is not None:
        parts.append(_note("info", ctx.results["exclusions"].summary(L)))
    for note in info.notes:
        parts.append(_note("unavailable", note))
    counts = df["program"].astype(str).value_counts()
    programs = [p for p in ("ambassador", "volunteer_invite", "referral_reward", "reactivation")]
    items = "".join(f'<li><a href="#tg-{p}">{esc(t("p_" + p, L))}</a> · {int(counts.get(p, 0)):,}</li>' for p in programs)
    parts.append(f'<ul class="inline">{items}</ul>')
    for p in programs:
        sub = df[df["program"].astype(str) == p]
        parts.append(f'<h3 id="tg-{p}">{esc(t("p_" + p, L))} · {len(sub):,}</h3>'
                     f'<p class="muted">{esc(t("pm_" + p, L))}</p>')
        if sub.empty:
            parts.append(f'<p class="muted">{esc(t("no_rows", L))}</p>')
            continue
        sname = ctx.csv(sub, f"targets_{p}")
        cols = [Col("priority", "#", "num", src="targets.priority"), Col("owner_id", t("h_owner", L), "owner"),
                Col("expected_impact", t("h_impact", L), "num", 2, src=f"report.impact_{p}"),
                Col("reason", t("h_reason", L), "reason")]
        parts.append(table(ctx, sub, cols, csv_name=sname, rows=min(ctx.top, 10)))
    return "".join(parts)


def _grade(value: float, good: float, fair: float) -> str:
    return "good" if value >= good else ("fair" if value >= fair else "poor")


def _volunteers(ctx: _Ctx) -> str:
    L = ctx.lang
    df, info = ctx.call("volunteer_candidates", seed=ctx.seed, lang=L)
    fname = ctx.csv(df, "volunteer_candidates")
    c = ctx.community
    owners = c.owners
    staff = owners["is_staff"].fillna(False).astype(bool)
    in_seg = ctx.in_segment(owners["owner_id"])
    ids = owners["owner_id"][~staff & in_seg].astype(str)
    att = c.tables["attendance"]
    counted = (~staff & in_seg).to_numpy(dtype=bool)  # by owner row, in the order of c.owner_ids
    at = c.index_of(att["owner_id"])
    mine = (at >= 0) & counted[np.maximum(at, 0)]
    att = att[att["checked_in"].fillna(True).astype(bool).to_numpy() & mine]
    per = att.groupby("owner_id")["event_id"].nunique()
    led = att[att["role"].isin(("organizer", "host", "volunteer"))]["owner_id"].nunique()
    vols = int(owners["is_volunteer"].fillna(False).astype(bool)[~staff & in_seg].sum())
    cands = int((df["score"] >= 0.5).sum())
    stages = [t("f_owners", L), t("f_attended", L), t("f_regular", L), t("f_led", L), t("f_volunteers", L),
              t("f_candidates", L)]
    values = [len(ids), int((per >= 1).sum()), int((per >= 3).sum()), int(led), vols, cands]
    ctx.csv(pd.DataFrame({"stage": ["owners", "attended", "attended_3_plus", "led_or_helped", "volunteers",
                                    "candidates_score_0_5"], "owners": values}), "volunteer_pipeline")
    svg = _drawn(ctx, charts.funnel, stages, values, title=t("funnel_title", L), highlight_last=True)
    val = info.validation
    if val is not None and not math.isnan(val.auc):
        side = validation_box(val, L)
        ctx.csv(pd.DataFrame([dataclasses.asdict(val)]), "volunteer_validation")
    else:
        side = _note("info", t("no_validation", L))
    shown = top_share(df, "score", L, head=ctx.top)
    cols = [Col("owner_id", t("h_owner", L), "owner"), Col("score", t("score", L), "num", 2, src="volunteer_candidates.score"),
            Col("standing", t("h_standing", L), "text", src="report.standing"),
            Col("events_attended", t("f_attended", L), "num", src="volunteer_candidates.events_attended"),
            Col("events_led", t("f_led", L), "num", src="volunteer_candidates.events_led"),
            Col("active_weeks", t("h_weeks", L), "num", src="volunteer_candidates.active_weeks"),
            Col("helping", t("h_helping", L), "num", src="volunteer_candidates.helping"),
            Col("reason", t("h_reason", L), "reason")]
    return (f'<p class="lead">{esc(t("volunteers_lead", L))}</p>'
            f'<div class="split">{_chart(svg, "half")}{side}</div>'
            + table(ctx, shown, cols, csv_name=fname, cls="scroll"))


def validation_box(val: Any, lang: str) -> str:
    """The hold-out validation, each figure with what it means and coloured by what it means.

    AUC says whether the whole ranking puts volunteers-to-be above other owners; recall@k says
    how many of them the short list (the top k) catches, out of what it could catch
    (min(1, k / hidden)).  The box takes the colour of the weaker of the two; the text says which."""
    L = lang
    auc, rec, k, hidden = float(val.auc), float(val.recall_at_k), int(val.k), int(val.hidden)
    best = min(1.0, k / hidden) if hidden else 1.0
    rel = rec / best if best > 0 else 0.0
    g_auc = _grade(auc, 0.85, 0.7)
    g_rec = _grade(rel, 0.6, 0.3)
    order = {"good": 2, "fair": 1, "poor": 0}
    box = min(g_auc, g_rec, key=order.get)
    verdict = {("good", "good"): "val_both_good", ("good", "fair"): "val_rank_ok_list_weak",
               ("good", "poor"): "val_rank_ok_list_weak", ("fair", "good"): "val_list_ok",
               ("poor", "good"): "val_list_ok"}.get((g_auc, g_rec), "val_weak")
    fig = (f'<div class="vfig vfig-{g_auc}"><div class="kpi-label">{esc(t("auc", L))}</div>'
           f'<div class="auc-value">{auc:.2f}</div><p class="auc-note">{esc(t("auc_means", L, pct=f"{auc * 100:.0f}%"))}</p></div>'
           f'<div class="vfig vfig-{g_rec}"><div class="kpi-label">{esc(t("recall", L, k=k))}</div>'
           f'<div class="auc-value">{_pct(rec)}</div><p class="auc-note">'
           f'{esc(t("recall_means", L, k=k, hidden=hidden, found=round(rec * hidden), best=_pct(best)))}</p></div>')
    return (f'<div class="auc auc-{box}" data-grade="{box}"><div class="vfigs">{fig}</div>'
            f'<p class="auc-note"><b>{esc(t(verdict, L))}</b> {esc(t("val_how", L, hidden=hidden))}</p></div>')


def closest_to_next(df: pd.DataFrame) -> pd.DataFrame:
    """Owners actually close to the next level: they still miss points (owners who have the
    points but miss a step are counted apart), ordered by the share of the gap between their
    level's threshold and the next one still to go, then by points to go."""
    has_next = df["next_level"].fillna("").astype(str) != ""
    need = df[has_next & (df["points_to_next"] > 0)].copy()
    if need.empty:
        return need.assign(gap_share=pd.Series(dtype=float))
    gap = need["points_to_next"] + (need["contribution"] - need.groupby("level_rank")["contribution"].transform("min"))
    need["gap_share"] = need["points_to_next"] / gap.where(gap > 0, need["points_to_next"])
    return need.sort_values(["gap_share", "points_to_next", "owner_id"], kind="mergesort")


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
    svg = _drawn(ctx, charts.pyramid, names, counts.to_numpy(), title=t("pyramid_title", L), width=5.6)
    close = closest_to_next(df)
    step_only = int(((df["next_level"].fillna("").astype(str) != "") & (df["points_to_next"] <= 0)).sum())
    close = close[close["level_rank"] >= 1] if (close["level_rank"] >= 1).any() else close
    close = close.assign(next_name=close["next_level"].map({lv["level"]: lv[L] for lv in levels}))
    cname = ctx.csv(close.drop(columns=["gap_share"]), "closest_to_next_level")
    cols_s = [Col("level_name", t("level", L), "text", src="owner_levels.level_name"),
              Col("owners", t("owners_axis", L), "num", src="report.level_owners"),
              Col("share", "%", "pct", 1, src="report.level_share"),
              Col("median_contribution", t("h_median_points", L), "num", 0, src="report.level_median")]
    cols = [Col("owner_id", t("h_owner", L), "owner"), Col("level_name", t("level", L), "text", src="owner_levels.level_name"),
            Col("contribution", t("h_points", L), "num", 0, src="owner_levels.contribution"),
            Col("next_name", t("h_next_level", L), "text", src="owner_levels.next_level"),
            Col("points_to_next", t("h_to_go", L), "num", 0, src="owner_levels.points_to_next"),
            Col("next_step", t("h_next", L), "reason")]
    return (f'<p class="lead">{esc(t("levels_lead", L))}</p>'
            f'<div class="split">{_chart(svg, "half")}<div>{table(ctx, summary, cols_s, csv_name=sname, rows=20)}</div></div>'
            + f'<h3>{esc(t("closest_title", L))}</h3><p class="muted">{esc(t("closest_note", L, n=f"{step_only:,}"))}</p>'
            + table(ctx, close, cols, csv_name=cname, total=len(close), rows=min(ctx.top, 10)))


#: options of the report's movement tables: the earlier period's KOC ranks (rising stars) measure
#: bridging across today's circles, and no circles of the earlier period are detected (the report
#: shows no ``circle_then``; this was ~9 s of a 100,000-owner report).  A rank gain then reflects
#: what the owner did, not circles being relabelled; docs/validation.md "Movement" measures the
#: difference on the demos.
MOVEMENT_OPTIONS: dict[str, Any] = {"compare_circles": False}


def _movement(ctx: _Ctx) -> str:
    L = ctx.lang
    drift, _ = ctx.call("drifting_owners", lang=L)
    ctx.results["drifting"] = drift
    dname = ctx.csv(drift, "drifting_owners")
    rising, _ = ctx.call("rising_stars", lang=L, **MOVEMENT_OPTIONS)
    rname = ctx.csv(rising, "rising_stars")
    trans, _ = ctx.call("level_transitions", lang=L, **MOVEMENT_OPTIONS)
    tname = ctx.csv(trans, "level_transitions")
    cohort, _ = ctx.call("new_owner_cohort", lang=L)
    cname = ctx.csv(cohort, "new_owner_cohort")
    ctx.results["movement_counts"] = {
        "up": int(trans["moved_up"].sum()), "down": int(trans["moved_down"].sum()), "rising": len(rising),
        "drifting": len(drift), "new": int(cohort["owners"].sum()) if len(cohort) else 0}
    parts = [f'<p class="lead">{esc(t("movement_lead", L))}</p>',
             f'<h3 id="mv-drifting">{esc(t("drift_title", L))} · {len(drift):,}</h3><p class="muted">{esc(t("drift_note", L))}</p>']
    dcols = [Col("owner_id", t("h_owner", L), "owner"),
             Col("contribution_then", t("h_points_then", L), "num", 0, src="drifting_owners.contribution_then"),
             Col("activity_then", t("h_act_then", L), "num", src="drifting_owners.activity_then"),
             Col("activity_now", t("h_act_now", L), "num", src="drifting_owners.activity_now"),
             Col("activity_drop", t("h_drop", L), "pct", src="drifting_owners.activity_drop"),
             Col("reason", t("h_reason", L), "reason")]
    parts.append(table(ctx, drift, dcols, csv_name=dname, rows=min(ctx.top, 10)))
    parts.append(f'<h3 id="mv-rising">{esc(t("rising_title", L))} · {len(rising):,}</h3>')
    rcols = [Col("owner_id", t("h_owner", L), "owner"),
             Col("koc_rank_now", t("h_rank_now", L), "num", src="rising_stars.koc_rank_now"),
             Col("koc_rank_gain", t("h_rank_gain", L), "num", src="rising_stars.koc_rank_gain"),
             Col("engagers_now", t("h_engagers", L), "num", src="rising_stars.engagers_now"),
             Col("reason", t("h_reason", L), "reason")]
    parts.append(table(ctx, rising, rcols, csv_name=rname, rows=min(ctx.top, 10)))
    parts.append(f'<h3 id="mv-transitions">{esc(t("transitions_title", L))}</h3>' + ctx.whole_note())
    tcols = [Col("level_name", t("level", L), "text", src="level_transitions.level_name"),
             Col("owners_then", t("h_then", L), "num", src="level_transitions.owners_then"),
             Col("moved_up", t("h_up", L), "num", src="level_transitions.moved_up"),
             Col("held", t("h_held", L), "num", src="level_transitions.held"),
             Col("moved_down", t("h_down", L), "num", src="level_transitions.moved_down"),
             Col("new", t("h_new", L), "num", src="level_transitions.new"),
             Col("owners_now", t("h_now", L), "num", src="level_transitions.owners_now")]
    parts.append(table(ctx, trans, tcols, csv_name=tname, rows=20))
    moves, _ = ctx.call("movement", lang=L, **MOVEMENT_OPTIONS)
    by_city = movement_by_city(moves, rising, drift, ctx.meta)  # every city in the CSV, 8 shown
    bname = ctx.csv(by_city, "movement_by_city")
    parts.append(f'<h3 id="mv-cities">{esc(t("mv_cities_title", L))}</h3>'
                 f'<p class="muted">{esc(t("mv_cities_note", L))}</p>')
    mcols = [Col("city", t("h_city", L), "text", src="report.mv_city"),
             Col("moved_up", t("h_up", L), "num", src="report.mv_up"),
             Col("moved_down", t("h_down", L), "num", src="report.mv_down"),
             Col("rising", t("rising_title", L), "num", src="report.mv_rising"),
             Col("drifting", t("drift_title", L), "num", src="report.mv_drifting"),
             Col("active_then", t("h_active_then", L), "num", src="report.mv_active_then"),
             Col("active_now", t("h_active_now", L), "num", src="report.mv_active_now")]
    parts.append(table(ctx, by_city.assign(city=[_zh_values(c, L) if c else t("dd_none", L) for c in by_city["city"]]),
                       mcols, csv_name=bname, rows=8, total=len(by_city)))
    parts.append(f'<h3 id="mv-cohort">{esc(t("cohort_title", L))}</h3>' + ctx.whole_note())
    ccols = [Col("cohort", t("h_cohort", L), "text", src="new_owner_cohort.cohort"),
             Col("owners", t("owners_axis", L), "num", src="new_owner_cohort.owners"),
             Col("posted_share", t("h_posted", L), "pct", src="new_owner_cohort.posted_share"),
             Col("attended_share", t("h_attended", L), "pct", src="new_owner_cohort.attended_share"),
             Col("referred_share", t("h_referred", L), "pct", src="new_owner_cohort.referred_share"),
             Col("active_share", t("h_active", L), "pct", src="new_owner_cohort.active_share")]
    parts.append(table(ctx, cohort, ccols, csv_name=cname, rows=12))
    return "".join(parts)


def movement_by_city(moves: pd.DataFrame, rising: pd.DataFrame, drifting: pd.DataFrame,
                     meta: dict[str, tuple[str, str]], *, top: int | None = None) -> pd.DataFrame:
    """Where the movement happened: per owner city, owners who moved up and down a level, rising
    stars, drifting owners, and owners active in the previous and the current period.

    ``moves`` is :func:`~graphcrm.algorithms.movement.movement`'s table (``direction``,
    ``activity_then``, ``activity_now``), ``rising``/``drifting`` the two lists, ``meta``
    owner id -> (city, car model).  Rows: the cities with the most movement first (up + down +
    rising + drifting, then the city name); ``top`` keeps that many.  Columns ``city`` ("" for
    owners without one), ``moved_up``, ``moved_down``, ``rising``, ``drifting``, ``active_then``,
    ``active_now`` (owners).
    """
    def city(ids: pd.Series) -> pd.Series:
        return pd.Series([meta.get(str(i), ("", ""))[0] for i in ids], dtype=object)

    m = pd.DataFrame({"city": city(moves["owner_id"]),
                      "moved_up": (moves["direction"].astype(str) == "up").to_numpy(int),
                      "moved_down": (moves["direction"].astype(str) == "down").to_numpy(int),
                      "active_then": (moves["activity_then"].fillna(0) > 0).to_numpy(int),
                      "active_now": (moves["activity_now"].fillna(0) > 0).to_numpy(int)})
    out = m.groupby("city", sort=False).sum()
    for name, df in (("rising", rising), ("drifting", drifting)):
        out[name] = city(df["owner_id"]).value_counts().reindex(out.index, fill_value=0) if len(df) else 0
    out = out.reset_index()[["city", "moved_up", "moved_down", "rising", "drifting", "active_then", "active_now"]]
    out = out.astype({c: "int64" for c in out.columns if c != "city"})
    moved = out["moved_up"] + out["moved_down"] + out["rising"] + out["drifting"]
    out = out.assign(_m=moved).sort_values(["_m", "city"], ascending=[False, True], kind="mergesort")
    out = out[out["_m"] > 0].drop(columns="_m").reset_index(drop=True)
    return out.head(top) if top is not None else out


def _regulars(ctx: _Ctx) -> str:
    """Event regulars (algorithms/events.py): the worked example of docs/architecture.md."""
    L = ctx.lang
    df, _ = ctx.call("event_regulars", lang=L)
    name = ctx.csv(df, "event_regulars")
    cols = [Col("rank", "#", "num", src="event_regulars.rank"), Col("owner_id", t("h_owner", L), "owner"),
            Col("months_attended", t("h_months", L), "num", src="event_regulars.months_attended"),
            Col("events_attended", t("f_attended", L), "num", src="event_regulars.events_attended"),
            Col("events_led", t("f_led", L), "num", src="event_regulars.events_led"),
            Col("cities", t("h_event_cities", L), "num", src="event_regulars.cities"),
            Col("days_since_last", t("h_days_since", L), "num", 0, src="event_regulars.days_since_last"),
            Col("reason", t("h_reason", L), "reason")]
    return f'<p class="lead">{esc(t("regulars_lead", L))}</p>' + table(ctx, df, cols, csv_name=name)


def _backtest(ctx: _Ctx) -> str:
    from graphcrm.algorithms.backtest import backtest

    L = ctx.lang
    k = min(ctx.k, 50)
    df = backtest(ctx.full, k=k, seed=ctx.seed)  # the whole history: it splits it itself
    df = df.copy()
    df.attrs = {}
    fname = ctx.csv(df, "backtest")
    best = df[~df["method"].astype(str).str.startswith("ambassadors")]["reach"].max() if len(df) else float("nan")
    ours = df[df["method"].astype(str).str.startswith("ambassadors")]
    top_ours = ours.sort_values("reach", ascending=False).head(1)
    parts = [f'<p class="lead">{esc(t("backtest_lead", L, k=k))}</p>' + ctx.whole_note()]
    if len(top_ours) and best == best:
        r = top_ours.iloc[0]
        key = "backtest_won" if r["ratio_low"] > 1 else ("backtest_lost" if r["ratio_high"] < 1 else "backtest_tie")
        parts.append(f'<p class="summary">{esc(t(key, L, method=_method(r["method"], L), ratio=f"{r.ratio_to_best_baseline:.2f}", lo=f"{r.ratio_low:.2f}", hi=f"{r.ratio_high:.2f}"))}</p>')
    shown = df.assign(method_name=[_method(m, L) for m in df["method"]])
    cols = [Col("method_name", t("h_method", L), "text", src="report.bt_method"),
            Col("k", "k", "num", src="report.bt_k"),
            Col("reach", t("h_reach_after", L), "num", src="report.bt_reach"),
            Col("reach_low", t("h_low", L), "num", 0, src="report.bt_low"),
            Col("reach_high", t("h_high", L), "num", 0, src="report.bt_high"),
            Col("ratio_to_best_baseline", t("h_ratio", L), "num", 2, src="report.bt_ratio")]
    parts.append(table(ctx, shown, cols, csv_name=fname, rows=20))
    return "".join(parts)


def _method(m: Any, lang: str) -> str:
    m = str(m)
    key = "bt_" + m.replace(":", "_")
    from graphcrm.reports.text import LABELS

    return t(key, lang) if key in LABELS else m


def _campaigns(ctx: _Ctx) -> str:
    L = ctx.lang
    listed = ctx.cg.campaigns()
    if listed.empty:
        return _note("info", t("no_campaigns", L))
    parts = [f'<p class="lead">{esc(t("campaigns_lead", L))}</p>' + ctx.whole_note()]
    rows = []
    for name in listed["name"].astype(str):
        try:
            lift = ctx.cg.evaluate(name, seed=ctx.seed, lang=L)
            lift = lift[0] if isinstance(lift, tuple) else lift
        except GraphCRMError as exc:
            parts.append(_note("unavailable", f"{name}: {error_text(exc, L)}"))
            continue
        rows.append(lift.assign(campaign=name))
    if not rows:
        return "".join(parts)
    df = pd.concat(rows, ignore_index=True)
    fname = ctx.csv(df, "campaign_lift")
    shown = df.assign(verdict_t=[_val(v, L) for v in df["verdict"]], scope_t=[_val(v, L) for v in df["scope"].astype(str)],
                      outcome_t=[_val(v, L) for v in df["outcome"].astype(str)])
    cols = [Col("campaign", t("h_campaign", L), "text"), Col("scope_t", t("h_scope", L), "text", src="campaign_lift.scope"),
            Col("outcome_t", t("h_outcome", L), "text", src="campaign_lift.outcome"),
            Col("treated_mean", t("h_treated", L), "num", 2, src="campaign_lift.treated_mean"),
            Col("control_mean", t("h_control", L), "num", 2, src="campaign_lift.control_mean"),
            Col("difference", t("h_lift", L), "num", 2, src="campaign_lift.difference"),
            Col("ci_low", t("h_low", L), "num", 2, src="campaign_lift.ci_low"),
            Col("ci_high", t("h_high", L), "num", 2, src="campaign_lift.ci_high"),
            Col("verdict_t", t("h_verdict", L), "text", src="campaign_lift.verdict"),
            Col("reason", t("h_reason", L), "reason")]
    parts.append(table(ctx, shown, cols, csv_name=fname, rows=40))
    return "".join(parts)


#: the "This week" action list: key, label, where its rows come from
ACTIONS: tuple[str, ...] = ("invite_volunteers", "decide_findings", "reward_referrers", "reactivate_drifting",
                            "win_back_lapsed", "brief_ambassadors")
#: referral findings somebody has to decide on (the cleaning could not settle them alone)
DECIDE_KINDS = ("double_claim", "burst")


def action_rows(results: dict) -> dict[str, pd.DataFrame | None]:
    """The rows behind each action of "This week" (None: its analysis did not run).

    invite_volunteers / reward_referrers / win_back_lapsed / brief_ambassadors: the targets
    table's volunteer_invite / referral_reward / reactivation / ambassador rows;
    decide_findings: the referral findings of kind double_claim or burst; reactivate_drifting:
    the drifting owners (high past contribution, falling activity)."""
    tg = results.get("targets")
    issues = results.get("issues")
    drift = results.get("drifting")

    def prog(p: str) -> pd.DataFrame | None:
        return None if tg is None else tg[tg["program"].astype(str) == p].reset_index(drop=True)

    return {
        "invite_volunteers": prog("volunteer_invite"),
        "decide_findings": None if issues is None else
        issues[issues["kind"].astype(str).isin(DECIDE_KINDS)].reset_index(drop=True),
        "reward_referrers": prog("referral_reward"),
        "reactivate_drifting": drift,
        "win_back_lapsed": prog("reactivation"),
        "brief_ambassadors": prog("ambassador"),
    }


def _actions(ctx: _Ctx) -> str:
    L = ctx.lang
    rows = action_rows(ctx.results)
    target = {"invite_volunteers": "targets", "decide_findings": "integrity", "reward_referrers": "targets",
              "reactivate_drifting": "movement", "win_back_lapsed": "targets", "brief_ambassadors": "ambassadors"}
    items = []
    for key in ACTIONS:
        df = rows[key]
        if df is None:
            items.append(f'<li class="action action-{key} off" data-action="{key}" data-count="">'
                         f'<div class="a-head"><span class="a-count">–</span><b>{esc(t("a_" + key, L))}</b></div>'
                         f'<p class="muted">{esc(t("a_unavailable", L))}</p></li>')
            continue
        fname = ctx.csv(df, f"action_{key}")
        ids = df["owner_id"].astype(str).head(5).tolist() if "owner_id" in df else []
        chips = " ".join(f'<span class="oid">{esc(i)}</span>' for i in ids) + (" …" if len(df) > 5 else "")
        items.append(f'<li class="action action-{key}" data-action="{key}" data-count="{len(df)}">'
                     f'<div class="a-head"><span class="a-count">{len(df):,}</span><b>{esc(t("a_" + key, L))}</b></div>'
                     f'<p class="a-why">{esc(t("aw_" + key, L))}</p>'
                     f'<p class="a-ids">{chips}</p>'
                     f'<p class="a-links">{ctx.csv_link(fname)} · <a href="#{target[key]}">{esc(t("a_details", L))}</a></p></li>')
    return f'<p class="lead">{esc(t("actions_lead", L))}</p><ol class="actions">{"".join(items)}</ol>'


_BUILDERS: dict[str, Callable[[_Ctx], str]] = {
    "actions": _actions, "headline": _headline, "kocs": _kocs, "circles": _circles, "referrals": _referrals,
    "integrity": _integrity, "ambassadors": _ambassadors, "targets": _targets, "volunteers": _volunteers,
    "levels": _levels, "movement": _movement, "backtest": _backtest, "campaigns": _campaigns,
    "regulars": _regulars,
}


def _build_order(ctx: _Ctx, chosen: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """The sections in the order they are built: :data:`SECTIONS`' order, except that a
    :data:`DEFERRABLE` section whose analyses a second process is still computing waits until
    no ready section is left (then the first waiting one is built: its calls wait for the worker),
    and the :data:`LATE` sections come last."""
    todo = [s for s in chosen if s[0] not in LATE]
    communities = [c for c in (ctx.full, ctx.community) if c is not None]

    def waits(key: str) -> bool:
        names = [f"result:{n}" for n in DEFERRABLE.get(key, ())]
        return bool(names) and any(c.pending(names) for c in communities)

    while todo:
        nxt = next((s for s in todo if not waits(s[0])), todo[0])
        todo.remove(nxt)
        yield nxt
    yield from (s for s in chosen if s[0] in LATE)


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
        sec.status, sec.note = "unavailable", t("unavailable", L, detail=error_text(exc, L))
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
--mono:"DejaVu Sans Mono",Menlo,Consolas,"SFMono-Regular","Cascadia Mono","Noto Sans Mono CJK SC",monospace}
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
a.kpi-link{display:inline-block;font-size:12px;color:var(--primary);margin-top:4px;text-decoration:none}
p.moved{margin:-6px 0 14px;font-size:14px}p.moved a{color:var(--primary);white-space:nowrap}
.seg-banner{margin:0 0 18px;background:#eff6ff;border:1px solid #bfdbfe;color:#1e3a8a}
header.top .facts .seg{background:rgba(255,255,255,.18);border-radius:999px;padding:0 10px}
.panels{display:grid;grid-template-columns:repeat(var(--panels),minmax(0,1fr));gap:10px 18px;margin:8px 0 16px;
align-items:start}
.panels figure.chart{margin:0}
ul.chart-key{list-style:none;display:flex;flex-wrap:wrap;justify-content:center;gap:4px 18px;padding:0;margin:-8px 0 12px;
font-size:13px;color:var(--muted)}ul.chart-key span{margin-right:5px;font-size:14px}
@media (max-width:1000px){.panels-4,.panels-3{grid-template-columns:repeat(2,minmax(0,1fr))}}
@media (max-width:640px){.panels{grid-template-columns:minmax(0,1fr)}}
figure.chart{margin:8px 0 16px;text-align:center}
p.caption{color:var(--muted);font-size:12.5px;margin:-8px 0 16px;text-align:center}
figure.chart svg{display:inline-block}
figure.chart.narrow svg{max-width:720px!important}
.split{display:grid;grid-template-columns:1.1fr 1fr;gap:22px;align-items:start}
.split>*{min-width:0}
@media (max-width:900px){.split{grid-template-columns:minmax(0,1fr)}}
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
.oid{font-family:var(--mono);font-variant-numeric:slashed-zero;font-feature-settings:"zero" 1;font-size:12.5px;
background:#f1f5f9;border-radius:6px;padding:1px 6px;white-space:nowrap}
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
ul.legend{list-style:none;margin:6px 2px 0;padding:0;font-size:12.5px;color:var(--muted);columns:2;column-gap:28px}
ul.legend li{break-inside:avoid;margin:0 0 3px}ul.legend b{color:var(--ink);font-weight:600}
ul.legend .unit{font-family:var(--mono);font-size:11.5px}
@media (max-width:800px){ul.legend{columns:1}}
ul.inline{list-style:none;padding:0;margin:0 0 6px;display:flex;flex-wrap:wrap;gap:6px 18px;font-size:14px}
ol.actions{list-style:none;margin:6px 0 0;padding:0;display:grid;grid-template-columns:repeat(3,1fr);gap:12px}
@media (max-width:1000px){ol.actions{grid-template-columns:repeat(2,1fr)}}
@media (max-width:620px){ol.actions{grid-template-columns:1fr}}
li.action{border:1px solid var(--line);border-radius:14px;padding:12px 14px;background:linear-gradient(180deg,#fff,#fafbff)}
li.action.off{opacity:.7;border-style:dashed}
.a-head{display:flex;gap:10px;align-items:baseline}
.a-count{font-size:28px;font-weight:800;color:var(--primary);font-variant-numeric:tabular-nums;min-width:1.6em}
.a-why{color:var(--muted);font-size:13px;margin:4px 0}
.a-ids{margin:4px 0}.a-ids .oid{display:inline-block;margin:0 2px 3px 0}
.a-links{margin:2px 0 0;font-size:12.5px}.a-links a{color:var(--primary)}
.vfigs{display:grid;grid-template-columns:1fr 1fr;gap:12px}
@media (max-width:620px){.vfigs{grid-template-columns:1fr}}
.vfig{border-radius:10px;padding:10px 12px;border:1px solid var(--line);background:#fff}
.vfig-good{border-left:6px solid var(--good)}.vfig-fair{border-left:6px solid #f59e0b}.vfig-poor{border-left:6px solid var(--bad)}
.vfig .auc-value{font-size:34px}
@media (max-width:640px){.wrap{padding:0 12px}section.card{padding:18px 14px}
figure.chart{overflow-x:auto;-webkit-overflow-scrolling:touch}
figure.chart svg{min-width:560px}figure.chart.half svg{min-width:360px}
figure.chart.panel{overflow:visible}figure.chart.panel svg{min-width:0}
header.top h1{font-size:24px}}
@media print{body{background:#fff;font-size:11px}section.card{box-shadow:none;border:1px solid var(--line);break-inside:auto;
padding:12px 14px}
header.top{-webkit-print-color-adjust:exact;print-color-adjust:exact;padding:16px 0 20px}main{margin-top:0}
.wrap{max-width:none;padding:0 6px}
.tbl-wrap,.tbl-wrap.scroll{max-height:none!important;overflow:visible!important;border:none}
table{font-size:9.5px;table-layout:auto}td,th{padding:3px 4px}thead th{position:static;white-space:normal}
td.reason{min-width:0;font-size:9px}td,th,.oid,td.owner .meta{white-space:normal!important;overflow-wrap:break-word}th,td.reason,td.text,.oid,td.owner .meta{overflow-wrap:anywhere}
tr{break-inside:avoid}thead{display:table-header-group}
figure.chart{break-inside:avoid}figure.chart svg{max-width:100%!important;min-width:0!important}
nav.toc{display:none}ul.legend{columns:2}}
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
    banner = ""
    if ctx.segment is not None:
        label = ctx.segment.label(L)
        facts.insert(0, f'<span class="seg"><b>{esc(t("segment", L))}</b>{esc(label)}</span>')
        banner = (f'<div class="note note-info seg-banner" id="segment"><span class="icon">ⓘ</span><span>'
                  f'{esc(t("seg_banner", L, label=label, n=f"{len(ctx.seg_owners):,}", total=f"{len(ctx.community.owners):,}"))}'
                  f'</span></div>')
    toc = "".join(f'<a href="#{s.key}" class="st-{s.status}">{esc(s.title)}</a>' for s in sections)
    cards = []
    for i, s in enumerate(sections, 1):
        body = s.body if s.status == "ok" else _note(s.status, s.note)
        cards.append(f'<section class="card sec-{s.key} st-{s.status}" id="{s.key}" data-status="{s.status}">'
                     f'<h2><span class="num">{i}</span>{esc(s.title)}</h2>{body}</section>')
    pos = {key: i for i, (key, _) in enumerate(SECTIONS)}  # in the page's order, whatever order they were built in
    files = sorted(ctx.csvs, key=lambda f: pos.get(ctx.csv_section.get(f, ""), -1))
    csv_items = "".join(f"<li>{ctx.csv_link(f)}</li>" for f in files)
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
            f'<main class="wrap">{banner}{"".join(cards)}{about}</main>'
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
    ambassadors_k: int = 30,
    top: int = 20,
    campaign: Any = None,
    csv_lang: str | None = None,
    sections: Any = None,
    segment: Any = None,
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
    ambassadors_k : int, default 30
        Number of ambassadors picked.
    top : int, default 20
        Rows shown per table (the CSV files have every row; the ambassador table shows every pick).
    campaign : path or CampaignFile, optional
        The campaign file (:mod:`graphcrm.campaign_file`): its ``k``, caps, exclusions, costs and
        budget, seed and target sizes drive the ambassador and targets sections, so the report
        shows the picks ``cg.ambassadors(**f.ambassador_options())`` and ``cg.targets(**f.
        target_options())`` give; its exclusion list is checked against the owners (ids read,
        unknown ids shown in the targets section).  Overrides ``seed`` and ``ambassadors_k``.
    sections : iterable of str, optional
        Keys of the sections to build (:data:`SECTIONS`; default all), e.g. to leave out the
        backtest on a very large community; "This week" lists what the built sections give.
    segment : Segment or dict, optional
        Only this segment's owners in the report's tables and targets (see
        :mod:`graphcrm.segments`, e.g. ``{"city": ["上海"]}``): every analysis still runs on the
        whole community (influence, circles and referral chains cross segments); the owner
        tables, the KOC and volunteer lists, the level pyramid, the headline numbers and the
        action list keep the segment's owners, the ambassadors and targets are picked among
        them, and the page says so at the top.  Tables about the whole community (circle map,
        level transitions, new-owner cohorts, backtest, campaigns) say that they are.
    csv_lang : {"en", "zh"}, optional
        Language of the CSV headers (default: ``lang``; "en" keeps the analyses' column names
        beside a Chinese report, for machines).
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
        The HTML file written.  CSV files written: ``action_<action>`` (the rows behind each
        action of "This week", :data:`ACTIONS`), ``headline``, ``weekly_activity``,
        ``headline_drilldown``, ``kocs``, ``circle_members``, ``circles``, ``circle_ties``,
        ``referral_chains``, ``referral_trees``, ``referral_issues``, ``ambassadors``,
        ``spread_curve``, ``targets``, ``targets_<program>``, ``volunteer_candidates``,
        ``volunteer_pipeline``, ``volunteer_validation``, ``owner_levels``, ``level_summary``,
        ``closest_to_next_level``, ``drifting_owners``, ``rising_stars``, ``level_transitions``,
        ``movement_by_city``, ``new_owner_cohort``, ``backtest``, ``campaign_lift``, ``event_regulars``
        (each only when its section could be computed).

    Raises
    ------
    ConfigError
        Bad ``lang``, dates or options; a segment that matches no owner (the message names the
        values that exist).
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
    csv_l = check_lang(csv_lang) if csv_lang is not None else L
    keys = [k for k, _ in SECTIONS]
    wanted = keys if sections is None else [str(x) for x in sections]
    unknown = sorted(set(wanted) - set(keys))
    if unknown:
        raise ConfigError(code="report_sections", unknown=", ".join(unknown), known=", ".join(keys))
    chosen = [(k, lbl) for k, lbl in SECTIONS if k in wanted]
    camp = None
    if campaign is not None:
        from graphcrm.campaign_file import CampaignFile, read_campaign_file

        camp = campaign if isinstance(campaign, CampaignFile) else read_campaign_file(campaign)
        seed, ambassadors_k = camp.seed, camp.k
    if int(ambassadors_k) < 1:
        raise ConfigError(code="report_k", value=repr(ambassadors_k))
    if int(top) < 1:
        raise ConfigError(code="report_top", value=repr(top))
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
    ctx = _Ctx(cg=cg, lang=L, since=since, until=until, seed=int(seed), k=int(ambassadors_k), top=int(top),
               csv_dir=csv_path, csv_href=href, strict=strict, progress=progress, csv_lang=csv_l, campaign=camp)
    if camp is not None:
        ctx.amb_options = camp.ambassador_options()
        ctx.target_options = camp.target_options()
    else:
        ctx.amb_options = {"k": ctx.k, "seed": ctx.seed}
        ctx.target_options = {"ambassadors_k": ctx.k, "seed": ctx.seed}
    names = ["load"] + [k for k, _ in chosen] + ["write"]
    charts.reset_ids()
    with steps(names, desc="report", progress=progress) as step:
        step("load")
        ctx.full = cg.community()
        ctx.community = cg.community(since, until)
        o = ctx.community.owners
        city = o["city"].fillna("").astype(str) if "city" in o else pd.Series("", index=o.index)
        model = o["car_model"].fillna("").astype(str) if "car_model" in o else pd.Series("", index=o.index)
        ctx.meta = dict(zip(o["owner_id"].astype(str), zip(city, model)))
        # owner ids that are phone numbers are shown masked in the page and its CSV tables
        ctx.phone_ids = PhoneIdMask(ctx.full.owner_ids)
        if segment is not None:
            from graphcrm.segments import Segment

            ctx.segment = Segment.coerce(segment)
            if ctx.segment is not None:  # a value no owner has: ConfigError naming those that exist
                ctx.seg_owners = ctx.segment.owner_ids(ctx.community)
        if camp is not None:
            ctx.results["exclusions"] = camp.check_exclusions(o["owner_id"].astype(str))
        built: dict[str, Section] = {}
        for key, label in _build_order(ctx, chosen):
            step(key)
            charts.reset_ids(f"{key}-")  # chart ids that do not depend on the build order
            ctx.section = key
            built[key] = _run_section(ctx, key, label)
        built_sections = [built[key] for key, _ in chosen]
        step("write")
        generated = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        page = ctx.phone_ids.text(_page(ctx, built_sections, generated=generated))
        path.write_text(page, encoding="utf-8")
    log.info("report written to %s (%d CSV files in %s)", path, len(ctx.csvs), csv_path)
    return path
