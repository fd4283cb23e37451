"""CLI command ``graphcrm volunteers``: volunteer candidates, with the hold-out validation."""
from __future__ import annotations

from typing import TYPE_CHECKING

import click

from graphcrm.commands.options import (analysis_options, emit, given, handle_errors, library_option, note, open_cg,
                                      summary_of)

if TYPE_CHECKING:  # pragma: no cover
    from graphcrm.algorithms.volunteers import VolunteerValidation


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
@analysis_options(top=20)
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
        note(format_validation(info.validation, lang), fmt)
    emit(df, fmt, top=top, summary=summary_of(info))


def register(group: click.Group) -> None:
    """Add ``volunteers`` to the ``graphcrm`` command group."""
    group.add_command(volunteers_cmd)
