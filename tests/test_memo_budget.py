"""The memo's byte budget (graphcrm.community.Community.memo): results kept in a store file share
the budget and are dropped first (read back when asked for), then intermediates, the cheapest to
compute again per byte first (GreedyDual-Size; least recently used first among equals); other results stay; dropping never changes a result (everything recomputed is
deterministic given its options)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import graphcrm
from graphcrm.community import MEMO_BUDGET_ENV, Community, held_bytes, memo_budget
from graphcrm.demo import generate_demo
from graphcrm.errors import ConfigError


def _community(budget: int | None) -> Community:
    c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a", "b", "c"]})})
    c.memo_budget = budget
    return c


def test_held_bytes_counts_each_buffer_once():
    a = np.zeros(1000)
    assert held_bytes(a) == 8000
    shared = held_bytes((a, a[:10], {"x": a, "y": a.reshape(10, 100)}))
    assert 8000 < shared < 8000 + 1000  # the array once, plus the containers
    assert held_bytes([a, a.copy()]) > 16000
    df = pd.DataFrame({"x": np.arange(100, dtype=np.int64)})
    assert held_bytes(df) == int(df.memory_usage(deep=True).sum())
    assert held_bytes([df, df]) < 2 * held_bytes(df)


def test_intermediates_are_dropped_least_recently_used_first_and_results_stay():
    c = _community(20_000)  # room for two arrays of 8,000 bytes
    calls: list[str] = []

    def make(name: str):
        def compute():
            calls.append(name)
            return np.zeros(1000)
        return compute

    c.memo("x", {}, make("x"))
    c.memo("y", {}, make("y"))
    c.memo("result:r", {}, make("r"))          # results do not count and are never dropped
    c.memo("x", {}, make("x"))                 # x used again: y is now the least recently used
    c.memo("z", {}, make("z"))                 # passes the budget: y goes
    assert calls == ["x", "y", "r", "z"]
    assert c.memoized("x", {}) and c.memoized("z", {}) and not c.memoized("y", {})
    c.memo("y", {}, make("y"))                 # computed again; x (least recently used) goes
    assert calls[-1] == "y" and not c.memoized("x", {})
    assert c.memoized("result:r", {})
    assert c.memo_stats["y"] == {"computed": 2, "recomputed": 1, "hits": 0, "read": 0, "evicted": 1}
    assert c.memo_stats["result:r"]["evicted"] == 0


def _slow(seconds: float, calls: list[str], name: str):
    def compute():
        import time

        calls.append(name)
        time.sleep(seconds)
        return np.zeros(1000)  # 8,000 bytes
    return compute


def test_a_costly_intermediate_stays_before_a_cheap_one_used_more_recently():
    c = _community(20_000)  # room for two arrays of 8,000 bytes
    calls: list[str] = []
    c.memo("costly", {}, _slow(0.08, calls, "costly"))
    c.memo("cheap", {}, _slow(0.0, calls, "cheap"))   # used after the costly one
    c.memo("z", {}, _slow(0.0, calls, "z"))           # passes the budget
    # least recently used would drop "costly"; the cheap one goes (0 s against 0.08 s per MiB)
    assert c.memoized("costly", {}) and c.memoized("z", {}) and not c.memoized("cheap", {})
    assert c.memo_stats["cheap"]["evicted"] == 1 and c.memo_stats["costly"]["evicted"] == 0
    assert c.memo("costly", {}, _slow(0.08, calls, "costly")).sum() == 0
    assert calls.count("costly") == 1  # found, not computed again


def test_a_costly_intermediate_not_used_again_ages_out():
    """Each entry dropped raises the inflation value to its priority, and an entry is prioritised
    from the value at its last use: the newer entries, each 0.02 s, overtake the 0.08 s one that
    is never asked for again (after about four of them), so it cannot hold its room forever."""
    c = _community(20_000)
    calls: list[str] = []
    c.memo("costly", {}, _slow(0.08, calls, "costly"))
    dropped_after = None
    for i in range(12):
        c.memo(f"e{i}", {}, _slow(0.02, calls, f"e{i}"))
        if not c.memoized("costly", {}):
            dropped_after = i
            break
    assert dropped_after is not None and dropped_after >= 2


def test_nested_computations_count_once():
    """An entry's cost is its own work: the seconds of an entry computed inside it are its own."""
    c = _community(None)
    calls: list[str] = []

    def outer():
        c.memo("inner", {}, _slow(0.08, calls, "inner"))
        return np.zeros(10)

    c.memo("outer", {}, outer)
    costs = {c._memo_names[k]: v for k, v in c._memo_cost.items()}
    assert costs["inner"] >= 0.08 and costs["outer"] < 0.02


def test_an_intermediate_larger_than_the_budget_is_kept_until_the_next_one():
    c = _community(100)
    first = c.memo("big", {}, lambda: np.ones(1000))
    assert c.memoized("big", {}) and first.sum() == 1000
    c.memo("next", {}, lambda: np.ones(10))
    assert not c.memoized("big", {}) and c.memoized("next", {})


def test_an_intermediate_larger_than_the_budget_goes_when_the_analysis_that_asked_for_it_is_done():
    c = _community(10_000)
    inside: list[bool] = []

    def analysis():
        big = c.memo("big", {}, lambda: np.ones(2000))  # 16,000 bytes: over the budget alone
        inside.append(c.memoized("big", {}))
        return pd.DataFrame({"v": [big.sum()]})

    out = c.memo("result:r", {}, analysis)
    assert inside == [True] and out["v"].item() == 2000
    assert not c.memoized("big", {}) and c.memoized("result:r", {})  # the result (no store) stays


def test_an_object_that_grew_after_it_was_cached_is_sized_again_when_the_analysis_is_done():
    class Lazy:  # like the influence graph, which builds its forward CSR on first use
        def __init__(self):
            self.arrays = [np.zeros(500)]

    c = _community(10_000)

    def analysis():
        g = c.memo("lazy", {}, Lazy)  # 4,000 bytes when cached: fits
        g.arrays.append(np.zeros(1500))  # now 16,000 bytes: over the budget
        return pd.DataFrame({"v": [1]})

    c.memo("result:r", {}, analysis)
    assert not c.memoized("lazy", {}) and c.memo_stats["lazy"]["evicted"] == 1

    def in_a_tuple():  # the influence graph is cached as (graph, layer sums, info)
        g, _, _ = c.memo("lazy tuple", {}, lambda: (Lazy(), np.zeros(10), {"k": 1}))
        g.arrays.append(np.zeros(1500))
        return pd.DataFrame({"v": [1]})

    c.memo("result:t", {}, in_a_tuple)
    assert not c.memoized("lazy tuple", {}) and c.memo_stats["lazy tuple"]["evicted"] == 1


def test_no_budget_keeps_everything():
    c = _community(None)
    for i in range(20):
        c.memo("x", {"i": i}, lambda: np.zeros(100_000))
    assert all(c.memoized("x", {"i": i}) for i in range(20))
    assert c.memo_stats["x"]["evicted"] == 0


def test_memo_sizes_lists_tables_projections_intermediates_and_results():
    c = _community(None)
    c.memo("x", {}, lambda: np.zeros(1000))
    c.memo("result:r", {}, lambda: pd.DataFrame({"v": np.zeros(10)}))
    sizes = c.memo_sizes()
    assert list(sizes.columns) == ["entry", "kind", "bytes"]
    assert set(sizes["kind"]) == {"tables", "intermediate", "result"}
    assert sizes.loc[sizes["entry"] == "x{}", "bytes"].item() == 8000
    assert sizes["bytes"].is_monotonic_decreasing


def test_the_budget_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(MEMO_BUDGET_ENV, "1.5")
    assert memo_budget() == int(1.5 * 2**20)
    monkeypatch.setenv(MEMO_BUDGET_ENV, "none")
    assert memo_budget() is None
    monkeypatch.setenv(MEMO_BUDGET_ENV, "lots")
    with pytest.raises(ConfigError):
        memo_budget()
    monkeypatch.setenv(MEMO_BUDGET_ENV, "-1")
    with pytest.raises(ConfigError):
        memo_budget()


def test_default_options_are_one_projection():
    tables, _ = generate_demo(1000, seed=0)
    c = Community(tables)
    assert c.edges("coattendance") is c.edges("coattendance", max_event_size=150)
    assert c.edges("interactions") is c.edges("interactions", weights=None, half_life_days=None)


class _Keep:
    """A results store that keeps values in a dict (what DuckDBStore.cached_result does on a file)."""

    def __init__(self):
        self.kept: dict = {}

    def cached_result(self, key):
        return (key in self.kept), self.kept.get(key)

    def cache_result(self, key, value):
        self.kept[key] = value
        return 0


def test_results_kept_in_a_store_are_dropped_before_intermediates():
    c = _community(20_000)  # room for two arrays of 8,000 bytes
    c._results_store = _Keep()
    calls: list[str] = []
    c.memo("result:r", {}, lambda: (calls.append("r"), np.zeros(1000))[1])
    c.memo("x", {}, lambda: np.zeros(1000))
    c.memo("y", {}, lambda: np.zeros(1000))  # passes the budget: the result goes, not x (older)
    assert c.memoized("x", {}) and c.memoized("y", {}) and not c.memoized("result:r", {})
    again = c.memo("result:r", {}, lambda: (calls.append("r"), np.zeros(1000))[1])
    assert calls == ["r"] and again.shape == (1000,)  # read back from the store, not computed
    # read back, it passes the budget again and goes again first: x and y stay
    assert c.memo_stats["result:r"] == {"computed": 1, "recomputed": 0, "hits": 0, "read": 1, "evicted": 2}
    assert c.memoized("x", {}) and c.memoized("y", {})


def test_an_expected_intermediate_is_dropped_after_every_other_one():
    calls: list[str] = []
    for expected, kept in (((), {"cheap", "z"}), (("costly",), {"costly", "z"})):
        c = _community(20_000)  # room for two arrays of 8,000 bytes
        c.expect(expected)
        c.memo("costly", {}, _slow(0.0, calls, "costly"))
        c.memo("cheap", {}, _slow(0.0, calls, "cheap"))
        c.memo("z", {}, _slow(0.0, calls, "z"))      # passes the budget
        assert {n for n in ("costly", "cheap", "z") if c.memoized(n, {})} == kept, expected
    # an expected entry still goes when nothing else can: the budget holds
    c = _community(10_000)
    c.expect(["x"])
    c.memo("x", {}, _slow(0.0, calls, "x"))
    c.memo("y", {}, _slow(0.0, calls, "y"))
    assert not c.memoized("x", {}) and c.memoized("y", {})
    assert set(c.memo_seconds) == {"x", "y"} and c.memo_seconds["x"] >= 0


def _pipeline(monkeypatch, budget: str, path=":memory:") -> tuple[dict, dict]:
    monkeypatch.setenv(MEMO_BUDGET_ENV, budget)
    cg = graphcrm.open(path)
    cg.load(generate_demo(1200, seed=1)[0])
    out = {
        "kocs": cg.kocs(),
        "circles": cg.circles(seed=0),
        "circle_profiles": cg.circle_profiles(),
        "referral_chains": cg.referral_chains(),
        "ambassadors": cg.ambassadors(k=5, seed=0),
        "volunteer_candidates": cg.volunteer_candidates(seed=0),
        "contribution": cg.contribution(),
        "owner_levels": cg.owner_levels(),
        "targets": cg.targets(seed=0),
        "kocs again": cg.kocs(),
    }
    stats = cg.community().memo_stats
    cg.close()
    return out, stats


def test_a_tiny_budget_gives_the_same_results_as_none(monkeypatch):
    unlimited, stats_unlimited = _pipeline(monkeypatch, "none")
    tiny, stats_tiny = _pipeline(monkeypatch, "0")
    for name, df in unlimited.items():
        pd.testing.assert_frame_equal(tiny[name], df, obj=name)
    assert not any(s["evicted"] or s["recomputed"] for s in stats_unlimited.values())
    assert sum(s["recomputed"] for s in stats_tiny.values()) > 0  # the budget did drop and recompute
    results = {k: s for k, s in stats_tiny.items() if k.startswith("result:")}
    assert results and not any(s["evicted"] or s["recomputed"] for s in results.values())


def test_results_kept_in_a_store_are_dropped_under_the_budget_and_read_back_identical(monkeypatch, tmp_path):
    unlimited, _ = _pipeline(monkeypatch, "none", tmp_path / "none.duckdb")
    monkeypatch.setenv("GRAPHCRM_FRESH", "1")  # read back only what this process wrote
    tiny, stats = _pipeline(monkeypatch, "0", tmp_path / "tiny.duckdb")
    for name, df in unlimited.items():
        pd.testing.assert_frame_equal(tiny[name], df, obj=name)
    results = {k: s for k, s in stats.items() if k.startswith("result:")}
    assert sum(s["evicted"] for s in results.values()) > 0
    assert results["result:kocs"]["read"] >= 1  # "kocs again": read back from the store, not computed
    assert results["result:kocs"]["computed"] == 1
    assert not any(s["recomputed"] for s in results.values())


def test_results_without_a_store_file_are_always_held(monkeypatch):
    c = _community(0)
    c.memo("result:r", {}, lambda: np.zeros(1000))
    c.memo("x", {}, lambda: np.zeros(1000))
    assert c.memoized("result:r", {}) and c.memo_stats["result:r"]["evicted"] == 0


def test_a_community_held_in_the_memo_takes_its_holders_budget_and_counts_what_it_holds():
    c = _community(50_000)
    sub = c.memo("sub", {}, lambda: _community(None))
    assert sub.memo_budget == 50_000
    before = c._intermediate_bytes(next(iter(c._memo_bytes)))
    sub.memo("x", {}, lambda: np.zeros(4000))  # 32,000 bytes inside the held community
    assert c._intermediate_bytes(next(iter(c._memo_bytes))) == before + 32_000
    c.memo("y", {}, lambda: np.zeros(4000))     # together past 50,000: the held community goes
    assert not c.memoized("sub", {}) and c.memoized("y", {})
