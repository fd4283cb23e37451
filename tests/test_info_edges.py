"""CommunityGraph.info counts the projections from their edge arrays: the same vertex and edge
counts as the igraph graphs it no longer builds."""
from __future__ import annotations

import graphcrm
from graphcrm.demo import generate_demo


def test_info_graph_counts_match_the_igraph_graphs(tmp_path):
    tables, _ = generate_demo(1000, seed=1)
    cg = graphcrm.open(str(tmp_path / "c.duckdb"))
    cg.load(tables, rejects_path=tmp_path / "rej.csv", progress=False)
    info = cg.info().set_index("item")
    c = cg._community()
    for kind in ("referrals", "interactions", "coattendance"):
        g = c.graph(kind)
        assert g.ecount() > 0
        assert info.loc[f"{kind} graph", "rows"] == g.vcount() == len(c.owner_ids)
        assert info.loc[f"{kind} graph", "edges"] == g.ecount()
    assert info.loc["owners", "rows"] == len(tables["owners"])
