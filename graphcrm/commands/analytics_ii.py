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
    handle_errors,
    lang_option,
    open_cg,
    store_option,
    top_option,
    window_options,
)

if TYPE_CHECKING:  # pragma: no cover
    from graphcrm.algorithms.volunteers import VolunteerValidation


def _note(text: str, fmt: str) -> None:
    """Human notes go to stdout with a table, to stderr with csv/json (keeps those parseable)."""
    click.echo(text, err=fmt != "table")


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
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the hold-out draw and PageRank folds.")
@click.option("--validate/--no-validate", default=True, show_default=True,
              help="Hide 20% of volunteers and report AUC and recall@k of finding them again.")
@click.option("--recall-at", type=int, default=50, show_default=True, help="k of recall@k in the validation.")
@handle_errors
def volunteers_cmd(store, since, until, top, fmt, lang, seed, validate, recall_at) -> None:
    """Volunteer candidates: non-volunteers who resemble current volunteers (graph and behaviour).

    Columns: score, closeness (PageRank seeded on volunteers, co-attendance graph), events attended
    and led, active weeks, tenure, helping (comments/replies on others' posts), share of their circle
    who volunteer, opted_out, reason.  Validation numbers are printed first.
    """
    from graphcrm.algorithms.volunteers import volunteer_candidates

    community = open_cg(store).community(since, until)
    df, info = volunteer_candidates(community, validate=validate, recall_at=recall_at, seed=seed, lang=lang, details=True)
    if validate:
        _note(format_validation(info.validation, lang), fmt)
    emit(df, fmt, top=top)


@click.command("levels")
@store_option
@window_options
@top_option(20)
@format_option
@lang_option
@click.option("--half-life", "half_life", type=float, default=180.0, show_default=True,
              help="Half-life of the time decay of points, in days (0 = no decay).")
@click.option("--level", "only_level", default=None, help="Show only owners at this level (e.g. fan).")
@handle_errors
def levels_cmd(store, since, until, top, fmt, lang, half_life, only_level) -> None:
    """Owner levels (buyer > member > fan > advocate > companion) from fixed thresholds on
    time-decayed contribution points, with what each owner needs for the next level.
    """
    from graphcrm.algorithms.levels import owner_levels

    community = open_cg(store).community(since, until)
    df = owner_levels(community, half_life_days=half_life or None, lang=lang)
    counts = df.groupby(["level_rank", "level_name"]).size().sort_index(ascending=False)
    head = "等级人数：" if lang == "zh" else "owners per level: "
    _note(head + ", ".join(f"{name} {n:,}" for (_, name), n in counts.items()), fmt)
    if only_level:
        df = df[df["level"] == only_level]
    emit(df, fmt, top=top)


@click.command("targets")
@store_option
@window_options
@top_option(20)
@format_option
@lang_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the whole table to this CSV file (UTF-8 with BOM, opens in Excel; text that "
                   "a spreadsheet would run as a formula gets a leading ').")
@click.option("--write-back", "campaign", default=None, metavar="CAMPAIGN",
              help="Write the targets back to the store under this campaign name (label Target).")
@click.option("--program", "programs", multiple=True,
              type=click.Choice(["ambassador", "volunteer_invite", "referral_reward", "reactivation"]),
              help="Only these programs (repeatable; default all).")
@click.option("--ambassadors", "ambassadors_k", type=int, default=30, show_default=True)
@click.option("--volunteers", "volunteer_k", type=int, default=50, show_default=True)
@click.option("--referrals", "referral_k", type=int, default=50, show_default=True)
@click.option("--reactivation", "reactivation_k", type=int, default=100, show_default=True)
@click.option("--quiet-days", type=float, default=90, show_default=True,
              help="Days without activity after which an active owner is due for reactivation.")
@click.option("--seed", type=int, default=0, show_default=True)
@campaign_options
@handle_errors
def targets_cmd(store, since, until, top, fmt, lang, output, campaign, programs, ambassadors_k, volunteer_k,
                referral_k, reactivation_k, quiet_days, seed, campaign_name, holdout, window_days, campaign_start,
                replace_campaign) -> None:
    """Incentive targeting for the CRM: ambassadors, volunteer invitations, referral rewards and
    reactivation in one table (owner_id, program, priority, expected_impact, reason).

    Staff and opted-out owners never appear.  -k limits the rows printed; -o writes all rows.
    """
    from graphcrm.algorithms.targeting import PROGRAMS, collapse_targets, targets

    cg = open_cg(store)
    if campaign_name is not None and len(programs) != 1:
        raise click.UsageError("a campaign runs one program: add --program (e.g. --program reactivation)")
    campaign = campaign or campaign_name  # a recorded campaign is written back too (its treated only)
    if output is not None:  # checked before the work: a folder, a missing folder, the store, an input
        from graphcrm.files import check_output_path, store_files

        check_output_path(output, what="--output", protect=store_files(cg.store))
    community = cg.community(since, until)
    df, info = targets(community, campaign=campaign, programs=programs or PROGRAMS, ambassadors_k=ambassadors_k,
                       volunteer_k=volunteer_k, referral_k=referral_k, reactivation_k=reactivation_k,
                       quiet_days=quiet_days, seed=seed, lang=lang, details=True)
    if campaign_name is not None:  # from here on only the treated members: the control is never contacted
        df = record_and_keep_treated(cg, df, name=campaign_name, program=programs[0], holdout=holdout,
                                     window_days=window_days, start=campaign_start, replace=replace_campaign,
                                     seed=seed, since=since, until=until, fmt=fmt)
    if campaign is None:
        df = df.drop(columns="campaign")  # no campaign: no empty column in the printout and the CSV
    for note in info.notes:
        _note(f"note: {note}", fmt)
    summary = df["program"].value_counts().reindex(list(PROGRAMS)).fillna(0).astype(int)
    _note(("目标人数：" if lang == "zh" else "targets per program: ")
          + ", ".join(f"{p} {n:,}" for p, n in summary.items()), fmt)
    if output is not None:
        from graphcrm.files import store_files, write_csv

        write_csv(df, output, what="--output", protect=store_files(cg.store))  # formula-safe, atomic
        _note(f"{len(df):,} rows written to {output}", fmt)
    if campaign:
        per_owner = collapse_targets(df, lang=lang)
        n = cg.write_results(per_owner, name="targets", label="Target", campaign=campaign)
        _note(f"{n:,} owners written back to {cg.store.uri} as Target (campaign {campaign!r})", fmt)
    emit(df, fmt, top=top)


def register(group: click.Group) -> None:
    """Add the analytics II commands to the ``graphcrm`` group."""
    for cmd in (volunteers_cmd, levels_cmd, targets_cmd):
        group.add_command(cmd)


__all__ = ["register", "format_validation", "volunteers_cmd", "levels_cmd", "targets_cmd"]
