"""CLI command ``graphcrm kocs``: key opinion consumers, with the reason for each."""
from __future__ import annotations

import click

from graphcrm.commands.options import analysis_options, emit, given, handle_errors, library_option, open_cg, parse_pairs


@click.command("kocs")
@analysis_options(top=20)
@click.option("--weights", default=None, metavar="C=W,...",
              help="Component weights, e.g. reach=0.3,engagement=0.25,authority=0.2,conversion=0.15,bridging=0.1.")
@library_option("--half-life", "half_life", type=float, library=("kocs", "half_life_days"),
                help="Engagement half-life in days (0 = no time decay).")
@library_option("--min-engagers", type=float, library=("kocs", "min_distinct_engagers"),
                help="Independent engagers needed for engagement to count.")
@library_option("--min-days", type=int, library=("kocs", "min_distinct_days"),
                help="Distinct days with engagement needed for engagement to count.")
@library_option("--closed-discount", type=float, library=("kocs", "closed_group_discount"),
                help="Discount of engagement from a closed mutual group (like ring).")
@library_option("--bridging", type=click.Choice(["count", "entropy"]), library=("kocs", "bridging"),
                help="Bridging as distinct circles of the audience, or exp(entropy) of it.")
@click.option("--include-staff", is_flag=True, help="Rank staff too (left out by default).")
@handle_errors
def kocs_cmd(store, since, until, top, fmt, lang, segment, weights, half_life, min_engagers, min_days,
             closed_discount, bridging, include_staff) -> None:
    """Key opinion consumers: reach, engagement, authority, conversion and bridging, with a reason.

    Engagement from a closed group that mostly engages with itself (a like ring) is discounted,
    and engagement counts only from enough distinct owners on enough distinct days.
    """
    opts = given(weights=parse_pairs(weights, "--weights") or None, min_distinct_engagers=min_engagers,
                 min_distinct_days=min_days, closed_group_discount=closed_discount, bridging=bridging)
    if half_life is not None:
        opts["half_life_days"] = half_life or None  # 0 = no decay
    df = open_cg(store).kocs(since=since, until=until, segment=segment, include_staff=include_staff,
                             top=None if segment is not None else (top or None), lang=lang, **opts)
    emit(df, fmt, top=top)


def register(group: click.Group) -> None:
    """Add ``kocs`` to the ``graphcrm`` command group."""
    group.add_command(kocs_cmd)
