"""CLI command ``graphcrm regulars``: owners who come back to events month after month."""
from __future__ import annotations

import click

from graphcrm.commands.options import analysis_options, emit, given, handle_errors, library_option, open_cg


@click.command("regulars")
@analysis_options(top=20)
@library_option("--min-months", type=int, library=("event_regulars", "min_months"),
                help="Distinct months with an event checked in that make a regular.")
@handle_errors
def regulars_cmd(store, since, until, top, fmt, lang, segment, min_months) -> None:
    """Event regulars: owners ranked by the distinct months they came to events (hosts and
    volunteers to recruit), with events attended and led and when they last came."""
    df = open_cg(store).event_regulars(since=since, until=until, segment=segment, lang=lang,
                                       **given(min_months=min_months))
    emit(df, fmt, top=top)


def register(group: click.Group) -> None:
    """Add ``regulars`` to the ``graphcrm`` command group."""
    group.add_command(regulars_cmd)
