"""CLI commands ``graphcrm movement`` (who moved between two periods) and ``graphcrm owner ID``
(one owner's story)."""
from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from graphcrm.commands.options import (analysis_options, emit, given, handle_errors, lang_option, library_option, note,
                                      open_cg, output_path, store_option, summary_of, window_options)

#: --table choice -> analysis function name
TABLES = {
    "owners": "movement",
    "transitions": "level_transitions",
    "rising": "rising_stars",
    "drifting": "drifting_owners",
    "cohort": "new_owner_cohort",
}

_HEAD = {
    "transitions": ("Level transitions (per level then: moved up / held / moved down)", "等级变化（按期初等级：升级/保持/降级）"),
    "rising": ("Rising stars (largest KOC rank gains with enough activity to be real)", "新星（KOC 排名上升最多且活跃度足够）"),
    "drifting": ("Drifting owners (high past contribution, falling activity)", "流失风险车主（过往贡献高、活跃度下降）"),
    "cohort": ("New owners' first 90 days, by join month", "新车主前 90 天（按加入月份）"),
}


OWNER = "graphcrm.algorithms.owner:owner_profile"


def grace_option(library: str) -> Callable[[Callable], Callable]:
    """``--grace-days``: the grace period of a level downgrade (movement and owner share it)."""
    return library_option("--grace-days", type=click.FloatRange(min=0), library=(library, "grace_days"),
                          help="A level drops only after the record stayed below it this many days (0 = no grace).")


@click.command("movement")
@analysis_options(top=15)
@library_option("--period", library=("movement", "period"),
                help="Length of each period: 30D, 4W, 1M (30 days), 1Q (91 days) or a number of days.")
@click.option("--as-of", "as_of", default=None, metavar="DATE",
              help="End of the current period (default: the latest data).")
@grace_option("movement")
@library_option("--circles/--no-circles", "compare_circles", library=("movement", "compare_circles"),
                shown=lambda v: "--circles" if v else "--no-circles",
                help="Find the earlier period's circles too (circle then/now; the costliest step on a large "
                     "community). --no-circles skips it: circle_then -1, earlier KOC ranks on today's circles.")
@click.option("--table", "which", type=click.Choice(["summary", *TABLES]), default="summary", show_default=True,
              help="Which table: summary (all four, for the terminal) or one of them (for --format csv/json).")
@handle_errors
def movement_cmd(store, since, until, top, fmt, lang, segment, period, as_of, grace_days, compare_circles,
                 which) -> None:
    """Who moved between two periods of the same length (default: the last 30 days vs the 30 before).

    Per owner: level then and now (level downgrades wait the grace period), KOC rank, circle and
    activity then and now.  The summary shows the level transition matrix, rising stars, drifting
    owners and the new owners' first 90 days; --table owners|transitions|rising|drifting|cohort
    prints one table in full (-n rows; 0 = all).  With a segment (--city ...), the per-owner
    tables keep the segment's owners; the transition matrix and the cohort are the whole community's.
    """
    cg = open_cg(store)
    common = {**given(period=period, as_of=as_of, grace_days=_days(grace_days), compare_circles=compare_circles),
              "lang": lang}
    opts = {
        "movement": common, "level_transitions": common, "rising_stars": common, "drifting_owners": common,
        "new_owner_cohort": {**given(as_of=as_of), "lang": lang},
    }

    def run(name: str, **kw):
        return getattr(cg, name)(since=since, until=until, segment=segment, **opts[name], **kw)

    if which != "summary":
        name = TABLES[which]
        df, det = run(name, details=True)
        if hasattr(det, "label"):
            note(_header(det, lang), fmt)
        emit(df, fmt, top=top if which != "transitions" else None, summary=summary_of(det))
        return
    if fmt != "table" or output_path() is not None:
        raise click.UsageError("--format csv/json and -o write one table: add --table owners|transitions|rising|drifting|cohort")
    t, det = run("level_transitions", details=True)
    click.echo(_header(det, lang))
    zh = lang == "zh"
    click.echo(("升级 {u:,}，保持 {h:,}（宽限期保留 {g:,}），降级 {d:,}，新加入 {n:,}" if zh else
                "moved up {u:,}, held {h:,} ({g:,} by the grace period), moved down {d:,}, new {n:,}")
               .format(u=det.moved_up, h=det.held, g=det.held_by_grace, d=det.moved_down, n=det.new))
    for key, name in (("transitions", "level_transitions"), ("rising", "rising_stars"),
                      ("drifting", "drifting_owners"), ("cohort", "new_owner_cohort")):
        df = t if key == "transitions" else run(name)
        click.echo("")
        click.echo(_HEAD[key][1 if zh else 0] + (f"  [{len(df):,}]" if key in ("rising", "drifting") else ""))
        show = df.drop(columns=["reason"]) if key in ("transitions", "cohort") else df
        emit(show, "table", top=None if key in ("transitions", "cohort") else top)
    click.echo("")
    click.echo("全部车主明细：graphcrm movement --table owners" if zh
               else "every owner: graphcrm movement --table owners (-n 0 for all rows; --format csv)")


def _days(days: float | None) -> float | int | None:
    """A whole number of days as an int: the same cache key as the library's default."""
    return None if days is None else (int(days) if float(days).is_integer() else float(days))


def _header(det, lang: str) -> str:
    zh = lang == "zh"
    return ((f"对比：{det.label()}（每期 {det.period_days:g} 天）\n宽限期：{det.grace_rule}") if zh else
            (f"periods: {det.label()} ({det.period_days:g} days each)\ngrace period: {det.grace_rule}"))


@click.command("owner")
@click.argument("owner_id")
@store_option
@window_options
@lang_option
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the profile as a small self-contained HTML page.")
@click.option("--show-names", is_flag=True, default=False,
              help="Show the owner's name on the terminal (and in --html). Never shown otherwise.")
@library_option("--targets/--no-targets", "with_targets", library=(OWNER, "include_targets"),
                shown=lambda v: "--targets" if v else "--no-targets",
                help="List the programs the owner is targeted for (runs the targeting, the slowest part).")
@grace_option(OWNER)
@library_option("--seed", type=int, library=(OWNER, "seed"), help="Seed of the targeting models.")
@handle_errors
def owner_cmd(owner_id, store, since, until, lang, html_path, show_names, with_targets, grace_days, seed) -> None:
    """Everything graphcrm knows about one owner: level and next step, contribution by kind, KOC rank
    and components, circle, referral chain, findings, programs and a month-by-month timeline.

    Names stay out unless --show-names is given (shown on a terminal only, and in --html).
    An unknown id is an error that suggests close ids.
    """
    from graphcrm.algorithms.owner import owner_profile

    cg = open_cg(store)
    if html_path is not None:
        from graphcrm.files import check_output_path, store_files

        check_output_path(html_path, what="--html", protect=store_files(cg.store))
    community = cg.community(since, until)
    profile = owner_profile(community, owner_id, show_names=show_names, lang=lang,
                            **given(grace_days=_days(grace_days), include_targets=with_targets, seed=seed))
    on_terminal = sys.stdout.isatty()
    if show_names and not on_terminal:
        click.echo("note: --show-names shows names on a terminal only; the output is not a terminal", err=True)
    click.echo(profile.to_text(show_names=show_names and on_terminal))
    if html_path is not None:
        from graphcrm.files import atomic_output
        from graphcrm.reports.owner import owner_html

        with atomic_output(html_path, what="--html") as tmp:
            tmp.write_text(owner_html(profile, show_names=show_names), encoding="utf-8")
        click.echo(f"profile written to {html_path}")


def register(group: click.Group) -> None:
    """Add ``movement`` and ``owner`` to the ``graphcrm`` group."""
    for cmd in (movement_cmd, owner_cmd):
        group.add_command(cmd)


__all__ = ["register", "movement_cmd", "owner_cmd"]
