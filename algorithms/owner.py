"""One owner's story: everything graphcrm knows about one owner, in one place.

:func:`owner_profile` gathers, for one ``owner_id``: their attributes (never the name unless
asked), level and next step (with the grace period of :mod:`graphcrm.algorithms.movement`),
contribution by kind, KOC components and rank, circle and how their ties spread over circles,
their place in the referral forest (who referred them, whom they referred, downstream
conversions), the integrity findings that involve them, the programs they are targeted for and
a month-by-month timeline of their activity.  :meth:`OwnerProfile.to_text` prints it for a
terminal; :func:`graphcrm.reports.owner.owner_html` renders it as a small self-contained page
in the report's style.

Privacy: the ``name`` column and every other personal column (contract columns with
``pii=True`` and the report's list of phone-like names) are left out unless
``show_names=True``; even then :meth:`OwnerProfile.to_text` and
:func:`graphcrm.reports.owner.owner_html` show the name only when asked again
(``show_names=True``), and nothing here logs it.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from graphcrm.algorithms.movement import DEFAULT_GRACE_DAYS
from graphcrm.contract import CONVERTED_STAGES, TABLES
from graphcrm.errors import ConfigError, GraphCRMError
from graphcrm.i18n import check_lang, pick

__all__ = ["owner_profile", "OwnerProfile", "close_ids", "label", "fmt", "TIMELINE_COLUMNS", "ATTRIBUTES"]

#: personal columns never shown unless asked (contract pii columns plus phone-like names)
PII_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys(
    [c.name for c in TABLES["owners"].columns if c.pii] + ["name", "phone", "mobile", "email", "wechat", "id_card"]))
#: owner attributes shown in a profile
ATTRIBUTES: tuple[str, ...] = ("city", "region", "car_model", "purchased_at", "joined_at", "is_volunteer",
                               "is_staff", "marketing_opt_out")
TIMELINE_COLUMNS: tuple[str, ...] = ("month", "posts", "engagement_received", "interactions", "events",
                                     "events_led", "referrals", "conversions")


@dataclass(frozen=True)
class OwnerProfile:
    """One owner's profile (see :func:`owner_profile` for every field)."""

    owner_id: str
    as_of: pd.Timestamp
    attributes: dict
    level: dict
    contribution: dict
    koc: dict
    circle: dict
    referral: dict
    referrals_made: pd.DataFrame
    findings: pd.DataFrame
    targets: pd.DataFrame | None
    timeline: pd.DataFrame
    notes: tuple = ()
    name: str | None = field(default=None, repr=False)
    lang: str = "en"

    # -- text ------------------------------------------------------------------------------
    def to_text(self, *, show_names: bool = False) -> str:
        """The profile as plain text for a terminal (the name only with ``show_names``)."""
        parts = [self._text_head(show_names), self._text_level(), self._text_koc(), self._text_circle(),
                 self._text_referrals(), self._text_lists()]
        lines = [line for i, part in enumerate(parts) for line in ([""] if i else []) + part]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _text_head(self, show_names: bool) -> list[str]:
        """Who: id (name only with ``show_names``), city, region, car model, dates, flags, as-of."""
        L = self.lang
        lines: list[str] = []
        who = self.owner_id + (f"  {self.name}" if show_names and self.name else "")
        attrs = " · ".join(fmt(self.attributes.get(k)) for k in ("city", "region", "car_model") if self.attributes.get(k))
        lines.append(f"{pick(L, en='owner', zh='车主')} {who}" + (f"  ({attrs})" if attrs else ""))
        facts = []
        for k in ("joined_at", "purchased_at"):
            if self.attributes.get(k) is not None:
                facts.append(f"{label(k, L)} {fmt(self.attributes[k])}")
        for k in ("is_volunteer", "is_staff", "marketing_opt_out"):
            if self.attributes.get(k):
                facts.append(label(k, L))
        if facts:
            lines.append("  " + ", ".join(facts))
        lines.append(f"  {pick(L, en='as of', zh='截至')} {self.as_of:%Y-%m-%d}")
        return lines

    def _text_level(self) -> list[str]:
        """Level (grace rule) and next step, and contribution by kind."""
        L = self.lang
        lines: list[str] = []
        lv = self.level
        lines.append(pick(L, en="Level", zh="等级"))
        if lv:
            extra = ""
            if lv.get("grace_hold"):
                extra = pick(L, en=f" (kept by the grace period; the record alone is {lv['raw_level_name']})",
                             zh=f"（宽限期保留；当前记录为 {lv['raw_level_name']}）")
            lines.append(f"  {lv['level_name']}{extra}; {lv['contribution']:,.1f} " + pick(L, en="points", zh="积分"))
            lines.append(f"  {pick(L, en='next step', zh='下一步')}: {lv['next_step']}")
            if lv.get("grace_rule"):
                lines.append(f"  {pick(L, en='grace period', zh='宽限期')}: {lv['grace_rule']}")
        else:
            lines.append("  " + pick(L, en="staff: no level", zh="员工：不参与等级"))
        lines.append("")
        lines.append(pick(L, en="Contribution by kind (decayed points)", zh="各类贡献（衰减后积分）"))
        nz = {k: v for k, v in self.contribution.items() if v}
        lines.append("  " + (", ".join(f"{k} {v:,.1f}" for k, v in nz.items()) if nz else pick(L, en="none", zh="无")))
        return lines

    def _text_koc(self) -> list[str]:
        """KOC rank, score and components."""
        L = self.lang
        lines: list[str] = []
        lines.append("KOC")
        k = self.koc
        if k:
            rank = f"#{k['rank']:,} / {k['ranked']:,}" if k.get("rank") else pick(L, en="unranked", zh="未排名")
            lines.append(f"  {pick(L, en='rank', zh='排名')} {rank}, {pick(L, en='score', zh='得分')} {k['score']:.1f}"
                         + ("" if k["qualified"] else pick(L, en=" (not qualified)", zh="（未通过多样性门槛）")))
            lines.append("  " + ", ".join(f"{c} {fmt(k[c])}" for c in ("reach", "effective_reach", "engagement",
                                                                        "active_days", "authority", "conversion",
                                                                        "bridging")))
            lines.append(f"  {k['reason']}")
        return lines

    def _text_circle(self) -> list[str]:
        """Circle and ties by circle."""
        L = self.lang
        lines: list[str] = []
        lines.append(pick(L, en="Circle", zh="圈子"))
        c = self.circle
        if c and c.get("circle", -1) >= 0:
            lines.append(f"  {pick(L, en='circle', zh='圈子')} {c['circle']} ({c['circle_size']:,} "
                         f"{pick(L, en='owners', zh='人')}), {pick(L, en='ties into', zh='关系分布于')} {c['n_circles']} "
                         f"{pick(L, en='circles', zh='个圈子')}" + (pick(L, en=", a bridge", zh="，桥梁") if c.get("is_bridge") else ""))
            if c.get("ties"):
                lines.append("  " + ", ".join(f"{cc}: {100 * s:.0f}%" for cc, s in c["ties"]))
        else:
            lines.append("  " + pick(L, en="no ties yet", zh="尚无关系"))
        return lines

    def _text_referrals(self) -> list[str]:
        """Chain position and the referrals made."""
        L = self.lang
        lines: list[str] = []
        lines.append(pick(L, en="Referrals", zh="推荐"))
        r = self.referral
        by = r.get("referred_by") or pick(L, en="nobody (a root)", zh="无（链条起点）")
        lines.append(f"  {pick(L, en='referred by', zh='推荐人')}: {by}" + (
            f"; {pick(L, en='chain root', zh='链条起点')} {r['root_id']}, {pick(L, en='depth', zh='深度')} {r['depth']}"
            if r.get("root_id") and r.get("depth") else ""))
        lines.append(f"  {pick(L, en='referred', zh='推荐了')} {r.get('direct_referrals', 0)} "
                     f"({r.get('direct_conversions', 0)} {pick(L, en='converted', zh='成交')}); "
                     f"{pick(L, en='downstream', zh='下游')} {r.get('total_downstream', 0)} "
                     f"({r.get('downstream_conversions', 0)} {pick(L, en='converted', zh='成交')})")
        for row in self.referrals_made.head(10).itertuples(index=False):
            lines.append(f"    -> {row.referee_id}  {row.referred_at:%Y-%m-%d}  {row.stage}" + (
                "" if row.kept else pick(L, en="  (dropped by cleaning)", zh="  （清洗时剔除）")))
        if len(self.referrals_made) > 10:
            lines.append(f"    ... {len(self.referrals_made) - 10} " + pick(L, en="more", zh="条未列出"))
        return lines

    def _text_lists(self) -> list[str]:
        """Findings, programs and the timeline by month."""
        L = self.lang
        lines: list[str] = []
        lines.append(pick(L, en="Findings", zh="异常发现"))
        if len(self.findings):
            for row in self.findings.itertuples(index=False):
                lines.append(f"  {row.kind}: {row.action}; {row.reason}")
        else:
            lines.append("  " + pick(L, en="none", zh="无"))
        lines.append("")
        lines.append(pick(L, en="Programs targeted for", zh="入选项目"))
        if self.targets is None:
            lines.append("  " + pick(L, en="not computed", zh="未计算"))
        elif len(self.targets):
            for row in self.targets.itertuples(index=False):
                lines.append(f"  {row.program} #{row.priority}: {row.reason}")
        else:
            lines.append("  " + pick(L, en="none", zh="无"))
        lines.append("")
        lines.append(pick(L, en="Timeline by month", zh="按月活动"))
        tl = self.timeline
        if len(tl):
            lines.append(_table_text(tl))
        else:
            lines.append("  " + pick(L, en="no activity", zh="无活动"))
        return lines

_LABELS = {
    "city": ("city", "城市"), "region": ("region", "区域"), "car_model": ("car model", "车型"),
    "purchased_at": ("purchased", "购车"), "joined_at": ("joined", "加入"), "is_volunteer": ("volunteer", "志愿者"),
    "is_staff": ("staff", "员工"), "marketing_opt_out": ("opted out of marketing", "退订营销"),
}


def label(key: str, lang: str) -> str:
    """The plain-words label of an owner attribute."""
    en, zh = _LABELS.get(key, (key, key))
    return zh if lang == "zh" else en


def fmt(v: Any) -> str:
    """A value as short display text ("" for missing; dates as YYYY-MM-DD)."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return ""
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        return f"{pd.Timestamp(v):%Y-%m-%d}"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        return f"{v:,.2f}".rstrip("0").rstrip(".") if abs(v) < 1e6 else f"{v:,.0f}"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    return str(v)


def _table_text(df: pd.DataFrame) -> str:
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200):
        return df.to_string(index=False)


def close_ids(owner_id: str, ids: np.ndarray, *, n: int = 5) -> list[str]:
    """Known owner ids closest to ``owner_id``: the same id in other case or spacing first, then
    ids sharing its longest prefix, then the most similar (difflib ratio).

    Example
    -------
    >>> import numpy as np
    >>> close_ids("O00012", np.array(["O00011", "O00021", "X9"]))
    ['O00011', 'O00021']
    """
    s = str(owner_id).strip()
    ids = np.sort(np.asarray(ids, dtype=object).astype(str))
    out: list[str] = []

    def add(xs) -> None:
        for x in xs:
            if x not in out and len(out) < n:
                out.append(str(x))

    low = np.char.lower(ids.astype(str))
    add(ids[low == s.lower()])
    for k in range(len(s) - 1, 0, -1):
        pre = ids[np.char.startswith(ids.astype(str), s[:k])]
        if len(pre):
            add(pre[:n])
            break
    lens = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
    near = ids[np.abs(lens - len(s)) <= 2]
    add(difflib.get_close_matches(s, [str(x) for x in (near if len(near) else ids)], n=n, cutoff=0.5))
    return out


def _row(df: pd.DataFrame, owner_id: str) -> dict | None:
    hit = df[df["owner_id"] == owner_id]
    return None if hit.empty else hit.iloc[0].to_dict()


def owner_profile(
    community: Any,
    owner_id: str,
    *,
    grace_days: float = DEFAULT_GRACE_DAYS,
    include_targets: bool = True,
    timeline_months: int | None = 24,
    show_names: bool = False,
    seed: int = 0,
    lang: str = "en",
) -> OwnerProfile:
    """Everything graphcrm knows about one owner, in one place.

    Parameters
    ----------
    community : Community
        The community snapshot (a since/until window applies to every part).
    owner_id : str
        The owner.
    grace_days : float, default 60 (``DEFAULT_GRACE_DAYS``)
        Grace period of a level downgrade (see :mod:`graphcrm.algorithms.movement`).
    include_targets : bool, default True
        Run :func:`graphcrm.algorithms.targeting.targets` to list the programs the owner is
        targeted for (the ambassador search makes this the slowest part); ``False`` skips it
        (``targets`` is then ``None``).
    timeline_months : int or None, default 24
        Months of timeline up to ``as_of`` (None: from the owner's first month).
    show_names : bool, default False
        Keep the owner's name in the profile (``name``); it is still shown only where asked.
    seed : int, default 0
        Seed of the targeting models.
    lang : {"en", "zh"}
        Language of the texts.

    Returns
    -------
    OwnerProfile
        ``owner_id``; ``as_of``; ``attributes`` (city, region, car_model, purchased_at,
        joined_at, is_volunteer, is_staff, marketing_opt_out; never the name); ``level``
        (``level``, ``level_name``, ``level_rank``, ``contribution`` in points,
        ``next_level``, ``points_to_next``, ``next_step``, ``reason``, ``raw_level``,
        ``raw_level_name``, ``grace_hold``, ``grace_rule``; empty for staff);
        ``contribution`` (points per kind, decayed); ``koc`` (``rank`` of ``ranked``,
        ``score`` 0-100, the components reach, effective_reach, engagement, active_days,
        closed_group_share, authority, conversion, bridging, ``qualified``, ``reason``);
        ``circle`` (``circle``, ``circle_size``, ``degree``, ``n_circles``, ``participation``,
        ``is_bridge``, ``ties``: (circle, share of tie strength) for the top circles, ``reason``);
        ``referral`` (``referred_by``, ``root_id``, ``depth``, ``direct_referrals``,
        ``direct_conversions``, ``total_downstream``, ``downstream_conversions``, ``claims``:
        every referrer claiming them before cleaning); ``referrals_made`` (DataFrame: referee_id,
        referred_at, stage, converted, kept); ``findings`` (referral_issues rows involving
        them); ``targets`` (their rows of the targeting table, or None); ``timeline`` (DataFrame
        by month: ``month`` YYYY-MM, ``posts``, ``engagement_received`` (interactions by
        others on their posts), ``interactions`` (made), ``events`` (attended, checked in),
        ``events_led``, ``referrals`` (made), ``conversions`` (referrals made that month that
        converted)); ``notes``; ``name`` (only with ``show_names``).

    Raises
    ------
    ConfigError
        Unknown ``owner_id`` (the message suggests close ids) or a bad option.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> c = Community.from_frames({
    ...     "owners": pd.DataFrame({"owner_id": ["a", "b"], "name": ["Ann", "Bo"], "city": ["上海", "北京"]}),
    ...     "posts": pd.DataFrame({"post_id": ["p"], "author_id": ["a"], "created_at": ["2024-05-01"]}),
    ...     "referrals": pd.DataFrame({"referrer_id": ["a"], "referee_id": ["b"], "referred_at": ["2024-04-01"],
    ...                                "stage": ["order"]})})
    >>> p = owner_profile(c, "a", include_targets=False)
    >>> p.attributes["city"], p.referral["direct_conversions"], int(p.timeline["posts"].sum()), p.name
    ('上海', 1, 1, None)
    >>> "Ann" in p.to_text(show_names=True)
    False
    """
    lang = check_lang(lang)
    oid = str(owner_id).strip()
    ids = np.asarray(community.owner_ids, dtype=object)
    if oid not in set(ids.tolist()):
        near = close_ids(oid, ids)
        hint = f"; close ids: {', '.join(near)}" if near else ""
        raise ConfigError(f"unknown owner id {oid!r} ({len(ids):,} owners in the store{hint})")
    notes: list[str] = []
    attributes, name = _attributes(community, oid, show_names)
    as_of = pd.Timestamp(community.as_of)
    level, contrib = _level(community, oid, as_of, grace_days, lang)
    koc = _koc(community, oid, lang)
    circle = _circle(community, oid, ids, lang)
    referral, made, findings = _referral(community, oid, lang)
    tg = _programs(community, oid, seed, lang, notes) if include_targets else None
    timeline = _timeline(community, oid, as_of, timeline_months)
    return OwnerProfile(owner_id=oid, as_of=as_of, attributes=attributes, level=level, contribution=contrib,
                        koc=koc, circle=circle, referral=referral, referrals_made=made, findings=findings,
                        targets=tg, timeline=timeline, notes=tuple(notes), name=name, lang=lang)


def _attributes(community: Any, oid: str, show_names: bool) -> tuple[dict[str, Any], str | None]:
    """The owner's attributes (ids, city, car model, dates, flags) and, with ``show_names``, name."""
    o = community.owners.set_index("owner_id").loc[oid]
    attributes = {k: (None if pd.isna(o.get(k)) else (o.get(k).item() if hasattr(o.get(k), "item") else o.get(k)))
                  for k in ATTRIBUTES if k in o.index}
    for k in ("purchased_at", "joined_at"):
        if attributes.get(k) is not None:
            attributes[k] = pd.Timestamp(attributes[k])
    name = None
    if show_names and "name" in o.index and not pd.isna(o["name"]):
        name = str(o["name"])
    return attributes, name


def _level(community: Any, oid: str, as_of: pd.Timestamp, grace_days: float,
           lang: str) -> tuple[dict[str, Any], dict[str, float]]:
    """Level and next step (grace rule applied), and contribution points by kind."""
    from graphcrm.algorithms.levels import contribution, owner_levels
    from graphcrm.algorithms.movement import DEFAULT_GRACE_STEP_DAYS, _grace_rule, _ladder, grace_levels

    lv = _row(owner_levels(community, lang=lang), oid)
    level: dict = {}
    if lv is not None:
        keys, names = _ladder(None, lang)
        g = grace_levels(community, np.array([oid], dtype=object), [as_of], grace_days=grace_days)
        held, raw = int(max(g[as_of]["held"][0], 0)), int(max(g[as_of]["raw"][0], 0))
        level = {k: lv[k] for k in ("level", "level_name", "level_rank", "contribution", "next_level",
                                    "points_to_next", "next_step", "reason")}
        level.update(raw_level=keys[raw], raw_level_name=names[raw], grace_hold=held > raw,
                     grace_rule=_grace_rule(float(grace_days), float(DEFAULT_GRACE_STEP_DAYS), lang))
        if held > raw:
            level.update(level=keys[held], level_name=names[held], level_rank=held)
    crow = _row(contribution(community), oid) or {}
    contrib = {k[len("points_"):]: round(float(v), 2) for k, v in crow.items() if k.startswith("points_")}
    return level, contrib


def _koc(community: Any, oid: str, lang: str) -> dict[str, Any]:
    """KOC components, reason and rank among scored owners (empty without a KOC row)."""
    from graphcrm.algorithms.koc import kocs

    k = kocs(community, lang=lang)
    scored = k[k["score"] > 0]
    krow = _row(k, oid)
    koc: dict = {}
    if krow is not None:
        koc = {c: krow[c] for c in ("score", "reach", "effective_reach", "engagement", "active_days",
                                    "closed_group_share", "authority", "conversion", "bridging", "qualified", "reason")}
        koc["rank"] = int(krow["rank"]) if krow["score"] > 0 else None
        koc["ranked"] = int(len(scored))
        koc = {kk: (v.item() if hasattr(v, "item") else v) for kk, v in koc.items()}
    return koc


def _circle(community: Any, oid: str, ids: np.ndarray, lang: str) -> dict[str, Any]:
    """Circle, size, bridge flag and how the owner's tie strength spreads over circles (``ties``)."""
    from graphcrm.algorithms.circles import circles, combined_graph

    cf = circles(community, lang=lang)
    crow2 = _row(cf, oid) or {}
    circle = {c: (crow2[c].item() if hasattr(crow2.get(c), "item") else crow2.get(c))
              for c in ("circle", "circle_size", "degree", "n_circles", "participation", "is_bridge", "reason")}
    u, v, w = combined_graph(community)
    me = int(community.index_of([oid])[0])
    memb = cf.set_index("owner_id")["circle"].reindex(ids).fillna(-1).to_numpy(np.int64)
    sel_u, sel_v = u == me, v == me
    other = np.concatenate([v[sel_u], u[sel_v]])
    ww = np.concatenate([w[sel_u], w[sel_v]])
    if len(other) and ww.sum() > 0:
        s = pd.Series(ww).groupby(memb[other]).sum().sort_values(ascending=False)
        circle["ties"] = [(int(cc), round(float(x / ww.sum()), 4)) for cc, x in s.head(5).items()]
    else:
        circle["ties"] = []
    return circle


def _referral(community: Any, oid: str, lang: str) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """Chain position, the referrals the owner made (kept by the cleaning or not) and the
    integrity findings that involve them."""
    from graphcrm.algorithms.referrals import clean_referrals, referral_chains, referral_issues

    chains = referral_chains(community, lang=lang)
    ch = _row(chains, oid)
    clean = clean_referrals(community, lang=lang)
    kept = clean.edges
    refs = community.tables["referrals"]
    mine = refs[refs["referrer_id"] == oid].copy()
    kept_pairs = set(zip(kept["referrer_id"], kept["referee_id"]))
    made = pd.DataFrame({
        "referee_id": mine["referee_id"].astype(str).to_numpy(),
        "referred_at": pd.to_datetime(mine["referred_at"]).to_numpy(),
        "stage": mine["stage"].astype(str).to_numpy(),
        "converted": mine["stage"].astype(str).isin(CONVERTED_STAGES).to_numpy(),
        "kept": [(oid, b) in kept_pairs for b in mine["referee_id"].astype(str)],
    }).sort_values(["referred_at", "referee_id"], kind="mergesort").reset_index(drop=True)
    claims = refs[refs["referee_id"] == oid].sort_values("referred_at")
    referral = {
        "referred_by": (ch["referrer_id"] or None) if ch else None,
        "root_id": ch["root_id"] if ch else None,
        "depth": int(ch["depth"]) if ch else 0,
        "direct_referrals": int(ch["direct_referrals"]) if ch else 0,
        "direct_conversions": int(ch["direct_conversions"]) if ch else 0,
        "total_downstream": int(ch["total_downstream"]) if ch else 0,
        "downstream_conversions": int(ch["downstream_conversions"]) if ch else 0,
        "claims": ", ".join(claims["referrer_id"].astype(str)) if len(claims) else "",
    }
    issues = referral_issues(community, lang=lang)
    involved = (issues["owner_id"] == oid) | issues["owners"].astype(str).str.split(",").map(
        lambda xs: oid in [x.strip() for x in xs])
    findings = issues[involved.to_numpy(bool)].reset_index(drop=True)
    return referral, made, findings


def _programs(community: Any, oid: str, seed: int, lang: str, notes: list[str]) -> pd.DataFrame | None:
    """The owner's rows of :func:`graphcrm.algorithms.targeting.targets` (None, with a note in
    ``notes``, when the targeting cannot run)."""
    from graphcrm.algorithms.targeting import targets

    try:
        t = targets(community, seed=seed, lang=lang)
    except GraphCRMError as exc:
        notes.append(f"targets not computed: {exc}")
        return None
    return t[t["owner_id"] == oid].reset_index(drop=True)


def _timeline(community: Any, oid: str, as_of: pd.Timestamp, months: int | None) -> pd.DataFrame:
    t = community.tables
    posts = t["posts"]
    mine_posts = posts[posts["author_id"] == oid]
    inter = t["interactions"]
    received = inter[inter["post_id"].isin(mine_posts["post_id"]) & (inter["owner_id"] != oid)]
    made = inter[inter["owner_id"] == oid]
    att = t["attendance"]
    att = att[(att["owner_id"] == oid) & att["checked_in"].astype(bool)].merge(
        t["events"][["event_id", "starts_at"]], on="event_id", how="inner")
    led = att[att["role"].astype(str).isin(["organizer", "host", "volunteer"])]
    refs = t["referrals"]
    refs = refs[refs["referrer_id"] == oid]
    conv = refs[refs["stage"].astype(str).isin(CONVERTED_STAGES)]
    parts = {
        "posts": mine_posts["created_at"], "engagement_received": received["created_at"],
        "interactions": made["created_at"], "events": att["starts_at"], "events_led": led["starts_at"],
        "referrals": refs["referred_at"], "conversions": conv["referred_at"],
    }
    months_of = {k: pd.to_datetime(v).dt.to_period("M") for k, v in parts.items()}
    all_m = pd.concat(list(months_of.values())) if any(len(v) for v in months_of.values()) else pd.Series([], dtype="period[M]")
    end_m = as_of.to_period("M")
    if not len(all_m):
        return pd.DataFrame({c: pd.Series([], dtype=object if c == "month" else np.int64) for c in TIMELINE_COLUMNS})
    start_m = all_m.min()
    if months is not None:
        start_m = max(start_m, end_m - (int(months) - 1))
    rng = pd.period_range(start_m, max(end_m, all_m.max()), freq="M")
    df = pd.DataFrame({"month": [p.strftime("%Y-%m") for p in rng]})
    for k, s in months_of.items():
        df[k] = s.value_counts().reindex(rng).fillna(0).astype(np.int64).to_numpy()
    return df[list(TIMELINE_COLUMNS)]
