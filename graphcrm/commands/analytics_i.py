"""CLI commands of analytics I: ``graphcrm kocs``, ``graphcrm circles``, ``graphcrm referrals``."""
from __future__ import annotations

import click

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
from graphcrm.errors import ConfigError


def _note(text: str, fmt: str) -> None:
    """Human notes go to stdout with a table, to stderr with csv/json (keeps those parseable)."""
    note(text, fmt)


def parse_pairs(text: str | None, what: str) -> dict[str, float]:
    """Parse ``"a=1,b=0.5"`` into ``{"a": 1.0, "b": 0.5}``.

    Raises
    ------
    ConfigError
        If a part is not ``name=number``.
    """
    out: dict[str, float] = {}
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, value = part.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(f"{what}: expected name=number pairs separated by commas, got {part!r}") from None
    return out


def parse_floats(text: str, what: str) -> list[float]:
    """Parse ``"1,0.5,0.25"`` into a list of floats (raises ConfigError)."""
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(f"{what}: expected numbers separated by commas, got {text!r}") from None


@click.command("kocs")
@store_option
@window_options
@top_option(20)
@format_option
@lang_option
@segment_options
@output_option
@click.option("--weights", default=None, metavar="C=W,...",
              help="Component weights, e.g. reach=0.3,engagement=0.25,authority=0.2,conversion=0.15,bridging=0.1.")
@library_option("--half-life", "half_life", type=float, library=("kocs", "half_life_days"),
                help="Engagement half-life in days (0 = no time decay).")
@library_option("--min-engagers", type=float, library=("kocs", "min_distinct_engagers"),
                help="Independent engagers needed for engagement to count.")
@library_option("--min-days", type=int, library=("kocs", "min_distinct_days"),
                help="Distinct days with engagement needed for engagement to count.")
@library_option("--closed-discount", type=float, library=("kocs", "closed_group_discount"),
                help="Discount of engagement from a closed mutual group (like ring).")
@library_option("--bridging", type=click.Choice(["count", "entropy"]), library=("kocs", "bridging"),
                help="Bridging as distinct circles of the audience, or exp(entropy) of it.")
@click.option("--include-staff", is_flag=True, help="Rank staff too (left out by default).")
@handle_errors
def kocs_cmd(store, since, until, top, fmt, lang, segment, weights, half_life, min_engagers, min_days,
             closed_discount, bridging, include_staff) -> None:
    """Key opinion consumers: reach, engagement, authority, conversion and bridging, with a reason.

    Engagement from a closed group that mostly engages with itself (a like ring) is discounted,
    and engagement counts only from enough distinct owners on enough distinct days.
    """
    opts = given(weights=parse_pairs(weights, "--weights") or None, min_distinct_engagers=min_engagers,
                 min_distinct_days=min_days, closed_group_discount=closed_discount, bridging=bridging)
    if half_life is not None:
        opts["half_life_days"] = half_life or None  # 0 = no decay
    df = open_cg(store).kocs(since=since, until=until, segment=segment, include_staff=include_staff,
                             top=None if segment is not None else (top or None), lang=lang, **opts)
    emit(df, fmt, top=top)


@click.command("circles")
@store_option
@window_options
@top_option(20)
@format_option
@lang_option
@segment_options
@output_option
@click.option("--members", is_flag=True, help="List owners with their circle instead of one row per circle.")
@click.option("--resolution", type=float, default=None,
              help="Fixed resolution (higher = more, smaller circles); default: the most seed-stable level of --granularity.")
@library_option("--granularity", type=click.Choice(["coarser", "default", "finer"]), library=("circles", "granularity"),
                help="Fewer, larger or more, smaller circles.")
@library_option("--method", type=click.Choice(["modularity", "cpm", "infomap", "louvain"]),
                library=("circles", "method"), help="Leiden modularity, Leiden CPM, Infomap or Louvain.")
@click.option("--layer-weights", default=None, metavar="L=W,...",
              help="Weights of the normalised layers, e.g. coattendance=1,interactions=0.5.")
@library_option("--engine", type=click.Choice(["auto", "leidenalg", "igraph"]), library=("circles", "engine"),
                help="Leiden implementation (auto: leidenalg up to 100k ties, igraph's faster C version above).")
@library_option("--seed", type=int, library=("circles", "seed"), help="Leiden seed.")
@handle_errors
def circles_cmd(store, since, until, top, fmt, lang, segment, members, resolution, granularity, method, layer_weights,
                engine, seed) -> None:
    """Circles (圈层): Leiden on co-attendance + interactions; profiles or owner -> circle.

    Circle -1 holds owners with no ties at all.  Bridges are owners whose ties spread over
    several circles (participation coefficient).
    """
    cg = open_cg(store)
    opts = given(resolution=resolution, granularity=granularity, method=method,
                 layer_weights=parse_pairs(layer_weights, "--layer-weights") or None, engine=engine, seed=seed)
    circ, info = cg.circles(since=since, until=until, lang=lang, details=True, **opts)
    if members:
        if segment is not None:
            circ = cg.circles(since=since, until=until, segment=segment, lang=lang, **opts)
        emit(circ, fmt, top=top, summary=summary_of(info))
        return
    prof = cg.circle_profiles(since=since, until=until, circles_frame=circ, circle_options=opts, lang=lang)
    if segment is not None:  # the circles the segment's owners are in
        from graphcrm.segments import restrict

        members_in = restrict(circ, segment.owner_ids(cg.community(since, until)))
        prof = prof[prof["circle"].isin(set(members_in["circle"])).to_numpy()].reset_index(drop=True)
    n_circ = info.n_circles
    _note(f"{n_circ} circles; {int(circ['is_bridge'].sum())} bridges; {info.n_no_circle} owners with no ties (no circle)"
          if lang == "en" else
          f"共 {n_circ} 个圈层，{int(circ['is_bridge'].sum())} 位跨圈桥梁，{info.n_no_circle} 位车主无联系（无圈层）", fmt)
    emit(prof, fmt, top=top, summary=summary_of(info))


@click.command("referrals")
@store_option
@window_options
@top_option(20)
@format_option
@lang_option
@segment_options
@output_option
@click.option("--check", is_flag=True, help="Print the referral integrity findings instead.")
@click.option("--view", type=click.Choice(["chains", "trees", "longest", "attribution", "board"]), default="chains",
              show_default=True,
              help="chains: per owner; trees: largest chains; longest: deepest chains; attribution: "
                   "multi-level credit; board: top referrers of a period (overall, growers, per region).")
@click.option("--decay", default="1,0.5,0.25", show_default=True,
              help="Attribution credit per level, direct first.")
@click.option("--period", default="quarter", show_default=True,
              help="Board period: week, month, quarter, year or <n>d.")
@click.option("--as-of", "as_of", default=None, metavar="DATE", help="Board: a day in the period to report.")
@click.option("--growers", type=int, default=5, show_default=True, help="Board: fastest growers listed.")
@click.option("--per-region", type=int, default=3, show_default=True, help="Board: entries per region.")
@handle_errors
def referrals_cmd(store, since, until, top, fmt, lang, segment, check, view, decay, period, as_of, growers,
                  per_region) -> None:
    """Referral chains on the cleaned graph, attribution, the referrer board, or --check findings.

    Cleaning: self-referrals dropped, cycles broken at their latest claim, double claims resolved
    first-touch; staff are never credited and referrals dated after the delivery never convert.
    """
    from graphcrm.algorithms import referrals as R
    from graphcrm.segments import restrict

    cg = open_cg(store)
    community = cg.community(since, until)
    if check:
        df = cg.referral_issues(since=since, until=until, segment=segment, lang=lang)
        counts = df["kind"].value_counts()
        summary = ", ".join(f"{k} {counts[k]}" for k in df["kind"].unique())
        _note((f"{len(df)} findings" + (f": {summary}" if summary else "")) if lang == "en"
              else f"共 {len(df)} 条问题" + (f"：{summary}" if summary else ""), fmt)
        emit(df, fmt, top=top)
        return
    dec = parse_floats(decay, "--decay")
    if view == "chains":
        df = cg.referral_chains(since=since, until=until, segment=segment, lang=lang)
    elif view in ("trees", "longest"):
        df = R.referral_trees(community, sort="size" if view == "trees" else "depth",
                              top=None if segment is not None else (top or None), lang=lang)
        if segment is not None:
            df = restrict(df, segment.owner_ids(community))
    elif view == "attribution":
        df = cg.referral_attribution(since=since, until=until, segment=segment, decay=dec, lang=lang)
    else:
        df = cg.top_referrers(since=since, until=until, segment=segment, period=period, as_of=as_of,
                              top=top or 10, growers=growers, per_region=per_region, decay=dec, lang=lang)
        emit(df, fmt)
        return
    emit(df, fmt, top=top)



def register(cli: click.Group) -> None:
    """Add the analytics I commands (kocs, circles, referrals) to the ``graphcrm`` group."""
    for cmd in (kocs_cmd, circles_cmd, referrals_cmd):
        cli.add_command(cmd)
