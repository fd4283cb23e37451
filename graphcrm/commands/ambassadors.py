"""``graphcrm ambassadors``: pick ambassadors by influence maximization (OPIM-C, IC/LT)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from graphcrm.commands.campaigns import campaign_options, record_and_keep_treated
from graphcrm.commands.options import emit, format_option, handle_errors, lang_option, open_cg, store_option, window_options
from graphcrm.errors import InputFileError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from graphcrm.reports.ambassador_side import AmbassadorSide


def _note(text: str, fmt: str) -> None:
    """Human notes go to stdout with a table, to stderr with csv/json (keeps those parseable)."""
    click.echo(text, err=fmt != "table")


def read_id_file(path: Path) -> list[str]:
    """Owner ids from a file: a CSV with an ``owner_id`` column, or one id per line.

    Raises
    ------
    InputFileError
        The file cannot be read.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read the id list ({exc.__class__.__name__})") from None
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return []
    header = [h.strip().lower() for h in lines[0].split(",")]
    if "owner_id" in header:
        col = header.index("owner_id")
        return [ln.split(",")[col].strip() for ln in lines[1:] if len(ln.split(",")) > col]
    return [ln.split(",")[0].strip() for ln in lines]


def read_costs(path: Path) -> pd.Series:
    """Costs from a CSV with columns ``owner_id`` and ``cost``.

    Raises
    ------
    InputFileError
        Missing columns or unreadable file.
    """
    import pandas as pd

    try:
        df = pd.read_csv(path, dtype={"owner_id": str}, encoding="utf-8-sig")
    except (OSError, ValueError) as exc:
        raise InputFileError(f"{path}: cannot read costs ({exc.__class__.__name__})") from None
    if not {"owner_id", "cost"} <= set(df.columns):
        raise InputFileError(f"{path}: needs the columns owner_id and cost")
    return pd.Series(pd.to_numeric(df["cost"], errors="coerce").to_numpy(), index=df["owner_id"].astype(str))


def format_check(df: pd.DataFrame, side: AmbassadorSide, lang: str) -> str:
    """One line with the Monte Carlo check and the certified approximation ratio (``side`` from
    :func:`graphcrm.reports.ambassador_side.ambassador_results`)."""
    st = side.stats
    approx = side.approximation
    runs = side.mc_runs
    mean, lo, hi = (side.mc_mean or 0.0), (side.mc_ci_low or 0.0), (side.mc_ci_high or 0.0)
    reach = df["cumulative_reach"].iloc[-1] if len(df) else 0.0
    if lang == "zh":
        line = (f"{len(df)} 位大使预计影响 {reach:,.1f} 位车主（RR 估计）；蒙特卡洛 {runs:,} 次："
                f"{mean:,.1f}（95% 置信区间 {lo:,.1f}–{hi:,.1f}）；"
                f"近似保证 ≥ {approx:.3f}×最优（{st.get('model', 'ic').upper()}，{st.get('probability', 'wc')} 概率，{st.get('r1_sets', 0):,} + {st.get('r2_sets', 0):,} 个 RR 集）")
    else:
        line = (f"{len(df)} ambassadors reach {reach:,.1f} owners in expectation (RR estimate); Monte Carlo "
                f"({runs:,} runs): {mean:,.1f} (95% CI {lo:,.1f}-"
                f"{hi:,.1f}); certified >= {approx:.3f} x optimum "
                f"({st.get('model', 'ic').upper()}, {st.get('probability', 'wc')} probabilities, "
                f"{st.get('r1_sets', 0):,} + {st.get('r2_sets', 0):,} RR sets)")
    return line


@click.command("ambassadors")
@store_option
@window_options
@click.option("-k", "--k", "k", type=click.IntRange(min=1), default=30, show_default=True,
              help="Number of ambassadors to pick.")
@format_option
@lang_option
@click.option("--eps", type=click.FloatRange(min=0, max=1, min_open=True, max_open=True), default=0.1,
              show_default=True, help="OPIM-C approximation slack: (1-1/e-eps) guarantee.")
@click.option("--model", type=click.Choice(["ic", "lt"]), default="ic", show_default=True,
              help="Diffusion model: Independent Cascade or Linear Threshold.")
@click.option("--probability", type=click.Choice(["learned", "wc", "exp"]), default="learned", show_default=True,
              help="Edge probability: learned from the history (see graphcrm backtest), weighted cascade "
                   "(weight share) or 1-exp(-lam*weight).")
@click.option("--lam", type=click.FloatRange(min=0, min_open=True), default=0.1, show_default=True,
              help="Rate of the exp probability rule.")
@click.option("--per-city", type=click.IntRange(min=1), default=None, help="At most N ambassadors per city.")
@click.option("--per-circle", type=click.IntRange(min=1), default=None, help="At most N ambassadors per circle.")
@click.option("--exclude", "exclude_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="File of owner ids never to pick (CSV with owner_id, or one id per line).")
@click.option("--costs", "costs_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="CSV with owner_id,cost (use with --budget).")
@click.option("--budget", type=click.FloatRange(min=0), default=None, help="Total cost allowed (with --costs).")
@click.option("--mc-runs", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Monte Carlo runs to check the final set's spread (0 = skip).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same picks).")
@click.option("--write-back", "campaign", default=None, metavar="CAMPAIGN",
              help="Write the picks back to the store under this campaign name (label Ambassador).")
@campaign_options
@handle_errors
def ambassadors_cmd(store, since, until, k, fmt, lang, eps, model, probability, lam, per_city, per_circle,
                    exclude_file, costs_file, budget, mc_runs, seed, campaign, campaign_name, holdout, window_days,
                    campaign_start, replace_campaign) -> None:
    """Ambassadors: the owners whose word reaches the most owners (influence maximization).

    OPIM-C with SUBSIM sampling under the IC (or LT) model on the influence graph: author ->
    engager, referrer -> referee, co-attendees both ways.  Staff and opted-out owners are never
    picked.  Columns: rank, owner_id, city, marginal_gain, cumulative_reach, direct_reach,
    main_channel, reason.  The Monte Carlo check of the whole set is printed first.
    """
    from graphcrm.errors import ConfigError
    from graphcrm.reports.ambassador_side import ambassador_results

    if (costs_file is None) != (budget is None):
        raise ConfigError("--costs and --budget go together")
    cg = open_cg(store)
    community = cg.community(since, until)
    exclude = read_id_file(exclude_file) if exclude_file else ()
    costs = read_costs(costs_file) if costs_file else None
    df, side = ambassador_results(community, k=k, eps=eps, model=model, probability=probability, lam=lam,
                                  per_city=per_city, per_circle=per_circle, exclude=exclude, costs=costs,
                                  budget=budget, mc_runs=mc_runs, seed=seed, lang=lang)
    _note(format_check(df, side, lang), fmt)
    if campaign_name is not None:  # every pick is treated; matched non-picks are the control
        campaign = campaign or campaign_name  # the picks are written back under the campaign's name
        picks = df.rename(columns={"rank": "priority", "marginal_gain": "expected_impact"})
        record_and_keep_treated(cg, picks, name=campaign_name, program="ambassador", holdout=holdout,
                                window_days=window_days, start=campaign_start, replace=replace_campaign,
                                seed=seed, since=since, until=until, fmt=fmt)
    if campaign:
        n = cg.write_results(df, name="ambassadors", label="Ambassador", campaign=campaign)
        _note(f"{n:,} owners written back to {cg.store.uri} as Ambassador (campaign {campaign!r})", fmt)
    emit(df, fmt)


def register(group: click.Group) -> None:
    """Add ``graphcrm ambassadors`` to the ``graphcrm`` group."""
    group.add_command(ambassadors_cmd)


__all__ = ["register", "ambassadors_cmd", "read_id_file", "read_costs", "format_check"]
