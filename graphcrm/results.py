"""The result contract: every analysis declares its output once, and returns that shape every time.

An analysis is a function ``f(community, *, options...) -> DataFrame`` decorated with
:func:`analysis` and a :class:`ResultSpec`.  The spec says:

* ``key`` - the columns that identify a row (``owner_id`` for owner tables; ``circle`` for
  circle profiles; ``("program", "owner_id")`` for targets ...);
* ``columns`` - every output column, in order, with its type, unit and plain meaning
  (the report's legends and the CLI's ``--explain`` read these, never guess);
* ``sort`` - the row order (column, ascending) pairs;
* ``reason`` - the column holding the plain-words reason (or None);
* ``depends`` - the analyses it uses (their results are reused through the one cache);
* ``details`` - the dataclass of its side results (Monte Carlo check, guarantee,
  validation, coefficients ...), or None;
* ``phrases`` - the words of its report section in English and Chinese (:class:`Phrases`:
  section title, lead, short headers, the Chinese of its column meanings and units), so a new
  analysis brings its own words and the report's phrase table needs no edit.

The decorator

* checks that the table matches the declaration (missing or undeclared columns are a
  :class:`~graphcrm.errors.ResultContractError`: a bug in graphcrm, never the user's data) and
  puts the columns in declared order;
* computes once per community and options (:meth:`graphcrm.community.Community.memo`, the one
  cache, which a load invalidates by building a new community), so that ``targets`` and the
  report reuse what an earlier call computed;
* adds the keyword ``details``: ``details=True`` returns ``(table, details)`` where
  ``details`` is the declared dataclass (the table alone otherwise).

Side results never ride in ``DataFrame.attrs`` (pandas drops them on many operations).

Example
-------
>>> import pandas as pd
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class CountDetails:
...     owners: int
>>> SPEC = ResultSpec(
...     "owner_count", key=("owner_id",),
...     columns=(Col("owner_id", "str", "", "the owner"), Col("one", "int", "owners", "always 1")),
...     sort=(("owner_id", True),), reason=None, details=CountDetails)
>>> @analysis(SPEC)
... def owner_count(community):
...     t = pd.DataFrame({"one": 1, "owner_id": list(community.owner_ids)})
...     return t, CountDetails(owners=len(t))
>>> from graphcrm.community import Community
>>> c = Community.from_frames({"owners": pd.DataFrame({"owner_id": ["b", "a"]})})
>>> table, info = owner_count(c, details=True)
>>> list(table.columns), list(table["owner_id"]), info.owners
(['owner_id', 'one'], ['a', 'b'], 2)
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphcrm.errors import ResultContractError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: column types of the result contract
DTYPES = ("str", "int", "float", "bool", "datetime", "category", "object")


@dataclass(frozen=True)
class Col:
    """One output column: name, type (one of :data:`DTYPES`), unit and plain meaning.

    ``unit`` is what one step of the number is ("owners", "points", "days", "0-1", "0-100",
    "share 0-1", "conversions" ...); empty for text, ids and flags.
    """

    name: str
    dtype: str
    unit: str = ""
    meaning: str = ""
    #: the column may be missing a value (NaN/None) in some rows
    nullable: bool = False

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ResultContractError(f"column {self.name}: dtype {self.dtype!r} is not one of {DTYPES}")


@dataclass(frozen=True)
class Phrases:
    """The words a report shows for one analysis, declared with it, in English and Chinese.

    The report looks a label key up in its own phrase table first, then in the phrases of the
    registered analyses (:func:`graphcrm.analyses.declared_label`); a column's Chinese CSV
    header and the Chinese of its declared meaning and unit come from here when the report's
    table has none.  A key must not also be in the report's table
    (``tests/test_result_contract.py`` checks it).

    Attributes
    ----------
    labels : mapping of str to (str, str)
        Report label key -> (English, Chinese): the section title, its lead sentence, short
        column headers.
    columns_zh : mapping of str to (str, str)
        Column -> (Chinese CSV/terminal header, Chinese of the column's declared meaning).
    units_zh : mapping of str to str
        Unit of a column (as declared) -> Chinese.

    Example
    -------
    >>> p = Phrases(labels={"sec_x": ("Example", "示例")}, columns_zh={"n": ("数量", "车主人数")})
    >>> p.label("sec_x", "zh"), p.header_zh("n"), p.meaning_zh("n")
    ('示例', '数量', '车主人数')
    """

    labels: Mapping[str, tuple[str, str]] = dataclasses.field(default_factory=dict, hash=False)
    columns_zh: Mapping[str, tuple[str, str]] = dataclasses.field(default_factory=dict, hash=False)
    units_zh: Mapping[str, str] = dataclasses.field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        for key, pair in (*self.labels.items(), *self.columns_zh.items()):
            if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(x, str) and x for x in pair)):
                raise ResultContractError(f"phrase {key!r}: expected two non-empty texts, got {pair!r}")

    def label(self, key: str, lang: str) -> str | None:
        """The label ``key`` in ``lang`` ("en" or "zh"), None when not declared here."""
        pair = self.labels.get(key)
        return None if pair is None else pair[1 if lang == "zh" else 0]

    def header_zh(self, column: str) -> str | None:
        """The Chinese header of ``column`` (None when not declared here)."""
        pair = self.columns_zh.get(column)
        return None if pair is None else pair[0]

    def meaning_zh(self, column: str) -> str | None:
        """The Chinese of ``column``'s declared meaning (None when not declared here)."""
        pair = self.columns_zh.get(column)
        return None if pair is None else pair[1]


@dataclass(frozen=True)
class ResultSpec:
    """The declared output of one analysis (see the module docstring)."""

    name: str
    key: tuple[str, ...]
    columns: tuple[Col, ...]
    sort: tuple[tuple[str, bool], ...] = ()
    reason: str | None = "reason"
    depends: tuple[str, ...] = ()
    details: type | None = None
    description: str = ""
    #: (column, value) pairs: rows holding that value sort after all others, each part in the
    #: declared order (e.g. ``(("circle", -1),)``: the "no ties" circle listed last)
    last: tuple[tuple[str, Any], ...] = ()
    #: options that change how, never what, is computed (a progress bar, a thread count): left
    #: out of the cache key, so a call that differs only in them reuses the result
    runtime: tuple[str, ...] = ()
    #: the words of its report section, in English and Chinese (see :class:`Phrases`)
    phrases: Phrases | None = None

    def __post_init__(self) -> None:
        names = self.column_names
        if self.phrases is not None:
            unknown = sorted(set(self.phrases.columns_zh) - set(names))
            if unknown:
                raise ResultContractError(f"{self.name}: phrases for undeclared column(s) {unknown}")
        if len(set(names)) != len(names):
            raise ResultContractError(f"{self.name}: duplicate column names in its spec")
        for c in (*self.key, *(s for s, _ in self.sort), *([self.reason] if self.reason else []),
                  *(c for c, _ in self.last)):
            if c not in names:
                raise ResultContractError(f"{self.name}: {c!r} (key, sort or reason) is not a declared column")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Col:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def problems(self, df: "pd.DataFrame") -> list[str]:
        """What in ``df`` breaks this declaration (empty when it conforms)."""
        import pandas as pd

        out = []
        have = list(df.columns)
        missing = [c for c in self.column_names if c not in have]
        extra = [c for c in have if c not in self.column_names]
        if missing:
            out.append(f"missing column(s) {missing}")
        if extra:
            out.append(f"undeclared column(s) {extra}")
        for c in self.columns:
            if c.name not in have or not len(df):
                continue
            s = df[c.name]
            ok = {
                "int": lambda s: pd.api.types.is_integer_dtype(s.dtype) or _all_whole(s),
                "float": lambda s: pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype),
                "bool": lambda s: pd.api.types.is_bool_dtype(s.dtype) or s.dropna().map(type).isin([bool]).all(),
                "datetime": lambda s: pd.api.types.is_datetime64_any_dtype(s.dtype) or s.isna().all(),
                "str": lambda s: s.dropna().map(lambda v: isinstance(v, str)).all(),
            }.get(c.dtype)
            if ok is not None and not ok(s):
                out.append(f"column {c.name!r} is {s.dtype}, declared {c.dtype}")
            if not c.nullable and s.isna().any() and c.dtype not in ("object",):
                out.append(f"column {c.name!r} has missing values but is not declared nullable")
        if self.key and all(k in have for k in self.key) and len(df):
            if df.duplicated(list(self.key)).any():
                out.append(f"key {self.key} is not unique")
        return out

    def conform(self, df: "pd.DataFrame") -> "pd.DataFrame":
        """``df`` with the declared columns in declared order, sorted as declared.

        Raises
        ------
        ResultContractError
            The table lacks a declared column or has an undeclared one.
        """
        missing = [c for c in self.column_names if c not in df.columns]
        extra = [c for c in df.columns if c not in self.column_names]
        if missing or extra:
            raise ResultContractError(
                f"{self.name} returned a table that breaks its declaration: missing {missing}, undeclared {extra}"
            )
        out = df[self.column_names]
        if self.sort and len(out):
            cols = [c for c, _ in self.sort]
            asc = [a for _, a in self.sort]
            tail = None
            for c, v in self.last:
                m = (out[c] == v).fillna(False).to_numpy(dtype=bool)
                tail = m if tail is None else tail | m
            if tail is not None and tail.any():
                import pandas as pd

                out = pd.concat([out[~tail].sort_values(cols, ascending=asc, kind="stable", na_position="last"),
                                 out[tail].sort_values(cols, ascending=asc, kind="stable", na_position="last")])
            else:
                out = out.sort_values(cols, ascending=asc, kind="stable", na_position="last")
        out = out.reset_index(drop=True)
        out.attrs = {}
        return out

    def legend(self, lang: str = "en") -> list[tuple[str, str, str]]:
        """(column, unit, meaning) for every column with a meaning: the table's legend."""
        return [(c.name, c.unit, c.meaning) for c in self.columns if c.meaning]


def _all_whole(s: "pd.Series") -> bool:
    import numpy as np
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        return False
    v = s.dropna().to_numpy(dtype=float)
    return bool(np.all(np.isfinite(v) & (v == np.floor(v))))


# -- the cache key ----------------------------------------------------------------------
def freeze(value: Any) -> Any:
    """A JSON-able, content-based stand-in for an option value (the cache key).

    DataFrames and Series are keyed by a hash of their content (two equal frames give the
    same key, a changed cell another); sets are sorted; other objects by ``repr``.
    """
    import numpy as np
    import pandas as pd

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (pd.DataFrame, pd.Series, pd.Index)):
        h = pd.util.hash_pandas_object(value if not isinstance(value, pd.Index) else value.to_series(),
                                       index=not isinstance(value, pd.Index))
        digest = hashlib.sha1(h.to_numpy().tobytes())
        if isinstance(value, pd.DataFrame):
            digest.update(repr(list(value.columns)).encode())
        return {"__frame__": digest.hexdigest(), "n": len(value)}
    if isinstance(value, np.ndarray):
        return {"__array__": hashlib.sha1(np.ascontiguousarray(value).tobytes()).hexdigest(),
                "dtype": str(value.dtype), "shape": list(value.shape)}
    if isinstance(value, Mapping):
        return {str(k): freeze(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (set, frozenset)):
        return sorted((freeze(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [freeze(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__dataclass__": type(value).__name__, **freeze(dataclasses.asdict(value))}
    return repr(value)


def cache_key(name: str, options: Mapping[str, Any]) -> str:
    return name + json.dumps(freeze(dict(options)), sort_keys=True, default=str)


# -- the decorator ------------------------------------------------------------------------
def analysis(spec: ResultSpec) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare ``spec`` as the output of the decorated analysis (see the module docstring).

    The function may return the table alone, or ``(table, details)`` when ``spec.details`` is set.
    """

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())
        if not params:
            raise ResultContractError(f"analysis {fn.__name__} must take the community first")
        details_param = inspect.Parameter("details", inspect.Parameter.KEYWORD_ONLY, default=False, annotation="bool")

        @functools.wraps(fn)
        def wrapper(community: Any, *args: Any, details: bool = False, **options: Any) -> Any:
            opts = _bound_options(spec, sig, community, args, options)

            def compute() -> tuple["pd.DataFrame", Any]:
                out = fn(community, **opts)
                table, extra = (out if isinstance(out, tuple) else (out, None))
                if spec.details is not None and not isinstance(extra, spec.details):
                    raise ResultContractError(
                        f"{spec.name} must return its details as {spec.details.__name__}, got {type(extra).__name__}"
                    )
                return spec.conform(table), extra

            memo = getattr(community, "memo", None)
            if memo is not None:
                keyed = {k: v for k, v in opts.items() if k not in spec.runtime}
                table, extra = memo(f"result:{spec.name}", keyed, compute, key=cache_key(spec.name, keyed))
            else:
                table, extra = compute()
            table = table.copy()
            return (table, extra) if details else table

        var_kw = [p for p in params if p.kind is inspect.Parameter.VAR_KEYWORD]
        plain = [p for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD]
        wrapper.__signature__ = sig.replace(parameters=[*plain, details_param, *var_kw])  # type: ignore[attr-defined]
        wrapper.spec = spec  # type: ignore[attr-defined]
        wrapper.__wrapped__ = fn  # type: ignore[attr-defined]
        return wrapper

    return deco


def _bound_options(spec: ResultSpec, sig: inspect.Signature, community: Any, args: tuple,
                   options: Mapping[str, Any]) -> dict[str, Any]:
    """The options of an analysis call, defaults filled in (the community left out)."""
    bound = sig.bind(community, *args, **options)
    bound.apply_defaults()
    first = next(iter(sig.parameters))
    opts: dict[str, Any] = {}
    for pname, value in bound.arguments.items():
        kind = sig.parameters[pname].kind
        if pname == first:
            continue
        if kind is inspect.Parameter.VAR_KEYWORD:  # **options: passed on as keywords
            opts.update(value)
        elif kind is inspect.Parameter.VAR_POSITIONAL:
            raise ResultContractError(f"analysis {spec.name} must not take *args")
        else:
            opts[pname] = value
    return opts


def result_key(fn: Callable[..., Any], options: Mapping[str, Any]) -> str:
    """The cache key under which ``fn(community, **options)`` keeps its result (the key
    :meth:`graphcrm.community.Community.memo` sees for the entry ``"result:" + spec.name``).

    Raises
    ------
    ResultContractError
        ``fn`` is not a declared analysis.
    TypeError
        ``options`` do not fit its signature.
    """
    spec = spec_of(fn)
    opts = _bound_options(spec, inspect.signature(fn.__wrapped__), None, (), options)
    return cache_key(spec.name, {k: v for k, v in opts.items() if k not in spec.runtime})


def spec_of(fn: Callable[..., Any]) -> ResultSpec:
    """The :class:`ResultSpec` of an analysis function.

    Raises
    ------
    ResultContractError
        ``fn`` is not a declared analysis.
    """
    spec = getattr(fn, "spec", None)
    if not isinstance(spec, ResultSpec):
        raise ResultContractError(f"{getattr(fn, '__name__', fn)!r} is not a declared analysis")
    return spec
