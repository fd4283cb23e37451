"""The ``graphcrm`` command line: thin click commands over the library.

Library errors (:class:`~graphcrm.errors.GraphCRMError`) become ``click.ClickException`` (exit
code 1).  Shared options are decorators of :mod:`graphcrm.commands.options`: ``analysis_options``
(store, window, rows shown, format, language, segment, output in one piece), ``library_option``
(an option whose default is the library's), and the single ones (``store_option`` ...).  The
commands themselves live in :mod:`graphcrm.commands`, one module per topic.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import click

import graphcrm

from graphcrm.commands.options import (  # noqa: F401  (re-exported for command modules and tests)
    STORE_HELP,
    GraphCRMGroup,
    emit,
    format_option,
    given,
    handle_errors,
    lang_option,
    library_default,
    library_option,
    open_cg,
    output_option,
    open_community,
    store_option,
    top_option,
    verbosity_options,
    window_options,
)


#: the library function behind ``graphcrm demo``: its defaults are the options' defaults
DEMO = "graphcrm.demo:write_demo"


# -- commands ---------------------------------------------------------------------------
@click.group(cls=GraphCRMGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(graphcrm.__version__, prog_name="graphcrm")
@verbosity_options
def cli() -> None:
    """graphcrm: owner-community graph analytics (KOCs, circles, referrals, ambassadors, volunteers).

    Start with `graphcrm demo`, then `graphcrm info`.  Load your own exports with `graphcrm load FOLDER`.
    """


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="TOML file mapping your headers and values onto the contract (see docs/data-contract.md).")
@click.option("--encoding", default=None, help="CSV encoding (default: detect UTF-8, UTF-8 with BOM, or GB18030/GBK).")
@click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write rejected rows (default ./graphcrm-rejects.csv; never an input file). "
                   "A load with no rejects removes an earlier rejects file there.")
@store_option
@lang_option
@handle_errors
def load(path: Path, mapping: Path | None, encoding: str | None, rejects_path: Path | None, store: str | None,
         lang: str = "en") -> None:
    """Validate and load a folder of CSV/Parquet exports (or one table file).

    Prints, per table, rows read / loaded / rejected and where the rejects file is.
    Loading is idempotent and incremental: rows with an existing key update it.
    """
    cg = open_cg(store)
    report = cg.load(path, mapping=mapping, encoding=encoding, rejects_path=rejects_path)
    click.echo(report.format(lang))


@cli.command()
@store_option
@format_option
@output_option
@handle_errors
def info(store: str | None, fmt: str) -> None:
    """Rows and date range per table, and the size of each graph projection."""
    import pandas as pd

    cg = open_cg(store)
    df = cg.info()  # a missing store is refused here, before anything is printed
    if fmt == "table":
        click.echo(f"store: {cg.store.uri}")
    for c in ("first", "last"):
        df[c] = df[c].map(lambda v: "" if pd.isna(v) else str(pd.Timestamp(v).date()))
    df["edges"] = df["edges"].map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
    if fmt == "table":
        df["rows"] = df["rows"].map(lambda v: f"{int(v):,}")
    emit(df, fmt)


@cli.command()
@library_option("--owners", "n_owners", type=click.IntRange(min=1000), library=(DEMO, "n_owners"),
                help="Number of owners to generate.")
@library_option("--seed", type=int, library=(DEMO, "seed"), help="Random seed (same seed, same community).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("graphcrm-demo"),
              show_default=True, help="Folder to write the demo CSV files to (the data contract's format).")
@click.option("--interactions-per-owner", "interactions_per_owner", type=click.FloatRange(min=0, min_open=True),
              default=None, help="About this many interactions per owner (default about 10; e.g. 20).")
@store_option
@handle_errors
def demo(n_owners: int | None, seed: int | None, out_dir: Path, store: str | None, interactions_per_owner: float | None = None) -> None:
    """Generate the demo community (a NIO-like owner community), load it and print what was loaded."""
    from graphcrm.demo import write_demo
    from graphcrm.files import check_output_dir

    if not (out_dir / "demo_truth.json").exists():  # an earlier demo folder is rewritten, real exports never
        check_output_dir(out_dir, what="--out")
    truth = write_demo(out_dir, **given(n_owners=n_owners, seed=seed), interactions_per_owner=interactions_per_owner)
    n_owners = n_owners or library_default(DEMO, "n_owners")
    seed = library_default(DEMO, "seed") if seed is None else seed
    click.echo(f"demo community with {n_owners:,} owners written to {out_dir}/ (seed {seed})")
    cg = open_cg(store)
    report = cg.load(out_dir)
    click.echo(report.format())
    click.echo("next: graphcrm info | graphcrm kocs | graphcrm ambassadors -k 30 | graphcrm report")


@cli.command()
@click.argument("kind", type=click.Choice(["referrals", "interactions", "coattendance"]))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Output file: .graphml or .gexf (networkx), .csv (edge list with owner ids).")
@store_option
@window_options
@handle_errors
def export(kind: str, output: Path, store: str | None, since: str | None, until: str | None) -> None:
    """Export a graph projection (for Gephi, networkx or a spreadsheet), vertices named by owner_id."""
    import pandas as pd

    from graphcrm.projections import to_networkx

    from graphcrm.files import atomic_output, check_output_path, store_files, write_csv

    suffix = output.suffix.lower()
    if suffix not in (".csv", ".graphml", ".gexf"):
        raise click.ClickException(f"unknown output format {suffix!r}: use .graphml, .gexf or .csv")
    cg = open_cg(store)
    protect = store_files(cg.store)
    check_output_path(output, what="--output", protect=protect, input_check=suffix != ".csv")  # before the work
    g = cg.graph(kind, since=since, until=until)
    if suffix == ".csv":
        names = g.vs["name"]
        edges = pd.DataFrame([(names[e.source], names[e.target], *[e[a] for a in g.es.attributes()]) for e in g.es],
                             columns=["source", "target", *g.es.attributes()])
        write_csv(edges, output, what="--output", protect=protect, encoding="utf-8")
    else:
        import networkx as nx

        from graphcrm.algorithms.exports import to_networkx as with_context  # owner attributes on nodes, layer/weight on edges

        G = with_context(cg.community(since, until), kind)
        for _, _, d in G.edges(data=True):
            for k, v in list(d.items()):
                if not isinstance(v, (int, float, str, bool)):
                    d[k] = str(v)
        G.graph = {k: v for k, v in G.graph.items() if isinstance(v, (int, float, str, bool))}
        with atomic_output(output, what="--output") as tmp:
            (nx.write_graphml if suffix == ".graphml" else nx.write_gexf)(G, tmp)
    click.echo(f"{kind} graph: {g.vcount():,} owners, {g.ecount():,} edges written to {output}")


# --- registered commands ---
# Commands live in graphcrm/commands/: every module there with a register(group) function adds
# its commands (a new command is a new module, nothing to edit here).  Importing them is light:
# they import pandas and the analyses inside the commands (tests/test_import_weight.py).
def _register_commands(group: click.Group) -> None:
    import importlib
    import pkgutil

    import graphcrm.commands as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"graphcrm.commands.{info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(group)


_register_commands(cli)
# --- end registered commands ---


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """On the command line, graphcrm's own warnings are one plain line (not a source location)."""
    from graphcrm.stores.bolt_store import StoreWarning

    if issubclass(category, StoreWarning):
        click.echo(f"Warning: {message}", err=True)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


_default_showwarning = warnings.showwarning


def main() -> None:
    warnings.showwarning = _show_warning
    cli(prog_name="graphcrm")


if __name__ == "__main__":  # pragma: no cover
    main()
