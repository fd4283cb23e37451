"""The report's independent pieces computed ahead in a second process
(graphcrm.reports.prefetch, ``graphcrm run --jobs``): the same results as computed in the one
process, adopted into the parent's cache under the keys the report's calls use; a failing or
killed worker leaves the report to compute them itself; no process is left behind."""
from __future__ import annotations

import multiprocessing as mp
import os

import pandas as pd
import pytest
from click.testing import CliRunner

import graphcrm
from graphcrm.algorithms.backtest import backtest
from graphcrm.algorithms.movement import earlier_kocs
from graphcrm.cli import cli
from graphcrm.demo import write_demo
from graphcrm.errors import ConfigError
from graphcrm.reports import prefetch
from graphcrm.reports.html import MOVEMENT_OPTIONS

pytestmark = pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="needs fork")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prefetch")
    write_demo(tmp / "exports", 1_000, seed=5, weeks=40)
    store = tmp / "crm.duckdb"
    cg = graphcrm.open(store)
    cg.load(tmp / "exports", rejects_path=tmp / "rejects.csv", progress=False)
    cg.close()
    return tmp, store


def _fresh(store, monkeypatch):
    monkeypatch.setenv("GRAPHCRM_FRESH", "1")
    cg = graphcrm.open(store)
    cg.kocs()
    cg.circles(seed=0)
    return cg


def _no_children() -> bool:
    return not [p for p in mp.active_children() if p.name == "graphcrm-report-prefetch"]


def test_adopted_results_equal_the_serial_ones(demo, monkeypatch):
    _, store = demo
    cg = _fresh(store, monkeypatch)
    pf = prefetch.start(cg, seed=0, ambassadors_k=7, jobs=2)
    assert pf is not None
    assert sorted(pf.adopt()) == ["movement:kocs_then", "result:backtest"] and pf.errors == []
    assert not pf.process.is_alive() and _no_children()
    c = cg.community()
    before = {n: dict(c.memo_stats[n]) for n in ("movement:kocs_then", "result:backtest")}
    # the report's calls find them (hits, nothing computed again) ...
    got_k = earlier_kocs(c, compare_circles=MOVEMENT_OPTIONS["compare_circles"])
    got_b, got_info = backtest(c, k=7, seed=0, details=True)
    for n in before:
        assert c.memo_stats[n]["computed"] == before[n]["computed"] and c.memo_stats[n]["hits"] == before[n]["hits"] + 1
    # ... and they are what this process computes without a worker
    serial = _fresh(store, monkeypatch)
    s = serial.community()
    want_k = earlier_kocs(s, compare_circles=MOVEMENT_OPTIONS["compare_circles"])
    want_b, want_info = backtest(s, k=7, seed=0, details=True)
    assert s.memo_stats["movement:kocs_then"]["computed"] == 1
    assert len(want_k) > 10 and len(want_b) > 3
    pd.testing.assert_frame_equal(got_k, want_k)
    pd.testing.assert_frame_equal(got_b.drop(columns="seconds"), want_b.drop(columns="seconds"))
    assert got_info.picks == want_info.picks and got_info.models == want_info.models
    # the movement table built on the adopted earlier KOCs is the serial one
    pd.testing.assert_frame_equal(cg.movement(**MOVEMENT_OPTIONS), serial.movement(**MOVEMENT_OPTIONS))
    cg.close(), serial.close()


def test_when_the_worker_is_started():
    assert prefetch.should_start(100, 1) == (False, "jobs=1")
    with pytest.raises(ConfigError):
        prefetch.should_start(100, 0)
    ok, why = prefetch.should_start(prefetch.MAX_OWNERS + 1, None)
    assert not ok and "owners" in why
    if prefetch.usable_cpus() >= 2:
        assert prefetch.should_start(prefetch.MAX_OWNERS + 1, 2)[0]  # asked for: the size does not stop it


def test_the_default_needs_an_idle_cpu(monkeypatch):
    monkeypatch.setattr(prefetch, "usable_cpus", lambda: 2)
    monkeypatch.setattr(prefetch.os, "getloadavg", lambda: (1.2, 1.0, 1.0))
    assert prefetch.should_start(100, None) == (True, "")
    monkeypatch.setattr(prefetch.os, "getloadavg", lambda: (2.3, 2.0, 2.0))
    ok, why = prefetch.should_start(100, None)
    assert not ok and "no idle CPU" in why
    assert prefetch.should_start(100, 2)[0]  # asked for: started anyway


def test_a_failing_or_killed_worker_adopts_nothing(demo, monkeypatch):
    _, store = demo
    cg = graphcrm.open(store)
    c = cg.community()

    def boom():
        raise RuntimeError("no")

    monkeypatch.setattr(prefetch, "_tasks", lambda cg, **kw: [(c, {"result:backtest"}, boom)])
    pf = prefetch.start(cg, jobs=2)
    assert pf.adopt() == [] and pf.errors == ["RuntimeError: no"]
    assert "result:backtest" not in c.memo_stats and _no_children()

    monkeypatch.setattr(prefetch, "_tasks", lambda cg, **kw: [(c, {"result:backtest"}, lambda: __import__("time").sleep(60))])
    pf = prefetch.start(cg, jobs=2)
    pf.process.kill()
    assert pf.adopt() == [] and "without a result" in pf.errors[0]
    assert not pf.process.is_alive() and _no_children()

    pf = prefetch.start(cg, jobs=2)  # closed while it works (an error or Ctrl-C in the parent)
    pf.close()
    assert not pf.process.is_alive() and _no_children()
    cg.close()


def test_run_with_and_without_the_worker_writes_the_same_report(demo, tmp_path):
    folder = demo[0] / "exports"
    out = {}
    for jobs in (1, 2):
        d = tmp_path / f"j{jobs}"
        d.mkdir()
        res = CliRunner().invoke(cli, ["run", str(folder), "--store", str(d / "s.duckdb"), "-o", str(d / "r.html"),
                                       "-k", "6", "--jobs", str(jobs), "--no-progress",
                                       "--rejects", str(d / "rejects.csv")])
        assert res.exit_code == 0, res.output + str(res.exception)
        out[jobs] = {p.name: p.read_bytes() for p in sorted((d / "r-csv").glob("*.csv"))}
    assert set(out[1]) == set(out[2]) and len(out[1]) > 20
    for name, data in out[1].items():
        if name == "backtest.csv":  # its ``seconds`` column is a timing
            a = pd.read_csv(d.parent / "j1" / "r-csv" / name).drop(columns="seconds")
            b = pd.read_csv(d / "r-csv" / name).drop(columns="seconds")
            pd.testing.assert_frame_equal(a, b)
        else:
            assert data == out[2][name], name
    assert _no_children()


def test_a_stalled_worker_is_ended_and_nothing_adopted(demo, monkeypatch):
    _, store = demo
    cg = graphcrm.open(store)
    c = cg.community()
    monkeypatch.setattr(prefetch, "STALL_SECONDS", 2.0)
    monkeypatch.setattr(prefetch, "_tasks", lambda cg, **kw: [(c, {"result:backtest"}, lambda: __import__("time").sleep(60))])
    pf = prefetch.start(cg, jobs=2)
    assert pf.adopt() == [] and "no CPU used" in pf.errors[0]
    assert not pf.process.is_alive() and _no_children()
    cg.close()


def _kept_names(cg) -> set[str]:
    import json

    return {json.loads(k)[-1].split("{", 1)[0] for k in cg.store.result_cache()["key"]}


def test_the_weekly_job_adopts_each_result_when_asked_for_and_equal_to_the_serial_one(demo, monkeypatch):
    """Ahead as ``graphcrm run --jobs 2`` uses it: each step's own call waits for the result a
    worker will send (the community's cache is wrapped while the workers run) and finds it: the
    results the workers computed are not computed in this process, and equal the serial ones;
    the workers keep nothing in the store themselves (only this process writes what it adopts)."""
    _, store = demo
    monkeypatch.setenv("GRAPHCRM_FRESH", "1")
    cg = graphcrm.open(store)
    cg.store.clear_result_cache()
    amb = {"k": 6, "seed": 0}
    calls = {
        "ambassadors": lambda g: g.ambassadors(**amb),
        "contribution": lambda g: g.contribution(),
        "owner_levels": lambda g: g.owner_levels(),
        "referral_chains": lambda g: g.referral_chains(lang="en"),
        "referral_attribution": lambda g: g.referral_attribution(lang="en"),
        "top_referrers": lambda g: g.top_referrers(lang="en"),
        "referral_issues": lambda g: g.referral_issues(lang="en"),
        "volunteer_candidates": lambda g: g.volunteer_candidates(seed=0, lang="en"),
        "targets": lambda g: g.targets(ambassadors_k=6, seed=0),
        "drifting_owners": lambda g: g.drifting_owners(lang="en"),
        "new_owner_cohort": lambda g: g.new_owner_cohort(lang="en"),
        "event_regulars": lambda g: g.event_regulars(lang="en"),
        "movement": lambda g: g.movement(**MOVEMENT_OPTIONS),
        "rising_stars": lambda g: g.rising_stars(**MOVEMENT_OPTIONS),
        "level_transitions": lambda g: g.level_transitions(**MOVEMENT_OPTIONS),
        "backtest": lambda g: g.backtest(k=6, seed=0).drop(columns="seconds"),
    }
    ahead = prefetch.Ahead(cg, seed=0, ambassadors_k=6, jobs=2, ambassadors_options=amb)
    got = {}
    try:
        c = cg.community()
        ahead.after("community")
        assert ahead.early is not None
        cg.kocs()
        ahead.after("kocs")  # the second worker reads the partition kocs computed, not the circles table
        assert ahead.late is not None
        cg.circles(seed=0)
        ahead.after("circles")
        for name, f in calls.items():
            ahead.before(name)
            got[name] = f(cg)
            ahead.after(name)
        # every result is in: nothing is pending (the report builds its sections in the page's order)
        assert not c.pending(["result:movement", "result:volunteer_candidates", "result:backtest"])
        mine = {n.removeprefix("result:") for n, v in c.memo_stats.items() if v["computed"]}
        # nothing of the workers' own intermediate results reached the store: only what was adopted
        assert _kept_names(cg) <= {n.removeprefix("result:") for n in ahead.adopted} | mine
    finally:
        ahead.close()
    assert _no_children() and "memo" not in c.__dict__ and "pending" not in c.__dict__  # the cache is unwrapped
    names = {f"result:{n}" for n in calls if n != "targets"} | {"movement:core", "movement:kocs_then"}
    # each result came from a worker, or this process took its task before the worker began it
    # (the second worker does the movement tables first: the volunteers step often takes its tasks)
    assert names <= set(ahead.adopted) | set(ahead.claimed), names - set(ahead.adopted) - set(ahead.claimed)
    vol = "result:volunteer_candidates"
    assert ahead.adopted.count(vol) + ahead.claimed.count(vol) == 2  # the job's call and the targets' call
    # kocs' referral credit is referral_attribution with include_staff=True: another entry of the
    # same name, computed here before the workers' results arrive
    own = {"result:referral_attribution": 1}
    for n in names:  # entered once per adoption or computed once per task taken, never both
        assert c.memo_stats[n]["computed"] == ahead.adopted.count(n) + ahead.claimed.count(n) + own.get(n, 0), n
        if n in ahead.adopted and n.startswith("result:"):
            assert c.memo_stats[n]["hits"] > 0, n  # the steps' calls read what was adopted
    serial = _fresh(store, monkeypatch)
    for k, f in calls.items():
        pd.testing.assert_frame_equal(got[k], f(serial), obj=k)
    assert len(got["drifting_owners"]) > 0 and len(got["volunteer_candidates"]) > 10 and len(got["rising_stars"]) > 0
    cg.close(), serial.close()


def _big_tasks(c):
    """Two tasks whose results (16 MB each) are far beyond a pipe's 64 KiB buffer."""
    import numpy as np

    def task(name, start):
        return lambda: c.memo(name, {}, lambda: np.arange(start, start + 2_000_000, dtype=np.int64))

    return [(c, {"big_a"}, task("big_a", 0)), (c, {"big_b"}, task("big_b", 7))]


def _start_big(demo, monkeypatch, *, folder: bool = True):
    """(graph, community, worker) for a worker that computes the two big results."""
    cg = graphcrm.open(demo[1])
    c = cg.community()
    monkeypatch.setattr(prefetch, "_tasks", lambda cg, **kw: _big_tasks(c))
    if not folder:
        monkeypatch.setattr(prefetch, "_results_folder", lambda: None)
    return cg, c, prefetch.start(cg, jobs=2)


def _wait_for_exit(pf, seconds: float = 60) -> None:
    """Wait for the worker to end, reading nothing meanwhile."""
    import time

    deadline = time.monotonic() + seconds
    while pf.process.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_worker_never_waits_for_the_parent_to_read(demo, monkeypatch):
    """The worker finishes every task while the parent reads nothing (the parent is inside a long
    step): its results wait in its folder, not in a full pipe; adopted later, the same values."""
    import os

    import numpy as np

    cg, c, pf = _start_big(demo, monkeypatch)
    folder = pf._folder
    assert folder is not None and os.path.isdir(folder) and (os.stat(folder).st_mode & 0o777) == 0o700
    _wait_for_exit(pf)
    assert not pf.process.is_alive(), "the worker waited for the parent to read its results"
    assert sorted(os.listdir(folder)) == ["claim-0", "claim-1", "task-0.pkl", "task-1.pkl"]  # claims: the worker began both
    assert pf.adopt() == ["big_a", "big_b"] and pf.errors == []
    assert np.array_equal(c.memo("big_a", {}, lambda: None), np.arange(2_000_000))
    assert np.array_equal(c.memo("big_b", {}, lambda: None), np.arange(7, 2_000_007))
    assert not os.path.exists(folder) and _no_children()  # nothing left on disk
    cg.close()


def test_without_a_folder_the_results_come_through_the_pipe(demo, monkeypatch):
    import time

    import numpy as np

    cg, c, pf = _start_big(demo, monkeypatch, folder=False)
    assert pf._folder is None
    time.sleep(3)  # the first result is computed in milliseconds; sending it waits for the parent
    assert pf.process.is_alive()  # what the folder is for: through the pipe, the worker waits
    assert pf.adopt() == ["big_a", "big_b"] and pf.errors == []
    assert np.array_equal(c.memo("big_b", {}, lambda: None), np.arange(7, 2_000_007))
    assert _no_children()
    cg.close()


def test_a_closed_worker_leaves_no_results_on_disk(demo, monkeypatch):
    import os

    cg, _, pf = _start_big(demo, monkeypatch)
    folder = pf._folder
    _wait_for_exit(pf)
    pf.close()  # an error or Ctrl-C in the parent before the results were adopted
    assert not os.path.exists(folder) and _no_children()
    cg.close()


def test_results_folders_of_a_killed_job_are_removed(tmp_path, monkeypatch):
    """A job killed before it could remove its worker's folder (kill -9) leaves it behind: the next
    job's start removes it, and keeps the folders of jobs still running."""
    import subprocess
    import sys
    import tempfile

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # reaped: its process id names no process now
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    left = tmp_path / f"{prefetch.FOLDER_PREFIX}{dead.pid}-abc"
    left.mkdir()
    (left / "task-0.pkl").write_bytes(b"results of a killed job")
    running = tmp_path / f"{prefetch.FOLDER_PREFIX}{os.getpid()}-xyz"  # this process: alive
    running.mkdir()
    other = tmp_path / "graphcrm-prefetch-notapid"
    other.mkdir()
    new = prefetch._results_folder()
    assert not left.exists() and running.exists() and other.exists()
    assert new is not None and os.path.dirname(new) == str(tmp_path)
    assert os.path.basename(new).startswith(f"{prefetch.FOLDER_PREFIX}{os.getpid()}-")


def test_a_task_not_received_yet_is_pending(demo, monkeypatch):
    """``Community.pending`` while a worker runs: True for an entry it has not sent yet, False for
    one it does not compute and, once it is taken in, for the one it sent."""
    cg, c, pf = _start_big(demo, monkeypatch)
    ahead = prefetch.Ahead(cg, jobs=2)
    try:
        ahead.early = pf
        ahead._wrap(c)
        assert not c.pending(["result:movement"])  # no worker computes it
        assert c.pending(["big_b"]) or "big_b" in pf.adopted  # sent already only if the worker was that quick
        _wait_for_exit(pf)  # both sent (pending takes nothing: the worker begins both)
        pf.adopt("big_b")
        assert not c.pending(["big_a", "big_b"]) and pf.claimed == []
    finally:
        ahead.close()
        cg.close()
    assert "pending" not in c.__dict__


def test_a_task_the_worker_has_not_begun_is_taken_by_the_parent(demo, monkeypatch):
    """The worker is inside a long first task when the parent needs the second task's result: the
    parent takes that task and computes it at once (no wait for the first), the worker skips it,
    and the first task's result is still adopted.  A task the worker has begun is waited for."""
    import time

    import numpy as np

    cg = graphcrm.open(demo[1])
    c = cg.community()
    computed_in: dict[str, list[int]] = {"slow": [], "quick": []}

    def task(name, seconds):
        def compute():
            computed_in[name].append(os.getpid())
            time.sleep(seconds)
            return np.arange(5, dtype=np.int64) + len(name)
        return lambda: c.memo(name, {}, compute)

    tasks = [(c, {"slow"}, task("slow", 4.0)), (c, {"quick"}, task("quick", 0.0))]
    monkeypatch.setattr(prefetch, "_tasks", lambda cg, **kw: tasks)
    pf = prefetch.start(cg, jobs=2)
    ahead = prefetch.Ahead(cg, jobs=2)
    try:
        ahead.early = pf
        ahead._wrap(c)
        deadline = time.monotonic() + 30
        while not os.path.exists(os.path.join(pf._folder, "claim-0")) and time.monotonic() < deadline:
            time.sleep(0.02)  # the worker has begun the slow task
        t = time.monotonic()
        got = tasks[1][2]()  # the parent's step asks for the quick result
        assert time.monotonic() - t < 2.0, "the parent waited for the worker's slow task"
        assert np.array_equal(got, np.arange(5) + 5)
        assert computed_in["quick"] == [os.getpid()] and pf.claimed == ["quick"]
        assert not c.pending(["quick"]) and c.pending(["slow"])  # taken: nothing to wait for
        t = time.monotonic()
        slow = tasks[0][2]()  # begun by the worker: waited for and adopted, not computed here
        assert time.monotonic() - t > 1.0 and np.array_equal(slow, np.arange(5) + 4)
        assert computed_in["slow"] == [] and pf.adopted == ["slow"]
        pf.adopt()
        assert pf.adopted == ["slow"] and pf.errors == []  # the worker skipped the quick task
        assert c.memo_stats["quick"]["computed"] == 1 and c.memo_stats["slow"]["computed"] == 1
    finally:
        ahead.close()
        cg.close()
    assert _no_children()


def test_above_the_size_bound_the_second_worker_does_the_tables_first(demo, monkeypatch):
    """The second worker's queue: volunteers then the movement tables; for a community above
    ``MAX_OWNERS`` (here lowered to 500) the tables first, the volunteers last."""
    _, store = demo
    cg = _fresh(store, monkeypatch)
    order = {}
    for bound in (10_000, 500):
        monkeypatch.setattr(prefetch, "MAX_OWNERS", bound)
        ahead = prefetch.Ahead(cg, seed=0, ambassadors_k=6, jobs=2)
        ahead.active = True
        try:
            ahead.after("kocs")
            order[bound] = [sorted(n) for n in ahead.late._names]
        finally:
            ahead.close()
    vol, tables = ["result:volunteer_candidates"], [["movement:kocs_then"], ["result:movement"],
                                                     ["result:rising_stars"], ["result:level_transitions"]]
    assert order[10_000] == [vol, vol, *tables]
    assert order[500] == [*tables, vol, vol]
    cg.close()
    assert _no_children()


def test_the_tasks_know_the_keys_of_the_results_they_keep(demo, monkeypatch):
    """Each analysis task's expected cache key is the key its call keeps the result under, so a
    step asking for the same analysis with other options (kocs' staff-inclusive referral credit)
    neither waits for nor takes it."""
    _, store = demo
    cg = _fresh(store, monkeypatch)
    c = cg.community()
    from graphcrm.reports.html import TABLE_ONLY_CALLS

    analyses = [("ambassadors", {"k": 5, "seed": 0}), *prefetch.Ahead.EARLY,
                ("volunteer_candidates", {"seed": 0, "lang": "en", "validate": False}), *TABLE_ONLY_CALLS]
    tasks = prefetch._tasks(cg, since=None, until=None, seed=0, ambassadors_k=5, analyses=analyses)
    checked = 0
    for community, names, call, keys in tasks:
        call()
        for name, key in keys.items():
            assert key in community._memo, (name, key)
            checked += 1
    assert checked == len(analyses) + 1  # every analysis and the backtest
    other = prefetch.Prefetch(None, None, [t[0] for t in tasks], [t[1] for t in tasks],
                              keys=[t[3] for t in tasks])
    staff = cg.referral_attribution(include_staff=True)  # noqa: F841 - another entry of the same name
    ra = "result:referral_attribution"
    own = [k for k in c._memo if k.startswith("referral_attribution") and k != tasks[5][3][ra]]
    assert other.provides(ra) and other.provides(ra, tasks[5][3][ra]) and not other.provides(ra, own[0])
    cg.close()
