"""Shared click options and helpers for every ``graphcrm`` command (imported by graphcrm.cli and
the command modules, so that neither imports the other)."""
from __future__ import annotations

import functools
import json
import sys
from typing import TYPE_CHECKING, Any, Callable

import click

import graphcrm
from graphcrm.errors import GraphCRMError
from graphcrm.i18n import error_text
from graphcrm.stores import DEFAULT_STORE

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

STORE_HELP = (
    f"Store: a file path (embedded DuckDB, default ./{DEFAULT_STORE}; env GRAPHCRM_STORE overrides) "
    "or bolt://host:7687, neo4j://host:7687, neo4j+s://host (credentials from GRAPHCRM_NEO4J_USER / "
    "GRAPHCRM_NEO4J_PASSWORD or the config file, never from the command line)."
)


# -- shared options -------------------------------------------------------------------
def store_option(f: Callable) -> Callable:
    return click.option("--store", "store", default=None, metavar="URI", help=STORE_HELP)(f)


def window_options(f: Callable) -> Callable:
    f = click.option("--until", default=None, metavar="DATE", help="Only activity up to this date (inclusive).")(f)
    f = click.option("--since", default=None, metavar="DATE", help="Only activity from this date on.")(f)
    return f


def top_option(default: int | None = 20) -> Callable:
    def deco(f: Callable) -> Callable:
        # -n / --top is always "rows shown"; -k / --k is always "how many to pick" (ambassadors,
        # backtest): one name per concept across the commands (docs/architecture.md)
        return click.option("--top", "-n", "top", type=int, default=default, show_default=True,
                            help="How many rows to show (0 = all).")(f)
    return deco


def format_option(f: Callable) -> Callable:
    return click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
                        show_default=True, help="Output format.")(f)


def lang_option(f: Callable) -> Callable:
    def remember(ctx: click.Context, param: click.Parameter, value: str) -> str:
        ctx.meta["graphcrm.lang"] = value
        return value

    return click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
                        callback=remember, is_eager=True,
                        help="Language of reason texts, table headers, messages and errors.")(f)


#: the common messages of the command line in Chinese (``--lang zh``)
MESSAGES_ZH = {
    "Error": "错误",
    "(no rows)": "（无数据）",
    "{n:,} rows written to {path}": "已写入 {n:,} 行到 {path}",
    "segment: {label} (the analysis ran on the whole community; rows of this segment's owners only)":
        "细分：{label}（分析基于整个社区，只列出该细分的车主）",
}


def msg(text: str, lang: str | None = None, **values: Any) -> str:
    """``text`` (an English message template) in the command's language, formatted with ``values``."""
    lang = lang or _meta("lang", "en")
    t = MESSAGES_ZH.get(text, text) if lang == "zh" else text
    return t.format(**values) if values else t


class LibraryError(click.ClickException):
    """A library error on the command line: exit code 1, ``Error: ...`` (``错误：...`` in Chinese)."""

    def __init__(self, message: str, lang: str = "en"):
        super().__init__(message)
        self.lang = lang

    def show(self, file: Any = None) -> None:
        sep = "：" if self.lang == "zh" else ": "
        click.echo(f"{msg('Error', self.lang)}{sep}{self.format_message()}", file=file or sys.stderr, err=True)


def handle_errors(f: Callable) -> Callable:
    """Turn library errors into ``click.ClickException`` (exit code 1), in the command's ``--lang``."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except GraphCRMError as exc:
            lang = kwargs.get("lang") or _meta("lang", "en")
            raise LibraryError(error_text(exc, lang), lang=lang) from None

    return wrapper


# -- click's own messages in Chinese --------------------------------------------------------------
def asks_chinese(args: list[str]) -> bool:
    """Whether a command line asks for ``--lang zh`` (read before click parses it: click's usage
    errors are raised while parsing)."""
    return any(a == "--lang=zh" or (a == "--lang" and i + 1 < len(args) and args[i + 1] == "zh")
               for i, a in enumerate(args))


#: the click modules whose ``gettext``/``ngettext`` give the usage errors and the usage line
_CLICK_MODULES = ("core", "exceptions", "parser", "types", "formatting", "decorators", "utils", "termui")


class click_in_chinese:
    """While active, click's own texts (usage errors, ``Usage:``, ``Try ... for help``) are
    Chinese: click's ``gettext`` names are pointed at :data:`graphcrm.i18n.CLICK_ZH` and the
    type names in its messages (integer, file ...) of ``group``'s options are Chinese; all of it
    is put back on exit."""

    def __init__(self, group: click.Group):
        self.group = group
        self.saved: list[tuple[Any, str, Any]] = []

    def _set(self, obj: Any, attr: str, value: Any) -> None:
        self.saved.append((obj, attr, getattr(obj, attr)))
        setattr(obj, attr, value)

    def _params(self, command: click.Command) -> Any:
        yield from command.params
        for sub in getattr(command, "commands", {}).values():
            yield from self._params(sub)

    def __enter__(self) -> "click_in_chinese":
        import importlib

        from graphcrm.i18n import CLICK_TYPE_NAMES_ZH, CLICK_ZH, click_gettext_zh, click_ngettext_zh

        for name in _CLICK_MODULES:
            module = importlib.import_module(f"click.{name}")
            if hasattr(module, "_"):
                self._set(module, "_", click_gettext_zh)
            if hasattr(module, "ngettext"):
                self._set(module, "ngettext", click_ngettext_zh)
        seen: set[int] = set()
        for param in self._params(self.group):
            kind = param.type
            if id(kind) in seen:
                continue
            seen.add(id(kind))
            zh = CLICK_TYPE_NAMES_ZH.get(kind.name) or (CLICK_ZH.get(kind.name) if isinstance(kind, click.Path) else None)
            if zh:
                self._set(kind, "name", zh)
        return self

    def __exit__(self, *exc: Any) -> None:
        for obj, attr, value in reversed(self.saved):
            setattr(obj, attr, value)
        self.saved.clear()


class GraphCRMGroup(click.Group):
    """The ``graphcrm`` group: with ``--lang zh`` on the command line, click's own usage errors
    are Chinese too (:class:`click_in_chinese`)."""

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if not asks_chinese(argv):
            return super().main(args, *rest, **kwargs)
        with click_in_chinese(self):
            return super().main(args, *rest, **kwargs)


# -- context shared by the options of one invocation --------------------------------------
def _meta(key: str, default: Any = None) -> Any:
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(f"graphcrm.{key}", default) if ctx is not None else default


def _set_meta(key: str, value: Any) -> None:
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[f"graphcrm.{key}"] = value


def verbosity() -> int:
    """-1 with ``graphcrm --quiet``, 1 with ``--verbose``, 0 otherwise."""
    return _meta("verbosity", 0)


def note(text: str, fmt: str = "table", *, level: int = 0) -> None:
    """A line for people: stdout with a table, stderr with csv/json (keeps those parseable);
    not printed with ``--quiet``; ``level=1`` lines only with ``--verbose``."""
    if verbosity() < level:
        return
    click.echo(text, err=fmt != "table")


def verbosity_options(f: Callable) -> Callable:
    """``--quiet`` / ``--verbose`` on the group: notes off, or notes plus the library's log lines."""
    import logging

    def set_level(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
        if value:
            v = -1 if param.name == "quiet" else 1
            ctx.meta["graphcrm.verbosity"] = v
            logging.getLogger("graphcrm").setLevel(logging.ERROR if v < 0 else logging.INFO)
            if v > 0 and not logging.getLogger("graphcrm").handlers:
                h = logging.StreamHandler(sys.stderr)
                h.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
                logging.getLogger("graphcrm").addHandler(h)
        return value

    f = click.option("--verbose", "-v", is_flag=True, expose_value=False, is_eager=True, callback=set_level,
                     help="Print the library's log lines and every note.")(f)
    f = click.option("--quiet", "-q", is_flag=True, expose_value=False, is_eager=True, callback=set_level,
                     help="Print the tables only (no notes or summaries; errors still print).")(f)
    return f


# -- defaults live in the library ------------------------------------------------------------
class LibraryOption(click.Option):
    """An option whose default is the library's: ``default=None`` (nothing is passed to the
    library unless given), and ``--help`` shows the library function's own default, looked up
    only when that help is rendered, from the function's source (:func:`library_default`: a
    command's ``--help`` imports no analysis).

    ``library=("kocs", "half_life_days")``: analysis name (or ``"module:function"`` for a
    library function that is not an analysis) and parameter; ``shown`` optionally turns the
    library value into the text shown (e.g. ``None`` -> ``"0 (no decay)"``).
    """

    def __init__(self, *decls: Any, library: tuple[str, str], shown: Callable[[Any], str] | None = None,
                 **kwargs: Any):
        kwargs["default"] = None
        kwargs.pop("show_default", None)
        self.library = library
        self.shown = shown
        super().__init__(*decls, **kwargs)

    def library_default(self) -> Any:
        """The default of the library parameter this option maps to."""
        return library_default(*self.library)

    def shown_default(self) -> str:
        """The library's default as ``--help`` shows it."""
        d = self.library_default()
        return self.shown(d) if self.shown else ("none" if d is None else str(d))

    def get_help_extra(self, ctx: click.Context) -> Any:  # click >= 8.2: the [default: ...] part
        extra = super().get_help_extra(ctx)
        extra["default"] = self.shown_default()
        return extra


def library_function(name: str) -> tuple[str, str]:
    """``(module, function)`` of a library name: an analysis of the registry (``"kocs"``) or a
    ``"module:function"`` path for a library function that is not an analysis
    (``"graphcrm.algorithms.owner:owner_profile"``)."""
    if ":" in name:
        module, _, func = name.partition(":")
        return module, func
    from graphcrm.analyses import REGISTRY

    return REGISTRY[name], name


def library_default(name: str, param: str) -> Any:
    """The library's default of parameter ``param`` of ``name`` (see :func:`library_function`).

    Read from the function's source when the default is a literal or a module constant holding
    one, so that ``graphcrm kocs --help`` does not import the analysis (and numba, igraph,
    pandas with it); otherwise from the imported function's signature.  The two always agree
    (``tests/test_cli_output.py`` checks every option of every command).
    """
    module, func = library_function(name)
    try:
        return source_default(module, func, param)
    except LookupError:
        import importlib
        import inspect

        return inspect.signature(getattr(importlib.import_module(module), func)).parameters[param].default


def source_default(module: str, func: str, param: str) -> Any:
    """The default of ``param`` in the ``def func`` of ``module``'s source, without importing it.

    Raises
    ------
    LookupError
        When the source cannot say: no such function or parameter, or a default that is not a
        literal (nor a module-level name bound to one).
    """
    import ast

    tree, constants = _module_source(module)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == func:
            a = node.args
            positional = a.posonlyargs + a.args
            pairs = list(zip(positional[len(positional) - len(a.defaults):], a.defaults))
            pairs += [(arg, d) for arg, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
            for arg, default in pairs:
                if arg.arg == param:
                    if isinstance(default, ast.Name):
                        return _constant(module, default.id)
                    try:
                        return ast.literal_eval(default)
                    except ValueError:
                        raise LookupError(f"{module}.{func}: default of {param} is not a literal") from None
            raise LookupError(f"{module}.{func} has no parameter {param} with a default")
    raise LookupError(f"{module} defines no function {func}")


def _constant(module: str, name: str, depth: int = 0) -> Any:
    """The literal value of the module-level ``name`` of ``module``, following ``from X import name``."""
    tree, constants = _module_source(module)
    if name in constants:
        value = constants[name]
        if isinstance(value, _Imported) and depth < 5:
            return _constant(value.module, value.name, depth + 1)
        if not isinstance(value, _Imported):
            return value
    raise LookupError(f"{module}.{name} is not a literal constant")


class _Imported(tuple):
    """``from module import name`` at module level: where a constant's value lives."""

    module = property(lambda self: self[0])
    name = property(lambda self: self[1])


@functools.lru_cache(maxsize=None)
def _module_source(module: str) -> tuple[Any, dict[str, Any]]:
    """The parsed source of ``module`` (found, not imported) and its module-level literal constants."""
    import ast
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise LookupError(f"no source for {module}")
    with open(spec.origin, encoding="utf-8") as fh:
        tree = ast.parse(fh.read(), filename=spec.origin)
    constants: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                constants[alias.asname or alias.name] = _Imported((node.module, alias.name))
            continue
        target = (node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1
                  else node.target if isinstance(node, ast.AnnAssign) and node.value is not None else None)
        if isinstance(target, ast.Name):
            try:
                constants[target.id] = ast.literal_eval(node.value)
            except ValueError:
                constants.pop(target.id, None)  # rebound to something that is not a literal
    return tree, constants


def library_option(*decls: str, library: tuple[str, str], **kwargs: Any) -> Callable:
    """``click.option(..., cls=LibraryOption, library=...)``: see :class:`LibraryOption`."""
    return click.option(*decls, cls=LibraryOption, library=library, **kwargs)


def given(**options: Any) -> dict[str, Any]:
    """The options given on the command line (None = not given: the library's default applies)."""
    return {k: v for k, v in options.items() if v is not None}


# -- segments ----------------------------------------------------------------------------------
def segment_options(f: Callable) -> Callable:
    """``--city --region --car-model --level --circle`` (repeatable or comma-separated): the
    command gets ``segment`` (a :class:`graphcrm.segments.Segment` or None) instead, and a line
    says which segment the output shows."""
    from graphcrm.segments import FIELDS

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from graphcrm.segments import Segment

        values = {field: kwargs.pop(f"seg_{field}") for field in FIELDS}
        try:
            seg = Segment.coerce({k: v for k, v in values.items() if v})
        except GraphCRMError as exc:
            raise LibraryError(error_text(exc, kwargs.get("lang") or "en"), lang=kwargs.get("lang") or "en") from None
        if seg is not None:
            _set_meta("segment", seg)
            note(msg("segment: {label} (the analysis ran on the whole community; rows of this segment's "
                     "owners only)", kwargs.get("lang"), label=seg.label(kwargs.get("lang") or "en")),
                 kwargs.get("fmt", "table"))
        return f(*args, segment=seg, **kwargs)

    for field in reversed(list(FIELDS)):
        name = field.replace("_", "-")
        wrapper = click.option(f"--{name}", f"seg_{field}", multiple=True, metavar="VALUE",
                               help=f"Only owners of this {field.replace('_', ' ')} in the output (repeatable or "
                                    "comma-separated; the analysis still runs on the whole community)."
                               if field == "city" else f"Only owners of this {field.replace('_', ' ')} "
                                                       "(see --city).")(wrapper)
    return wrapper


# -- the options of every analysis command, in one piece ----------------------------------------
def analysis_options(*, top: int | None = 20) -> Callable:
    """The options every analysis command takes, in this order: ``--store``, ``--since/--until``,
    ``-n/--top`` (rows shown, default ``top``), ``--format``, ``--lang``, the segment options
    (the command gets ``segment``) and ``-o/--output``.  A command module writes
    ``@analysis_options(top=20)`` instead of seven decorators."""

    def deco(f: Callable) -> Callable:
        for option in reversed((store_option, window_options, top_option(top), format_option, lang_option,
                                segment_options, output_option)):
            f = option(f)
        return f

    return deco


def parse_pairs(text: str | None, what: str) -> dict[str, float]:
    """Parse ``"a=1,b=0.5"`` into ``{"a": 1.0, "b": 0.5}``.

    Raises
    ------
    ConfigError
        If a part is not ``name=number``.
    """
    from graphcrm.errors import ConfigError

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
    from graphcrm.errors import ConfigError

    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(f"{what}: expected numbers separated by commas, got {text!r}") from None


# -- output --------------------------------------------------------------------------------------
def output_option(f: Callable) -> Callable:
    """``-o/--output FILE``: the whole table (all rows) also written to FILE: CSV in UTF-8 with a
    BOM (Excel on a Chinese PC shows 上海), formula-safe; ``.json`` writes JSON.  Checked before
    the work starts."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        out = kwargs.pop("output_file")
        if out is not None:
            import os
            from pathlib import Path

            from graphcrm.files import check_output_path

            uri = str(kwargs.get("store") or os.environ.get("GRAPHCRM_STORE") or DEFAULT_STORE)
            protect = [] if "://" in uri else [Path(uri), Path(uri + ".wal")]  # never the store itself
            try:
                check_output_path(out, what="--output", protect=protect)
            except GraphCRMError as exc:
                raise LibraryError(error_text(exc, kwargs.get("lang") or "en"), lang=kwargs.get("lang") or "en") from None
            _set_meta("output", (out, protect))
        return f(*args, **kwargs)

    from pathlib import Path

    return click.option("-o", "--output", "output_file", type=click.Path(dir_okay=False, path_type=Path),
                        default=None, help="Also write the whole table (all rows) to this file: CSV in UTF-8 "
                                           "with BOM (opens in Excel), or JSON for a .json name.")(wrapper)


def output_path() -> Any:
    """The ``-o/--output`` file of this command (None when not given)."""
    return (_meta("output") or (None,))[0]


def summary_of(details: Any) -> Any:
    """A JSON-able summary of an analysis' typed details (``details=True``): dataclass fields as
    a dict, small tables as records, a skipped Monte Carlo check as ``"skipped"``."""
    import dataclasses

    def conv(v: Any, key: str = "") -> Any:
        if v is None:
            return "skipped" if key == "mc_check" else None
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return {fl.name: conv(getattr(v, fl.name), fl.name) for fl in dataclasses.fields(v)}
        if isinstance(v, dict):
            return {str(k): conv(x, str(k)) for k, x in v.items()}
        if isinstance(v, (list, tuple, set, frozenset)):
            return [conv(x) for x in v]
        if hasattr(v, "to_json") and hasattr(v, "columns"):  # a DataFrame
            return json.loads(v.head(1000).to_json(orient="records", date_format="iso", force_ascii=False))
        if hasattr(v, "item") and callable(v.item):  # numpy scalar
            try:
                return v.item()
            except (TypeError, ValueError):
                return str(v)
        if isinstance(v, float) and v != v:
            return None
        if isinstance(v, (bool, int, float, str)):
            return v
        return str(v)

    return conv(details)


def budget_summary(picks: "pd.DataFrame", *, costs: Any = None, budget: float | None = None,
                   per_city: int | None = None, per_circle: int | None = None) -> dict[str, Any]:
    """Cost of the picks, budget used and left, and which caps bound (a city or circle holding
    as many picks as its cap), from the picks table and the options passed (the ambassadors'
    details do not carry them)."""
    out: dict[str, Any] = {}
    ids = [str(x) for x in picks.get("owner_id", [])]
    if costs is not None:
        lookup = dict(costs.items()) if hasattr(costs, "items") else {}
        cost = float(sum(float(lookup.get(i, 0.0)) for i in ids))
        out["cost"] = cost
        if budget is not None:
            out.update(budget=float(budget), budget_used_share=(cost / budget if budget else None),
                       budget_left=float(budget) - cost)
    bound = []
    for col, cap in (("city", per_city), ("circle", per_circle)):
        if cap is None:
            continue
        if col not in picks.columns:
            bound.append(f"per_{col} {cap}: not reported (no {col} column in the picks)")
            continue
        full = picks[col].astype(str).value_counts()
        full = sorted(full[full >= cap].index)
        if full:
            bound.append(f"per_{col} {cap} bound in {', '.join(full)}")
    if per_city is not None or per_circle is not None:
        out["caps_bound"] = bound or ["no cap bound"]
    return out


def format_budget(b: dict[str, Any], lang: str = "en") -> str:
    """One line for :func:`budget_summary` (empty when there is nothing to say)."""
    parts = []
    if "cost" in b:
        if "budget" in b:
            parts.append(f"成本 {b['cost']:,.0f} / 预算 {b['budget']:,.0f}（已用 {b['budget_used_share']:.0%}，剩余 "
                         f"{b['budget_left']:,.0f}）" if lang == "zh" else
                         f"cost {b['cost']:,.0f} of budget {b['budget']:,.0f} ({b['budget_used_share']:.0%} used, "
                         f"{b['budget_left']:,.0f} left)")
        else:
            parts.append(f"成本 {b['cost']:,.0f}" if lang == "zh" else f"cost {b['cost']:,.0f}")
    if "caps_bound" in b:
        parts.append(("上限：" if lang == "zh" else "caps: ") + "; ".join(b["caps_bound"]))
    return "; ".join(parts)


def _human(v: Any) -> Any:
    """A float rounded for people: 1 decimal from 100, 2 from 1, else 3 significant digits."""
    if isinstance(v, float):
        if v != v:
            return ""
        a = abs(v)
        if a >= 100:
            return f"{v:,.1f}"
        if a >= 1 or a == 0:
            return f"{v:.2f}"
        return f"{v:.3g}"
    return v


def _width(text: str) -> int:
    """Display width on a terminal: East Asian wide and full-width characters take two cells."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cut(text: Any, room: int) -> Any:
    if not isinstance(text, str) or _width(text) <= room:
        return text
    out, used = [], 1  # the ellipsis
    for ch in text:
        w = _width(ch)
        if used + w > room:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def _for_people(df: "pd.DataFrame", lang: str, width: int | None) -> "pd.DataFrame":
    """The table as shown on a terminal: decimals rounded, headers in ``lang``, the reason (or
    note) column cut to fit ``width`` terminal cells."""
    import pandas as pd

    show = df.copy()
    for c in show.columns:
        if pd.api.types.is_float_dtype(show[c].dtype):
            show[c] = show[c].map(_human).astype(object)
    text_cols = [c for c in ("reason", "note", "notes", "detail") if c in show.columns]
    if lang == "zh":
        from graphcrm.reports.text import csv_header

        names = {c: csv_header(str(c), "zh") for c in show.columns}
        if len(set(names.values())) == len(names):  # never two columns under one header
            show = show.rename(columns=names)
            text_cols = [names[c] for c in text_cols]
    if width and text_cols:
        col = text_cols[0]
        rest = show.drop(columns=col)
        with pd.option_context("display.width", 10_000, "display.max_columns", None,
                               "display.unicode.east_asian_width", True):
            used = max((_width(line) for line in rest.to_string(index=False).splitlines()), default=0)
        room = max(16, width - used - 2)
        show[col] = show[col].map(lambda t: _cut(t, room))
    return show


def open_cg(store: str | None) -> "graphcrm.CommunityGraph":
    return graphcrm.open(store)


def open_community(store: str | None, since: str | None, until: str | None) -> "graphcrm.Community":
    return open_cg(store).community(since, until)


def emit(df: "pd.DataFrame", fmt: str = "table", *, top: int | None = None, file=None,
         summary: Any = None, lang: str | None = None) -> None:
    """Print a frame as an aligned table, CSV (formula-safe, see :mod:`graphcrm.files`; no BOM on
    stdout) or JSON records (``top`` rows; 0/None = all).

    ``summary`` (a dict, e.g. :func:`summary_of` of the analysis' details) makes ``--format json``
    print ``{"summary": {...}, "rows": [...]}``.  With ``-o/--output`` (:func:`output_option`) the
    whole table is also written to that file.  A table on a terminal is fitted to its width,
    decimals rounded for people, headers in ``--lang``.
    """
    import os
    import shutil

    import pandas as pd

    out = file or sys.stdout
    lang = lang or _meta("lang", "en")
    target, protect = _meta("output") or (None, ())
    if target is not None and file is None:
        _set_meta("output", None)  # one table per command goes to the file
        if str(target).lower().endswith(".json"):
            from graphcrm.files import atomic_output

            body = _json_text(df, summary)
            with atomic_output(target, what="--output") as tmp:
                open(tmp, "w", encoding="utf-8").write(body + "\n")
        else:
            from graphcrm.files import write_csv

            write_csv(df, target, what="--output", protect=protect)  # UTF-8 with BOM: Excel shows 上海
        note(msg("{n:,} rows written to {path}", lang, n=len(df), path=target), fmt)
    if top:
        df = df.head(top)
    if fmt == "csv":
        from graphcrm.files import write_csv

        write_csv(df, out)  # formula-safe: text cells a spreadsheet would run get a leading '
    elif fmt == "json":
        click.echo(_json_text(df, summary), file=out)
    else:
        if not len(df):
            click.echo(msg("(no rows)", lang), file=out)
            return
        is_tty = hasattr(out, "isatty") and out.isatty()
        width = shutil.get_terminal_size().columns if (is_tty or "COLUMNS" in os.environ) else None
        show = _for_people(df, lang, width)
        with pd.option_context("display.max_rows", None, "display.max_columns", None,
                               "display.width", width or 250, "display.max_colwidth", None if width else 80,
                               "display.unicode.east_asian_width", True):
            click.echo(show.to_string(index=False), file=out)


def _json_text(df: "pd.DataFrame", summary: Any) -> str:
    records = json.loads(df.to_json(orient="records", date_format="iso", force_ascii=False))
    body = records if summary is None else {"summary": summary, "rows": records}
    return json.dumps(body, ensure_ascii=False, indent=1, default=str)
