"""CLI commands ``graphcrm run`` (the weekly job in one process) and ``graphcrm cache``
(the results kept in the embedded store)."""
from __future__ import annotations

import inspect
import os
import time
from pathlib import Path

import click

from graphcrm.errors import AnalysisError, StoreError

from graphcrm.commands.options import (
    handle_errors,
    lang_option,
    library_default,
    library_option,
    open_cg,
    store_option,
    window_options,
)

#: the library functions whose defaults the weekly job's options take (nothing restated here)
REPORT = "graphcrm.reports.html:build_report"

#: the analyses of the weekly job, in order, with the options they run with (``seed`` added);
#: the report and ``targets`` then reuse what these computed (the community's one cache)
WEEKLY: tuple[tuple[str, dict], ...] = (
    ("kocs", {}),
    ("circles", {"seed": None}),
    ("circle_profiles", {}),
    ("referral_chains", {}),
    ("referral_attribution", {}),
    ("top_referrers", {}),
    ("referral_issues", {}),
    ("ambassadors", {"seed": None}),
    ("volunteer_candidates", {"seed": None}),
    ("contribution", {}),
    ("owner_levels", {}),
)


def _steps(folder: Path | None, write_back: str | None) -> list[str]:
    names = (["load"] if folder is not None else []) + ["community"] + [n for n, _ in WEEKLY] + ["targets", "report"]
    return names + (["write-back"] if write_back else [])


@click.command("run")
@click.argument("folder", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="TOML mapping for the load (see docs/data-contract.md).")
@click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where the load writes rejected rows (default ./graphcrm-rejects.csv).")
@library_option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), library=(REPORT, "path"),
                help="The HTML report to write (its CSV tables go next to it).")
@library_option("--ambassadors", "-k", "ambassadors_k", type=click.IntRange(min=1), library=(REPORT, "ambassadors_k"),
                help="Number of ambassadors to pick (the report's, the targets' and the ambassadors step's).")
@click.option("--write-back", "write_back", default=None, metavar="CAMPAIGN",
              help="Write the targets back to the store under this campaign name (label Target).")
@library_option("--seed", type=int, library=(REPORT, "seed"), help="Seed of the random parts.")
@click.option("--fresh", is_flag=True, help="Recompute every result instead of reusing those kept in the store "
                                            "for the same data and options.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar per step (default: on a terminal only).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Processes: 1 = all in this one; 2 = ambassadors, levels, the drifting owners, "
                   "volunteers, the report's backtest and movement tables in second processes beside the other steps "
                   "(same results). Default: 2 when two CPUs "
                   "are usable, one is idle (load average) and the community has at most 300,000 owners.")
@store_option
@window_options
@lang_option
@handle_errors
def run_cmd(folder: Path | None, mapping: Path | None, rejects_path: Path | None, output: Path | None,
            ambassadors_k: int | None, write_back: str | None, seed: int | None, fresh: bool, progress: bool | None,
            jobs: int | None, store: str | None, since: str | None, until: str | None, lang: str) -> None:
    """The weekly job in one process: load FOLDER (if given), run every analysis, the targets
    and the report, and optionally write the targets back.

    Each result is computed once: the report and the targets reuse the analyses run before
    them, and on the embedded store every result is kept keyed by the data version (bumped by
    each load) and the options, so running the job again on unchanged data, or ``graphcrm
    report`` afterwards, reuses them (--fresh recomputes).  Prints the seconds of each step; a
    step the data cannot carry (no owner flagged as a volunteer) is printed as skipped with its
    reason and the job goes on, as a report section the data cannot carry says why.

    With --jobs 2 (the default with an idle second CPU, up to 300,000 owners) work that needs only
    the tables runs in a second process beside the other steps: ambassadors, contribution,
    levels, the drifting owners and the report's backtest from the start; the volunteer
    candidates, the report's earlier-period KOC ranks and movement tables after the circles
    step; each step waits only for the result it reads (graphcrm.reports.prefetch: same
    results; serial if that process fails or stalls).
    """
    from graphcrm.community import FRESH_ENV
    from graphcrm.progress import steps

    # options not given take the report's defaults (read from the library, not restated): the
    # ambassadors step, the targets and the report must use the same k and seed to share results
    output = Path(library_default(REPORT, "path")) if output is None else output
    ambassadors_k = library_default(REPORT, "ambassadors_k") if ambassadors_k is None else ambassadors_k
    seed = library_default(REPORT, "seed") if seed is None else seed
    if fresh:
        os.environ[FRESH_ENV] = "1"  # this process only: every community recomputes and replaces
    cg = open_cg(store)
    names = _steps(folder, write_back)
    timings: list[tuple[str, float, str]] = []
    prefetch = None
    with steps(names, desc="weekly job", progress=progress) as step:
        def timed(name: str, fn) -> object:
            step(name)
            t = time.perf_counter()
            out = fn()
            timings.append((name, time.perf_counter() - t, _size(out)))
            return out

        def analysis(name: str, fn) -> object:
            # an analysis the data cannot carry (no volunteers, no referrals, ...) is skipped
            # with its reason, as the targets and the report do: the weekly job goes on
            t = time.perf_counter()
            try:
                return timed(name, fn)
            except AnalysisError as exc:
                from graphcrm.i18n import error_text, pick

                note = pick(lang, en="skipped: ", zh="已跳过：") + error_text(exc, lang)
                timings.append((name, time.perf_counter() - t, note))
                return None

        def piece(name: str, fn) -> object:  # a report piece computed after a step: counted in that step's time
            t = time.perf_counter()
            out = fn()
            last, seconds, size = timings[-1]
            timings[-1] = (last, seconds + time.perf_counter() - t, size)
            return out

        if folder is not None:
            rep = timed("load", lambda: cg.load(folder, mapping=mapping, rejects_path=rejects_path, progress=False))
            click.echo(rep.format(lang))
        timed("community", lambda: cg.community(since, until))
        from graphcrm.reports.prefetch import Ahead

        ahead = Ahead(cg, since=since, until=until, seed=seed, ambassadors_k=ambassadors_k, jobs=jobs,
                      ambassadors_options=_options(cg, "ambassadors", dict(WEEKLY)["ambassadors"], seed, ambassadors_k,
                                                   lang), lang=lang)
        try:
            ahead.after("community")  # a second process for work that needs only the tables (--jobs)
            for name, opts in WEEKLY:
                o = _options(cg, name, opts, seed, ambassadors_k, lang)

                def call(name=name, o=o) -> object:
                    ahead.before(name)  # the ambassadors step waits for the second process's result
                    return getattr(cg, name)(since=since, until=until, **o)

                analysis(name, call)
                ahead.after(name, run=piece)  # the report's pieces this process computes here
            def targets() -> object:
                ahead.before("targets")  # takes in what the second processes sent (drifting owners, volunteers)
                return cg.targets(since=since, until=until, ambassadors_k=ambassadors_k, seed=seed, lang=lang)

            tg = timed("targets", targets)

            def report() -> Path:
                ahead.before("report")  # waits for the second process (counted in the report's seconds)
                return cg.report(output, lang=lang, since=since, until=until, seed=seed, ambassadors_k=ambassadors_k)

            path = timed("report", report)
        finally:
            ahead.close()  # after an error or Ctrl-C too: no process left behind
        if write_back:
            from graphcrm.algorithms.targeting import collapse_targets

            timed("write-back", lambda: cg.write_results(collapse_targets(tg, lang=lang), name="targets",
                                                         label="Target", campaign=write_back))
    total = sum(s for _, s, _ in timings)
    for name, seconds, size in timings:
        click.echo(f"{name:22s} {seconds:8.2f} s  {size}")
    click.echo(f"{'total':22s} {total:8.2f} s; report written to {path}")


def _options(cg, name: str, opts: dict, seed: int, ambassadors_k: int, lang: str) -> dict:
    """The options the weekly job's step ``name`` runs with (``seed`` filled in, ``k`` for
    ambassadors, ``lang`` where the analysis takes it)."""
    o = {k: (seed if v is None else v) for k, v in opts.items()}
    if name == "ambassadors":
        o["k"] = ambassadors_k
    if "lang" in inspect.signature(getattr(cg, name)).parameters:
        o.setdefault("lang", lang)
    return o


def _size(out: object) -> str:
    n = getattr(out, "shape", None)
    if n is not None:
        return f"{n[0]:,} rows"
    if isinstance(out, int):
        return f"{out:,} written"
    return ""


@click.command("cache")
@click.option("--clear", is_flag=True, help="Drop every kept result.")
@store_option
@handle_errors
def cache_cmd(clear: bool, store: str | None) -> None:
    """The analysis results kept in the embedded store (reused by the next command on the same
    data and options; any load drops them).  --clear drops them now."""
    cg = open_cg(store)
    if hasattr(cg.store, "exists") and not cg.store.exists():
        from graphcrm.stores.duckdb_store import missing_store_message

        raise StoreError(missing_store_message(cg.store.uri))
    kept = getattr(cg.store, "result_cache", None)
    if kept is None:
        click.echo(f"{cg.store.uri} keeps no results (only the embedded store does)")
        return
    if clear:
        n = cg.store.clear_result_cache()
        click.echo(f"dropped {n:,} kept result(s) from {cg.store.uri}")
        return
    df = kept()
    click.echo(f"{len(df):,} result(s) kept in {cg.store.uri} for data version {cg.store.data_version()}, "
               f"{int(df['bytes'].sum()) if len(df) else 0:,} bytes")
    import json as _json

    for row in df.itertuples():
        *_, since, until, key = _json.loads(row.key)  # [version, (revision,) since, until, key]
        name = key.split("{", 1)[0]
        window = "" if since == until == "None" else f" (since {since}, until {until})"
        click.echo(f"  {name}{window}: {int(row.bytes):,} bytes, {row.created_at}")


def register(group: click.Group) -> None:
    """Add ``run`` and ``cache`` to the ``graphcrm`` command group."""
    group.add_command(run_cmd)
    group.add_command(cache_cmd)
