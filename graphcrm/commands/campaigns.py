"""``graphcrm campaigns`` (recorded campaigns) and ``graphcrm evaluate NAME`` (their lift);
:func:`record_and_keep_treated`, used by ``targets --campaign`` and ``ambassadors --campaign``, and
:func:`read_campaign` (a campaign file, checked), used by ``targets``, ``ambassadors`` and ``report``."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from graphcrm.commands.options import (emit, format_option, given, handle_errors, lang_option, library_option, open_cg,
                                      output_option, store_option)

#: the library function behind ``--campaign``: its defaults are the options' defaults
PLAN = "graphcrm.algorithms.campaigns:plan_campaign"

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    import graphcrm


def _note(text: str, fmt: str) -> None:
    """Human notes go to stdout with a table, to stderr with csv/json (keeps those parseable); not with --quiet."""
    from graphcrm.commands.options import note

    note(text, fmt)


def campaign_file_option(help: str) -> Any:
    """``--campaign-file FILE`` (an existing TOML file; see docs/cli.md), with the command's own
    ``help`` (``targets``; ``ambassadors`` and ``report`` take it the same way)."""
    return click.option("--campaign-file", "campaign_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                        default=None, help=help)


def campaign_options(f):
    """``--campaign NAME --holdout SHARE --window-days N --start DATE --replace``."""
    f = click.option("--replace", "replace_campaign", is_flag=True,
                     help="Replace an earlier campaign of the same name (otherwise that is an error).")(f)
    f = click.option("--start", "campaign_start", default=None, metavar="DATE",
                     help="Campaign start (default: the day after the latest data).")(f)
    f = library_option("--window-days", "window_days", type=click.IntRange(min=1), library=(PLAN, "window_days"),
                       help="Days after the start over which `graphcrm evaluate` counts outcomes.")(f)
    f = library_option("--holdout", type=click.FloatRange(min=0, max=1, max_open=True), library=(PLAN, "holdout"),
                         help="Share of the eligible targets kept as a never-contacted control group (seeded by "
                            "--seed). Ambassadors: > 0 records one matched control per pick instead.")(f)
    f = click.option("--campaign", "campaign_name", default=None, metavar="NAME",
                     help="Record a campaign of this name in the store with a hold-out control group; the "
                          "list printed and written (-o) then holds only the treated members.")(f)
    return f


def campaign_from_file(campaign_file: Any, campaign_name: str | None, holdout: float | None,
                       window_days: int | None, start: Any) -> tuple[str | None, float | None, int | None, Any]:
    """The campaign to record: ``--campaign NAME`` and its options if given, else the campaign
    file's ``name`` with its ``[holdout]`` table (share, window_days, start) when the file has one.
    A file without ``[holdout]`` records nothing (it only sets the options of the picks)."""
    if campaign_name is not None or campaign_file is None or not campaign_file.holdout:
        return campaign_name, holdout, window_days, start
    if not campaign_file.name:
        from graphcrm.errors import ConfigError

        raise ConfigError("the campaign file has a [holdout] table but no name: add name = \"...\" to record it")
    h = campaign_file.holdout
    share, days = h.get("share", holdout), h.get("window_days", window_days)
    return (campaign_file.name, None if share is None else float(share), None if days is None else int(days),
            h.get("start", start))


def read_campaign(cg, path: Path, *, lang: str = "en", fmt: str = "table"):
    """Read the campaign file at ``path`` (:func:`graphcrm.campaign_file.read_campaign_file`),
    check its exclusion list against the store's owners and print how many ids were read and
    which are unknown (shared by ``ambassadors``, ``targets`` and ``report``)."""
    from graphcrm.campaign_file import read_campaign_file

    campaign = read_campaign_file(path)
    check = campaign.check_exclusions(cg.table("owners")["owner_id"].astype(str))
    head = (f"活动文件 {path}：k = {campaign.k}，随机种子 = {campaign.seed}；" if lang == "zh"
            else f"campaign file {path}: k = {campaign.k}, seed = {campaign.seed}; ")
    _note(head + check.summary(lang), fmt if fmt != "table" else "csv")  # stderr: the table stays clean
    return campaign



def record_and_keep_treated(cg: "graphcrm.CommunityGraph", frame: "pd.DataFrame", *, name: str, program: str,
                            holdout: float | None, window_days: int | None, start: Any, replace: bool, seed: int | None,
                            since: Any, until: Any, fmt: str) -> "pd.DataFrame":
    """Record campaign ``name`` from ``frame`` (the program's targets) and return the rows of
    ``frame`` for the treated members only: the control group is never contacted, so it is never
    printed, exported or written back.  ``None`` options take the library's defaults."""
    plan = cg.record_campaign(name, program=program, targets_frame=frame, replace=replace, since=since, until=until,
                              **given(start=start, window_days=window_days, holdout=holdout, seed=seed))
    for note in plan.notes:
        _note(f"note: {note}", fmt)
    treated = set(plan.treated["owner_id"])
    c = plan.campaign
    extra = (f"; matched on one-hop audience, mean |log gap| {plan.balance:.3f}" if plan.balance is not None else "")
    _note(f"campaign {c.name!r} recorded in {cg.store.uri}: {program}, {c.start.date()} + {c.window_days} days; "
          f"{len(treated):,} treated (listed here and in any export), {len(plan.control):,} control held out"
          f"{extra} - never contact the control: it is not in this list or any export. "
          f"After the window: graphcrm evaluate {c.name!r}", fmt)
    return frame[frame["owner_id"].astype(str).isin(treated).to_numpy()].reset_index(drop=True)


@click.command("campaigns")
@store_option
@format_option
@output_option
@handle_errors
def campaigns_cmd(store: str | None, fmt: str) -> None:
    """Recorded campaigns (oldest first): name, program, start, window, end, members per group."""
    import pandas as pd

    df = open_cg(store).campaigns()
    if len(df):
        df.insert(4, "end", df["start"] + pd.to_timedelta(df["window_days"], unit="D"))
    emit(df.drop(columns="options") if fmt == "table" else df, fmt)


@click.command("evaluate")
@click.argument("name")
@store_option
@format_option
@lang_option
@click.option("--outcome", "outcomes", multiple=True,
              type=click.Choice(["referrals_made", "referrals_converted", "events_attended", "events_led", "posts",
                                 "engagement_received", "engagement_given", "level_change"]),
              help="Only these outcomes (repeatable; default all).")
@library_option("--bootstrap", type=click.IntRange(min=0), library=("campaign_lift", "bootstrap"),
                help="Bootstrap resamples for the members' intervals (0 = Welch normal interval) and "
                     "re-drawn hold-outs for the neighbours' (0 = 1,000).")
@library_option("--confidence", type=click.FloatRange(min=0.5, max=1, max_open=True),
                library=("campaign_lift", "confidence"), help="Confidence level of the intervals.")
@library_option("--min-group", type=click.IntRange(min=2), library=("campaign_lift", "min_group"),
                help="Fewer owners than this on a side: 'too small to tell'.")
@click.option("--neighbours-via", "layers", multiple=True, type=click.Choice(["interactions", "referrals", "coattendance"]),
              help="Links that make owners neighbours (repeatable; default interactions and referrals).")
@library_option("--seed", type=int, library=("campaign_lift", "seed"), help="Seed of the bootstrap.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the table to this CSV file.")
@handle_errors
def evaluate_cmd(name, store, fmt, lang, outcomes, bootstrap, confidence, min_group, layers, seed, output) -> None:
    """The lift of a recorded campaign: treated vs control per member on referrals, events, posts,
    engagement and level movement (difference in means with an interval), and the same for their
    graph neighbours (spillover).  Says 'too small to tell' when a group is too small."""
    from graphcrm.algorithms.campaigns import OUTCOMES

    cg = open_cg(store)
    if output is not None:
        from graphcrm.files import check_output_path, store_files

        check_output_path(output, what="--output", protect=store_files(cg.store))
    opts: dict[str, Any] = {"outcomes": list(outcomes) or list(OUTCOMES), "lang": lang,
                            **given(bootstrap=bootstrap, confidence=confidence, min_group=min_group, seed=seed)}
    if layers:
        opts["neighbour_layers"] = list(layers)
    df, info = cg.evaluate(name, details=True, **opts)
    zh = lang == "zh"
    head = (f"活动 {info.campaign!r}（{info.program}）：{info.start.date()} 起 {(info.end - info.start).days} 天；"
            f"处理组 {info.treated:,} 人，对照组 {info.control:,} 人；邻居 {info.neighbours_treated:,} / "
            f"{info.neighbours_control:,}（同时邻接两组的 {info.neighbours_both:,} 人不计）" if zh else
            f"campaign {info.campaign!r} ({info.program}): {info.start.date()} + {(info.end - info.start).days} days; "
            f"{info.treated:,} treated vs {info.control:,} control; neighbours {info.neighbours_treated:,} vs "
            f"{info.neighbours_control:,} ({info.neighbours_both:,} adjacent to both left out); "
            + (f"members: {info.bootstrap:,} bootstrap resamples" if info.bootstrap else "members: Welch intervals")
            + f", neighbours: {info.bootstrap or 1000:,} re-drawn hold-outs"
            + f", {info.confidence:.0%}")
    _note(head, fmt)
    for note in info.notes:
        _note(f"note: {note}", fmt)
    if output is not None:
        from graphcrm.files import store_files, write_csv

        write_csv(df, output, what="--output", protect=store_files(cg.store))
        _note(f"{len(df):,} rows written to {output}", fmt)
    if fmt == "table":
        df = df.drop(columns="reason").round(4)
    emit(df, fmt)


def register(group: click.Group) -> None:
    """Add ``graphcrm campaigns`` and ``graphcrm evaluate`` to the ``graphcrm`` group."""
    group.add_command(campaigns_cmd)
    group.add_command(evaluate_cmd)


__all__ = ["register", "campaigns_cmd", "evaluate_cmd", "campaign_options", "campaign_file_option", "read_campaign",
           "record_and_keep_treated"]
