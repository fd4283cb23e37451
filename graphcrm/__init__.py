"""graphcrm: owner-community graph analytics for car brands.

>>> import graphcrm
>>> cg = graphcrm.open(":memory:")          # or a path, or bolt://host:7687
"""
from graphcrm.api import CommunityGraph, open
from graphcrm.community import Community
from graphcrm.errors import GraphCRMError

__version__ = "0.1.0"
__all__ = ["open", "CommunityGraph", "Community", "GraphCRMError", "__version__"]
