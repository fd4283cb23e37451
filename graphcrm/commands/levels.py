"""CLI command ``graphcrm levels``: owner levels and what each owner needs for the next one."""
from __future__ import annotations

import click

from graphcrm.commands.options import analysis_options, emit, handle_errors, library_option, note, open_cg


@click.command("levels")
@analysis_options(top=20)
@library_option("--half-life", "half_life", type=float, library=("owner_levels", "half_life_days"),
                help="Half-life of the time decay of points, in days (0 = no decay).")
@handle_errors
def levels_cmd(store, since, until, top, fmt, lang, segment, half_life) -> None:
    """Owner levels (buyer > member > fan > advocate > companion) from fixed thresholds on
    time-decayed contribution points, with what each owner needs for the next level.
    """
    opts = {} if half_life is None else {"half_life_days": half_life or None}  # 0 = no decay
    df = open_cg(store).owner_levels(since=since, until=until, segment=segment, lang=lang, **opts)
    counts = df.groupby(["level_rank", "level_name"]).size().sort_index(ascending=False)
    head = "等级人数：" if lang == "zh" else "owners per level: "
    note(head + ", ".join(f"{name} {n:,}" for (_, name), n in counts.items()), fmt)
    emit(df, fmt, top=top)


def register(group: click.Group) -> None:
    """Add ``levels`` to the ``graphcrm`` command group."""
    group.add_command(levels_cmd)
