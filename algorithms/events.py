"""Event regulars: owners who come back to events month after month.

A community team recruits hosts and volunteers for weekend events from the owners who keep
coming. ``event_regulars`` ranks owners by the number of distinct months in which they checked
in at an event, then by events attended, and says how recently they came.

This module is also the worked example of docs/architecture.md, "Add an analysis": the
function and its declaration live here, one line in ``graphcrm/analyses.py`` makes it
``cg.event_regulars()``, ``graphcrm/commands/events.py`` is its command, and one section in
``reports/html.py`` shows it in the report.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from graphcrm.errors import ConfigError
from graphcrm.i18n import check_lang
from graphcrm.results import Col, Phrases, ResultSpec, analysis

EVENT_REGULARS = ResultSpec(
    "event_regulars",
    key=("owner_id",),
    columns=(
        Col("owner_id", "str", "", "the owner"),
        Col("rank", "int", "", "1 = the most regular"),
        Col("months_attended", "int", "months", "distinct calendar months with at least one event checked in"),
        Col("events_attended", "int", "events", "events checked in at, any role"),
        Col("events_led", "int", "events", "events organised, hosted or volunteered at"),
        Col("cities", "int", "cities", "distinct cities of the events attended"),
        Col("first_event", "datetime", "", "start of the first event attended"),
        Col("last_event", "datetime", "", "start of the latest event attended"),
        Col("days_since_last", "float", "days", "days from the latest event to the community's as-of date"),
        Col("reason", "str", "", "why the owner is listed, in words"),
    ),
    sort=(("rank", True),),
    reason="reason",
    description="Owners who attend events most regularly (distinct months), for host and volunteer recruitment.",
    # the words of its report section (reports/html.py, _regulars), in English and Chinese
    phrases=Phrases(
        labels={
            "sec_regulars": ("Event regulars", "活动常客"),
            "regulars_lead": ("Owners who came to events in the most different months: the people to ask first when "
                              "an event needs a host or volunteers.",
                              "在最多不同月份来参加活动的车主：活动需要主持人或志愿者时，先问他们。"),
            "h_months": ("months", "月份数"),
            "h_event_cities": ("cities", "城市数"),
            "h_days_since": ("days since last", "距上次天数"),
        },
        columns_zh={
            "rank": ("名次", "名次，1 = 最常来"),
            "months_attended": ("参加月份数", "至少签到过一场活动的不同月份数"),
            "events_attended": ("参加活动数", "签到过的活动场数（任何角色）"),
            "events_led": ("组织活动数", "担任组织者、主持或志愿者的活动场数"),
            "cities": ("城市数", "参加过的活动所在的不同城市数"),
            "first_event": ("首次活动", "参加的第一场活动的开始时间"),
            "last_event": ("最近活动", "参加的最近一场活动的开始时间"),
            "days_since_last": ("距上次天数", "最近一场活动距统计日的天数"),
        },
        units_zh={"months": "个月", "cities": "个城市"},
    ),
)

_LED = ("organizer", "host", "volunteer")


@analysis(EVENT_REGULARS)
def event_regulars(community: Any, *, min_months: int = 2, top: int | None = None, lang: str = "en") -> pd.DataFrame:
    """Rank owners by how regularly they attend events.

    Parameters
    ----------
    community : graphcrm.community.Community
        The community snapshot (a since/until window limits the events counted).
    min_months : int, default 2
        Keep owners who checked in at events in at least this many distinct months.
    top : int, optional
        Keep only the first ``top`` rows.
    lang : {"en", "zh"}
        Language of the ``reason`` column.

    Returns
    -------
    pandas.DataFrame
        One row per regular, keyed by ``owner_id``: ``rank`` (1 = most regular),
        ``months_attended`` (months), ``events_attended`` (events), ``events_led`` (events as
        organizer, host or volunteer), ``cities`` (distinct event cities), ``first_event`` and
        ``last_event`` (event start times), ``days_since_last`` (days to the as-of date),
        ``reason``.  Sorted by months attended, then events attended (most first), then owner_id.
        Attendance not checked in is not counted.

    Raises
    ------
    ConfigError
        ``min_months`` below 1, a negative ``top`` or an unknown ``lang``.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> ev = pd.DataFrame({"event_id": ["e1", "e2", "e3"], "city": ["上海"] * 3,
    ...                    "starts_at": ["2024-01-06", "2024-02-03", "2024-03-02"]})
    >>> att = pd.DataFrame({"event_id": ["e1", "e2", "e3", "e1"], "owner_id": ["a", "a", "a", "b"]})
    >>> c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a", "b"]}), "events": ev,
    ...                            "attendance": att})
    >>> event_regulars(c)[["owner_id", "months_attended", "events_attended"]].values.tolist()
    [['a', 3, 3]]
    """
    lang = check_lang(lang)
    if min_months < 1:
        raise ConfigError(f"min_months must be at least 1, got {min_months!r}")
    if top is not None and top < 0:
        raise ConfigError(f"top must be 0 or more, got {top!r}")
    att = community.tables["attendance"]
    events = community.tables["events"]
    rows = _checked_in(att, events)
    if rows.empty:
        return pd.DataFrame({c.name: pd.Series([], dtype=_EMPTY[c.dtype]) for c in EVENT_REGULARS.columns})
    rows["month"] = rows["starts_at"].dt.to_period("M")
    # the events led, counted in the same grouping (nunique skips the missing values): a second
    # grouping of the led rows alone gives an index whose categorical codes may be narrower, and
    # pandas cannot align the two (an export with no organizer rows: ValueError in reindex)
    rows["led_event"] = rows["event_id"].where(rows["led"].to_numpy(dtype=bool))
    g = rows.groupby("owner_id", sort=True, observed=True)
    out = pd.DataFrame({
        "months_attended": g["month"].nunique(),
        "events_attended": g["event_id"].nunique(),
        "events_led": g["led_event"].nunique(),
        "cities": g["city"].nunique(),
        "first_event": g["starts_at"].min(),
        "last_event": g["starts_at"].max(),
    })
    out["events_led"] = out["events_led"].fillna(0).astype("int64")
    out = out[out["months_attended"] >= min_months].reset_index()
    out["owner_id"] = out["owner_id"].astype(str)
    out = out.sort_values(["months_attended", "events_attended", "owner_id"], ascending=[False, False, True],
                          kind="stable").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    out["days_since_last"] = ((community.as_of - out["last_event"]).dt.total_seconds() / 86400).round(1)
    out["reason"] = [_reason(r, lang) for r in out.itertuples(index=False)]
    if top:
        out = out.head(top)
    return out


_EMPTY = {"str": object, "int": "int64", "float": "float64", "datetime": "datetime64[ns]", "bool": bool,
          "category": object, "object": object}


def _checked_in(att: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Checked-in attendance rows with their event's start, city and whether the owner led it."""
    if not len(att) or not len(events):
        return pd.DataFrame(columns=["owner_id", "event_id", "starts_at", "city", "led"])
    keep = att["checked_in"].fillna(True).astype(bool).to_numpy() if "checked_in" in att else np.ones(len(att), bool)
    a = att.loc[keep, ["owner_id", "event_id", "role"]].copy()
    a["event_id"] = a["event_id"].astype(object)
    ev = events[["event_id", "starts_at", "city"]].copy()
    ev["event_id"] = ev["event_id"].astype(object)
    a = a.merge(ev, on="event_id", how="inner")
    a["led"] = a["role"].astype(object).isin(_LED).to_numpy()
    return a


def _reason(r: Any, lang: str) -> str:
    led = ""
    if lang == "zh":
        if r.events_led:
            led = f"，其中 {r.events_led} 场担任组织/志愿"
        return (f"{r.months_attended} 个月参加过活动，共 {r.events_attended} 场{led}；"
                f"最近一次在 {r.days_since_last:.0f} 天前")
    if r.events_led:
        led = f", led {r.events_led}"
    return (f"came to events in {r.months_attended} different months ({r.events_attended} events{led}); "
            f"last seen {r.days_since_last:.0f} days ago")
