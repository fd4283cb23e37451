"""CLI command ``graphcrm circles``: circles (圈层), as profiles or owner -> circle."""
from __future__ import annotations

import click

from graphcrm.commands.options import (analysis_options, emit, given, handle_errors, library_option, note, open_cg,
                                      parse_pairs, summary_of)


@click.command("circles")
@analysis_options(top=20)
@click.option("--members", is_flag=True, help="List owners with their circle instead of one row per circle.")
@click.option("--resolution", type=float, default=None,
              help="Fixed resolution (higher = more, smaller circles); default: the most seed-stable level of --granularity.")
@library_option("--granularity", type=click.Choice(["coarser", "default", "finer"]), library=("circles", "granularity"),
                help="Fewer, larger or more, smaller circles.")
@library_option("--method", type=click.Choice(["auto", "modularity", "cpm", "infomap", "louvain"]),
                library=("circles", "method"),
                help="auto (modularity or Infomap, by edge cross-validation), Leiden modularity, Leiden CPM, "
                     "Infomap or Louvain.")
@click.option("--layer-weights", default=None, metavar="L=W,...",
              help="Weights of the normalised layers, e.g. coattendance=1,interactions=0.5.")
@library_option("--engine", type=click.Choice(["auto", "leidenalg", "igraph"]), library=("circles", "engine"),
                help="Leiden implementation (auto: igraph's C version; leidenalg: the same algorithm and quality function, 8-25x slower).")
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
    note(f"{n_circ} circles; {int(circ['is_bridge'].sum())} bridges; {info.n_no_circle} owners with no ties (no circle)"
         if lang == "en" else
         f"共 {n_circ} 个圈层，{int(circ['is_bridge'].sum())} 位跨圈桥梁，{info.n_no_circle} 位车主无联系（无圈层）", fmt)
    emit(prof, fmt, top=top, summary=summary_of(info))


def register(group: click.Group) -> None:
    """Add ``circles`` to the ``graphcrm`` command group."""
    group.add_command(circles_cmd)
