"""CLI commands of analytics II: ``graphcrm volunteers``, ``graphcrm levels``, ``graphcrm targets``.

(``graphcrm ambassadors`` lives with the influence-maximization code.)
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from graphcrm.commands.campaigns import campaign_options, record_and_keep_treated
from graphcrm.commands.options import (
    emit,
    format_option,
    given,
    handle_errors,
    lang_option,
    library_option,
    note,
    open_cg,
    output_option,
    segment_options,
    store_option,
    summary_of,
    top_option,
    window_options,
)

if TYPE_CHECKING:  # pragma: no cover
    from graphcrm.algorithms.volunteers import VolunteerValidation


def _note(text: str, fmt: str) -> None:
    """Human notes go to stdout with a table, to stderr with csv/json (keeps those parseable)."""
    note(text, fmt)


def format_validation(v: "VolunteerValidation | None", lang: str = "en") -> str:
    """One line with the volunteer hold-out validation numbers
    (:class:`graphcrm.algorithms.volunteers.VolunteerValidation`, None when not run)."""
    if v is None:
        return ("验证：志愿者少于 5 人，未做留出验证" if lang == "zh"
                else "validation: fewer than 5 volunteers, hold-out validation not run")
    if lang == "zh":
        return (f"验证（随机隐藏 {v.hidden} 名志愿者，seed {v.seed}，其组织/志愿角色改为参与者）："
                f"AUC {v.auc:.3f}，前 {v.k} 名召回率 {v.recall_at_k:.2f}"
                f"（在尚无组织/志愿角色的候选人中 {v.recall_at_k_no_role:.2f}）")
    return (f"validation (hid {v.hidden} random volunteers, seed {v.seed}, their organizer/host/"
            f"volunteer roles masked to attendee): AUC {v.auc:.3f}, recall@{v.k} {v.recall_at_k:.2f} "
            f"({v.recall_at_k_no_role:.2f} among candidates with no organizer/volunteer role yet)")


@click.command("volunteers")
@store_option
@window_options
@top_option(20)
@format_option
@lang_option
@segment_options
@output_option
@library_option("--seed", type=int, library=("volunteer_candidates", "seed"),
                help="Seed of the hold-out draw and PageRank folds.")
@click.option("--validate/--no-validate", default=True, show_default=True,
              help="Hide 20% of volunteers and report AUC and recall@k of finding them again.")
@library_option("--recall-at", type=int, library=("volunteer_candidates", "recall_at"),
                help="k of recall@k in the validation.")
@handle_errors
def volunteers_cmd(store, since, until, top, fmt, lang, segment, seed, validate, recall_at) -> None:
    """Volunteer candidates: non-volunteers who resemble current volunteers (graph and behaviour).

    Columns: score, closeness (PageRank seeded on volunteers, co-attendance graph), events attended
    and led, active weeks, tenure, helping (comments/replies on others' posts), share of their circle
    who volunteer, opted_out, reason.  Validation numbers are printed first.
    """
    df, info = open_cg(store).volunteer_candidates(since=since, until=until, segment=segment, validate=validate,
                                                   lang=lang, details=True, **given(recall_at=recall_at, seed=seed))
    if validate:
        _note(format_validation(info.validation, lang), fmt)
    emit(df, fmt, top=top, summary=summary_of(info))


@click.command("levels")
@store_option
@window_options
@top_option(20)
@format_option
@lang_option
@segment_options
@output_option
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
    _note(head + ", ".join(f"{name} {n:,}" for (_, name), n in counts.items()), fmt)
    emit(df, fmt, top=top)


@click.command("targets")
@store_option
@window_options
@top_option(20)
@format_option
@lang_option
@segment_options
@output_option
@click.option("--write-back", "campaign", default=None, metavar="CAMPAIGN",
              help="Write the targets back to the store under this campaign name (label Target).")
@click.option("--program", "programs", multiple=True,
              type=click.Choice(["ambassador", "volunteer_invite", "referral_reward", "reactivation"]),
              help="Only these programs (repeatable; default all).")
@click.option("--campaign-file", "campaign_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None,
              help="Campaign file (TOML: k, caps, exclusions, costs and budget, target sizes, hold-out; see "
                   "docs/cli.md): the same picks as `graphcrm ambassadors` and the report with this file. "
                   "Options given on the command line override it.")
@library_option("--ambassadors", "ambassadors_k", type=click.IntRange(min=0), library=("targets", "ambassadors_k"),
                help="Ambassadors to pick (the k of the ambassador program).")
@library_option("--volunteers", "volunteer_k", type=click.IntRange(min=0), library=("targets", "volunteer_k"),
                help="Volunteer invitations.")
@library_option("--referrals", "referral_k", type=click.IntRange(min=0), library=("targets", "referral_k"),
                help="Referral rewards.")
@library_option("--reactivation", "reactivation_k", type=click.IntRange(min=0),
                library=("targets", "reactivation_k"), help="Owners to reactivate.")
@library_option("--quiet-days", type=float, library=("targets", "quiet_days"),
                help="Days without activity after which an active owner is due for reactivation.")
@library_option("--seed", type=int, library=("targets", "seed"), help="Seed of the random parts.")
@campaign_options
@handle_errors
def targets_cmd(store, since, until, top, fmt, lang, segment, campaign, programs, campaign_file, ambassadors_k,
                volunteer_k, referral_k, reactivation_k, quiet_days, seed, campaign_name, holdout, window_days,
                campaign_start, replace_campaign) -> None:
    """Incentive targeting for the CRM: ambassadors, volunteer invitations, referral rewards and
    reactivation in one table (owner_id, program, priority, expected_impact, reason).

    Staff and opted-out owners never appear.  -n limits the rows printed; -o writes all rows.
    With --campaign-file the ambassador rows are the picks of `graphcrm ambassadors
    --campaign-file` with the same file.
    """
    from graphcrm.algorithms.targeting import PROGRAMS, collapse_targets

    cg = open_cg(store)
    opts: dict = {}
    if campaign_file is not None:
        from graphcrm.commands.campaigns import campaign_from_file

        cf = read_campaign(cg, campaign_file, lang=lang, fmt=fmt)
        opts = cf.target_options()
        campaign_name, holdout, window_days, campaign_start = campaign_from_file(
            cf, campaign_name, holdout, window_days, campaign_start)
    opts.update(given(campaign=campaign, ambassadors_k=ambassadors_k, volunteer_k=volunteer_k, referral_k=referral_k,
                      reactivation_k=reactivation_k, quiet_days=quiet_days, seed=seed))
    if programs:
        opts["programs"] = programs
    programs = tuple(opts.get("programs") or PROGRAMS)
    if campaign_name is not None and len(programs) != 1:
        raise click.UsageError("a campaign runs one program: add --program (e.g. --program reactivation)")
    campaign = opts.get("campaign") if campaign_name is None else (campaign or campaign_name)
    if campaign is not None:  # a recorded campaign is written back too (its treated only)
        opts["campaign"] = campaign
    df, info = cg.targets(since=since, until=until, segment=segment, lang=lang, details=True, **opts)
    if campaign_name is not None:  # from here on only the treated members: the control is never contacted
        df = record_and_keep_treated(cg, df, name=campaign_name, program=programs[0], holdout=holdout,
                                     window_days=window_days, start=campaign_start, replace=replace_campaign,
                                     seed=opts.get("seed", 0), since=since, until=until, fmt=fmt)
    if campaign is None:
        df = df.drop(columns="campaign")  # no campaign: no empty column in the printout and the CSV
    for n in info.notes:
        _note(f"note: {n}", fmt)
    summary = df["program"].value_counts().reindex(list(PROGRAMS)).fillna(0).astype(int)
    _note(("目标人数：" if lang == "zh" else "targets per program: ")
          + ", ".join(f"{p} {n:,}" for p, n in summary.items()), fmt)
    if campaign:
        per_owner = collapse_targets(df, lang=lang)
        n = cg.write_results(per_owner, name="targets", label="Target", campaign=campaign)
        _note(f"{n:,} owners written back to {cg.store.uri} as Target (campaign {campaign!r})", fmt)
    emit(df, fmt, top=top, summary=summary_of(info))


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


def register(group: click.Group) -> None:
    """Add the analytics II commands to the ``graphcrm`` group."""
    for cmd in (volunteers_cmd, levels_cmd, targets_cmd):
        group.add_command(cmd)


__all__ = ["register", "read_campaign", "format_validation", "volunteers_cmd", "levels_cmd", "targets_cmd"]
