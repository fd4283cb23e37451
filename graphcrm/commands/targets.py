"""CLI command ``graphcrm targets``: incentive targets for the CRM across four programs."""
from __future__ import annotations

import click

from graphcrm.commands.campaigns import (campaign_file_option, campaign_from_file, campaign_options, read_campaign,
                                        record_and_keep_treated)
from graphcrm.commands.options import (analysis_options, emit, given, handle_errors, library_default,
                                      library_option, note, open_cg, summary_of)


@click.command("targets")
@analysis_options(top=20)
@click.option("--write-back", "campaign", default=None, metavar="CAMPAIGN",
              help="Write the targets back to the store under this campaign name (label Target).")
@click.option("--program", "programs", multiple=True,
              type=click.Choice(["ambassador", "volunteer_invite", "referral_reward", "reactivation"]),
              help="Only these programs (repeatable; default all).")
@campaign_file_option("Campaign file (TOML: k, caps, exclusions, costs and budget, target sizes, hold-out; see "
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
@library_option("--period", library=("drifting_owners", "period"),
                help="Reactivation: length of each of the two periods whose activity the drifting owners are "
                     "found by (as in `graphcrm movement`).")
@library_option("--quiet-days", type=float, library=("targets", "quiet_days"),
                help="Reactivation, after the drifting owners: days without activity after which a once "
                     "active owner is lapsed.")
@library_option("--seed", type=int, library=("targets", "seed"), help="Seed of the random parts.")
@campaign_options
@handle_errors
def targets_cmd(store, since, until, top, fmt, lang, segment, campaign, programs, campaign_file, ambassadors_k,
                volunteer_k, referral_k, reactivation_k, period, quiet_days, seed, campaign_name, holdout, window_days,
                campaign_start, replace_campaign) -> None:
    """Incentive targeting for the CRM: ambassadors, volunteer invitations, referral rewards and
    reactivation in one table (owner_id, program, priority, expected_impact, reason).

    Reactivation lists the drifting owners first (high past contribution, activity falling:
    `graphcrm movement --table drifting`), then owners quiet for --quiet-days; the reason says which.

    Staff and opted-out owners never appear.  -n limits the rows printed; -o writes all rows.
    With --campaign-file the ambassador rows are the picks of `graphcrm ambassadors
    --campaign-file` with the same file.
    """
    from graphcrm.algorithms.targeting import PROGRAMS, collapse_targets

    cg = open_cg(store)
    opts: dict = {}
    if campaign_file is not None:
        cf = read_campaign(cg, campaign_file, lang=lang, fmt=fmt)
        opts = cf.target_options()
        campaign_name, holdout, window_days, campaign_start = campaign_from_file(
            cf, campaign_name, holdout, window_days, campaign_start)
    opts.update(given(campaign=campaign, ambassadors_k=ambassadors_k, volunteer_k=volunteer_k, referral_k=referral_k,
                      reactivation_k=reactivation_k, quiet_days=quiet_days, seed=seed))
    if period is not None:
        opts["drift_options"] = {**opts.get("drift_options", {}), "period": period}
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
                                     seed=opts.get("seed", library_default("targets", "seed")), since=since, until=until, fmt=fmt)
    if campaign is None:
        df = df.drop(columns="campaign")  # no campaign: no empty column in the printout and the CSV
    for n in info.notes:
        note(f"note: {n}", fmt)
    summary = df["program"].value_counts().reindex(list(PROGRAMS)).fillna(0).astype(int)
    note(("目标人数：" if lang == "zh" else "targets per program: ")
         + ", ".join(f"{p} {n:,}" for p, n in summary.items()), fmt)
    if campaign:
        per_owner = collapse_targets(df, lang=lang)
        n = cg.write_results(per_owner, name="targets", label="Target", campaign=campaign)
        note(f"{n:,} owners written back to {cg.store.uri} as Target (campaign {campaign!r})", fmt)
    emit(df, fmt, top=top, summary=summary_of(info))


def register(group: click.Group) -> None:
    """Add ``targets`` to the ``graphcrm`` command group."""
    group.add_command(targets_cmd)
