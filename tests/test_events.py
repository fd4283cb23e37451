"""Event regulars on a community checked by hand (the worked example of docs/architecture.md)."""
from __future__ import annotations

import pandas as pd
import pytest

from graphcrm.algorithms.events import EVENT_REGULARS, event_regulars
from graphcrm.community import Community
from graphcrm.errors import ConfigError


def frames() -> dict[str, pd.DataFrame]:
    """a: 3 months (hosted one), 4 events; b: 2 months; c: 1 month; d: checked in nowhere."""
    events = pd.DataFrame({"event_id": ["e1", "e2", "e3", "e4", "e5"],
                           "city": ["上海", "上海", "北京", "上海", "上海"],
                           "starts_at": ["2024-01-06", "2024-01-20", "2024-02-03", "2024-03-02", "2024-03-09"]})
    att = pd.DataFrame({
        "event_id": ["e1", "e2", "e3", "e4", "e1", "e4", "e1", "e2", "e5"],
        "owner_id": ["a", "a", "a", "a", "b", "b", "c", "c", "d"],
        "role": ["attendee", "host", "attendee", "attendee", "attendee", "attendee", "attendee", "volunteer",
                 "attendee"],
        "checked_in": [True, True, True, True, True, True, True, True, False],
    })
    owners = pd.DataFrame({"owner_id": ["a", "b", "c", "d"]})
    return {"owners": owners, "events": events, "attendance": att}


def community() -> Community:
    """The community of :func:`frames`, up to 2024-03-31."""
    return Community.from_frames(frames(), until="2024-03-31")


def test_regulars_counted_by_hand():
    df = event_regulars(community())
    assert df["owner_id"].tolist() == ["a", "b"]  # c came in one month only; d never checked in
    a = df.iloc[0]
    assert (a["months_attended"], a["events_attended"], a["events_led"], a["cities"]) == (3, 4, 1, 2)
    assert a["last_event"] == pd.Timestamp("2024-03-02")
    assert a["days_since_last"] == pytest.approx((pd.Timestamp("2024-03-31 23:59:59.999999")
                                                  - pd.Timestamp("2024-03-02")).total_seconds() / 86400, abs=0.1)
    assert "3 different months" in a["reason"] and "led 1" in a["reason"]
    assert df["rank"].tolist() == [1, 2]
    assert EVENT_REGULARS.problems(df) == []


def test_min_months_top_and_chinese():
    df = event_regulars(community(), min_months=1, lang="zh")
    assert df["owner_id"].tolist() == ["a", "b", "c"]
    assert df.loc[df["owner_id"] == "c", "events_led"].item() == 1
    assert "个月参加过活动" in df["reason"].iloc[0]
    assert len(event_regulars(community(), min_months=1, top=1)) == 1


def test_no_events_gives_an_empty_declared_table():
    c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a"]})})
    df = event_regulars(c)
    assert df.empty and list(df.columns) == EVENT_REGULARS.column_names


def test_bad_options():
    with pytest.raises(ConfigError):
        event_regulars(community(), min_months=0)
    with pytest.raises(ConfigError):
        event_regulars(community(), lang="fr")


def test_no_one_led_an_event_among_many_owners():
    # a real RSVP export (Meetup 2017, tests/test_real_data.py) has no organizer rows and 2,136
    # owners: the owner ids' categorical codes are 16-bit; the led rows alone (none) made pandas
    # fail to align the two groupings (ValueError: Buffer dtype mismatch)
    owners = pd.DataFrame({"owner_id": [f"o{i:03d}" for i in range(200)]})
    ev = pd.DataFrame({"event_id": ["e1", "e2", "e3"], "city": ["上海"] * 3,
                       "starts_at": ["2024-01-06", "2024-02-03", "2024-03-02"]})
    att = pd.DataFrame({"event_id": ["e1", "e2", "e3", "e1"], "owner_id": ["o150", "o150", "o150", "o001"],
                        "role": ["attendee"] * 4})
    df = event_regulars(Community.from_frames({"owners": owners, "events": ev, "attendance": att}))
    assert df[["owner_id", "months_attended", "events_attended", "events_led"]].values.tolist() == [["o150", 3, 3, 0]]
    assert EVENT_REGULARS.problems(df) == []
