"""Matplotlib charts of the community report, as inline SVG.

Every chart is drawn on a plain :class:`matplotlib.figure.Figure` (no pyplot state) and saved
as SVG with ``svg.fonttype = "none"``: text stays text, so the browser draws it with its own
fonts (the report's CSS puts CJK fonts in the stack) and Chinese never turns into empty boxes.
Element ids are prefixed per chart so that many charts can live in one HTML page, and the output
is deterministic (fixed hash salt, no date metadata).

Each function returns the SVG markup as a string (``<svg ...>...</svg>``).  Strings given to
matplotlib are escaped by matplotlib's SVG writer.

User text is always literal text: mathtext and TeX are off for every Text object
(``text.parse_math`` and ``text.usetex`` in :data:`STYLE`), so a city called ``$\frac{1$`` is
drawn as those characters instead of failing to parse; and every string from the data passes
:func:`plain` (line breaks and other control characters become spaces, bidi embedding/override
controls are dropped so that they cannot reorder a label or the numbers drawn next to it).
"""
from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from typing import Iterator

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch

#: fonts tried by matplotlib for measuring text and written into the SVG's font-family
FONT_STACK = ["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
              "WenQuanYi Micro Hei", "Hiragino Sans GB", "DejaVu Sans", "Arial"]

INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
PRIMARY = "#2563eb"
LIGHT = "#bfdbfe"
SERIES = ["#2563eb", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6", "#06b6d4", "#ec4899", "#84cc16",
          "#f97316", "#14b8a6"]
OTHER = "#cbd5e1"

STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "graphcrm",
    "font.family": ["sans-serif"],
    "font.sans-serif": FONT_STACK,
    "font.size": 10,
    "axes.edgecolor": GRID,
    "axes.labelcolor": MUTED,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlecolor": INK,
    "axes.titlelocation": "left",
    "axes.titlepad": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": GRID,
    "grid.linewidth": 0.8,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.major.size": 0,
    "ytick.major.size": 0,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "axes.unicode_minus": False,
    # user text is literal: never mathtext ($...$) nor TeX, whatever the user's matplotlibrc says
    "text.parse_math": False,
    "text.usetex": False,
}

#: C0/C1 control characters and line/paragraph separators (drawn as a space)
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: bidi embeddings, overrides and isolates (dropped)
_BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")


def plain(text: object) -> str:
    r"""A string from the data as one line of literal chart text.

    Control characters (line breaks, tabs, NUL) become spaces; bidi embedding, override and
    isolate controls (U+202A-U+202E, U+2066-U+2069) are dropped.  ``$``, ``\``, ``<`` and the
    like stay as they are (mathtext is off, and the SVG writer escapes markup).

    Example
    -------
    >>> plain(r"$\frac{1$" + "\n\u202e北京")
    '$\\frac{1$ 北京'
    """
    return _CONTROL_RE.sub(" ", _BIDI_RE.sub("", str(text)))


_counter = [0]
_scope = [""]


@contextmanager
def figure(width: float, height: float, **kwargs) -> Iterator[Figure]:
    """A Figure (inches) under the report style, with glyph warnings silenced.

    Measurement falls back to DejaVu Sans when no CJK font is installed for matplotlib; the
    browser still draws the text with its own fonts.
    """
    with matplotlib.rc_context(STYLE), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from")
        warnings.filterwarnings("ignore", message=r".*findfont.*")
        fig = Figure(figsize=(width, height), layout="constrained", **kwargs)
        yield fig


def to_svg(fig: Figure, label: str = "") -> str:
    """The figure as inline SVG markup: ids prefixed, no XML prolog, responsive width.

    Must be called inside the :func:`figure` context (the style applies when saving).
    """
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    _counter[0] += 1
    prefix = f"{_scope[0]}c{_counter[0]}-"
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r'(xlink:href|href)="#([^"]+)"', lambda m: f'{m.group(1)}="#{prefix}{m.group(2)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)
    m = re.match(r'<svg([^>]*?)\swidth="([\d.]+)pt"\sheight="([\d.]+)pt"', svg)
    if m:
        w_pt = float(m.group(2))
        svg = svg.replace(m.group(0), f'<svg{m.group(1)}', 1)
        w_px = w_pt * 4 / 3
        svg = svg.replace("<svg", f'<svg class="chart-svg" role="img" aria-label="{_attr(label)}" '
                                  f'preserveAspectRatio="xMidYMid meet" style="width:100%;max-width:{w_px:.0f}px;height:auto"', 1)
    return svg


def reset_ids(scope: str = "") -> None:
    """Restart the id prefix counter (for byte-identical reports); ``scope`` begins every id
    until the next call (the report gives each section its own, so that the ids do not depend on
    the order the sections are built in)."""
    _counter[0] = 0
    _scope[0] = scope


def _attr(s: str) -> str:
    return (str(s).replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;"))


def _fmt(x: float) -> str:
    if abs(x) >= 1e6:
        return f"{x / 1e6:.1f}M"
    if abs(x) >= 1e4:
        return f"{x / 1e3:.0f}k"
    if abs(x) >= 1e3:
        return f"{x / 1e3:.1f}k"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:.1f}"


def _int_axis(ax, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    a = ax.yaxis if axis == "y" else ax.xaxis
    a.set_major_locator(MaxNLocator(integer=True, nbins=5))
    a.set_major_formatter(FuncFormatter(lambda v, _: _fmt(v)))


# ------------------------------------------------------------------------------------------
# headline: weekly activity
# ------------------------------------------------------------------------------------------
#: width of one panel of a multi-panel chart (inches): side by side on a wide screen, one per
#: row on a phone, where 4.6 in (442 px) drawn at a phone's ~340 px keeps 9 pt text above 9 px
PANEL_WIDTH = 4.6


def _date_axis(ax, months: Sequence[str] | None) -> None:
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter

    loc = mdates.AutoDateLocator(minticks=3, maxticks=5)
    ax.xaxis.set_major_locator(loc)
    if months:  # month names of the report language (12, January first)
        def fmt(x: float, pos: int | None = None, _m: Sequence[str] = months) -> str:
            d = mdates.num2date(x)
            return _m[d.month - 1] if d.month != 1 else f"{d.year}年{_m[0]}" if _m[0].endswith("月") else f"{_m[0]} {d.year}"

        ax.xaxis.set_major_formatter(FuncFormatter(fmt))
    else:
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc, show_offset=False))


def activity_chart(weekly: pd.DataFrame, *, current: tuple[pd.Timestamp, pd.Timestamp],
                   previous: tuple[pd.Timestamp, pd.Timestamp], labels: dict[str, str]) -> list[str]:
    """Two panels over weeks, each its own SVG: active owners (area), new owners split
    referred / not (bars).

    ``weekly`` has columns ``week`` (Timestamp, week start), ``active``, ``new_referred``,
    ``new_other``.  The current and previous periods are shaded.
    """
    x = pd.to_datetime(weekly["week"])
    months = labels.get("months")
    periods = [Patch(color="#dbeafe", label=labels["this_period"]), Patch(color="#f1f5f9", label=labels["prev_period"])]
    out = []
    with figure(PANEL_WIDTH, 3.3) as fig:
        ax = fig.subplots()
        ax.axvspan(previous[0], previous[1], color="#f1f5f9", zorder=0, lw=0)
        ax.axvspan(current[0], current[1], color="#dbeafe", zorder=0, lw=0)
        ax.grid(axis="x", visible=False)
        ax.fill_between(x, weekly["active"], color=PRIMARY, alpha=0.18, lw=0, step="mid")
        ax.plot(x, weekly["active"], color=PRIMARY, lw=2, drawstyle="steps-mid")
        ax.set_title(labels["weekly_active"])
        ax.set_ylim(bottom=0)
        _int_axis(ax)
        _date_axis(ax, months)
        fig.legend(handles=periods, loc="outside upper right", ncols=2, fontsize=9)
        out.append(to_svg(fig, labels["weekly_active"]))
    with figure(PANEL_WIDTH, 3.3) as fig:
        ax = fig.subplots()
        ax.axvspan(previous[0], previous[1], color="#f1f5f9", zorder=0, lw=0)
        ax.axvspan(current[0], current[1], color="#dbeafe", zorder=0, lw=0)
        ax.grid(axis="x", visible=False)
        ax.bar(x, weekly["new_referred"], width=5.5, color=SERIES[1], label=labels["referred"])
        ax.bar(x, weekly["new_other"], width=5.5, bottom=weekly["new_referred"], color=OTHER, label=labels["not_referred"])
        ax.set_title(labels["weekly_new"])
        _int_axis(ax)
        ax.set_ylim(0, max(1.0, float((weekly["new_referred"] + weekly["new_other"]).max())) * 1.08)
        _date_axis(ax, months)
        handles = [Patch(color=SERIES[1], label=labels["referred"]), Patch(color=OTHER, label=labels["not_referred"])]
        fig.legend(handles=handles, loc="outside upper right", ncols=2, fontsize=9)
        out.append(to_svg(fig, labels["weekly_new"]))
    return out


# ------------------------------------------------------------------------------------------
# KOCs
# ------------------------------------------------------------------------------------------
def koc_chart(names: Sequence[str], parts: pd.DataFrame, *, part_labels: dict[str, str], title: str,
              score_label: str) -> str:
    """Horizontal stacked bars: each row an owner, each segment a component's share of the score."""
    n = len(names)
    with figure(11, 0.9 + 0.3 * n) as fig:
        ax = fig.subplots()
        y = np.arange(n)[::-1]
        left = np.zeros(n)
        for i, col in enumerate(parts.columns):
            vals = parts[col].to_numpy(float)
            ax.barh(y, vals, left=left, height=0.68, color=SERIES[i % len(SERIES)], label=plain(part_labels.get(col, col)),
                    edgecolor="white", linewidth=0.6)
            left += vals
        for yi, total in zip(y, left):
            ax.text(total + max(left.max(), 1) * 0.01, yi, f"{total:.0f}", va="center", fontsize=9, color=INK)
        ax.set_yticks(y)
        ax.set_yticklabels([plain(n) for n in names], fontsize=9)
        ax.set_xlim(0, max(left.max(), 1) * 1.08)
        ax.set_xlabel(plain(score_label))
        ax.grid(axis="y", visible=False)
        ax.set_title(plain(title))
        fig.legend(loc="outside upper right", ncols=len(parts.columns), fontsize=8.5)
        return to_svg(fig, title)


# ------------------------------------------------------------------------------------------
# circles
# ------------------------------------------------------------------------------------------
def circle_layout(nodes: pd.DataFrame, edges: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Centres and radii (data units) of the circles, without overlaps.

    Kamada–Kawai (igraph, deterministic: starts from a circle) on distances that shrink with tie strength,
    strength = ties / sqrt(size_a * size_b) (two big circles are not pulled together merely for
    being big); then each dot gets a radius growing with the square root of its members and a
    short relaxation pushes overlapping dots apart.
    """
    import igraph as ig

    ids = [int(c) for c in nodes["circle"]]
    sizes = nodes["size"].to_numpy(float)
    n = len(ids)
    radius = 0.03 + 0.17 * np.sqrt(sizes / max(sizes.max(), 1.0)) if n else np.zeros(0)
    if n <= 1:
        return np.zeros((n, 2)), radius
    where = {c: i for i, c in enumerate(ids)}
    pairs, dist = [], []
    if len(edges):
        norm = np.array([w / math.sqrt(max(sizes[where[int(a)]] * sizes[where[int(b)]], 1.0)) for a, b, w in
                         zip(edges["a"], edges["b"], edges["weight"])])
        mx = norm.max() or 1.0
        pairs = [(where[int(a)], where[int(b)]) for a, b in zip(edges["a"], edges["b"])]
        dist = list(1.0 / (0.15 + norm / mx))
    g = ig.Graph(n=n, edges=pairs)
    # kamada-kawai needs one component: tie other pieces loosely to the largest circle
    memb = g.connected_components().membership
    comps: dict[int, list[int]] = {}
    for v, c in enumerate(memb):
        comps.setdefault(c, []).append(v)
    hub_comp = memb[int(np.argmax(sizes))]
    hub = max(comps[hub_comp], key=lambda v: sizes[v])
    for c, vs in sorted(comps.items()):
        if c != hub_comp:
            g.add_edge(hub, max(vs, key=lambda v: sizes[v]))
            dist.append(8.0)
    start = np.column_stack([np.cos(np.arange(n) * 2 * np.pi / n), np.sin(np.arange(n) * 2 * np.pi / n)])
    xy = np.array(g.layout_kamada_kawai(seed=start.tolist(), weights=dist, maxiter=50 * n).coords, dtype=float)
    xy -= xy.mean(axis=0)
    xy /= np.abs(xy).max() or 1.0
    anchor = xy.copy()
    gap = 0.015
    for _ in range(400):
        d = xy[:, None, :] - xy[None, :, :]
        dd = np.sqrt((d ** 2).sum(-1)) + np.eye(n)
        need = radius[:, None] + radius[None, :] + gap
        over = np.clip(need - dd, 0, None)
        np.fill_diagonal(over, 0)
        if over.max() < 1e-4:
            break
        push = (d / dd[..., None] * over[..., None] * 0.5).sum(axis=1)
        xy += push + 0.01 * (anchor - xy)
    return xy, radius


def circle_map(nodes: pd.DataFrame, edges: pd.DataFrame, *, title: str, legend: Sequence[tuple[str, str]],
               max_labels: int = 24) -> str:
    """Circles as dots sized by members, lines = ties between circles; a readable map, not a hairball.

    ``nodes`` (largest first): ``circle``, ``size``, ``color``, ``name`` (e.g. its main city): big
    dots carry name and size inside, the next ones up to ``max_labels`` below.  ``edges``: ``a``, ``b`` (circle ids), ``weight``
    (ties), already thinned to the strongest.
    """
    from matplotlib.patches import Circle

    xy, radius = circle_layout(nodes, edges)
    where = {int(c): i for i, c in enumerate(nodes["circle"])}
    with figure(11, 6.8) as fig:
        ax = fig.subplots()
        ax.set_axis_off()
        ax.set_aspect("equal")
        if len(edges):
            segs = [(xy[where[int(r.a)]], xy[where[int(r.b)]]) for r in edges.itertuples(index=False)]
            w = edges["weight"].to_numpy(float)
            rel = np.sqrt(w / w.max())
            ax.add_collection(LineCollection(segs, linewidths=0.6 + 7.0 * rel, colors="#94a3b8",
                                             alpha=0.22, zorder=1, capstyle="round"))
        for i, ((x, y), r, row) in enumerate(zip(xy, radius, nodes.itertuples(index=False))):
            ax.add_patch(Circle((x, y), r, facecolor=row.color, edgecolor="white", linewidth=1.6, alpha=0.95, zorder=2))
            name = plain(row.name) if row.name else f"#{row.circle}"
            if r > 0.08:
                ax.text(x, y, f"{name}\n{int(row.size):,}", ha="center", va="center", fontsize=10, color="white",
                        weight="bold", zorder=3, linespacing=1.3)
            elif i < max_labels:
                ax.text(x, y - r - 0.01, f"{name} · {int(row.size):,}", ha="center", va="top", fontsize=8, color=INK,
                        zorder=4, bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.8})
        if len(xy):
            lo = (xy - radius[:, None]).min(axis=0)
            hi = (xy + radius[:, None]).max(axis=0)
            pad = 0.04
            ax.set_xlim(lo[0] - pad, hi[0] + pad)
            ax.set_ylim(lo[1] - pad - 0.05, hi[1] + pad)
        handles = [Patch(color=c, label=plain(lbl)) for lbl, c in legend]
        if handles:
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9)
        ax.set_title(plain(title))
        return to_svg(fig, title)


# ------------------------------------------------------------------------------------------
# referrals
# ------------------------------------------------------------------------------------------
SIZE_BINS = [(2, 2), (3, 4), (5, 9), (10, 19), (20, 49), (50, 99), (100, None)]


def referral_distributions(depth_counts: pd.Series, size_counts: pd.Series, *, labels: dict[str, str]) -> list[str]:
    """Two bar panels, each its own SVG: referred owners per level, and chains per size bin."""
    out = []
    for counts, color, title, xlabel in ((depth_counts, PRIMARY, labels["depth_dist"], labels["level"]),
                                         (size_counts, SERIES[1], labels["size_dist"], labels["owners_axis"])):
        with figure(PANEL_WIDTH, 3.0) as fig:
            ax = fig.subplots()
            ax.bar(np.arange(len(counts)), counts.to_numpy(), color=color, width=0.7)
            ax.set_xticks(np.arange(len(counts)), [str(i) for i in counts.index])
            for i, v in enumerate(counts.to_numpy()):
                ax.text(i, v, _fmt(v), ha="center", va="bottom", fontsize=9, color=INK)
            ax.set_title(title)
            ax.set_xlabel(xlabel)
            ax.grid(axis="x", visible=False)
            _int_axis(ax)
            ax.margins(y=0.15)
            out.append(to_svg(fig, title))
    return out


def referral_trees(trees: Sequence[dict], *, labels: dict[str, str]) -> list[str]:
    """Small multiples of the largest chains drawn as radial trees (chain starter in the centre),
    one SVG per tree; the key (:func:`tree_key`) is HTML under them, so that it wraps on a phone.

    Each tree: ``title``, ``parent`` (index of each owner's referrer in the list, -1 for the
    starter, who comes first; parents before children), ``converted`` (bool per owner), ``note``
    (e.g. "showing 500 of 1,969").  Level rings are drawn faintly so depth can be read off.
    """
    import igraph as ig
    from matplotlib.patches import Circle

    out = []
    for i_tree, tr in enumerate(trees):
        with figure(3.6, 3.8) as fig:
            ax = fig.subplots()
            par = np.asarray(tr["parent"], dtype=np.int64)
            m = len(par)
            depth = np.zeros(m, dtype=np.int64)
            for i in range(1, m):
                depth[i] = depth[par[i]] + 1 if par[i] >= 0 else 0
            if m > 1:
                kid = np.flatnonzero(par >= 0)
                g = ig.Graph(n=m, edges=np.column_stack([par[kid], kid]).astype(np.int32), directed=True)
                lay = np.array(g.layout_reingold_tilford_circular(root=[0], mode="out").coords)
                # place each owner at radius = its level, keep the layout's angle
                ang = np.arctan2(lay[:, 1], lay[:, 0])
                x, y = depth * np.cos(ang), depth * np.sin(ang)
            else:
                x, y = np.zeros(1), np.zeros(1)
            dmax = int(depth.max()) if m else 0
            for d in range(1, dmax + 1):
                ax.add_patch(Circle((0, 0), d, fill=False, edgecolor=GRID, linewidth=0.7, zorder=0))
            segs = [((x[p], y[p]), (x[i], y[i])) for i, p in enumerate(par) if p >= 0]
            ax.add_collection(LineCollection(segs, colors="#94a3b8", linewidths=0.6,
                                             alpha=float(np.clip(8 / math.sqrt(max(m, 1)), 0.25, 0.8)), zorder=1))
            conv = np.asarray(tr["converted"], dtype=bool)
            s = float(np.clip(900.0 / max(m, 1), 3.0, 40.0))
            ax.scatter(x[~conv], y[~conv], s=s, color=LIGHT, edgecolors=PRIMARY, linewidths=0.4, zorder=2)
            ax.scatter(x[conv], y[conv], s=s, color=SERIES[1], edgecolors="none", zorder=3)
            ax.scatter(x[:1], y[:1], s=70, color=INK, edgecolors="white", linewidths=1.0, zorder=4, marker="D")
            ax.set_aspect("equal")
            lim = max(dmax, 1) + 0.35
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_axis_off()
            ax.set_title(plain(tr["title"]), fontsize=9.5, loc="center")
            if tr.get("note"):
                ax.text(0.5, -0.03, plain(tr["note"]), transform=ax.transAxes, ha="center", va="top", fontsize=9,
                        color=MUTED)
            out.append(to_svg(fig, plain(tr["title"]) or labels["top_chains"]))
    return out


#: the marks of :func:`referral_trees`, for its HTML key: (label key, symbol, colour)
TREE_KEY = (("chain_root", "◆", INK), ("converted", "●", SERIES[1]), ("not_converted", "○", PRIMARY),
            ("level_rings", "◯", "#94a3b8"))


def hbar(labels_: Sequence[str], values: Sequence[float], *, title: str, xlabel: str = "",
         color: str = PRIMARY, width: float = 11, annotate: Sequence[str] | None = None) -> str:
    """A simple horizontal bar chart, first item on top."""
    n = len(values)
    with figure(width, 0.9 + 0.34 * max(n, 1)) as fig:
        ax = fig.subplots()
        y = np.arange(n)[::-1]
        vals = np.asarray(values, dtype=float)
        ax.barh(y, vals, color=color, height=0.62)
        top = vals.max() if n else 1.0
        for yi, v, a in zip(y, vals, annotate or [_fmt(v) for v in vals]):
            ax.text(v + top * 0.01, yi, plain(a), va="center", fontsize=9, color=INK)
        ax.set_yticks(y)
        ax.set_yticklabels([plain(lbl) for lbl in labels_], fontsize=9.5)
        ax.set_xlim(0, (top or 1.0) * 1.15)
        ax.grid(axis="y", visible=False)
        if xlabel:
            ax.set_xlabel(plain(xlabel))
        _int_axis(ax, "x")
        ax.set_title(plain(title))
        return to_svg(fig, title)


# ------------------------------------------------------------------------------------------
# ambassadors
# ------------------------------------------------------------------------------------------
def spread_curve(k: np.ndarray, spread: np.ndarray, *, lo: np.ndarray | None = None, hi: np.ndarray | None = None,
                 picked: int | None = None, mc: tuple[float, float, float] | None = None,
                 labels: dict[str, str]) -> str:
    """Expected reach vs number of ambassadors, with the chosen k marked."""
    with figure(11, 3.4) as fig:
        ax = fig.subplots()
        ax.fill_between(k, spread, color=PRIMARY, alpha=0.10, lw=0)
        if lo is not None and hi is not None:
            ax.fill_between(k, lo, hi, color=PRIMARY, alpha=0.22, lw=0)
        ax.plot(k, spread, color=PRIMARY, lw=2.2, marker="o" if len(k) <= 40 else None, ms=3.5)
        if picked is not None and len(k):
            i = int(np.argmin(np.abs(k - picked)))
            ax.scatter([k[i]], [spread[i]], s=70, color=SERIES[3], zorder=5)
            ax.annotate(f"k = {int(k[i])}: {_fmt(spread[i])}", (k[i], spread[i]), xytext=(-12, -18),
                        textcoords="offset points", ha="right", va="top", fontsize=10, color=INK, weight="bold")
        if mc is not None:
            ax.errorbar([picked], [mc[0]], yerr=[[mc[0] - mc[1]], [mc[2] - mc[0]]], fmt="s", color=SERIES[2],
                        ms=5, capsize=4, zorder=6, label=labels.get("mc_ci", "Monte Carlo 95% CI"))
            ax.legend(loc="lower right")
        ax.set_xlabel(labels["spread_k"])
        ax.set_ylabel(labels["spread_y"])
        ax.set_ylim(0, max(float(np.nanmax(spread)) if len(spread) else 1.0, 1.0) * 1.1)
        ax.set_xlim(0, max(float(k.max()) if len(k) else 1.0, 1.0) * 1.03)
        _int_axis(ax)
        ax.set_title(labels["spread_title"])
        return to_svg(fig, labels["spread_title"])


# ------------------------------------------------------------------------------------------
# volunteers and levels
# ------------------------------------------------------------------------------------------
def funnel(stages: Sequence[str], values: Sequence[float], *, title: str, highlight_last: bool = False,
           width: float = 5.6) -> str:
    """A centred funnel (largest stage on top); widths on a square-root scale so small stages stay visible."""
    vals = np.asarray(values, dtype=float)
    n = len(vals)
    with figure(width, 0.8 + 0.52 * n) as fig:
        ax = fig.subplots()
        top = max(vals.max() if n else 1.0, 1.0)
        w = np.sqrt(vals / top)
        y = np.arange(n)[::-1]
        colors = [SERIES[0]] * n
        shades = np.linspace(1.0, 0.55, n)
        colors = [_shade(PRIMARY, s) for s in shades]
        if highlight_last and n:
            colors[-1] = SERIES[2]
        ax.barh(y, w, left=-w / 2, height=0.78, color=colors)
        for yi, wi, v, s in zip(y, w, vals, stages):
            share = v / top
            share_s = "" if v >= top else (f" · {share:.0%}" if share >= 0.095 else f" · {share:.1%}")
            txt = f"{_fmt(v)}{share_s}"
            if wi > 0.3:
                ax.text(0, yi, txt, ha="center", va="center", fontsize=9.5, color="white", weight="bold")
            else:
                ax.text(wi / 2 + 0.02, yi, txt, ha="left", va="center", fontsize=9.5, color=INK, weight="bold")
            ax.text(-0.53, yi, plain(s), ha="right", va="center", fontsize=9.5, color=INK)
        ax.set_xlim(-1.35, 0.75)
        ax.set_axis_off()
        ax.set_title(plain(title))
        return to_svg(fig, title)


def pyramid(levels: Sequence[str], counts: Sequence[float], *, title: str, width: float = 11) -> str:
    """Owner levels as a pyramid: the lowest level at the bottom, bar width = owners (square-root scale)."""
    vals = np.asarray(counts, dtype=float)
    n = len(vals)
    total = max(vals.sum(), 1.0)
    with figure(width, 0.8 + 0.55 * n) as fig:
        ax = fig.subplots()
        top = max(vals.max() if n else 1.0, 1.0)
        w = np.maximum(np.sqrt(vals / top), 0.02)
        y = np.arange(n)  # index 0 = lowest level, drawn at the bottom
        palette = ["#93c5fd", "#60a5fa", "#3b82f6", "#2563eb", "#1d4ed8", "#1e40af", "#1e3a8a"]
        cols = [palette[min(i, len(palette) - 1)] for i in range(n)]
        ax.barh(y, w, left=-w / 2, height=0.82, color=cols)
        for yi, wi, v, s in zip(y, w, vals, levels):
            ax.text(-wi / 2 - 0.02, yi, plain(s), ha="right", va="center", fontsize=10.5, color=INK, weight="bold")
            ax.text(wi / 2 + 0.02, yi, f"{_fmt(v)}  ({v / total:.1%})", ha="left", va="center", fontsize=9.5, color=MUTED)
        ax.set_xlim(-0.9, 0.9)
        ax.set_ylim(-0.6, n - 0.4)
        ax.set_axis_off()
        ax.set_title(plain(title))
        return to_svg(fig, title)


def _shade(hex_color: str, s: float) -> str:
    """Blend ``hex_color`` towards white: s=1 original, s=0 white."""
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    mix = [round(255 - (255 - c) * s) for c in (r, g, b)]
    return "#" + "".join(f"{c:02x}" for c in mix)
