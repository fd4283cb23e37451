"""Shared click options and helpers for every ``graphcrm`` command (imported by graphcrm.cli and
the command modules, so that neither imports the other)."""
from __future__ import annotations

import functools
import json
import sys
from typing import TYPE_CHECKING, Any, Callable

import click

import graphcrm
from graphcrm.errors import GraphCRMError
from graphcrm.stores import DEFAULT_STORE

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

STORE_HELP = (
    f"Store: a file path (embedded DuckDB, default ./{DEFAULT_STORE}; env GRAPHCRM_STORE overrides) "
    "or bolt://host:7687, neo4j://host:7687, neo4j+s://host (credentials from GRAPHCRM_NEO4J_USER / "
    "GRAPHCRM_NEO4J_PASSWORD or the config file, never from the command line)."
)


# -- shared options -------------------------------------------------------------------
def store_option(f: Callable) -> Callable:
    return click.option("--store", "store", default=None, metavar="URI", help=STORE_HELP)(f)


def window_options(f: Callable) -> Callable:
    f = click.option("--until", default=None, metavar="DATE", help="Only activity up to this date (inclusive).")(f)
    f = click.option("--since", default=None, metavar="DATE", help="Only activity from this date on.")(f)
    return f


def top_option(default: int | None = 20) -> Callable:
    def deco(f: Callable) -> Callable:
        # -n / --top is always "rows shown"; -k / --k is always "how many to pick" (ambassadors,
        # backtest): one name per concept across the commands (docs/architecture.md)
        return click.option("--top", "-n", "top", type=int, default=default, show_default=True,
                            help="How many rows to show (0 = all).")(f)
    return deco


def format_option(f: Callable) -> Callable:
    return click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
                        show_default=True, help="Output format.")(f)


def lang_option(f: Callable) -> Callable:
    return click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
                        help="Language of reason texts and headings.")(f)


def handle_errors(f: Callable) -> Callable:
    """Turn library errors into ``click.ClickException`` (exit code 1)."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except GraphCRMError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


def open_cg(store: str | None) -> "graphcrm.CommunityGraph":
    return graphcrm.open(store)


def open_community(store: str | None, since: str | None, until: str | None) -> "graphcrm.Community":
    return open_cg(store).community(since, until)


def emit(df: pd.DataFrame, fmt: str = "table", *, top: int | None = None, file=None) -> None:
    """Print a frame as an aligned table, CSV (formula-safe, see :mod:`graphcrm.files`) or JSON
    records (``top`` rows; 0/None = all)."""
    import pandas as pd

    out = file or sys.stdout
    if top:
        df = df.head(top)
    if fmt == "csv":
        from graphcrm.files import write_csv

        write_csv(df, out)  # formula-safe: text cells a spreadsheet would run get a leading '
    elif fmt == "json":
        records = json.loads(df.to_json(orient="records", date_format="iso", force_ascii=False))
        click.echo(json.dumps(records, ensure_ascii=False, indent=1), file=out)
    else:
        if not len(df):
            click.echo("(no rows)", file=out)
            return
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 250,
                               "display.max_colwidth", 80, "display.unicode.east_asian_width", True):
            click.echo(df.to_string(index=False), file=out)


