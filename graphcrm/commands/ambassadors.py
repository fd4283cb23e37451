"""``graphcrm ambassadors``: pick ambassadors by influence maximization (OPIM-C, IC/LT)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from graphcrm.commands.campaigns import campaign_options, record_and_keep_treated
from graphcrm.commands.options import emit, format_option, handle_errors, lang_option, open_cg, store_option, window_options
from graphcrm.commands.options import (budget_summary, format_budget, given, library_option, output_option,
                                       segment_options, summary_of)
from graphcrm.errors import InputFileError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from graphcrm.algorithms.influence import AmbassadorDetails


def _note(text: str, fmt: str) -> None:
    """Human notes go to stdout with a table, to stderr with csv/json (keeps those parseable); not with --quiet."""
    from graphcrm.commands.options import note

    note(text, fmt)


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


def format_check(df: pd.DataFrame, side: AmbassadorDetails, lang: str) -> str:
    """One line with the Monte Carlo check and the certified approximation ratio (``side``: the
    :class:`~graphcrm.algorithms.influence.AmbassadorDetails` of ``cg.ambassadors(details=True)``)."""
    st = side.stats
    reach = df["cumulative_reach"].iloc[-1] if len(df) else 0.0
    mc = side.mc_check
    seg = "" if side.segment == "all owners" else side.segment
    if side.probability == "credit":  # the credit-distribution model: no RR sets, no simulation
        from graphcrm.algorithms.influence import period_text

        per = period_text((side.credit or {}).get("episode_days", 0.0), lang)
        if lang == "zh":
            line = (f"{len(df)} 位大使按历史行为归因每 {per}影响 {reach:,.1f} 位车主"
                    + (f"（仅计 {seg}（{side.segment_owners:,} 位））" if seg else "")
                    + f"；近似保证 ≥ {side.approximation:.3f}×最优（精确计算，无抽样）")
        else:
            line = (f"{len(df)} ambassadors are credited with {reach:,.1f} owners reached per {per} "
                    f"of the history (credit from past activity"
                    + (f", counted among {seg}: {side.segment_owners:,} owners" if seg else "")
                    + (f", on top of {len(side.active)} active ambassadors" if side.active else "")
                    + f"); certified >= {side.approximation:.3f} x optimum (exact, no sampling)")
        return "\n".join([line, *side.notes])
    if lang == "zh":
        check = (f"蒙特卡洛 {mc.runs:,} 次：{mc.mean:,.1f}（95% 置信区间 {mc.ci_low:,.1f}–{mc.ci_high:,.1f}）"
                 if mc is not None else "蒙特卡洛检验已跳过")
        line = (f"{len(df)} 位大使预计影响 {reach:,.1f} 位车主（RR 估计"
                + (f"，仅计 {seg}（{side.segment_owners:,} 位）" if seg else "")
                + (f"，不含 {len(side.active)} 位现有大使已影响的" if side.active else "")
                + f"）；{check}；近似保证 ≥ {side.approximation:.3f}×最优（{side.model.upper()}，{side.probability} 概率，"
                f"{st.r1_sets:,} + {st.r2_sets:,} 个 RR 集）")
    else:
        check = (f"Monte Carlo ({mc.runs:,} runs): {mc.mean:,.1f} (95% CI {mc.ci_low:,.1f}-{mc.ci_high:,.1f})"
                 if mc is not None else "Monte Carlo check skipped")
        line = (f"{len(df)} ambassadors reach {reach:,.1f} owners in expectation (RR estimate"
                + (f", counted among {seg}: {side.segment_owners:,} owners" if seg else "")
                + (f", on top of {len(side.active)} active ambassadors" if side.active else "")
                + f"); {check}; certified >= {side.approximation:.3f} x optimum "
                f"({side.model.upper()}, {side.probability} probabilities, "
                f"{st.r1_sets:,} + {st.r2_sets:,} RR sets)")
    return "\n".join([line, *side.notes])


@click.command("ambassadors")
@store_option
@window_options
@library_option("-k", "--k", "k", type=click.IntRange(min=1), library=("ambassadors", "k"),
                help="Number of ambassadors to pick.")
@format_option
@lang_option
@segment_options
@output_option
@click.option("--campaign-file", "campaign_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Campaign file (TOML; see docs/cli.md): the same picks as `graphcrm targets` and "
                                 "the report with this file. Options given here override it.")
@library_option("--eps", type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
                library=("ambassadors", "eps"), help="OPIM-C approximation slack: (1-1/e-eps) guarantee.")
@library_option("--model", type=click.Choice(["ic", "lt"]), library=("ambassadors", "model"),
                help="Diffusion model: Independent Cascade or Linear Threshold.")
@library_option("--probability", type=click.Choice(["learned", "wc", "exp", "credit"]),
                library=("ambassadors", "probability"), shown=lambda d: "learned" if d is None else str(d),
              help="Edge probability: learned from the history (see graphcrm backtest), weighted cascade "
                   "(weight share), 1-exp(-lam*weight), or credit: the credit-distribution model (credit "
                   "from past activity, no cascade).")
@library_option("--lam", type=click.FloatRange(min=0, min_open=True), library=("ambassadors", "lam"),
              help="Rate of the exp probability rule.")
@click.option("--per-city", type=click.IntRange(min=1), default=None, help="At most N ambassadors per city.")
@click.option("--per-circle", type=click.IntRange(min=1), default=None, help="At most N ambassadors per circle.")
@click.option("--min-per-city", type=click.IntRange(min=1), default=None, help="At least N ambassadors in every city.")
@click.option("--min-per-circle", type=click.IntRange(min=1), default=None,
              help="At least N ambassadors in every circle.")
@click.option("--reach-among", default=None, metavar="SEGMENT",
              help="Count reach only among: prospects, not_reached (needs --active), city:A,B, level:L, "
                   "circle:0,3, or a file of owner ids.")
@click.option("--active", "active_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="File of current ambassadors, treated as already active (their reach is "
                                 "not counted again; never picked).")
@click.option("--exclude", "exclude_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="File of owner ids never to pick (CSV with owner_id, or one id per line).")
@click.option("--costs", "costs_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="CSV with owner_id,cost (use with --budget).")
@click.option("--budget", type=click.FloatRange(min=0), default=None, help="Total cost allowed (with --costs).")
@click.option("--mc-runs", type=click.IntRange(min=0), default=None,
              help="Monte Carlo runs to check the final set's spread (default: as many as --mc-precision needs; "
                   "0 = skip).")
@click.option("--mc-precision", type=click.FloatRange(min=0, max=1, min_open=True, max_open=True), default=None,
              help="Stop the Monte Carlo check when its 95% half-width is under this share of the mean "
                   "(library default 0.01).")
@library_option("--seed", type=int, library=("ambassadors", "seed"), help="Random seed (same seed, same picks).")
@click.option("--write-back", "campaign", default=None, metavar="CAMPAIGN",
              help="Write the picks back to the store under this campaign name (label Ambassador).")
@campaign_options
@handle_errors
def ambassadors_cmd(store, since, until, k, fmt, lang, segment, campaign_file, eps, model, probability, lam, per_city, per_circle,
                    min_per_city, min_per_circle, reach_among, active_file, exclude_file, costs_file, budget,
                    mc_runs, mc_precision, seed, campaign, campaign_name, holdout, window_days,
                    campaign_start, replace_campaign) -> None:
    """Ambassadors: the owners whose word reaches the most owners (influence maximization).

    OPIM-C with SUBSIM sampling under the IC (or LT) model on the influence graph: author ->
    engager, referrer -> referee, co-attendees both ways.  Staff and opted-out owners are never
    picked.  Columns: rank, owner_id, city, marginal_gain, cumulative_reach, direct_reach,
    main_channel, reason.  The Monte Carlo check of the whole set is printed first.
    """
    from graphcrm.errors import ConfigError

    if (costs_file is None) != (budget is None):
        raise ConfigError("--costs and --budget go together")
    cg = open_cg(store)
    if campaign_file is not None:  # the file first, then what the command line gives
        from graphcrm.commands.campaigns import read_campaign

        from graphcrm.commands.campaigns import campaign_from_file

        cf = read_campaign(cg, campaign_file, lang=lang, fmt=fmt)
        options = cf.ambassador_options()
        campaign_name, holdout, window_days, campaign_start = campaign_from_file(
            cf, campaign_name, holdout, window_days, campaign_start)
    else:
        options = {}
    options |= given(k=k, eps=eps, model=model, probability=probability, lam=lam, per_city=per_city,
                     per_circle=per_circle, min_per_city=min_per_city, min_per_circle=min_per_circle,
                     budget=budget, mc_runs=mc_runs, mc_precision=mc_precision, seed=seed, lang=lang)
    if exclude_file:  # beside the campaign file's exclusions
        options["exclude"] = [*options.get("exclude", ()), *read_id_file(exclude_file)]
    if active_file:
        options["active"] = read_id_file(active_file)
    if costs_file:
        options["costs"] = read_costs(costs_file)
    if reach_among is not None:
        options["reach_among"] = read_id_file(Path(reach_among)) if Path(reach_among).is_file() else reach_among
    # the library's defaults apply to every option not given on the command line
    options = {key: v for key, v in options.items() if v is not None}
    df, side = cg.ambassadors(since=since, until=until, segment=segment, details=True, **options)
    _note(format_check(df, side, lang), fmt)
    spend = budget_summary(df, costs=options.get("costs"), budget=options.get("budget"),
                           per_city=options.get("per_city"), per_circle=options.get("per_circle"))
    if spend:
        _note(format_budget(spend, lang), fmt)
    if campaign_name is not None:  # every pick is treated; matched non-picks are the control
        campaign = campaign or campaign_name  # the picks are written back under the campaign's name
        picks = df.rename(columns={"rank": "priority", "marginal_gain": "expected_impact"})
        record_and_keep_treated(cg, picks, name=campaign_name, program="ambassador", holdout=holdout,
                                window_days=window_days, start=campaign_start, replace=replace_campaign,
                                seed=options.get("seed"), since=since, until=until, fmt=fmt)
    if campaign:
        n = cg.write_results(df, name="ambassadors", label="Ambassador", campaign=campaign)
        _note(f"{n:,} owners written back to {cg.store.uri} as Ambassador (campaign {campaign!r})", fmt)
    emit(df, fmt, summary={**summary_of(side), **spend})


def register(group: click.Group) -> None:
    """Add ``graphcrm ambassadors`` to the ``graphcrm`` group."""
    group.add_command(ambassadors_cmd)


__all__ = ["register", "ambassadors_cmd", "read_id_file", "read_costs", "format_check"]
