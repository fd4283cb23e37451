"""``graphcrm backtest`` and ``graphcrm spread``: would our picks have beaten the obvious ones?"""
from __future__ import annotations

from pathlib import Path

import click

from graphcrm.commands.options import emit, format_option, handle_errors, open_cg, store_option, window_options
from graphcrm.commands.options import given, library_option, output_option, summary_of


def _note(text: str, fmt: str) -> None:
    """Human notes go to stdout with a table, to stderr with csv/json (keeps those parseable); not with --quiet."""
    from graphcrm.commands.options import note

    note(text, fmt)


def _at_value(at: str | None):
    """``--at`` is a date, or a share of the time span such as 0.7."""
    if at is None:
        return None
    try:
        share = float(at)
    except ValueError:
        return at
    if not 0 < share < 1:
        from graphcrm.errors import ConfigError

        raise ConfigError(f"--at {at}: give a date (YYYY-MM-DD) or a share of the time span between 0 and 1")
    return share


@click.command("backtest")
@store_option
@window_options
@click.option("--at", "at", default=None, metavar="DATE|SHARE",
              help="Split time T: a date, or a share of the time span (default 0.7: pick on the first 70%, "
                   "count reach on the rest).")
@library_option("-k", "--k", "k", type=click.IntRange(min=1), library=("backtest", "k"),
                help="Owners each method picks.")
@click.option("--picks", "picks_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Your own picks to test too (CSV with owner_id, or one id per line).")
@click.option("--methods", default=None, metavar="LIST",
              help="Comma-separated methods (default: ambassadors:wc, ambassadors:exp, ambassadors:learned, "
                   "kocs, out_degree, pagerank, recent_engagers, random; picks is added with --picks). Also "
                   "available: credit (the credit-distribution model) and auto (learned or credit, "
                   "chosen by an inner backtest before T).")
@click.option("--window-days", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Count reach only this many days after T (default: to the end of the data).")
@library_option("--max-hops", type=click.IntRange(min=0), library=("backtest", "max_hops"),
                shown=lambda d: "0 (no limit)" if d is None else str(d),
                help="Longest exposure chain counted as reach (0 = no limit).")
@library_option("--bootstrap", type=click.IntRange(min=0), library=("backtest", "bootstrap"),
                help="Owner-bootstrap replicates for the 95% intervals (0 = none).")
@library_option("--seed", type=int, library=("backtest", "seed"), help="Random seed.")
@click.option("--ceiling", is_flag=True, default=False,
              help="Add a row 'hindsight': the most owners any k eligible owners would have reached, found "
                   "knowing the period after T (exact by an integer program, 60 s limit; else the best set found "
                   "and a proven bound). The room there was, not a method.")
@format_option
@output_option
@handle_errors
def backtest_cmd(store, since, until, at, k, picks_file, methods, window_days, max_hops, bootstrap, seed,
                 ceiling, fmt) -> None:
    """Backtest: pick k owners per method on the history before T, count whom each set reached after T.

    Reach = owners who engaged with a pick's posts, checked in at events a pick organised or
    hosted, or were referred by a pick after T, plus owners reached further down such chains
    (later than the link before them), each counted once, the picks themselves not counted.
    Columns: method, k, reach, reach_low, reach_high (95% bootstrap), direct_reach,
    ratio_to_best_baseline, ratio_low, ratio_high, active_picks, seconds.  With --ceiling a
    last row, hindsight: the best k picks knowing what happened after T (never a baseline).
    """
    from graphcrm.algorithms.backtest import backtest, format_summary
    from graphcrm.commands.ambassadors import read_id_file

    picks = read_id_file(picks_file) if picks_file else None
    mlist = [m.strip() for m in methods.split(",") if m.strip()] if methods else None
    community = open_cg(store).community(since, until)
    df, info = backtest(community, at=_at_value(at), methods=mlist, picks=picks, window_days=window_days,
                        details=True, **given(k=k, bootstrap=bootstrap, seed=seed),
                        **({} if max_hops is None else {"max_hops": max_hops or None}),
                        **({"ceiling": True} if ceiling else {}))
    _note(format_summary(df, info), fmt)
    if info.ceiling is not None:
        _note(ceiling_sentence(df, info), fmt)
    if info.unknown_picks:
        _note(f"{len(info.unknown_picks)} of your picks are not owners of this community", fmt)
    emit(df, fmt, summary=summary_of(info))


def ceiling_sentence(df, info) -> str:
    """The plain reading of the ``hindsight`` row of a ``backtest(..., ceiling=True)`` result.

    "Our picks" are your ``--picks`` when given, else the ambassadors default model's picks.

    Example
    -------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> df = pd.DataFrame({"method": ["out_degree", "ambassadors:learned", "hindsight"], "k": [2, 2, 2],
    ...                    "reach": [40, 44, 50], "ratio_to_best_baseline": [1.0, 1.1, 1.25]})
    >>> info = SimpleNamespace(best_baseline="out_degree", ceiling={"optimal": True, "upper": 50.0})
    >>> print(ceiling_sentence(df, info))
    With hindsight, the best 2 owners would have reached 50 (the best simple method reached 40: 1.25x); our picks (ambassadors:learned) reached 44.
    """
    from graphcrm.algorithms.influence import DEFAULT_PROBABILITY

    by = df.set_index("method")
    h = by.loc["hindsight"]
    ceil = info.ceiling
    k_asked = int(df.loc[df["method"] != "hindsight", "k"].max()) if (df["method"] != "hindsight").any() else int(h["k"])
    n = max(k_asked, int(h["k"]))
    reach = f"{int(h['reach']):,}" if ceil["optimal"] else \
        f"at least {int(h['reach']):,} and at most {int(ceil['upper']):,}"
    text = f"With hindsight, the best {n:,} owners would have reached {reach}"
    best = info.best_baseline
    if best and best in by.index:
        text += f" (the best simple method reached {int(by.loc[best, 'reach']):,}: {h['ratio_to_best_baseline']:.2f}x)"
    ours = "picks" if "picks" in by.index else f"ambassadors:{DEFAULT_PROBABILITY}"
    if ours in by.index:
        who = "your picks" if ours == "picks" else f"our picks ({ours})"
        text += f"; {who} reached {int(by.loc[ours, 'reach']):,}"
    text += "."
    if not ceil["optimal"] and ceil.get("stopped"):
        text += f" (Not proven optimal: {ceil['stopped']}.)"
    return text


#: the library function whose defaults ``graphcrm spread`` shows and uses
SPREAD = "graphcrm.algorithms.influence:spread"


@click.command("spread")
@store_option
@window_options
@click.option("--seeds", "seeds_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="Owners to evaluate (CSV with owner_id, or one id per line).")
@library_option("--probability", type=click.Choice(["learned", "wc", "exp", "credit"]), library=(SPREAD, "probability"),
                shown=lambda d: "the ambassadors default" if d is None else str(d),
                help="Influence model: learned from the history, weighted cascade, 1-exp(-lam*weight), or "
                     "credit (the credit model's own estimate, an interval over episodes).")
@library_option("--model", type=click.Choice(["ic", "lt"]), library=(SPREAD, "model"), help="Cascade model.")
@library_option("--runs", type=click.IntRange(min=1), library=(SPREAD, "runs"), help="Monte Carlo runs.")
@library_option("--seed", type=int, library=(SPREAD, "seed"), help="Random seed.")
@format_option
@output_option
@handle_errors
def spread_cmd(store, since, until, seeds_file, probability, model, runs, seed, fmt) -> None:
    """Expected reach of a set of owners under an influence model, with a 95% interval.

    Prints one row: seeds (owners of the set in the community), unknown (ids that are not),
    mean (expected owners reached, the set included), others (mean - seeds), ci_low/ci_high
    (95% interval), std (one run), runs, model, probability (the model used), max_hops.
    """
    from graphcrm.algorithms.influence import spread
    from graphcrm.commands.ambassadors import read_id_file

    community = open_cg(store).community(since, until)
    df, info = spread(community, read_id_file(seeds_file), details=True,
                      **given(model=model, probability=probability, runs=runs, seed=seed))
    if info.unknown_ids:
        _note(f"{len(info.unknown_ids)} of the ids are not owners of this community", fmt)
    if info.fallback:
        _note(info.fallback, fmt)
    emit(df.round({"mean": 1, "others": 1, "ci_low": 1, "ci_high": 1, "std": 1}), fmt)


def register(group: click.Group) -> None:
    """Add ``graphcrm backtest`` and ``graphcrm spread`` to the ``graphcrm`` group."""
    group.add_command(backtest_cmd)
    group.add_command(spread_cmd)
