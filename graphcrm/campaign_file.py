"""The campaign file: what marketing decided, in one TOML file read by ``ambassadors``,
``targets`` and ``report`` alike, so the approved list, the CRM table and the report's picks
are the same list.

The format (every table and key optional except where said; unknown keys are an error)::

    name = "winter-2026"        # campaign name: the targets table's campaign column
    seed = 0                    # seed of every random part (same seed, same picks)

    [ambassadors]
    k = 30                      # ambassadors to pick
    eps = 0.1                   # OPIM-C slack; also model, probability, lam, delta, max_hops,
    per_city = 3                # half_life_days, horizon_days, mc_runs (as graphcrm.algorithms.
    per_circle = 2              # influence.ambassadors)
    budget = 20000              # total cost allowed; needs costs
    costs = "costs.csv"         # owner_id,cost CSV (relative to this file), or a table:
    # [ambassadors.costs]
    # O000123 = 500

    [exclude]                   # never targeted in any program (checked against the owners)
    owner_ids = ["O000001", "O000002"]
    files = ["already_rewarded.csv"]   # one owner_id a line, or a CSV with an owner_id column

    [targets]                   # the other programs of graphcrm.algorithms.targeting.targets
    programs = ["ambassador", "volunteer_invite", "referral_reward", "reactivation"]
    volunteer_k = 50
    referral_k = 50
    reactivation_k = 100
    quiet_days = 90             # lapsed owners, listed after the drifting ones
    min_activities = 3
    drift_options = { period = "30D", min_drop = 0.5 }   # drifting owners (reactivation's first rows)

    [holdout]                   # a control group kept out of the campaign (recorded by the CLI)
    share = 0.1                 # of the picks, in (0, 1)
    window_days = 30
    start = "2026-12-07"

:func:`read_campaign_file` returns a :class:`CampaignFile`; its :meth:`~CampaignFile.
ambassador_options` are the keywords of ``cg.ambassadors`` and its :meth:`~CampaignFile.
target_options` those of ``cg.targets`` (the same ambassador options inside), so that
``cg.ambassadors(**f.ambassador_options())`` picks exactly the ``ambassador`` rows of
``cg.targets(**f.target_options())`` and of the report built with ``campaign=f``.

Example
-------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "c.toml").write_text('name = "w"\\n[ambassadors]\\nk = 5\\nper_city = 2\\n'
...                             '[exclude]\\nowner_ids = ["a", "zz"]\\n', encoding="utf-8")
>>> f = read_campaign_file(d / "c.toml")
>>> f.ambassador_options()
{'k': 5, 'per_city': 2, 'exclude': ['a', 'zz'], 'seed': 0}
>>> f.check_exclusions(["a", "b"]).unknown
('zz',)
"""
from __future__ import annotations

import csv
import io
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphcrm.errors import ConfigError, InputFileError

__all__ = ["CampaignFile", "ExclusionCheck", "read_campaign_file", "read_ids", "AMBASSADOR_KEYS", "TARGET_KEYS",
           "DRIFT_KEYS"]

#: keys of [ambassadors] and the types they take (passed to ``ambassadors`` as given)
AMBASSADOR_KEYS: dict[str, tuple[type, ...]] = {
    "k": (int,), "eps": (int, float), "delta": (int, float), "model": (str,), "probability": (str,),
    "lam": (int, float), "max_hops": (int,), "half_life_days": (int, float), "horizon_days": (int, float),
    "per_city": (int,), "per_circle": (int,), "budget": (int, float), "mc_runs": (int,),
    "costs": (str, dict),
}
#: keys of [targets] (passed to ``targets`` as given)
TARGET_KEYS: dict[str, tuple[type, ...]] = {
    "programs": (list,), "volunteer_k": (int,), "referral_k": (int,), "reactivation_k": (int,),
    "quiet_days": (int, float), "min_activities": (int,), "drift_options": (dict,),
}
#: keys of [targets] drift_options (passed to ``drifting_owners``: who reactivation lists first)
DRIFT_KEYS: dict[str, tuple[type, ...]] = {
    "period": (str, int), "as_of": (str, Any), "grace_days": (int, float), "contribution_quantile": (int, float),
    "min_activity": (int,), "min_drop": (int, float), "compare_circles": (bool,),
}
HOLDOUT_KEYS: dict[str, tuple[type, ...]] = {"share": (int, float), "window_days": (int,), "start": (str, Any)}
EXCLUDE_KEYS: dict[str, tuple[type, ...]] = {"owner_ids": (list,), "files": (list,)}
TOP_KEYS = {"name": (str,), "seed": (int,)}
TABLES = ("ambassadors", "exclude", "targets", "holdout")


@dataclass(frozen=True)
class ExclusionCheck:
    """The exclusion list checked against the community's owners.

    Attributes
    ----------
    read : int
        Distinct owner ids read (inline ids and files together).
    known, unknown : tuple of str
        Ids that are owners of the community, and ids that are not (typos, other brands ...),
        each sorted.
    """

    read: int
    known: tuple[str, ...]
    unknown: tuple[str, ...]

    def summary(self, lang: str = "en") -> str:
        """One line for people: ids read, and the unknown ones (at most 10 named)."""
        shown = ", ".join(self.unknown[:10]) + (" …" if len(self.unknown) > 10 else "")
        if lang == "zh":
            s = f"排除名单读取 {self.read:,} 个 ID，其中 {len(self.known):,} 个是本社区车主"
            return s + (f"；{len(self.unknown):,} 个未知：{shown}" if self.unknown else "")
        s = f"exclusion list: {self.read:,} ids read, {len(self.known):,} of them owners of this community"
        return s + (f"; {len(self.unknown):,} unknown: {shown}" if self.unknown else "")


@dataclass(frozen=True)
class CampaignFile:
    """A campaign file read by :func:`read_campaign_file` (see the module docstring).

    Attributes
    ----------
    path : Path
        The file read.
    name : str or None
        Campaign name.
    seed : int
        Seed of the random parts.
    ambassadors : dict
        The [ambassadors] options as written (``costs`` already read into ``{owner_id: cost}``).
    exclude : tuple of str
        Owner ids never targeted (inline and from the files, de-duplicated, in reading order).
    targets : dict
        The [targets] options as written.
    holdout : dict
        The [holdout] table as written (empty when none).
    """

    path: Path
    name: str | None = None
    seed: int = 0
    ambassadors: dict[str, Any] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    targets: dict[str, Any] = field(default_factory=dict)
    holdout: dict[str, Any] = field(default_factory=dict)

    @property
    def k(self) -> int:
        """Ambassadors to pick (30 when the file does not say)."""
        return int(self.ambassadors.get("k", 30))

    def ambassador_options(self) -> dict[str, Any]:
        """Keywords for ``cg.ambassadors`` (and ``ambassador_results``): the file's
        [ambassadors] table, ``exclude`` (when any) and ``seed``."""
        out = dict(self.ambassadors)
        if self.exclude:
            out["exclude"] = list(self.exclude)
        out["seed"] = self.seed
        return out

    def target_options(self) -> dict[str, Any]:
        """Keywords for ``cg.targets``: the [targets] table, ``ambassadors_k``, ``exclude``,
        ``campaign`` (the name), ``seed`` and ``ambassador_options`` (every [ambassadors]
        option but ``k``, with the same ``exclude``, so the ambassador rows are
        ``cg.ambassadors(**ambassador_options())``)."""
        amb = self.ambassador_options()
        amb.pop("seed")
        out: dict[str, Any] = dict(self.targets)
        out["ambassadors_k"] = int(amb.pop("k", 30))
        out["ambassador_options"] = amb
        if self.exclude:
            out["exclude"] = list(self.exclude)
        if self.name is not None:
            out["campaign"] = self.name
        out["seed"] = self.seed
        return out

    def check_exclusions(self, owner_ids: Any) -> ExclusionCheck:
        """Which excluded ids are owners of the community (``owner_ids``) and which are unknown."""
        have = {str(x) for x in owner_ids}
        ids = list(dict.fromkeys(self.exclude))
        return ExclusionCheck(read=len(ids), known=tuple(sorted(i for i in ids if i in have)),
                              unknown=tuple(sorted(i for i in ids if i not in have)))


def read_ids(path: str | os.PathLike) -> list[str]:
    """Owner ids from a file: a CSV with an ``owner_id`` column, or one id a line (``#`` comments
    and blank lines skipped; UTF-8, a BOM allowed).

    Raises
    ------
    InputFileError
        The file cannot be read, or has a header without ``owner_id`` among several columns.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read the id list ({exc.__class__.__name__})") from None
    rows = [r for r in csv.reader(io.StringIO(text)) if r and r[0].strip() and not r[0].lstrip().startswith("#")]
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    if "owner_id" in header:
        col = header.index("owner_id")
        return [r[col].strip() for r in rows[1:] if len(r) > col and r[col].strip()]
    if len(header) > 1:
        raise InputFileError(f"{path}: row 1 has {len(header)} columns but none is called owner_id")
    return [r[0].strip() for r in rows]


def _read_costs(path: Path) -> dict[str, float]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read the costs ({exc.__class__.__name__})") from None
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if "owner_id" not in header or "cost" not in header:
        raise InputFileError(f"{path}: the costs file needs the columns owner_id and cost")
    i, j = header.index("owner_id"), header.index("cost")
    out: dict[str, float] = {}
    for n, r in enumerate(rows[1:], start=2):
        if not r or not "".join(r).strip():
            continue
        try:
            v = float(r[j])
        except (IndexError, ValueError):
            raise InputFileError(f"{path}: row {n}: cost {r[j] if len(r) > j else ''!r} is not a number") from None
        if not math.isfinite(v) or v < 0:
            raise InputFileError(f"{path}: row {n}: cost must be a number >= 0, got {r[j]!r}")
        out[r[i].strip()] = v
    return out


def _check(where: str, table: dict, keys: dict[str, tuple[type, ...]], path: Path) -> None:
    for key, value in table.items():
        if key not in keys:
            raise ConfigError(f"{path}: [{where}] has an unknown key {key!r}; known keys: {', '.join(keys)}")
        types = keys[key]
        if Any in types:
            continue
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            names = {(int,): "whole number", (int, float): "number", (str,): "text", (list,): "list",
                     (str, dict): "file name or table", (dict,): "table", (bool,): "true or false",
                     (str, int): "text or whole number"}.get(types, "value")
            raise ConfigError(f"{path}: [{where}] {key} = {value!r} must be a {names}")


def read_campaign_file(path: str | os.PathLike) -> CampaignFile:
    """Read and check a campaign file (TOML, see the module docstring).

    Parameters
    ----------
    path : path
        The TOML file; relative paths inside it (exclusion and cost files) are read relative to
        its folder.

    Returns
    -------
    CampaignFile

    Raises
    ------
    InputFileError
        The file (or an exclusion or cost file it names) cannot be read, or is not valid TOML
        (the message names the line and column).
    ConfigError
        An unknown table or key, a value of the wrong type or out of range (k < 1, share not
        in (0, 1), an unknown program), costs without a budget or a budget without costs.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read the campaign file ({exc.__class__.__name__})") from None
    try:
        doc = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: the campaign file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(f"{path}: not a valid campaign file (TOML): {exc}") from None
    for key, value in doc.items():
        if key in TABLES:
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: {key} must be a table ([{key}])")
        elif key not in TOP_KEYS:
            raise ConfigError(f"{path}: unknown key {key!r}; known: {', '.join([*TOP_KEYS, *TABLES])}")
    _check("top level", {k: v for k, v in doc.items() if k in TOP_KEYS}, TOP_KEYS, path)
    amb = dict(doc.get("ambassadors", {}))
    _check("ambassadors", amb, AMBASSADOR_KEYS, path)
    exc_t = dict(doc.get("exclude", {}))
    _check("exclude", exc_t, EXCLUDE_KEYS, path)
    tgt = dict(doc.get("targets", {}))
    _check("targets", tgt, TARGET_KEYS, path)
    _check("targets.drift_options", dict(tgt.get("drift_options", {})), DRIFT_KEYS, path)
    hold = dict(doc.get("holdout", {}))
    _check("holdout", hold, HOLDOUT_KEYS, path)

    _check_ambassadors(amb, path)
    _check_targets(tgt, hold, path)
    ids = _excluded_ids(exc_t, path)
    return CampaignFile(path=path, name=doc.get("name"), seed=int(doc.get("seed", 0)), ambassadors=amb,
                        exclude=tuple(dict.fromkeys(i for i in ids if i)), targets=tgt, holdout=hold)


def _check_ambassadors(amb: dict[str, Any], path: Path) -> None:
    """Check the [ambassadors] values and read its costs (a file next to the campaign file, or
    an inline table) into ``amb["costs"]``, owner id -> cost."""
    if "k" in amb and amb["k"] < 1:
        raise ConfigError(f"{path}: [ambassadors] k must be at least 1, got {amb['k']}")
    for key in ("per_city", "per_circle", "mc_runs", "budget"):
        if key in amb and amb[key] < 0:
            raise ConfigError(f"{path}: [ambassadors] {key} must be >= 0, got {amb[key]}")
    if isinstance(amb.get("costs"), str):
        amb["costs"] = _read_costs((path.parent / amb["costs"]))
    elif isinstance(amb.get("costs"), dict):
        costs = {}
        for oid, v in amb["costs"].items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ConfigError(f"{path}: [ambassadors.costs] {oid} = {v!r} must be a number >= 0")
            costs[str(oid)] = float(v)
        amb["costs"] = costs
    if ("costs" in amb) != ("budget" in amb):
        raise ConfigError(f"{path}: [ambassadors] costs and budget go together")


def _check_targets(tgt: dict[str, Any], hold: dict[str, Any], path: Path) -> None:
    """Check the [targets] sizes and programs and the [holdout] share."""
    for key in TARGET_KEYS:
        if key not in ("programs", "drift_options") and key in tgt and tgt[key] < 0:
            raise ConfigError(f"{path}: [targets] {key} must be >= 0, got {tgt[key]}")
    if "programs" in tgt:
        known = ("ambassador", "volunteer_invite", "referral_reward", "reactivation")
        bad = [p for p in tgt["programs"] if p not in known]
        if bad:
            raise ConfigError(f"{path}: [targets] unknown program(s) {bad}; choose from {', '.join(known)}")
    if "share" in hold and not 0 < hold["share"] < 1:
        raise ConfigError(f"{path}: [holdout] share must be between 0 and 1, got {hold['share']}")


def _excluded_ids(exc_t: dict[str, Any], path: Path) -> list[str]:
    """The [exclude] ids: inline ``owner_ids`` first, then those of its ``files`` (relative to
    the campaign file)."""
    ids: list[str] = []
    for x in exc_t.get("owner_ids", []):
        if not isinstance(x, (str, int)) or isinstance(x, bool):
            raise ConfigError(f"{path}: [exclude] owner_ids holds {x!r}, not an owner id")
        ids.append(str(x))
    for f in exc_t.get("files", []):
        if not isinstance(f, str):
            raise ConfigError(f"{path}: [exclude] files holds {f!r}, not a file name")
        ids.extend(read_ids(path.parent / f))
    return ids
