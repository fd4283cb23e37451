"""The one place that reads the side results of :func:`graphcrm.algorithms.influence.ambassadors`.

Every other analysis returns its side results as a typed dataclass (``details=True``, see
:mod:`graphcrm.results`).  ``ambassadors`` is being moved onto the result contract separately;
until then its side results ride in ``DataFrame.attrs``, and this module is the only code that
reads them.  The report (:mod:`graphcrm.reports.html`) and the CLI (``graphcrm ambassadors``)
call :func:`ambassador_results` and read the typed fields of :class:`AmbassadorSide`; when
``ambassadors`` declares its details, only :func:`ambassador_results` changes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["AmbassadorSide", "ambassador_results"]


@dataclass(frozen=True)
class AmbassadorSide:
    """The side results of one ambassador selection.

    Attributes
    ----------
    spread_curve : DataFrame
        ``k`` (picks, 0..len(table)) and ``expected_reach`` (owners reached in expectation by
        the first k picks, RR estimate).
    mc_mean, mc_ci_low, mc_ci_high : float or None
        Monte Carlo check of the whole set: mean spread (owners) and its 95% confidence
        interval; None when the check was skipped (``mc_runs=0``).
    mc_runs : int
        Monte Carlo runs behind the check (0 = skipped).
    approximation : float
        Certified approximation ratio of the picks against the optimum (0-1).
    stats : dict
        Sampling statistics and timings (``model``, ``r1_sets``, ``r2_sets`` ...).
    """

    spread_curve: "pd.DataFrame"
    mc_mean: float | None
    mc_ci_low: float | None
    mc_ci_high: float | None
    mc_runs: int
    approximation: float
    stats: dict[str, Any] = field(default_factory=dict)


def ambassador_results(community: Any, **options: Any) -> tuple["pd.DataFrame", AmbassadorSide]:
    """Run :func:`graphcrm.algorithms.influence.ambassadors` on ``community`` with ``options``
    (passed as given: an unknown option is an error) and return ``(table, side results)``.

    Raises
    ------
    GraphCRMError
        Whatever ``ambassadors`` raises for bad options or data.
    """
    import pandas as pd

    from graphcrm.algorithms.influence import ambassadors

    table = ambassadors(community, **options)
    a = dict(table.attrs)  # the only reader of ambassadors' attrs (see the module docstring)
    curve = a.get("spread_curve")
    curve = curve.copy() if isinstance(curve, pd.DataFrame) else pd.DataFrame({"k": [], "expected_reach": []})
    mc = a.get("mc_check") or {}
    runs = int(mc.get("runs", 0) or 0)

    def num(key: str) -> float | None:
        return float(mc[key]) if runs and mc.get(key) is not None else None

    side = AmbassadorSide(spread_curve=curve, mc_mean=num("mean"), mc_ci_low=num("ci_low"),
                          mc_ci_high=num("ci_high"), mc_runs=runs,
                          approximation=float(a.get("approximation", 0.0) or 0.0), stats=dict(a.get("stats") or {}))
    table = table.copy()
    table.attrs = {}
    return table, side
