"""CLI command ``graphcrm report``: the self-contained HTML community report plus CSV tables."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from graphcrm.commands.options import (
    given,
    handle_errors,
    lang_option,
    library_option,
    open_cg,
    segment_options,
    store_option,
    window_options,
)

#: the library function whose defaults the options show (read from its source for --help)
REPORT = "graphcrm.reports.html:build_report"


@click.command("report")
@library_option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), library=(REPORT, "path"),
                help="HTML file to write (one self-contained file: opens offline).")
@click.option("--csv-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for every table of the report as CSV (UTF-8 with BOM, opens in Excel). "
                   "Default: <output name>-csv next to the HTML file.")
@click.option("--csv-lang", type=click.Choice(["en", "zh"]), default=None,
              help="Language of the CSV headers (default: the report's --lang; 'en' keeps the column names).")
@click.option("--campaign-file", "campaign_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None,
              help="Campaign file (TOML: k, caps per city/circle, exclusions, costs and budget, target sizes, "
                   "hold-out; see docs/report.md). The report then shows the picks the ambassadors and "
                   "targets commands give with the same file; it sets -k and --seed.")
@library_option("--ambassadors", "-k", "ambassadors_k", type=click.IntRange(min=1), library=(REPORT, "ambassadors_k"),
                help="Number of ambassadors to pick (without --campaign-file).")
@library_option("--top", type=click.IntRange(min=1), library=(REPORT, "top"),
                help="Rows shown per table in the HTML (the CSV files have all rows).")
@library_option("--seed", type=int, library=(REPORT, "seed"),
                help="Seed of the random parts (circles, ambassadors, volunteer validation).")
@store_option
@window_options
@lang_option
@segment_options
@handle_errors
def report_cmd(output: Path | None, csv_dir: Path | None, csv_lang: str | None, campaign_file: Path | None,
               ambassadors_k: int | None, top: int | None, seed: int | None, store: str | None, since: str | None,
               until: str | None, lang: str, segment: Any = None) -> None:
    """Write the community report: this week's actions, headline numbers, KOCs, circles, referral
    chains and integrity, ambassadors, CRM targets, volunteers, owner levels, movement, backtest
    and campaigns, as one HTML file plus CSV tables.

    With --since/--until the headline compares the window with the window of the same length just
    before it; without them, the last 30 days of data with the 30 days before.  With a segment
    (--city, --region, --car-model, --level, --circle) every analysis still runs on the whole
    community, and the report's tables, lists and targets show only the segment's owners (the
    page says so).  A progress bar is shown on a terminal only.
    """
    campaign = None
    if campaign_file is not None:
        from graphcrm.campaign_file import read_campaign_file

        campaign = read_campaign_file(campaign_file)
    cg = open_cg(store)
    if campaign is not None:
        ids = cg.table("owners")["owner_id"].astype(str)
        check = campaign.check_exclusions(ids)
        head = (f"活动文件 {campaign_file}：k = {campaign.k}，随机种子 = {campaign.seed}；" if lang == "zh"
                else f"campaign file {campaign_file}: k = {campaign.k}, seed = {campaign.seed}; ")
        click.echo(head + check.summary(lang), err=True)
    path = cg.report(lang=lang, since=since, until=until, csv_dir=csv_dir, campaign=campaign,
                     csv_lang=csv_lang, segment=segment,
                     **given(path=output, seed=seed, ambassadors_k=ambassadors_k, top=top))
    csv_path = Path(csv_dir) if csv_dir is not None else path.with_name(f"{path.stem}-csv")
    size = f"{path.stat().st_size / 1024:,.0f}"
    click.echo(f"报告已写入 {path}（{size} KiB）；CSV 表格在 {csv_path}/" if lang == "zh"
               else f"report written to {path} ({size} KiB); tables as CSV in {csv_path}/")


def register(group: click.Group) -> None:
    """Add ``report`` to the ``graphcrm`` command group."""
    group.add_command(report_cmd)
