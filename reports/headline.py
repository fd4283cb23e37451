"""Headline numbers of the report and their change against the previous period.

Periods
-------
* ``since`` and ``until`` given: the period is ``[since, until]`` (``until`` as a date covers the
  whole day) and it is compared with the window of the same length just before it.
* Only ``since``: the period runs to the end of the data; only ``until``: the 30 days ending at
  ``until``.
* Neither: the last 30 days of data (ending at the latest timestamp in the store) compared with
  the 30 days before.

Definitions (all computed on the unwindowed tables, so the two periods are measured alike)
------------------------------------------------------------------------------------------
owners
    Owners who joined by the end of the period (owners without ``joined_at`` always count).
active owners
    Distinct owners who, within the period, wrote a post, interacted with a post, were
    checked in at an event, or referred someone.
events, interactions
    Rows dated within the period (events by ``starts_at``).
new owners referred
    Owners who joined within the period (``joined_at``, else ``purchased_at``) and are the referee of
    a referral claim by another owner, as a share of all owners who joined in the period.
volunteers
    Owners flagged ``is_volunteer`` who joined by the end of the period; the note counts those
    who organised, hosted or volunteered at an event within the period.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from graphcrm.arrays import unique_sorted
from graphcrm.community import _ts

DEFAULT_DAYS = 30
_LED = ("organizer", "host", "volunteer")


@dataclass(frozen=True)
class Period:
    start: pd.Timestamp
    end: pd.Timestamp  #: inclusive

    @property
    def days(self) -> float:
        return (self.end - self.start + pd.Timedelta(microseconds=1)) / pd.Timedelta(days=1)

    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"


def periods(tables: dict[str, pd.DataFrame], latest: pd.Timestamp, since: Any = None,
            until: Any = None) -> tuple[Period, Period, bool]:
    """The current period, the previous one of the same length, and whether a window was given."""
    lo = _ts(since, "since")
    hi = _ts(until, "until")
    if hi is not None and isinstance(until, str) and len(until.strip()) <= 10:
        hi = hi + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    explicit = lo is not None or hi is not None
    if hi is None:
        hi = latest
    if lo is None:
        lo = (hi - pd.Timedelta(days=DEFAULT_DAYS)) + pd.Timedelta(microseconds=1)
    length = hi - lo + pd.Timedelta(microseconds=1)
    cur = Period(lo, hi)
    prev = Period(lo - length, lo - pd.Timedelta(microseconds=1))
    return cur, prev, explicit


def _within(s: pd.Series, p: Period) -> np.ndarray:
    return ((s >= p.start) & (s <= p.end)).fillna(False).to_numpy(dtype=bool)


def _joined(owners: pd.DataFrame) -> pd.Series:
    j = owners["joined_at"] if "joined_at" in owners else pd.Series(pd.NaT, index=owners.index)
    if "purchased_at" in owners:
        j = j.fillna(owners["purchased_at"])
    return pd.to_datetime(j)


def _owner_categorical(columns: list[pd.Series]) -> pd.Categorical:
    """The owner ids of ``columns`` one after another, as text (``astype(str)``; missing stays
    missing) in one categorical.  Columns that are categoricals over the compact community's
    owner ids (they share one dtype) contribute their codes as they are; other columns are
    looked up in those ids once, ids naming no owner appended as new categories."""
    ref = next((c.cat.categories for c in columns if isinstance(c.dtype, pd.CategoricalDtype)
                and (c.cat.categories.dtype == object or pd.api.types.is_string_dtype(c.cat.categories.dtype))), None)
    cats = pd.Index(np.asarray([] if ref is None else ref, dtype=object), dtype=object)
    parts = []
    for c in columns:
        if ref is not None and isinstance(c.dtype, pd.CategoricalDtype) and (
                c.cat.categories is ref or c.cat.categories.equals(ref)):
            parts.append(c.cat.codes.to_numpy().astype(np.int64))
            continue
        text = c.astype(str)
        missing = text.isna().to_numpy(dtype=bool)
        vals = text.to_numpy(dtype=object)
        pos = cats.get_indexer(vals).astype(np.int64)
        new = (pos < 0) & ~missing
        if new.any():
            cats = cats.append(pd.Index(pd.unique(vals[new]), dtype=object))
            pos[new] = cats.get_indexer(vals[new])
        pos[missing] = -1
        parts.append(pos)
    codes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return pd.Categorical.from_codes(codes, categories=cats)


def activity(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every dated activity as ``owner_id``, ``at`` (posts, interactions, checked-in attendance, referrals made).

    ``owner_id`` holds the ids as text in a categorical (the compact community's codes reused:
    no string per activity row; at 300,000 owners the drill-down's city look-up over 3.9M rows
    of text took 2.4 s)."""
    t = tables
    ids = [t["posts"]["author_id"], t["interactions"]["owner_id"], t["referrals"]["referrer_id"]]
    ats = [t["posts"]["created_at"], t["interactions"]["created_at"], t["referrals"]["referred_at"]]
    att = t["attendance"]
    if len(att):
        att = att[att["checked_in"].fillna(True).astype(bool)]
        ids.append(att["owner_id"])
        ats.append(att["event_id"].map(t["events"].set_index("event_id")["starts_at"]))
    at = pd.concat([pd.Series(a).reset_index(drop=True) for a in ats], ignore_index=True)
    out = pd.DataFrame({"owner_id": _owner_categorical(ids), "at": pd.to_datetime(at)})
    return out.dropna(subset=["at"])


def member(values: pd.Series, pool: Any) -> np.ndarray:
    """Which ``values`` are in ``pool`` (a set of ids), as a bool array: a hash lookup through
    :meth:`pandas.Index.get_indexer` (about 7x faster than ``Series.isin`` of a large set on
    pandas' text columns)."""
    if not len(values):
        return np.zeros(0, dtype=bool)
    return pd.Index(list(pool), dtype=object).get_indexer(values.astype(str).astype(object)) >= 0


def _referred_ids(referrals: pd.DataFrame) -> set:
    """Ids (text) of owners referred by someone other than themselves (missing ids left out).
    Two categorical columns over the same ids are compared by their codes."""
    a, b = referrals["referrer_id"], referrals["referee_id"]
    if (isinstance(a.dtype, pd.CategoricalDtype) and isinstance(b.dtype, pd.CategoricalDtype)
            and a.cat.categories.equals(b.cat.categories)):
        ca, cb = a.cat.codes.to_numpy(), b.cat.codes.to_numpy()
        keep = unique_sorted(cb[(ca != cb) & (cb >= 0)])
        return set(b.cat.categories[keep].astype(str).tolist())
    r = referrals[a.astype(str) != b.astype(str)]
    return {x for x in r["referee_id"].astype(str).tolist() if isinstance(x, str)}


def metrics(tables: dict[str, pd.DataFrame], p: Period, *, act: pd.DataFrame | None = None,
            referred: set | None = None) -> dict[str, float]:
    """The six headline numbers (plus their parts) for one period."""
    t = tables
    owners = t["owners"]
    joined = _joined(owners)
    by_end = ~(joined > p.end).fillna(False).to_numpy(dtype=bool)
    act = activity(t) if act is None else act
    referred = _referred_ids(t["referrals"]) if referred is None else referred
    new = _within(joined, p)
    new_ids = owners["owner_id"].astype(str)[new]
    n_new = int(new.sum())
    n_ref = int(member(new_ids, referred).sum())
    vol = owners["is_volunteer"].fillna(False).astype(bool).to_numpy() & by_end
    att = t["attendance"]
    ev_in = t["events"]["event_id"][_within(t["events"]["starts_at"], p)]
    led = att[att["event_id"].isin(ev_in) & att["role"].isin(_LED)]["owner_id"].nunique() if len(att) else 0
    return {
        "owners": int(by_end.sum()),
        "active_owners": int(act["owner_id"][_within(act["at"], p)].nunique()),
        "events": int(len(ev_in)),
        "interactions": int(_within(t["interactions"]["created_at"], p).sum()),
        "referred_share": (n_ref / n_new) if n_new else float("nan"),
        "new_owners": n_new,
        "new_referred": n_ref,
        "volunteers": int(vol.sum()),
        "volunteers_led": int(led),
    }


def headline(tables: dict[str, pd.DataFrame], cur: Period, prev: Period, *,
             act: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per headline metric: ``metric``, ``current``, ``previous``, ``change``.

    ``change`` is relative (``current / previous - 1``) for counts and the difference in
    percentage points for ``referred_share``; NaN when the previous value is 0 or missing.
    ``act``: :func:`activity` of ``tables`` when the caller has it already.
    """
    act = activity(tables) if act is None else act
    referred = _referred_ids(tables["referrals"])
    a = metrics(tables, cur, act=act, referred=referred)
    b = metrics(tables, prev, act=act, referred=referred)
    rows = []
    for m in ("owners", "active_owners", "events", "interactions", "referred_share", "volunteers",
              "new_owners", "new_referred", "volunteers_led"):
        x, y = a[m], b[m]
        if m == "referred_share":
            ch = (x - y) * 100 if not (np.isnan(x) or np.isnan(y)) else float("nan")
        else:
            ch = (x / y - 1) if y else float("nan")
        rows.append({"metric": m, "current": x, "previous": y, "change": ch})
    return pd.DataFrame(rows)


def weekly(tables: dict[str, pd.DataFrame], end: pd.Timestamp, *, weeks: int = 26,
           act: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per week (Monday start) up to ``end``: ``week``, ``active``, ``new_referred``, ``new_other``.

    The week holding ``end`` is left out unless ``end`` is its last moment (a partial week would
    look like a drop).  ``act``: :func:`activity` of ``tables`` when the caller has it already."""
    act = activity(tables) if act is None else act
    end_week = (end.normalize() - pd.Timedelta(days=end.weekday()))
    start = end_week - pd.Timedelta(weeks=weeks - 1)
    idx = pd.date_range(start, end_week, freq="7D")
    act = act[(act["at"] >= start) & (act["at"] <= end)]
    wk = act["at"].dt.normalize() - pd.to_timedelta(act["at"].dt.day_of_week, unit="D")
    active = act.groupby(wk)["owner_id"].nunique().reindex(idx, fill_value=0)
    owners = tables["owners"]
    joined = _joined(owners)
    ok = ((joined >= start) & (joined <= end)).fillna(False).to_numpy(dtype=bool)
    j = joined[ok]
    jw = j.dt.normalize() - pd.to_timedelta(j.dt.day_of_week, unit="D")
    ref = member(owners["owner_id"][ok], _referred_ids(tables["referrals"]))
    new_ref = pd.Series(ref.astype(int), index=jw.to_numpy()).groupby(level=0).sum().reindex(idx, fill_value=0)
    new_all = pd.Series(1, index=jw.to_numpy()).groupby(level=0).sum().reindex(idx, fill_value=0)
    out = pd.DataFrame({"week": idx, "active": active.to_numpy(), "new_referred": new_ref.to_numpy(),
                        "new_other": (new_all - new_ref).to_numpy()})
    # a trailing week that is not over yet would look like a collapse: leave it out
    if end < end_week + pd.Timedelta(days=7) - pd.Timedelta(seconds=1) and len(out) > 1:
        out = out.iloc[:-1]
    return out.reset_index(drop=True)


def drilldown(tables: dict[str, pd.DataFrame], cur: Period, prev: Period, *, top: int = 8,
              act: pd.DataFrame | None = None) -> pd.DataFrame:
    """Which groups moved the headline: active owners per city, events per kind and per city.

    Returns
    -------
    DataFrame
        ``measure`` (``active_owners`` by owner city, ``events`` by event ``kind``, ``events_city``
        by event city), ``group``, ``current``, ``previous`` (counts in each period),
        ``change`` (current - previous); per measure the ``top`` groups with the largest absolute
        change (ties: larger current first, then group name), groups without a value as "".

    ``act``: :func:`activity` of ``tables`` when the caller has it already.
    """
    t = tables
    rows = []
    act = activity(t) if act is None else act
    owners = t["owners"]
    city = owners.set_index(owners["owner_id"].astype(str))["city"] if "city" in owners else None

    def counts(series: pd.Series, groups: pd.Series, dedupe: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
        out = []
        for p in (cur, prev):
            m = _within(series, p)
            g = groups[m].fillna("").astype(str)
            if dedupe is not None:
                d = pd.DataFrame({"g": g.to_numpy(), "k": dedupe[m].to_numpy()}).drop_duplicates()
                out.append(d.groupby("g").size())
            else:
                out.append(g.value_counts())
        return out[0], out[1]

    if city is not None and len(act):
        oid = act["owner_id"]
        if isinstance(oid.dtype, pd.CategoricalDtype):
            # distinct (city, owner) pairs are the distinct owners, each in its own city: the
            # owners' codes made unique per period, each code's city looked up once
            per = pd.Series(city.reindex(oid.cat.categories.astype(str)).to_numpy(dtype=object))
            codes = oid.cat.codes.to_numpy()
            out = []
            for p in (cur, prev):
                c = codes[_within(act["at"], p)]
                u = unique_sorted(c[c >= 0])
                g = per.iloc[u].fillna("").astype(str).tolist() + ([""] if (c < 0).any() else [])  # a missing id: one owner, no city
                out.append(pd.DataFrame({"g": pd.Series(g, dtype=str)}).groupby("g").size())
            rows.append(("active_owners", out[0], out[1]))
        else:
            rows.append(("active_owners", *counts(act["at"], oid.map(city), oid)))
    ev = t["events"]
    if len(ev):
        for measure, col in (("events", "kind"), ("events_city", "city")):
            if col in ev:
                rows.append((measure, *counts(ev["starts_at"], ev[col])))
    parts = []
    for measure, a, b in rows:
        idx = a.index.union(b.index)
        d = pd.DataFrame({"group": idx, "current": a.reindex(idx, fill_value=0).to_numpy(),
                          "previous": b.reindex(idx, fill_value=0).to_numpy()})
        d["change"] = d["current"] - d["previous"]
        d = d.assign(_a=d["change"].abs()).sort_values(["_a", "current", "group"], ascending=[False, False, True],
                                                       kind="mergesort").drop(columns="_a").head(int(top))
        parts.append(d.assign(measure=measure))
    if not parts:
        return pd.DataFrame(columns=["measure", "group", "current", "previous", "change"])
    out = pd.concat(parts, ignore_index=True)[["measure", "group", "current", "previous", "change"]]
    return out.astype({"current": "int64", "previous": "int64", "change": "int64"})
