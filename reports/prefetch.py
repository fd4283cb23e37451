"""The report's work that needs only the loaded tables, computed ahead in a second process.

Two pieces of the weekly report depend on nothing the other analyses compute: the backtest
(:func:`~graphcrm.algorithms.backtest.backtest` on the whole history: it splits it itself and
picks on the training window with three ambassadors models and the KOCs) and the earlier
period's KOC ranks of the movement tables (:func:`~graphcrm.algorithms.movement.earlier_kocs`:
``kocs`` on the community as known 30 days ago, bridging with today's circles).  At 100,000
owners they are about 8 of the report's 13 seconds, on one core while the machine has two.

:func:`start` forks one worker process (``os.fork`` through :mod:`multiprocessing`: the worker
starts with the parent's memory, copy-on-write, so nothing is pickled or read again) that
computes both with the report's options; :meth:`Prefetch.adopt` waits for it and puts its
results into the parent's cache (:meth:`graphcrm.community.Community.memo`, under the very keys
the worker's calls used), so the report's own calls find them.  ``graphcrm run`` starts it after
the ``circles`` step (the earlier KOCs bridge with today's circles) and adopts before the report,
so the worker runs beside ``referral_*``, ``ambassadors``, ``volunteer_candidates`` and
``targets``.  (That was the first version.  Since e156cf6/bd7ffea the weekly job uses
:class:`Ahead`: two workers, forked after ``community`` and after ``kocs``, that also compute
``ambassadors``, the four referral analyses, ``contribution``, ``owner_levels``, the drifting owners, the new-owner cohorts,
the event regulars, both ``volunteer_candidates`` calls and the report's movement tables, each
result adopted when a step asks for it.)

What it never changes: the results.  Every value is computed by the same function with the
same options and seed from the same tables as the serial path would (each is deterministic),
and a value the parent already holds is kept (``memo`` returns the held entry).  If the worker
fails, is killed, stalls (alive without using CPU for :data:`STALL_SECONDS` while the parent
waits: a lock a fork left behind) or its result cannot be read, nothing is adopted and the report
computes the pieces itself (serially), as without a worker.  The worker runs OpenMP with one
thread (GNU OpenMP's thread pool does not survive a fork; see :func:`_one_openmp_thread`).  ``tests/test_prefetch.py`` checks that the
report's tables are the same with and without it.

When it runs (``jobs``, the ``--jobs`` option of ``graphcrm run``): ``jobs=1`` never; ``jobs``
of 2 or more always when it can; ``None`` (the default) when the process may use two CPUs, one
of them is idle (1-minute load average below the CPUs minus one half: with the second core busy
the worker only takes CPU from the main chain, see :func:`_busy`) and the community has at most
:data:`MAX_OWNERS` owners (at 1,000,000 owners the worker's own
windows and influence graphs would add gigabytes beside a process that already holds ~9 GB).
In every case it needs ``fork`` (Linux, macOS) and more memory available
(``MemAvailable``) than the process holds now plus :data:`HEADROOM_BYTES` (the worker may in
the worst case copy all of it); otherwise it is skipped with a log line.  The worker dies with
its parent (``PR_SET_PDEATHSIG`` on Linux) and :meth:`Prefetch.close` ends it on any error or
Ctrl-C, so no process is left behind.
"""
from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from graphcrm.errors import GraphCRMError

log = logging.getLogger("graphcrm.report")

#: with ``jobs=None``: the largest community (owners) for which the worker is started
MAX_OWNERS = 300_000
#: memory that must be available beyond what the process holds when the worker is started
HEADROOM_BYTES = 1 << 30
#: a worker alive that used no CPU this long while the parent waits is taken as stuck and ended
STALL_SECONDS = 30.0


def _cpu_ticks(pid: int) -> int | None:
    """utime + stime of process ``pid`` in clock ticks (None when unknown)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _meminfo(field: str) -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        return None
    return None


def _rss() -> int | None:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return None


def _busy() -> bool:
    """Whether no CPU is idle: the 1-minute load average (this process counts about 1) is within
    half a CPU of the usable CPUs.  A second process then takes its CPU from the main chain:
    measured at 100k with another session's job on the second core (load 2.2-3.1), the pipeline
    took 72-75 s with the worker and 63-71 s without (docs/benchmarks.md, stop 23)."""
    try:
        return os.getloadavg()[0] > usable_cpus() - 0.5
    except OSError:  # pragma: no cover - no load average
        return False


def should_start(n_owners: int, jobs: int | None) -> tuple[bool, str]:
    """Whether a worker is started for a community of ``n_owners`` with ``jobs``, and why not."""
    import multiprocessing as mp

    if jobs is not None and int(jobs) < 1:
        from graphcrm.errors import ConfigError

        raise ConfigError(f"jobs must be 1 or more, got {jobs!r}")
    if jobs is not None and int(jobs) == 1:
        return False, "jobs=1"
    if jobs is None and usable_cpus() < 2:
        return False, "one CPU"
    if jobs is None and n_owners > MAX_OWNERS:
        return False, f"{n_owners:,} owners > {MAX_OWNERS:,} (--jobs 2 to force)"
    if jobs is None and _busy():
        return False, f"no idle CPU (load average {os.getloadavg()[0]:.1f} on {usable_cpus()} CPUs; --jobs 2 to force)"
    if "fork" not in mp.get_all_start_methods():
        return False, "no fork on this platform"
    avail, rss = _meminfo("MemAvailable"), _rss()
    if avail is not None and rss is not None and avail < rss + HEADROOM_BYTES:
        return False, f"{avail / 2**30:.1f} GiB available, the process holds {rss / 2**30:.1f} GiB"
    return True, ""


def _recorder(community: Any, names: set[str], into: list) -> None:
    """In the worker only: compute the cache entries named ``names`` without holding or keeping
    them (no store is touched) and record ``(name, key, value)`` into ``into``; other entries
    go through the community's cache as usual."""
    from graphcrm.results import cache_key

    orig = community.memo
    done: dict[str, Any] = {}  # computed here: a later call of this worker reads it again

    def memo(name: str, options: dict, compute: Callable[[], Any], *, key: str | None = None) -> Any:
        if name not in names:
            return orig(name, options, compute, key=key)
        k = cache_key(name, options) if key is None else key
        if k in done:
            return done[k]
        short = name.removeprefix("result:")
        if community.memoized(short, options) and cache_key(short, options) == k:
            return orig(name, options, compute, key=key)  # the parent holds it already
        value = compute()
        done[k] = value
        into.append((name, k, value))
        return value

    community.memo = memo  # this process's copy of the community; the worker then exits


#: the report's pieces a worker can compute (see the module docstring)
PIECES = ("earlier_kocs", "backtest")


def _analysis_tasks(cg: Any, community: Any, since: Any, until: Any,
                    analyses: Sequence[tuple[str, Mapping[str, Any]]]) -> list[tuple]:
    """(community, entry names, call, {entry name: its cache key}) per analysis: the key of the
    result the call keeps, so that a step asking for another entry of the same name (``kocs``'
    staff-inclusive referral credit is ``referral_attribution`` with other options) neither waits
    for nor takes this task."""
    from graphcrm import analyses as registry
    from graphcrm.results import result_key

    tasks: list[tuple] = []
    for name, options in analyses:
        opts = dict(options)
        try:
            keys = {f"result:{name}": result_key(registry.function(name), opts)}
        except (GraphCRMError, TypeError, KeyError):  # not a declared analysis: matched by name only
            keys = {}
        tasks.append((community, {f"result:{name}", *_SHARED.get(name, ())},
                      lambda name=name, opts=opts: getattr(cg, name)(since=since, until=until, **opts), keys))
    return tasks


#: intermediates an analysis computes that other analyses of the job read too, recorded with it
#: (the drifting owners' core is the report's movement tables' core as well)
_SHARED: dict[str, tuple[str, ...]] = {"drifting_owners": ("movement:core",)}


def _tasks(cg: Any, *, since: Any, until: Any, seed: int, ambassadors_k: int, pieces: Sequence[str] = PIECES,
           analyses: Sequence[tuple[str, Mapping[str, Any]]] = (),
           then: Sequence[tuple[str, Mapping[str, Any]]] = ()) -> list[tuple]:
    """The analyses asked for (``analyses`` first, then the pieces with the report's options, then
    the analyses of ``then``), each with its options: (community, cache entry names recorded, call,
    {entry name: cache key} where the key is known)."""
    import inspect

    community = cg.community(since, until)
    # first: the parent waits for these before its own call
    tasks: list[tuple] = _analysis_tasks(cg, community, since, until, analyses)
    bad = sorted(set(pieces) - set(PIECES))
    if bad:
        from graphcrm.errors import ConfigError

        raise ConfigError(f"unknown report piece(s) {bad}; pieces are {', '.join(PIECES)}")
    if "earlier_kocs" in pieces:
        from graphcrm.algorithms.movement import earlier_kocs
        from graphcrm.reports.html import MOVEMENT_OPTIONS

        accepted = inspect.signature(earlier_kocs).parameters
        mopts = {k: v for k, v in MOVEMENT_OPTIONS.items() if k in accepted}
        tasks.append((community, {"movement:kocs_then"}, lambda: earlier_kocs(community, **mopts), {}))
    if "backtest" in pieces:
        from graphcrm.algorithms.backtest import backtest

        full = cg.community()
        k = min(int(ambassadors_k), 50)  # as the report's backtest section
        from graphcrm.results import result_key

        tasks.append((full, {"result:backtest"}, lambda: backtest(full, k=k, seed=int(seed)),
                      {"result:backtest": result_key(backtest, {"k": k, "seed": int(seed)})}))
    return tasks + _analysis_tasks(cg, community, since, until, then)


def _spill(folder: str | None, i: int, out: list) -> str | None:  # pragma: no cover - runs in the forked process
    """Write a task's results to a file of ``folder`` (pickled; written under a temporary name,
    then renamed, so the parent never reads half a file); its path, or None when it cannot be
    written (no folder, disk full: the results then go through the pipe)."""
    if folder is None:
        return None
    import pickle

    path = os.path.join(folder, f"task-{i}.pkl")
    try:
        with open(path + ".part", "wb") as fh:
            pickle.dump(out, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(path + ".part", path)
    except (OSError, pickle.PicklingError):
        try:
            os.unlink(path + ".part")
        except OSError:
            pass
        return None
    return path


def _worker(conn: Any, other_end: Any, tasks: list, folder: str | None = None) -> None:  # pragma: no cover - runs in the forked process
    code = 0
    try:
        other_end.close()  # the parent's reading end: with the parent gone, a send fails instead of waiting
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it ends this process
        _die_with_parent()
        _one_openmp_thread()
        _no_store(tasks)
        for i, (community, names, call, *_) in enumerate(tasks):
            if not _claim(folder, i):  # the parent took this task before it began here: skip it
                conn.send(("task", [], []))
                continue
            got: list = []
            _recorder(community, names, got)
            try:
                call()
            except Exception as exc:  # noqa: BLE001 - the parent computes it again and sees the error
                conn.send(("task", [], [f"{type(exc).__name__}: {str(exc)[:200]}"]))
                continue
            # one message per task: the parent adopts a result as soon as it is needed.  The
            # results go to a file and the message carries its path: a pipe holds 64 KiB, so a
            # result sent through it blocked this process until the parent read it, which it does
            # only between its steps (measured: the first worker idle ~4 s of the 100k job while
            # the parent ran kocs); the pipe stays the way when the file cannot be written
            out = [(i, name, key, value) for name, key, value in got]
            path = _spill(folder, i, out)
            conn.send(("task", out, []) if path is None else ("task-file", path, []))
            del out, got
        conn.send(("ok", [], []))
    except BaseException as exc:  # noqa: BLE001
        code = 1
        try:
            conn.send(("error", [], [f"{type(exc).__name__}: {str(exc)[:200]}"]))
        except BaseException:  # noqa: BLE001
            pass
    finally:
        try:
            conn.close()
        finally:
            os._exit(code)  # no atexit, no finalizers of the parent's objects (the store's connection)


def _claim(folder: str | None, i: int) -> bool:
    """Take task ``i`` for the process that calls this: True for the first of the worker and the
    parent to ask (it computes the task), False for the other.  One file created with
    ``O_CREAT | O_EXCL`` in the worker's results folder, which the file system grants to exactly
    one caller.  The worker claims each task as it begins it; the parent claims a task when a step
    needs its result before the worker has begun it (:meth:`Prefetch.adopt`), computes it itself
    and the worker skips it.  Without a folder the worker runs every task, as before claims."""
    if folder is None:
        return True
    try:
        os.close(os.open(os.path.join(folder, f"claim-{i}"), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return False
    except OSError:  # the folder is gone (the parent closed the worker): nothing to take
        return False
    return True


def _no_store(tasks: list) -> None:  # pragma: no cover - runs in the forked process
    """The worker never reads or writes kept results: the store's connection belongs to the
    parent (a forked DuckDB connection that commits takes the file's lock from the parent, whose
    next kept result then fails: seen when the drifting owners' levels were kept from a worker)."""
    for community, *_ in tasks:  # this process's copies: results are held in memory, as without a store
        if getattr(community, "_results_store", None) is not None:
            community._results_store = None


def _one_openmp_thread() -> None:  # pragma: no cover - runs in the forked process
    """GNU OpenMP is not fork-safe: igraph's PageRank (PRPACK) runs an OpenMP team, and a forked
    child that enters one with the parent's thread pool waits forever for threads that were not
    forked (measured: the 100k pipeline's worker hung in ``gomp_team_barrier_wait_end``).  With
    one thread per team the pool is not used.  PRPACK with two threads is not deterministic
    anyway (its sums in another order from run to run: up to 3e-17 apart on a 100,000-node
    graph, exactly the same with one thread), so a one-thread PageRank is within the spread of
    two serial runs."""
    import ctypes

    try:
        with open("/proc/self/maps") as fh:
            libs = sorted({line.split()[-1] for line in fh if "libgomp" in line or "libomp" in line})
    except OSError:
        return
    for path in libs:
        try:
            ctypes.CDLL(path).omp_set_num_threads(1)
        except (OSError, AttributeError):
            pass


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked process
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Prefetch:
    """A running worker (see the module docstring); :meth:`adopt` its results, :meth:`close` it."""

    def __init__(self, process: Any, conn: Any, communities: list[Any], names: list[set[str]] | None = None,
                 folder: str | None = None, keys: list[dict[str, str]] | None = None):
        self.process = process
        self._conn = conn
        self._folder = folder  # where the worker writes its results (removed by close)
        self._communities = communities
        self._names = names if names is not None else [set() for _ in communities]
        # per task, the cache key of an entry it records when known (an analysis's result)
        self._keys = keys if keys is not None else [{} for _ in self._names]
        self._received = 0  # tasks whose message arrived (the worker sends one per task, in order)
        self._taken: set[int] = set()  # tasks this process claimed before the worker began them
        self.adopted: list[str] = []
        self.claimed: list[str] = []  # the cache entries of the tasks this process took (computes itself)
        self.errors: list[str] = []
        self._done = False

    def _records(self, i: int, name: str, key: str | None) -> bool:
        """Whether task ``i`` records entry ``name`` (under ``key``, when both are known)."""
        if name not in self._names[i]:
            return False
        known = self._keys[i].get(name)
        return key is None or known is None or known == key

    def adopt(self, need: str | None = None, *, key: str | None = None) -> list[str]:
        """Wait for the worker and put its results into the parent's cache; return the names
        adopted so far (empty if the worker failed: the steps then compute them themselves).

        ``need`` (a cache entry name, e.g. ``"result:ambassadors"``): wait only until every task
        that records it is done (their results are adopted, the worker goes on with the rest).
        A task that records it and that the worker has not begun yet is taken instead (see
        :func:`_claim`): the caller then computes that result itself, at once, rather than
        waiting for the tasks queued before it in the worker; it never waits longer than
        without the worker.  ``key``: only the tasks that record ``need`` under this cache key
        (when a task's key is known).  None: wait for all of them and end the worker."""
        if not self._done:
            if need is None:
                last = len(self._names) - 1
            else:
                self.ready()  # what is done already is taken in, not claimed
                last = -1
                for i, names in enumerate(self._names):
                    if not self._records(i, need, key) or i < self._received or i in self._taken or self._done:
                        continue
                    if self._folder is not None and _claim(self._folder, i):
                        self._taken.add(i)
                        self.claimed.extend(sorted(names))
                    else:  # the worker has begun it: wait for it
                        last = i
            while not self._done and self._received <= last:
                self._take()
        if need is None or self._done:
            self._finish()
        return self.adopted

    def provides(self, name: str, key: str | None = None) -> bool:
        """Whether a task not received yet, and not taken by this process, records cache entry
        ``name`` (under ``key``, when given and the task's key is known)."""
        return not self._done and any(self._records(i, name, key) for i in range(self._received, len(self._names))
                                      if i not in self._taken)

    def ready(self) -> list[str]:
        """Adopt what the worker has already sent, without waiting; the names adopted so far."""
        while not self._done and self._conn_poll():
            self._take()
        if self._done:
            self._finish()
        return self.adopted

    def _conn_poll(self) -> bool:
        try:
            return bool(self._conn.poll(0))
        except (OSError, EOFError, ValueError):
            return True  # _take sees the error

    def _take(self) -> None:
        """Receive one message and adopt its results (a task's, or the end)."""
        try:
            status, out, errors = self._receive()
        except (EOFError, OSError, TimeoutError, ValueError) as exc:
            self.errors.append(f"the worker ended without a result ({type(exc).__name__}: {exc})")
            self._done = True
            return
        self.errors.extend(errors)
        if status == "task-file":  # the task's results, in a file of the worker's folder
            status, out = "task", self._read_spilled(out)
        if status == "task":
            self._received += 1
        else:  # "ok": all sent; "error": the worker failed outside a task
            self._done = True
        for i, name, key, value in out:
            c = self._communities[i]
            type(c).memo(c, name, {}, lambda value=value: value, key=key)  # not an on-demand wrapper (Ahead)
            self.adopted.append(name)

    def _read_spilled(self, path: str) -> list:
        """The results a worker wrote to ``path`` (removed once read); none when the file cannot
        be read (the steps then compute those results themselves)."""
        import pickle

        try:
            with open(path, "rb") as fh:
                return pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            self.errors.append(f"a result of the worker could not be read ({type(exc).__name__})")
            return []
        finally:
            try:
                os.unlink(path)
            except OSError:
                pass

    def _finish(self) -> None:
        if not self._done:
            self._done = True
        if self.errors and not getattr(self, "_logged", False):
            self._logged = True
            log.info("report prefetch: %s (computed in this process instead)", "; ".join(self.errors))
        self.close()

    def _receive(self) -> tuple:
        """The worker's message; TimeoutError when it is alive but used no CPU for
        :data:`STALL_SECONDS` (stuck on a lock a fork left behind: it is ended, the parent
        computes instead), EOFError when it ended without one."""
        last, since = _cpu_ticks(self.process.pid), 0.0
        while not self._conn.poll(1.0):
            if not self.process.is_alive():
                if self._conn.poll(0):
                    break
                raise EOFError("the worker exited")
            now = _cpu_ticks(self.process.pid)
            since = 0.0 if now is None or now != last else since + 1.0
            last = now
            if since >= STALL_SECONDS:
                self.process.kill()
                raise TimeoutError(f"no CPU used for {STALL_SECONDS:g} s")
        return self._conn.recv()

    def close(self) -> None:
        """End the worker if it still runs (after an error or Ctrl-C) and reap it."""
        try:
            self._conn.close()
        except OSError:  # pragma: no cover
            pass
        p = self.process
        if p.is_alive():
            p.terminate()
            p.join(5)
            if p.is_alive():  # pragma: no cover - ignores SIGTERM
                p.kill()
        p.join()
        if self._folder is not None:  # results not adopted (an error, Ctrl-C): never left on disk
            import shutil

            shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> "Prefetch":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def start(cg: Any, *, since: Any = None, until: Any = None, seed: int = 0, ambassadors_k: int = 30,
          jobs: int | None = None, pieces: Sequence[str] = PIECES,
          analyses: Sequence[tuple[str, Mapping[str, Any]]] = (),
          then: Sequence[tuple[str, Mapping[str, Any]]] = ()) -> Prefetch | None:
    """Start the worker computing the report's independent pieces for a report with these
    options (``cg.report(..., since=since, until=until, seed=seed, ambassadors_k=ambassadors_k)``);
    None when it is not started (``jobs``, CPUs, size, memory, platform: see the module docstring).

    Parameters
    ----------
    cg : graphcrm.CommunityGraph
        The community.  For ``"earlier_kocs"`` its ``circles`` should have run (the earlier KOCs
        bridge with today's circles; the worker computes them itself otherwise).
    since, until, seed, ambassadors_k
        The report's options.
    pieces : sequence of str, default :data:`PIECES`
        Which of the report's pieces: ``"earlier_kocs"``, ``"backtest"``.
    analyses : sequence of (name, options), optional
        Analyses to compute too, as ``getattr(cg, name)(since=since, until=until, **options)``
        (e.g. ``("ambassadors", {"k": 30, "seed": 0})``: the call the parent will make, so that
        it finds the result); computed first.
    then : sequence of (name, options), optional
        Analyses computed after the pieces, as ``analyses``.
    jobs : int, optional
        Processes to use: 1 = no worker; 2 or more = a worker when the platform and memory
        allow; None = as 2 when two CPUs are usable and the community has at most
        :data:`MAX_OWNERS` owners.

    Returns
    -------
    Prefetch or None
        Call :meth:`Prefetch.adopt` before the report, :meth:`Prefetch.close` on the way out.

    Raises
    ------
    ConfigError
        ``jobs`` below 1.

    Example
    -------
    >>> pf = start(cg, seed=0, ambassadors_k=30)          # doctest: +SKIP
    >>> try:                                              # doctest: +SKIP
    ...     ...                                           # the other analyses
    ...     _ = pf.adopt() if pf else None
    ...     cg.report("report.html", seed=0, ambassadors_k=30)
    ... finally:
    ...     pf and pf.close()
    """
    import multiprocessing as mp

    community = cg.community(since, until)
    ok, why = should_start(len(community.owner_ids), jobs)
    if not ok:
        log.info("report prefetch not started: %s", why)
        return None
    tasks = _tasks(cg, since=since, until=until, seed=seed, ambassadors_k=ambassadors_k, pieces=pieces,
                   analyses=analyses, then=then)
    if not tasks:
        return None
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    folder = _results_folder()
    proc = ctx.Process(target=_worker, args=(send, recv, tasks, folder), name="graphcrm-report-prefetch",
                       daemon=True)
    import gc

    gc.freeze()  # the worker's collector leaves the inherited objects alone: fewer copy-on-write pages
    try:
        proc.start()
    except BaseException:
        if folder is not None:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        gc.unfreeze()
    send.close()  # the parent's copy: the worker's end is the only writer
    return Prefetch(proc, recv, [t[0] for t in tasks], [set(t[1]) for t in tasks], folder=folder,
                    keys=[dict(t[3]) if len(t) > 3 else {} for t in tasks])


#: the name of a worker's results folder begins with this, then the job's process id
FOLDER_PREFIX = "graphcrm-prefetch-"


def _results_folder() -> str | None:
    """A new private folder (mode 0700, in the system's temporary directory) for a worker's
    results, or None when none can be made (the results then go through the pipe).  Folders left
    by a job that was killed before it could remove them (``kill -9``, a power cut) go first."""
    import tempfile

    _remove_stale_folders(tempfile.gettempdir())
    try:
        return tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-")
    except OSError:
        return None


def _remove_stale_folders(root: str) -> list[str]:
    """Remove this user's results folders in ``root`` whose job's process no longer exists (the
    process id is in the name); the paths removed.  A folder whose process id now belongs to
    another process is kept (removed by a later job)."""
    import shutil

    removed: list[str] = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    uid = os.getuid() if hasattr(os, "getuid") else None
    for entry in entries:
        if not entry.name.startswith(FOLDER_PREFIX):
            continue
        pid = entry.name[len(FOLDER_PREFIX):].split("-", 1)[0]
        try:
            if not pid.isdigit() or not entry.is_dir(follow_symlinks=False):
                continue
            if uid is not None and entry.stat(follow_symlinks=False).st_uid != uid:
                continue
        except OSError:
            continue
        if _alive(int(pid)):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(entry.path)
    return removed


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (signal 0: nothing is sent)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's), or cannot tell: keep its folder
    return True


def results_kept(cg: Any) -> bool:
    """Whether ``cg``'s store keeps results this process will read back instead of computing
    (kept results for the current data, and ``$GRAPHCRM_FRESH`` not set): a worker is then of no use."""
    from graphcrm.community import fresh_results

    kept = getattr(getattr(cg, "store", None), "result_cache", None)
    if kept is None or fresh_results():
        return False
    try:
        return len(kept()) > 0
    except Exception:  # noqa: BLE001 - a store that cannot say: assume nothing is kept
        return False


class Ahead:
    """The weekly job's use of a second process (``graphcrm run``, ``bench/pipeline_bench.py``).

    After the ``community`` step a worker computes, in this order, ``ambassadors`` (with the
    options the job's own step uses), ``contribution`` and ``owner_levels``, the drifting owners
    (their core is the report's movement tables' core too), the four referral analyses
    (``referral_chains``, ``referral_attribution``, ``top_referrers``, ``referral_issues``), the
    report's backtest, the new-owner cohorts and the event regulars: all need only the tables;
    it runs beside ``kocs`` and ``circles``.  After ``kocs`` (having taken in what the first one
    sent, the core among them) a second one computes ``volunteer_candidates`` (the job's call and
    the targets' ``validate=False`` one), the earlier period's KOCs and the report's movement
    tables (``movement``, ``rising_stars``, ``level_transitions``), beside the steps up to the
    report; above :data:`MAX_OWNERS` owners the tables come first (:meth:`tables_first`).  These read today's circles as the cached partition that ``kocs`` computed (the
    ``circle`` column of ``circles()``, not its table), so they need not wait for the ``circles``
    step.

    Each worker sends each result as soon as it is done (pickled to a file of a private temporary
    folder, the message carrying only its path, so that a worker never waits for the parent to
    read: the folder is removed by :meth:`close`).  The parent waits for a result only when
    it asks for it, and only for a task the worker has begun: while a worker is running, the
    community's cache (:meth:`Community.memo`, wrapped on the instance) first waits for and
    adopts a missing entry that a worker's begun task records, takes a task the worker has not
    begun and computes it itself (:meth:`Prefetch.adopt`, :func:`_claim`), then looks it up as
    usual; every step also takes in, without waiting, what is
    already there.  So the steps run in any order, and the report waits section by section, not
    for everything at its start.  Nothing starts when the store keeps results for this data
    (:func:`results_kept`) or :func:`should_start` says no.

    Example
    -------
    >>> ahead = Ahead(cg, seed=0, ambassadors_k=30, ambassadors_options={"k": 30, "seed": 0})  # doctest: +SKIP
    >>> try:                                                     # doctest: +SKIP
    ...     ahead.after("community")
    ...     for name, opts in steps:
    ...         ahead.before(name); getattr(cg, name)(**opts); ahead.after(name)
    ...     ahead.before("report"); cg.report("r.html", seed=0, ambassadors_k=30)
    ... finally:
    ...     ahead.close()
    """

    #: the first worker's analyses before the backtest and after it: (analysis, options; ``lang``
    #: added where the analysis takes it), the calls of the job's steps, ``targets`` and the report
    #: the four referral analyses need only the tables too: in the first worker they leave the
    #: main chain (about 2.5 s of the 100k job, where the first worker is done long before the
    #: parent asks for them; docs/benchmarks.md, "The workers' results through files")
    #: (after the drifting owners: their core should be done when the second worker is forked)
    EARLY: tuple[tuple[str, dict], ...] = (("contribution", {}), ("owner_levels", {}), ("drifting_owners", {}),
                                           ("referral_chains", {}), ("referral_attribution", {}), ("top_referrers", {}),
                                           ("referral_issues", {}))
    # after the backtest: the report sections' table-only calls (reports/html.py, TABLE_ONLY_CALLS)

    def __init__(self, cg: Any, *, since: Any = None, until: Any = None, seed: int = 0, ambassadors_k: int = 30,
                 jobs: int | None = None, ambassadors_options: Mapping[str, Any] | None = None, lang: str = "en"):
        self.cg, self.since, self.until, self.seed, self.k, self.jobs = cg, since, until, seed, ambassadors_k, jobs
        self.lang = lang
        self.ambassadors_options = dict(ambassadors_options) if ambassadors_options is not None else None
        self.early: Prefetch | None = None
        self.late: Prefetch | None = None
        self.active = True
        self._wrapped: list[Any] = []

    def _start(self, **kw: Any) -> Prefetch | None:
        p = start(self.cg, since=self.since, until=self.until, seed=self.seed, ambassadors_k=self.k,
                  jobs=self.jobs, **kw)
        if p is not None:
            for c in p._communities:
                self._wrap(c)
        return p

    def _wrap(self, community: Any) -> None:
        """Make ``community.memo`` wait for a worker that will send the entry asked for."""
        if any(c is community for c in self._wrapped):
            return
        from graphcrm.results import cache_key

        orig, pid, ahead = type(community).memo, os.getpid(), self

        def memo(name: str, options: dict, compute: Callable[[], Any], *, key: str | None = None) -> Any:
            if os.getpid() == pid:  # never in a worker (it inherits this wrapper with the fork)
                k = cache_key(name, options) if key is None else key
                if k not in community._memo:
                    for p in ahead._workers():
                        if p.provides(name, k):
                            p.adopt(name, key=k)
            return orig(community, name, options, compute, key=key)

        def pending(names: Any) -> bool:
            if os.getpid() != pid:
                return False
            workers = ahead._workers()
            for p in workers:
                p.ready()  # take in what is done: no wait
            return any(p.provides(n) for p in workers for n in names)

        community.memo = memo
        community.pending = pending
        self._wrapped.append(community)

    def _lang(self, name: str, opts: Mapping[str, Any]) -> dict:
        import inspect

        o = dict(opts)
        if "lang" in inspect.signature(getattr(self.cg, name)).parameters:
            o.setdefault("lang", self.lang)
        return o

    def _workers(self) -> list[Prefetch]:
        return [p for p in (self.early, self.late) if p is not None]

    def after(self, step: str, *, run: Callable[[str, Callable[[], Any]], Any] | None = None) -> None:
        """Call after each step of the job.  Then the report's pieces of :meth:`in_process` for
        that step are computed in this process, each through ``run(label, compute)`` when given
        (bench/pipeline_bench.py records each as a step of its own), else called."""
        for p in self._workers():
            p.ready()  # what is done already: no wait
        if step == "community":
            self.active = not results_kept(self.cg)
            if self.active:
                from graphcrm.reports.html import TABLE_ONLY_CALLS

                amb = [("ambassadors", self.ambassadors_options)] if self.ambassadors_options is not None else []
                self.early = self._start(pieces=("backtest",),
                                         analyses=amb + [(n, self._lang(n, o)) for n, o in self.EARLY],
                                         then=[(n, self._lang(n, o)) for n, o in TABLE_ONLY_CALLS])
        elif step == "kocs" and self.active:
            from graphcrm.reports.html import MOVEMENT_OPTIONS

            vol = {"seed": self.seed, "lang": self.lang}
            mov = {**MOVEMENT_OPTIONS, "lang": self.lang}
            vols = [("volunteer_candidates", vol), ("volunteer_candidates", {**vol, "validate": False})]
            tables = [("movement", mov), ("rising_stars", mov), ("level_transitions", mov)]
            if self.tables_first():
                # the worker's longest chain first: the report waits for the tables at its end,
                # and the job's volunteers step, which comes earlier, takes the volunteers' tasks
                # itself while the worker is still on the tables (Prefetch.adopt)
                self.late = self._start(pieces=("earlier_kocs",), then=tables + vols)
            else:
                self.late = self._start(pieces=("earlier_kocs",), analyses=vols, then=tables)

        for label, compute in self.in_process(step):
            try:
                if run is None:
                    compute()
                else:
                    run(label, compute)
            except GraphCRMError as exc:
                # a piece the data cannot carry (no timed activity to backtest, ...): the report's
                # section computes it again and says why (unavailable), as without the job
                log.info("report piece %s computed ahead: %s", label, exc)

    def tables_first(self) -> bool:
        """Whether the second worker computes the movement tables before the volunteers: for a
        community of more than :data:`MAX_OWNERS` owners (where only ``--jobs 2`` starts workers).

        Measured (docs/benchmarks.md, "The second worker's order, and no wait for a task a worker
        has not begun (stop 32)"): at 100,000 demo owners the worker's whole queue (volunteers
        5.6 s, tables 6.3 s) is shorter than what the main process does after ``kocs``, so the
        volunteers go first and are done when the job's step asks for them; tables first made the
        job 3.6-4.6 s slower there (two runs each), the step then waiting for the volunteers the
        worker had just begun.  At 1,000,000 the queue (volunteers ~110 s, tables ~260 s) is longer
        than the main chain after ``kocs``: with the volunteers first the report waited 173-215 s
        for the tables; with the tables first that wait is gone and the volunteers step computes
        them instead (83-89 s), the whole job level with the previous order's last run (692-697
        against 680 s, the machine's speed drifting by more than that within the sitting)."""
        return len(self.cg.community(self.since, self.until).owner_ids) > MAX_OWNERS

    def in_process(self, step: str) -> list[tuple[str, Callable[[], Any]]]:
        """The report's pieces this process computes right after ``step`` (label, call), where
        the job holds what they read or holds least: after ``circle_profiles`` the ties between
        the drawn circles (:meth:`circle_ties`); after ``ambassadors``, unless a worker computes
        them, the report's backtest (:meth:`backtest`) and its movement tables
        (:meth:`movement_tables`; last, so that the movement core and the activity log they
        leave in the cache serve ``contribution``, ``owner_levels`` and ``targets``).  In a job
        of one process the report computed them after ``targets``, on top of everything the job
        then held: at 1,000,000 demo owners the movement tables (+3.3 GB, the earlier period's
        KOCs among them) and the backtest (+2.2 GB) made the report's peak."""
        out: list[tuple[str, Callable[[], Any]]] = []
        if step == "circle_profiles":
            out.append(("report:circle_ties", self.circle_ties))
        if step == "ambassadors" and self.early is None:
            out.append(("report:backtest", self.backtest))
        if step == "ambassadors" and self.late is None:
            out.append(("report:movement", self.movement_tables))
        return out

    def backtest(self) -> Any:
        """The report's backtest (the whole history, ``k`` = min(ambassadors k, 50), the job's
        seed) in this process: the call the first worker makes with ``--jobs 2``."""
        from graphcrm.algorithms.backtest import backtest

        return backtest(self.cg.community(), k=min(int(self.k), 50), seed=int(self.seed))

    def movement_tables(self) -> None:
        """The earlier period's KOCs and the report's movement tables (``movement``,
        ``rising_stars``, ``level_transitions`` with :data:`graphcrm.reports.html.MOVEMENT_OPTIONS`),
        in this process: the calls the second worker makes with ``--jobs 2``; the report finds
        them in the cache (the tables kept with the results)."""
        import inspect

        from graphcrm.algorithms.movement import earlier_kocs
        from graphcrm.reports.html import MOVEMENT_OPTIONS

        accepted = inspect.signature(earlier_kocs).parameters
        earlier_kocs(self.cg.community(self.since, self.until),
                     **{k: v for k, v in MOVEMENT_OPTIONS.items() if k in accepted})
        for name in ("movement", "rising_stars", "level_transitions"):
            getattr(self.cg, name)(since=self.since, until=self.until, **self._lang(name, MOVEMENT_OPTIONS))

    def circle_ties(self) -> bool:
        """The report's ties between its drawn circles, in this process, while the projections
        they are counted from are still held (:func:`graphcrm.reports.html.circle_ties_ahead`;
        with or without a worker): at 1,000,000 demo owners the report built both projections
        again after ``targets`` for them (+1.7 GB there)."""
        from graphcrm.reports.html import circle_ties_ahead

        return circle_ties_ahead(self.cg, since=self.since, until=self.until, seed=self.seed, lang=self.lang)

    #: the intermediates each step of the job and the steps after it read again (computed by an
    #: earlier step), by the step about to run, up to ``ambassadors``: the memo drops them last
    #: when its budget forces drops (:meth:`Community.expect`).  Above the budget (1,000,000 demo
    #: owners) the combined graph was built three times (``kocs``, ``circles``,
    #: ``circle_profiles``) and the cleaned referrals twice (``kocs``, ``referral_chains``).  Not
    #: into ``ambassadors`` and after it: what is held into ``ambassadors`` (the job's highest
    #: peak, 8 GiB at 1M) must not grow.  tests/test_memo_plan.py derives this table from what
    #: the steps read and checks it (docs/benchmarks.md, "The memo told the job's plan (stop 34)").
    READ_LATER: dict[str, tuple[str, ...]] = {
        "kocs": ("circle_partition", "clean_referrals", "combined_graph"),
        "circles": ("circle_partition", "clean_referrals", "combined_graph", "interest_tags"),
        "circle_profiles": ("clean_referrals", "combined_graph", "interest_tags"),  # then report:circle_ties
        "referral_chains": ("clean_referrals",),
        "referral_attribution": ("clean_referrals",),
        "top_referrers": ("clean_referrals",),
        "referral_issues": ("clean_referrals",),
    }

    def before(self, step: str) -> None:
        """Call before each step of the job (``"report"`` before the report): takes in what the
        workers have sent (the steps' own calls wait for what they read), and tells the
        community's memo what the steps after this one read again (:data:`READ_LATER`)."""
        for p in self._workers():
            p.ready()
        # the job's community (built by its ``community`` step), not built here if it is not yet
        community = getattr(self.cg, "_community_cache", {}).get((str(self.since), str(self.until)))
        if community is not None:
            community.expect(self.READ_LATER.get(step, ()))

    @property
    def adopted(self) -> list[str]:
        return [n for p in self._workers() for n in p.adopted]

    @property
    def claimed(self) -> list[str]:
        """The cache entries of the workers' tasks this process took before they began (and
        computed itself)."""
        return [n for p in self._workers() for n in p.claimed]

    def close(self) -> None:
        """End any worker still running (after an error or Ctrl-C too) and unwrap the caches."""
        for p in self._workers():
            p.close()
        for c in self._wrapped:
            c.__dict__.pop("memo", None)
            c.__dict__.pop("pending", None)
        self._wrapped = []
