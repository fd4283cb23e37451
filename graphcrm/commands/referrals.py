"""CLI command ``graphcrm referrals``: referral chains, trees, attribution, the referrer board and
the integrity findings."""
from __future__ import annotations

import click

from graphcrm.commands.options import (analysis_options, emit, given, handle_errors, library_option, note, open_cg,
                                      parse_floats)


def _listed(values: tuple[float, ...]) -> str:
    return ",".join(f"{v:g}" for v in values)


@click.command("referrals")
@analysis_options(top=20)
@click.option("--check", is_flag=True, help="Print the referral integrity findings instead.")
@click.option("--view", type=click.Choice(["chains", "trees", "longest", "attribution", "board"]), default="chains",
              show_default=True,
              help="chains: per owner; trees: largest chains; longest: deepest chains; attribution: "
                   "multi-level credit; board: top referrers of a period (overall, growers, per region).")
@library_option("--decay", library=("referral_attribution", "decay"), shown=_listed,
                help="Attribution credit per level, direct first, comma-separated.")
@library_option("--period", library=("top_referrers", "period"),
                help="Board period: week, month, quarter, year or <n>d.")
@click.option("--as-of", "as_of", default=None, metavar="DATE", help="Board: a day in the period to report.")
@library_option("--growers", type=int, library=("top_referrers", "growers"), help="Board: fastest growers listed.")
@library_option("--per-region", type=int, library=("top_referrers", "per_region"), help="Board: entries per region.")
@handle_errors
def referrals_cmd(store, since, until, top, fmt, lang, segment, check, view, decay, period, as_of, growers,
                  per_region) -> None:
    """Referral chains on the cleaned graph, attribution, the referrer board, or --check findings.

    Cleaning: self-referrals dropped, cycles broken at their latest claim, double claims resolved
    first-touch; staff are never credited and referrals dated after the delivery never convert.
    """
    from graphcrm.algorithms import referrals as R
    from graphcrm.segments import restrict

    cg = open_cg(store)
    community = cg.community(since, until)
    if check:
        df = cg.referral_issues(since=since, until=until, segment=segment, lang=lang)
        counts = df["kind"].value_counts()
        summary = ", ".join(f"{k} {counts[k]}" for k in df["kind"].unique())
        note((f"{len(df)} findings" + (f": {summary}" if summary else "")) if lang == "en"
             else f"共 {len(df)} 条问题" + (f"：{summary}" if summary else ""), fmt)
        emit(df, fmt, top=top)
        return
    credit = given(decay=parse_floats(decay, "--decay") if decay is not None else None)
    if view == "chains":
        df = cg.referral_chains(since=since, until=until, segment=segment, lang=lang)
    elif view in ("trees", "longest"):
        df = R.referral_trees(community, sort="size" if view == "trees" else "depth",
                              top=None if segment is not None else (top or None), lang=lang)
        if segment is not None:
            df = restrict(df, segment.owner_ids(community))
    elif view == "attribution":
        df = cg.referral_attribution(since=since, until=until, segment=segment, lang=lang, **credit)
    else:
        # -n is the length of the overall list (0: the library's)
        df = cg.top_referrers(since=since, until=until, segment=segment, as_of=as_of, lang=lang, **credit,
                              **given(period=period, top=top or None, growers=growers, per_region=per_region))
        emit(df, fmt)
        return
    emit(df, fmt, top=top)


def register(group: click.Group) -> None:
    """Add ``referrals`` to the ``graphcrm`` command group."""
    group.add_command(referrals_cmd)
