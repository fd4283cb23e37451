"""CLI command ``graphcrm report``: the self-contained HTML community report plus CSV tables."""
from __future__ import annotations

from pathlib import Path

import click

from graphcrm.commands.options import handle_errors, lang_option, open_cg, store_option, window_options


@click.command("report")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("report.html"),
              show_default=True, help="HTML file to write (one self-contained file: opens offline).")
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
@click.option("--ambassadors", "-k", "k_ambassadors", type=click.IntRange(min=1), default=30, show_default=True,
              help="Number of ambassadors to pick (without --campaign-file).")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True,
              help="Rows shown per table in the HTML (the CSV files have all rows).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the random parts (circles, ambassadors, volunteer validation).")
@store_option
@window_options
@lang_option
@handle_errors
def report_cmd(output: Path, csv_dir: Path | None, csv_lang: str | None, campaign_file: Path | None,
               k_ambassadors: int, top: int, seed: int, store: str | None, since: str | None, until: str | None,
               lang: str) -> None:
    """Write the community report: this week's actions, headline numbers, KOCs, circles, referral
    chains and integrity, ambassadors, CRM targets, volunteers, owner levels, movement, backtest
    and campaigns, as one HTML file plus CSV tables.

    With --since/--until the headline compares the window with the window of the same length just
    before it; without them, the last 30 days of data with the 30 days before.  A progress bar is
    shown on a terminal only.
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
    path = cg.report(output, lang=lang, since=since, until=until, csv_dir=csv_dir, seed=seed,
                     k_ambassadors=k_ambassadors, top=top, campaign=campaign, csv_lang=csv_lang)
    csv_path = Path(csv_dir) if csv_dir is not None else path.with_name(f"{path.stem}-csv")
    click.echo(f"report written to {path} ({path.stat().st_size / 1024:,.0f} KiB); tables as CSV in {csv_path}/")


def register(group: click.Group) -> None:
    """Add ``report`` to the ``graphcrm`` command group."""
    group.add_command(report_cmd)
