"""Graph exports with context: owner attributes on the nodes, layer and weight on the edges.

:func:`node_attributes` joins what a Gephi or networkx user would otherwise join by hand (city,
region, car model, level, circle, KOC score and rank); :func:`to_networkx` puts them on a
projection's nodes and marks every edge with its ``layer`` (the projection) and a ``weight``
(1 per referral), with values GraphML and GEXF can store (text, numbers, booleans; dates as
ISO text; missing text as "", missing numbers as -1), so that ``nx.write_graphml`` /
``nx.write_gexf`` files open in Gephi as they are.  Names and other personal columns are never
exported.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["node_attributes", "to_networkx", "NODE_ATTRIBUTES"]

#: node attributes, in order: name -> meaning
NODE_ATTRIBUTES: dict[str, str] = {
    "city": "the owner's city ('' if unknown)",
    "region": "the owner's region ('' if unknown)",
    "car_model": "the car model ('' for prospects)",
    "level": "relationship level (owner_levels; '' for staff)",
    "circle": "circle (circles; -1 = no ties)",
    "koc_score": "KOC score 0-100 (0 = unscored or staff)",
    "koc_rank": "KOC rank (1 = best; -1 = unscored or staff)",
    "is_volunteer": "a current volunteer",
    "is_staff": "staff",
}


def node_attributes(community: Any) -> pd.DataFrame:
    """Owner attributes for graph nodes, one row per owner in ``community.owner_ids`` order.

    Returns
    -------
    DataFrame
        ``owner_id`` and the columns of :data:`NODE_ATTRIBUTES`: ``city``, ``region``,
        ``car_model`` (text, "" when missing), ``level`` (level key), ``circle`` (int, -1 = no
        ties), ``koc_score`` (0-100), ``koc_rank`` (int, -1 = unscored), ``is_volunteer``,
        ``is_staff`` (bool).  Never the name or any other personal column.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a", "b"], "city": ["上海", None],
    ...                                                    "name": ["Ann", "Bo"]})})
    >>> node_attributes(c)[["owner_id", "city", "level", "circle", "koc_rank"]].values.tolist()
    [['a', '上海', 'buyer', -1, -1], ['b', '', 'buyer', -1, -1]]
    """
    from graphcrm.algorithms.circles import circles
    from graphcrm.algorithms.koc import kocs
    from graphcrm.algorithms.levels import owner_levels

    ids = np.asarray(community.owner_ids, dtype=object)
    o = community.owners.set_index("owner_id").reindex(ids)
    out = pd.DataFrame({"owner_id": ids.astype(str)})
    for c in ("city", "region", "car_model"):
        out[c] = o[c].astype(object).where(o[c].notna(), "").astype(str).to_numpy() if c in o else ""
    lv = owner_levels(community).set_index("owner_id")["level"]
    out["level"] = lv.reindex(ids).astype(object).where(lv.reindex(ids).notna(), "").astype(str).to_numpy()
    cf = circles(community).set_index("owner_id")["circle"]
    out["circle"] = cf.reindex(ids).fillna(-1).astype(np.int64).to_numpy()
    k = kocs(community)
    k = k[k["score"] > 0].set_index("owner_id")
    out["koc_score"] = k["score"].reindex(ids).fillna(0.0).astype(float).round(4).to_numpy()
    out["koc_rank"] = k["rank"].reindex(ids).fillna(-1).astype(np.int64).to_numpy()
    for c in ("is_volunteer", "is_staff"):
        out[c] = o[c].fillna(False).astype(bool).to_numpy() if c in o else False
    return out


def _plain(v: Any) -> Any:
    """A value GraphML/GEXF can store."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v)
    if isinstance(v, str):
        return v
    if v is None or v is pd.NaT:
        return ""
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(v).isoformat()
    return str(v)


def to_networkx(community: Any, kind: str, *, attributes: bool = True, **graph_options: Any):
    """A projection as a networkx graph with owner attributes on the nodes and layer/weight on
    the edges, ready for ``nx.write_graphml`` / ``nx.write_gexf`` (and Gephi).

    Parameters
    ----------
    community : Community
        The community snapshot.
    kind : {"referrals", "interactions", "coattendance"}
        The projection (see :mod:`graphcrm.projections`).
    attributes : bool, default True
        Join :func:`node_attributes` onto the nodes (runs levels, circles and KOCs).
    **graph_options
        Options of the projection (``half_life_days``, ``max_event_size`` ...).

    Returns
    -------
    networkx.DiGraph or networkx.Graph
        Nodes: owner ids, with the attributes of :data:`NODE_ATTRIBUTES`; edges: ``layer``
        (the projection), ``weight`` (the projection's weight; 1.0 per referral) and the
        projection's own edge attributes (``count``, ``shared``, ``stage``, ``referred_at`` as
        ISO text).  Graph attributes: ``projection`` and the projection's scalar attributes.

    Raises
    ------
    ConfigError
        Unknown projection or option.

    Example
    -------
    >>> import pandas as pd
    >>> from graphcrm.community import Community
    >>> c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["a", "b"], "city": ["上海", "北京"]}),
    ...     "referrals": pd.DataFrame({"referrer_id": ["a"], "referee_id": ["b"], "referred_at": ["2024-01-01"],
    ...                                "stage": ["order"]})})
    >>> G = to_networkx(c, "referrals")
    >>> G.nodes["b"]["city"], G.edges["a", "b"]["layer"], G.edges["a", "b"]["weight"]
    ('北京', 'referrals', 1.0)
    """
    import networkx as nx

    g = community.graph(kind, **graph_options)
    G = nx.DiGraph() if g.is_directed() else nx.Graph()
    G.graph.update({k: _plain(g[k]) for k in g.attributes() if isinstance(g[k], (int, float, str, bool, np.number))})
    G.graph["projection"] = kind
    names = g.vs["name"]
    if attributes:
        attrs = node_attributes(community)
        cols = [c for c in attrs.columns if c != "owner_id"]
        rows = attrs[cols].to_dict("records")
        G.add_nodes_from((n, {c: _plain(r[c]) for c in cols}) for n, r in zip(attrs["owner_id"], rows))
    else:
        G.add_nodes_from(names)
    eattrs = g.es.attributes()
    src = [names[e.source] for e in g.es]
    dst = [names[e.target] for e in g.es]
    cols = {a: [_plain(x) for x in g.es[a]] for a in eattrs}
    weight = cols.pop("weight", [1.0] * g.ecount())
    for i, (a, b) in enumerate(zip(src, dst)):
        d = {"layer": kind, "weight": float(weight[i])}
        for k, vals in cols.items():
            d[k] = vals[i]
        G.add_edge(a, b, **d)
    return G
