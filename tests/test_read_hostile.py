"""Reading hostile files: encodings, delimiters, headers, malformed rows, workbooks, Parquet, mappings.

Every case writes the file that breaks it and asserts the exact outcome: the error naming file,
line and reason, or the per-row reject (row number, column, reason, reason_kind) with
read = loaded + rejected.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from pathlib import Path

import numpy as np
import openpyxl  # a test extra: writes the workbooks read below
import pandas as pd
import pytest
from click.testing import CliRunner

import graphcrm
from graphcrm.cli import cli
from graphcrm.errors import InputFileError, MappingError
from graphcrm.loaders import Mapping, decode_bytes, load_mapping, read_sources
from graphcrm.loaders import read as rd

NOW = "2026-01-01"
HEADER = "owner_id,name,city,region,car_model,purchased_at,joined_at,is_volunteer,is_staff,marketing_opt_out"
ROWS = [
    "o1,张三,上海,华东,ES6,2023-01-05,2023-01-06,true,false,false",
    "o2,李四,北京,华北,ET5,2023-03-01,2023-03-02,false,false,true",
    "o3,王五,合肥,华东,ES8,2023-05-01,2023-05-03,false,true,false",
]
OWNERS = HEADER + "\n" + "\n".join(ROWS) + "\n"


def folder_with(tmp_path: Path, files: dict[str, bytes | str], name: str = "in") -> Path:
    d = tmp_path / name
    d.mkdir(parents=True, exist_ok=True)
    for fname, data in files.items():
        (d / fname).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return d


def load(folder: Path, tmp_path: Path, **kw):
    """Load into a fresh in-memory store; check read = loaded + rejected for every table."""
    cg = graphcrm.open(":memory:")
    kw.setdefault("now", NOW)
    kw.setdefault("rejects_path", tmp_path / "rejects.csv")
    r = cg.load(folder, **kw)
    assert (r.counts["read"] == r.counts["loaded"] + r.counts["rejected"]).all()
    per_table = r.rejects.groupby("table")["row"].nunique() if len(r.rejects) else pd.Series(dtype=int)
    for row in r.counts.itertuples():
        assert per_table.get(row.table, 0) == row.rejected
    return cg, r


def owners_read(folder: Path, **kw) -> rd.Source:
    sources, _ = read_sources(folder, mapping=kw.pop("mapping", Mapping()), **kw)
    return sources["owners"]


def rejects_of(r, kind: str | None = None) -> list[tuple[int, str, str]]:
    rej = r.rejects if kind is None else r.rejects[r.rejects["reason_kind"] == kind]
    return sorted(zip(rej["row"].astype(int), rej["column"], rej["reason"]))


# ---- 1. mixed and undecodable encodings ----------------------------------------------------------
def test_gb18030_file_with_utf8_rows_is_refused_naming_lines_and_encodings(tmp_path):
    gb = (HEADER + "\n" + ROWS[0] + "\n").encode("gb18030")
    utf8 = (ROWS[1] + "\n" + ROWS[2] + "\n").encode("utf-8")
    folder = folder_with(tmp_path, {"owners.csv": gb + utf8})
    with pytest.raises(InputFileError) as ei:
        load(folder, tmp_path)
    msg = str(ei.value)
    assert "owners.csv" in msg and "mixed text encodings" in msg
    assert "2 line(s) are UTF-8 (first: line 3)" in msg
    assert "1 line(s) are not (first: line 2, which reads as GB18030/GBK)" in msg
    assert "鍖椾含" in msg  # the mojibake the user would otherwise have got, shown as the reason


def test_utf8_file_with_one_gb18030_line_is_refused_naming_that_line(tmp_path):
    data = (HEADER + "\n" + ROWS[0] + "\n").encode() + (ROWS[1] + "\n").encode("gb18030") + (ROWS[2] + "\n").encode()
    with pytest.raises(InputFileError, match=r"2 line\(s\) are UTF-8 \(first: line 2\) but 1 line\(s\) are not \(first: line 3"):
        read_sources(folder_with(tmp_path, {"owners.csv": data}), mapping=Mapping())


def test_forcing_gb18030_on_a_mixed_file_is_refused_too(tmp_path):
    data = (HEADER + "\n" + ROWS[0] + "\n").encode("gb18030") + (ROWS[1] + "\n").encode()
    with pytest.raises(InputFileError, match=r"1 line\(s\) are UTF-8 \(first: line 3\) .* \(first: line 2, which reads as gbk\)"):
        read_sources(folder_with(tmp_path, {"owners.csv": data}), mapping=Mapping(), encoding="gbk")
    # a pure GB18030 file forced as such loads
    gb = folder_with(tmp_path, {"owners.csv": OWNERS.encode("gb18030")}, "gb")
    assert owners_read(gb, encoding="gb18030").frame["city"].tolist() == ["上海", "北京", "合肥"]


def _gb2312_hanzi() -> list[str]:
    out = []
    for lead in range(0xB0, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                out.append(bytes([lead, trail]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def test_real_gb18030_files_are_never_taken_for_mixed(tmp_path):
    """20,000 rows drawn from all 6,763 GB2312 characters (rare ones as often as common ones,
    the worst case for the UTF-8 detector: some of those lines are valid UTF-8 by chance) plus
    GBK-only characters in names (喆 镕 堃): the file loads as GB18030 with every value intact."""
    rng = random.Random(7)
    hanzi = _gb2312_hanzi() + list("喆镕堃")
    lines = [HEADER]
    names = []
    for i in range(20_000):
        name = "".join(rng.choice(hanzi) for _ in range(rng.randint(1, 4)))
        city = "".join(rng.choice(hanzi) for _ in range(rng.randint(1, 3)))
        names.append(name)
        lines.append(f"o{i},{name},{city},,,,,,,")
    data = ("\n".join(lines) + "\n").encode("gb18030")
    # the file does hold lines that are valid UTF-8 by chance: the detector must see through them
    assert sum(1 for ln in data.split(b"\n") if not ln.isascii() and _valid_utf8(ln)) > 0
    src = owners_read(folder_with(tmp_path, {"owners.csv": data}))
    assert src.encoding == "gb18030"
    assert src.frame["name"].tolist() == names
    assert src.problems == []


def _valid_utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def test_bytes_valid_in_no_encoding_name_both_first_bad_lines(tmp_path):
    data = (HEADER + "\n" + "o1,x,y,,,,,,,\n").encode() + b"o9,\xff\xfe\xfa,x,,,,,,,\n"
    with pytest.raises(InputFileError) as ei:
        read_sources(folder_with(tmp_path, {"owners.csv": data}), mapping=Mapping())
    msg = str(ei.value)
    assert "owners.csv" in msg
    assert "the bytes at line 3 are not UTF-8 and those at line 3 are not GB18030/GBK" in msg
    # a UTF-8 file with one damaged line: the damaged line is named
    data = OWNERS.encode() + b"o9,\xff\xfe\xfa,x,,,,,,,\n"
    with pytest.raises(InputFileError) as ei:
        read_sources(folder_with(tmp_path, {"owners.csv": data}, "b"), mapping=Mapping())
    assert "3 line(s) are UTF-8 (first: line 2) but 1 line(s) are not (first: line 5, which is not valid " \
        "GB18030/GBK either: damaged bytes?)" in str(ei.value)


def test_unknown_encoding_and_bom_contradicting_the_forced_encoding(tmp_path):
    folder = folder_with(tmp_path, {"owners.csv": OWNERS.encode("utf-16")})
    with pytest.raises(InputFileError, match="unknown encoding 'klingon'"):
        read_sources(folder, mapping=Mapping(), encoding="klingon")
    with pytest.raises(InputFileError, match=r"starts with a UTF-16LE byte-order mark but encoding 'gbk' was given"):
        read_sources(folder, mapping=Mapping(), encoding="gbk")
    # forcing the encoding the BOM says is fine
    assert owners_read(folder, encoding="utf-16").frame["owner_id"].tolist() == ["o1", "o2", "o3"]


# ---- 2. UTF-16, with or without BOM -------------------------------------------------------------
def unicode_text(text: str) -> str:
    """What Excel's 'Unicode text' holds: tab-delimited, CRLF."""
    return text.replace(",", "\t").replace("\n", "\r\n")


@pytest.mark.parametrize("codec,expected", [
    ("utf-16", "utf-16"), ("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be"), ("utf-32", "utf-32"),
    ("utf-8-sig", "utf-8"),
])
def test_utf16_and_bom_files_load_like_utf8(tmp_path, codec, expected):
    folder = folder_with(tmp_path, {"owners.txt": unicode_text(OWNERS).encode(codec)})
    src = owners_read(folder)
    assert src.encoding == expected and src.delimiter == "\t"
    assert src.rows.tolist() == [2, 3, 4]
    assert src.frame["name"].tolist() == ["张三", "李四", "王五"]
    assert src.problems == []
    cg, r = load(folder, tmp_path)
    assert r.loaded == 3 and r.rejected == 0
    assert cg.table("owners").set_index("owner_id").loc["o2", "city"] == "北京"


def test_broken_utf16_names_the_encoding_seen_and_the_line(tmp_path):
    data = unicode_text(OWNERS).encode("utf-16") + "o4\t".encode("utf-16-le") + b"\x00\xd8"  # a lone surrogate
    with pytest.raises(InputFileError) as ei:
        read_sources(folder_with(tmp_path, {"owners.txt": data}), mapping=Mapping())
    msg = str(ei.value)
    assert "owners.txt" in msg and "byte-order mark, so it is UTF-16LE text" in msg and "line 5" in msg


# ---- 3. delimiters --------------------------------------------------------------------------------
@pytest.mark.parametrize("delim", [";", "\t", "|"])
def test_other_delimiters_are_detected(tmp_path, delim):
    text = OWNERS.replace(",", delim)
    # a value holding the delimiter, quoted as Excel writes it; and commas inside values
    text += f'o4{delim}"赵{delim}六"{delim}杭州, 西湖{delim}{delim}{delim}{delim}{delim}{delim}{delim}\n'
    src = owners_read(folder_with(tmp_path, {"owners.csv": text}))
    assert src.delimiter == delim
    assert src.frame["name"].tolist() == ["张三", "李四", "王五", f"赵{delim}六"]
    assert src.frame["city"].iat[3] == "杭州, 西湖"
    assert src.problems == []


def test_excel_sep_line_sets_the_delimiter_and_is_not_a_row(tmp_path):
    text = "sep=;\r\n" + OWNERS.replace(",", ";").replace("\n", "\r\n") + "o4;short\r\n"
    folder = folder_with(tmp_path, {"owners.csv": text})
    src = owners_read(folder)
    assert src.delimiter == ";" and src.rows.tolist() == [2, 3, 4, 5]  # header = row 1, as Excel shows it
    cg, r = load(folder, tmp_path)
    assert rejects_of(r, "malformed row") == [
        (5, "(row)", "row has 2 of the 10 fields the header names (cut short?): city, region, car_model and 5 more missing")
    ]


def test_a_semicolon_file_read_by_its_header_not_by_its_commas(tmp_path):
    # decimal commas in the values must not fool the detection: the header decides
    text = "owner_id;points;contribution\no1;12,5;3,0\no2;1;2\n"
    src = owners_read(folder_with(tmp_path, {"owners.csv": text}))
    assert src.delimiter == ";" and src.frame["points"].tolist() == ["12,5", "1"]


# ---- 4. header names ------------------------------------------------------------------------------
def test_duplicate_header_is_an_error_naming_it(tmp_path):
    folder = folder_with(tmp_path, {"owners.csv": "owner_id,city,city\no1,上海,北京\n"})
    with pytest.raises(InputFileError) as ei:
        load(folder, tmp_path)
    assert str(ei.value).startswith(str(folder / "owners.csv"))
    assert "the header names 'city' twice (columns 2 and 3)" in str(ei.value)
    # also for columns the contract ignores, and after trimming spaces
    with pytest.raises(InputFileError, match="the header names '备注' twice"):
        read_sources(folder_with(tmp_path, {"owners.csv": "owner_id,备注, 备注 \no1,a,b\n"}, "b"), mapping=Mapping())
    # two spellings of one contract column
    with pytest.raises(InputFileError, match="both columns 'City' and 'city' map to 'city'"):
        read_sources(folder_with(tmp_path, {"owners.csv": "owner_id,City,city\no1,a,b\n"}, "c"), mapping=Mapping())


def test_duplicate_dataframe_columns_are_an_error(tmp_path):
    df = pd.DataFrame([["o1", "a", "b"]], columns=["owner_id", "city", "city"])
    with pytest.raises(InputFileError, match="the header names 'city' twice"):
        graphcrm.open(":memory:").load({"owners": df}, now=NOW)


def test_unnamed_header_columns_are_ignored_and_reported(tmp_path):
    src = owners_read(folder_with(tmp_path, {"owners.csv": "owner_id,,city,\no1,x,上海,\n"}))
    assert src.ignored_columns == ["(unnamed column 2)", "(unnamed column 4)"]
    assert list(src.frame.columns) == ["owner_id", "city"]


# ---- 5. malformed rows: per-row rejects ----------------------------------------------------------
def test_short_long_and_nul_rows_are_rejected_with_their_reason(tmp_path):
    text = OWNERS + "o5,张\n" + "o6,a,b,c,d,2023-01-05,2023-01-06,true,false,false,EXTRA\n" + "o7,x\x00y,上海,,,,,,,\n"
    text += "o8,ok,a\x07b,,,,,,,\n"
    folder = folder_with(tmp_path, {"owners.csv": text})
    cg, r = load(folder, tmp_path)
    assert dict(zip(r.counts["table"], r.counts["read"])) == {"owners": 7}
    assert r.loaded == 3 and r.rejected == 4
    assert rejects_of(r, "malformed row") == [
        (5, "(row)", "row has 2 of the 10 fields the header names (cut short?): city, region, car_model and 5 more missing"),
        (6, "(row)", "row has 11 fields but the header names 10 (a value holding an unquoted comma, or a shifted row?)"),
    ]
    assert rejects_of(r, "bad characters") == [
        (7, "name", "name contains a NUL character (U+0000): damaged data, or text read in the wrong encoding (UTF-16?)"),
        (8, "city", "city contains the control character U+0007: damaged data, or text read in the wrong encoding (UTF-16?)"),
    ]
    assert sorted(cg.table("owners")["owner_id"]) == ["o1", "o2", "o3"]
    # the rejects file carries them too, with file, row and reason
    rej = pd.read_csv(r.rejects_path, encoding="utf-8-sig")
    assert set(rej["row"]) == {5, 6, 7, 8} and set(rej["source_file"]) == {str(folder / "owners.csv")}


def test_control_character_in_an_ignored_column_rejects_nothing(tmp_path):
    src = owners_read(folder_with(tmp_path, {"owners.csv": "owner_id,备注\no1,a\x00b\n"}))
    assert src.problems == [] and src.ignored_columns == ["备注"]


def test_quoted_newlines_blank_lines_and_row_numbers(tmp_path):
    text = (
        HEADER + "\n"
        + '"o1","张\n三",上海,,,,,,,\n'          # rows 2-3: one record
        + "\n"                                      # row 4: blank line, skipped
        + ",,,,,,,,,\n"                             # row 5: only delimiters, skipped
        + "o2,李四,北京,,,2023-02-30,,,,\n"        # row 6: a bad date
        + '"o3","a ""quoted"" name",合肥,,,,,,,\n'  # row 7: escaped quotes
        + "o4,x\n"                                  # row 8: cut short
    )
    folder = folder_with(tmp_path, {"owners.csv": text})
    src = owners_read(folder)
    assert src.rows.tolist() == [2, 6, 7, 8]
    assert src.frame["name"].tolist() == ["张\n三", "李四", 'a "quoted" name', "x"]
    cg, r = load(folder, tmp_path)
    assert sorted(set(r.rejects["row"])) == [6, 8]
    assert r.counts["read"].iat[0] == 4
    assert cg.table("owners").set_index("owner_id").loc["o1", "name"] == "张\n三"


@pytest.mark.parametrize("eol", ["\r\n", "\r", "\n"])
def test_line_endings_give_the_same_rows(tmp_path, eol):
    text = (OWNERS + 'o4,"two\nlines",x,,,,,,,\no5,short\n').replace("\n", eol)
    src = owners_read(folder_with(tmp_path, {"owners.csv": text}))
    assert src.rows.tolist() == [2, 3, 4, 5, 7]
    assert src.frame["owner_id"].tolist() == ["o1", "o2", "o3", "o4", "o5"]
    assert src.frame["name"].iat[3] == f"two{eol}lines"
    assert [p[0] for p in src.problems] == [4]


def test_header_only_file_is_an_empty_table(tmp_path):
    folder = folder_with(tmp_path, {"owners.csv": HEADER + "\n"})
    cg, r = load(folder, tmp_path)
    assert r.counts[["table", "read", "loaded", "rejected"]].values.tolist() == [["owners", 0, 0, 0]]


@pytest.mark.parametrize("data,message", [
    (b"", "the file is empty"),
    (b"  \r\n\r\n", "the file is empty"),
    (b"\xef\xbb\xbf", "the file is empty"),
])
def test_empty_files(tmp_path, data, message):
    with pytest.raises(InputFileError, match=message):
        read_sources(folder_with(tmp_path, {"owners.csv": data}), mapping=Mapping())


def test_joined_files_bom_in_the_middle_and_repeated_header(tmp_path):
    """``cat a.csv b.csv`` of two Excel 'CSV UTF-8' files: a BOM at the start of line 3 and the
    header again. The BOM is dropped, the header row is a reject saying why, the rest loads."""
    a = ("\ufeff" + HEADER + "\n" + ROWS[0] + "\n").encode()
    b = ("\ufeff" + HEADER + "\n" + ROWS[1] + "\n").encode()
    folder = folder_with(tmp_path, {"owners.csv": a + b})
    cg, r = load(folder, tmp_path)
    assert rejects_of(r, "malformed row") == [(3, "(row)", "this row repeats the header row (two files joined together?)")]
    assert sorted(cg.table("owners")["owner_id"]) == ["o1", "o2"]


def test_dos_end_of_file_mark_is_not_a_row(tmp_path):
    src = owners_read(folder_with(tmp_path, {"owners.csv": OWNERS + "\x1a"}))
    assert src.frame["owner_id"].tolist() == ["o1", "o2", "o3"] and src.problems == []


def test_stray_quote_inside_a_value_reads_like_the_csv_module(tmp_path):
    text = HEADER + '\no1,5" screen,上海,,,,,,,\no2,a "b" c,北京,,,,,,,\no3,x\n'
    src = owners_read(folder_with(tmp_path, {"owners.csv": text}))
    assert src.frame["name"].tolist() == ['5" screen', 'a "b" c', "x"]
    assert src.rows.tolist() == [2, 3, 4]
    assert [(p[0], p[3]) for p in src.problems] == [(2, "malformed row")]


def test_unclosed_quote_is_an_error_naming_its_line(tmp_path):
    text = OWNERS + 'o4,"no end,杭州,,,,,,,\no5,ok,上海,,,,,,,\n'
    with pytest.raises(InputFileError) as ei:
        read_sources(folder_with(tmp_path, {"owners.csv": text}), mapping=Mapping())
    assert "owners.csv" in str(ei.value) and "starts on line 5 is never closed" in str(ei.value)


def test_quote_swallowing_rows_is_an_error_naming_the_lines(tmp_path):
    # a quote opened on line 5 closes on line 7 and the row then has the wrong field count
    text = OWNERS + 'o4,"oops,杭州,,,,,,,\no5,ok,上海,,,,,,,\no6,x",y\no7,ok,北京,,,,,,,\n'
    with pytest.raises(InputFileError) as ei:
        read_sources(folder_with(tmp_path, {"owners.csv": text}), mapping=Mapping())
    assert "the row starting on line 5 runs to line 7 inside a quoted value and then has 3 fields instead of 10" in str(ei.value)
    # ... or the right field count, but the quoting is irregular (a quote inside a value): still refused
    text = OWNERS + 'o4,"oops,杭州,,,,,,,\no5,ok,上海,,,,,,,\no6,"x",y,,,,,,,\no7,ok,北京,,,,,,,\n'
    with pytest.raises(InputFileError) as ei:
        read_sources(folder_with(tmp_path, {"owners.csv": text}, "b"), mapping=Mapping())
    assert "the row starting on line 5 runs to line 7 inside a quoted value, and the file's quoting is irregular" in str(ei.value)


@pytest.mark.parametrize("magic,hint", [
    (b"PK\x03\x04\x14\x00\x06\x00", "Rename it to owners.xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Rename it to owners.xls"),
    (b"PAR1\x15\x04", "rename it to owners.parquet"),
    (b"\x1f\x8b\x08\x00", "gzip-compressed"),
])
def test_binary_files_under_a_text_name(tmp_path, magic, hint):
    folder = folder_with(tmp_path, {"owners.csv": magic + b"\x00" * 64})
    with pytest.raises(InputFileError) as ei:
        load(folder, tmp_path)
    assert str(folder / "owners.csv") in str(ei.value) and hint in str(ei.value)


def test_real_xlsx_renamed_csv(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["owner_id"])
    folder = tmp_path / "in"
    folder.mkdir()
    wb.save(folder / "owners.csv")
    with pytest.raises(InputFileError, match="most likely an Excel workbook saved with a .csv name. Rename it to owners.xlsx"):
        read_sources(folder, mapping=Mapping())


def test_dataframe_with_nul_is_a_row_reject(tmp_path):
    df = pd.DataFrame({"owner_id": ["o1", "o2\x00", "o3"], "city": ["a", "b", "c\x00"]})
    cg = graphcrm.open(":memory:")
    r = cg.load({"owners": df}, now=NOW, rejects_path=tmp_path / "r.csv")
    assert r.loaded == 1 and r.rejected == 2
    assert sorted(set(zip(r.rejects["row"], r.rejects["column"], r.rejects["reason_kind"]))) == [
        (1, "owner_id", "bad characters"), (2, "city", "bad characters")]


# ---- the fast parser and the csv module agree -----------------------------------------------------
def _random_table(rng: random.Random, delim: str, eol: str) -> str:
    alphabet = ["a", "张", "三", " ", delim, '"', "\n", "\r", "x", "1", ",", "é", "\x00"]
    ncol = rng.randint(1, 6)
    out = io.StringIO()
    w = csv.writer(out, delimiter=delim, lineterminator=eol)
    w.writerow([f"c{j}" for j in range(ncol)])
    for _ in range(rng.randint(0, 40)):
        r = rng.random()
        if r < 0.05:
            out.write(eol)  # blank line
            continue
        n = ncol if r < 0.75 else max(1, ncol + rng.choice([-2, -1, 1, 2]))
        w.writerow(["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 5))) for _ in range(n)])
    return out.getvalue()


def _as_lists(p: rd._Parsed):
    return p.header, [c.to_pylist() for c in p.columns], p.rows.tolist(), p.malformed


@pytest.mark.parametrize("seed", range(60))
def test_fast_parser_equals_csv_module_on_random_tables(seed):
    """Property: on random, randomly malformed tables (quotes, delimiters and newlines inside values,
    short and long rows, blank lines, any line ending) the vectorised scan + pyarrow gives exactly the
    csv module's records, fields and row numbers."""
    rng = random.Random(seed)
    delim = rng.choice(rd.DELIMITERS)
    text = _random_table(rng, delim, rng.choice(["\n", "\r\n", "\r"]))
    try:
        slow = _as_lists(rd._parse_python(text, delim, "t.csv", irregular=False))
    except InputFileError as exc:  # a multi-line malformed row: both must refuse
        with pytest.raises(InputFileError) as ei:
            rd._parse_fast(text.encode(), delim, "t.csv")
        assert str(ei.value) == str(exc)
        return
    fast = rd._parse_fast(text.encode(), delim, "t.csv")
    assert fast is not None  # csv.writer output is regular: the fast path must take it
    assert _as_lists(fast) == slow


@pytest.mark.parametrize("seed", range(60))
def test_fast_parser_never_disagrees_with_csv_module_on_raw_text(seed):
    """Property: on raw random text (stray quotes anywhere, any line ends) the fast path either
    declines (None: the csv module reads the file) or gives exactly the csv module's result."""
    rng = random.Random(1000 + seed)
    delim = rng.choice(rd.DELIMITERS)
    pieces = ["a", "张", '"', '""', delim, delim, "\n", "\r\n", "\r", " ", "1"]
    text = "h1" + delim + "h2" + delim + "h3\n" + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 200)))
    try:
        fast = rd._parse_fast(text.encode(), delim, "t.csv")
    except InputFileError as exc:
        with pytest.raises(InputFileError) as ei:
            rd._parse_python(text, delim, "t.csv", irregular=False)
        assert str(ei.value) == str(exc)
        return
    if fast is not None:
        assert _as_lists(fast) == _as_lists(rd._parse_python(text, delim, "t.csv", irregular=False))


def test_irregular_quoting_falls_back_to_the_csv_module():
    text = 'a,b\n1,5" x\n2,"y"z\n'
    assert rd._parse_fast(text.encode(), ",", "t.csv") is None
    p = rd._parse_python(text, ",", "t.csv")
    assert [c.to_pylist() for c in p.columns] == [["1", "2"], ['5" x', "yz"]]


# ---- 6. workbooks -----------------------------------------------------------------------------------
def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


OWNER_SHEET = [
    ["owner_id", "name", "city", "joined_at", "points", "is_staff", "marketing_opt_out"],
    [7, "张三", "上海", dt.datetime(2024, 3, 2), 3.0, False, True],
    ["o2", "李四", "北京", dt.date(2024, 3, 2), 0.1 + 0.2, "否", "是"],
    [],                                                        # an empty row: skipped
    ["o3", "王五", None, "2024-01-01 10:00", 1e20, "maybe", None],  # not a yes/no value: rejected
    ["o4", "赵六", "合肥", "2099-01-01", 5, None, None],          # a future date: rejected
]


def test_table_named_workbook_reads_as_text_with_sheet_row_numbers(tmp_path):
    folder = tmp_path / "in"
    workbook(folder / "owners.xlsx", {"Sheet1": OWNER_SHEET})
    src = owners_read(folder)
    assert src.file == f"{folder / 'owners.xlsx'} [sheet Sheet1]" and src.sheet == "Sheet1"
    assert src.rows.tolist() == [2, 3, 5, 6]
    f = src.frame
    assert f["owner_id"].tolist() == ["7", "o2", "o3", "o4"]          # not "7.0"
    assert f["joined_at"].tolist() == ["2024-03-02", "2024-03-02", "2024-01-01 10:00", "2099-01-01"]
    assert f["points"].tolist() == ["3", "0.3", "1e+20", "5"]
    assert f["is_staff"].tolist() == ["false", "否", "maybe", ""]
    cg, r = load(folder, tmp_path)
    assert r.loaded == 2 and r.rejected == 2
    assert sorted(set(r.rejects["row"])) == [5, 6]
    assert set(r.rejects["source_file"]) == {src.file}
    owners = cg.table("owners").set_index("owner_id")
    assert bool(owners.loc["7", "marketing_opt_out"]) and bool(owners.loc["o2", "marketing_opt_out"])
    assert owners.loc["7", "joined_at"] == pd.Timestamp("2024-03-02")


def test_workbook_datetimes_validate(tmp_path):
    folder = tmp_path / "in"
    workbook(folder / "events.xlsx", {"events": [
        ["event_id", "starts_at", "capacity"],
        ["e1", dt.datetime(2024, 3, 2, 10, 30), 20],
        ["e2", dt.datetime(2024, 3, 9, 9, 0, 0, 500000), 30.0],
    ]})
    cg, r = load(folder, tmp_path)
    assert r.rejected == 0
    ev = cg.table("events").set_index("event_id")
    assert ev.loc["e1", "starts_at"] == pd.Timestamp("2024-03-02 10:30") and int(ev.loc["e2", "capacity"]) == 30


def test_one_workbook_with_sheets_named_like_tables(tmp_path):
    folder = tmp_path / "in"
    workbook(folder / "crm-export.xlsx", {
        "Owners ": [["owner_id", "city"], ["o1", "上海"], ["o2", "北京"]],
        "referrals": [["referrer_id", "referee_id", "referred_at", "stage"],
                      ["o1", "o2", "2024-01-01", "order"], ["o1", "ghost", "2024-01-02", "lead"]],
        "Notes": [["anything"]],
    })
    (folder / "README.txt").write_text("not a table")
    cg, r = load(folder, tmp_path)
    assert dict(zip(r.counts["table"], r.counts["loaded"])) == {"owners": 2, "referrals": 1}
    assert rejects_of(r) == [(3, "referee_id", "unknown referee_id='ghost': not in "
                              f"{folder / 'crm-export.xlsx'} [sheet Owners ] nor in the store")]
    assert r.ignored_files == ["README.txt", "crm-export.xlsx [sheet Notes]"]
    # the same workbook given as a single file
    sources, _ = read_sources(folder / "crm-export.xlsx", mapping=Mapping())
    assert list(sources) == ["owners", "referrals"]


def test_mapping_names_workbook_and_sheet(tmp_path):
    folder = tmp_path / "in"
    workbook(folder / "车主.xlsx", {"说明": [["这是说明"]], "车主信息": [["车主ID", "城市"], ["A1", "合肥"]]})
    (folder / "m.toml").write_text('[owners]\nfile = "车主.xlsx"\nsheet = "车主信息"\n[owners.columns]\n"车主ID" = "owner_id"\n"城市" = "city"\n', encoding="utf-8")
    cg, r = load(folder, tmp_path, mapping=folder / "m.toml")
    assert r.loaded == 1 and cg.table("owners")["city"].tolist() == ["合肥"]
    # sheet without file: the one workbook in the folder that has it
    (folder / "m2.toml").write_text('[owners]\nsheet = "车主信息"\n[owners.columns]\n"车主ID" = "owner_id"\n', encoding="utf-8")
    cg, r = load(folder, tmp_path, mapping=folder / "m2.toml")
    assert r.loaded == 1


def test_workbook_sheet_problems_are_clear_errors(tmp_path):
    folder = tmp_path / "in"
    workbook(folder / "owners.xlsx", {"A": [["owner_id"], ["o1"]], "B": [["x"]]})
    with pytest.raises(InputFileError) as ei:
        read_sources(folder, mapping=Mapping())
    assert "has sheets 'A', 'B' and none is named 'owners'" in str(ei.value) and '[owners] sheet = "A"' in str(ei.value)
    m = load_mapping({"owners": {"sheet": "C"}})
    with pytest.raises(InputFileError, match="the mapping says table owners is on sheet 'C', but the workbook's sheets are 'A', 'B'"):
        read_sources(folder, mapping=m)
    assert owners_read(folder, mapping=load_mapping({"owners": {"sheet": "A"}})).frame["owner_id"].tolist() == ["o1"]
    workbook(folder / "empty.xlsx", {"owners": []})
    (folder / "owners.xlsx").unlink()
    with pytest.raises(InputFileError, match=r"empty.xlsx: sheet 'owners' is empty"):
        read_sources(folder, mapping=Mapping())


def test_one_table_in_two_places_is_an_error(tmp_path):
    folder = tmp_path / "in"
    workbook(folder / "owners.xlsx", {"Sheet1": [["owner_id"], ["o1"]]})
    (folder / "owners.csv").write_text("owner_id\no2\n")
    with pytest.raises(InputFileError, match="both owners.csv and owners.xlsx hold table owners"):
        read_sources(folder, mapping=Mapping())
    (folder / "owners.xlsx").unlink()
    workbook(folder / "export.xlsx", {"owners": [["owner_id"], ["o3"]]})
    with pytest.raises(InputFileError, match=r"table owners is in owners.csv and in export.xlsx \[sheet owners\]"):
        read_sources(folder, mapping=Mapping())
    # a mapping settles it
    assert owners_read(folder, mapping=load_mapping({"owners": {"file": "owners.csv"}})).frame["owner_id"].tolist() == ["o2"]


def test_unknown_file_types_get_a_hint(tmp_path):
    folder = folder_with(tmp_path, {"owners.json": "[]", "events.csv": "event_id,starts_at\n"})
    with pytest.raises(InputFileError, match=r"owners.json: looks like the owners table, but .json cannot be read"):
        read_sources(folder, mapping=Mapping())
    folder = folder_with(tmp_path, {"车主.numbers": b"x", "notes.docx": b"x"}, "b")
    with pytest.raises(InputFileError) as ei:
        read_sources(folder, mapping=Mapping())
    assert "no table files found" in str(ei.value) and "The folder holds: notes.docx, 车主.numbers" in str(ei.value)
    assert ".xlsx" in str(ei.value)
    # a text file under a workbook name
    folder = folder_with(tmp_path, {"owners.xlsx": OWNERS}, "c")
    with pytest.raises(InputFileError, match=r"owners.xlsx: not an Excel/OpenDocument workbook .* rename it to .csv"):
        read_sources(folder, mapping=Mapping())
    folder = folder_with(tmp_path, {"owners.xlsx": b"PK\x03\x04garbage"}, "d")
    with pytest.raises(InputFileError, match=r"owners.xlsx: not a readable workbook"):
        read_sources(folder, mapping=Mapping())
    # the mapping names a file of an unknown type, or a sheet of a text file
    folder = folder_with(tmp_path, {"车主.json": "[]", "owners.csv": OWNERS}, "e")
    with pytest.raises(InputFileError, match=r"车主.json: looks like the owners table, but .json cannot be read"):
        read_sources(folder, mapping=load_mapping({"owners": {"file": "车主.json"}}))
    with pytest.raises(InputFileError, match=r"names a sheet for table owners, but .*owners.csv is not a workbook"):
        read_sources(folder, mapping=load_mapping({"owners": {"sheet": "x"}}))


def test_header_only_sheet_is_an_empty_table(tmp_path):
    folder = tmp_path / "in"
    workbook(folder / "owners.xlsx", {"owners": [["owner_id", "city"]]})
    cg, r = load(folder, tmp_path)
    assert r.counts[["table", "read", "loaded", "rejected"]].values.tolist() == [["owners", 0, 0, 0]]


def test_workbook_loads_through_the_cli(tmp_path):
    folder = tmp_path / "in"
    workbook(folder / "owners.xlsx", {"owners": OWNER_SHEET[:3]})
    store = tmp_path / "s.duckdb"
    res = CliRunner().invoke(cli, ["load", str(folder), "--store", str(store), "--rejects", str(tmp_path / "r.csv")])
    assert res.exit_code == 0, res.output
    assert "owners.xlsx [sheet owners]" in res.output
    bad = folder_with(tmp_path, {"owners.csv": (HEADER + "\n").encode("gb18030") + "o1,张三,上海,,,,,,,\n".encode() + "o2,李四,,,,,,,,\n".encode("gb18030")}, "bad")
    res = CliRunner().invoke(cli, ["load", str(bad), "--store", str(tmp_path / "t.duckdb")])
    assert res.exit_code == 1 and "mixed text encodings" in res.output and "Traceback" not in res.output


# ---- 7. mapping value types -------------------------------------------------------------------------
@pytest.mark.parametrize("toml,expected", [
    ('[owners.columns]\n"车主ID" = ["owner_id"]\n', "[owners.columns] '车主ID' must name one contract column as a string"),
    ('[owners.columns]\n"车主ID" = 5\n', "[owners.columns] '车主ID' must name one contract column as a string (e.g. \"车主ID\" = \"owner_id\"), not a number (5)"),
    ('[owners]\nfile = 5\n', "[owners] file must be a string (file = \"...\"), not a number (5)"),
    ('[owners]\nsheet = ["a"]\n', "[owners] sheet must be a string (sheet = \"...\"), not a list"),
    ('[owners]\nfile = ""\n', "[owners] file is empty"),
    ('owners = "x"\n', "[owners] must be a table of settings (file, sheet, columns, values), not a string ('x')"),
    ('[owners]\ncolumns = ["a"]\n', "[owners.columns] must map your header to a contract column"),
    ('[owners]\nvalues = 3\n', "[owners.values] must hold one table per column, not a number (3)"),
    ('[owners.values]\nis_staff = "yes"\n', "[owners.values.is_staff] must map your value to a contract value, not a string ('yes')"),
    ('[owners.values.is_staff]\n"是" = ["true"]\n', "[owners.values.is_staff] '是' must map to one value (a string, number or true/false), not a list"),
    ('[owners.values.is_staff]\n"是" = 1979-05-27\n', "[owners.values.is_staff] '是' must map to one value"),
    ('[owners.values.is_staff]\n"是" = nan\n', "[owners.values.is_staff] '是' must map to one value"),
])
def test_mapping_wrong_value_types_are_mapping_errors_naming_the_key(tmp_path, toml, expected):
    p = tmp_path / "m.toml"
    p.write_text(toml, encoding="utf-8")
    with pytest.raises(MappingError) as ei:
        load_mapping(p)
    assert expected in str(ei.value) and str(p) in str(ei.value)
    # and through the CLI: exit 1 with the message, no traceback
    folder = folder_with(tmp_path, {"owners.csv": OWNERS})
    res = CliRunner().invoke(cli, ["load", str(folder), "--store", str(tmp_path / "s.duckdb"), "--mapping", str(p)])
    assert res.exit_code == 1 and expected in res.output and "Traceback" not in res.output


def test_mapping_good_values_of_other_types():
    m = Mapping.from_dict({"owners": {"values": {"is_staff": {"Y": True, "N": 0, "?": "false"}}}})
    assert m.values == {"owners": {"is_staff": {"Y": "true", "N": "0", "?": "false"}}}
    with pytest.raises(MappingError, match="not list"):
        load_mapping(["owners"])
    with pytest.raises(MappingError, match="expected tables such as \\[owners\\]"):
        Mapping.from_dict(["owners"])  # type: ignore[arg-type]


# ---- 8. Parquet ---------------------------------------------------------------------------------------
def test_parquet_still_reads_and_its_errors_are_input_file_errors(tmp_path):
    folder = tmp_path / "pq"
    folder.mkdir()
    df = pd.DataFrame({"owner_id": ["o1", "o2"], "city": ["上海", "北京"]})
    df.to_parquet(folder / "owners.parquet")
    cg, r = load(folder, tmp_path)
    assert r.loaded == 2 and r.counts["source_file"].iat[0].endswith("owners.parquet")
    good = (folder / "owners.parquet").read_bytes()
    for name, data in {"truncated": good[: len(good) // 2], "empty": b"", "text": OWNERS.encode()}.items():
        (folder / "owners.parquet").write_bytes(data)
        with pytest.raises(InputFileError, match=r"owners.parquet: not a readable Parquet file"):
            read_sources(folder, mapping=Mapping())
    pd.DataFrame({"owner_id": ["o1"], "city": [["a", "b"]]}).to_parquet(folder / "owners.parquet")
    with pytest.raises(InputFileError, match=r"owners.parquet: column\(s\) city hold lists, structs or binary data"):
        read_sources(folder, mapping=Mapping())


# ---- decode_bytes as a library function ------------------------------------------------------------
def test_decode_bytes_examples():
    assert decode_bytes("a,城市\n".encode("gb18030"), file="x.csv") == ("a,城市\n", "gb18030")
    assert decode_bytes("\ufeffa\n".encode("utf-8"), file="x.csv") == ("a\n", "utf-8")
    assert decode_bytes("a\tb\n".encode("utf-16-be"), file="x.txt") == ("a\tb\n", "utf-16-be")
    # a few NUL bytes in a UTF-8 file are not UTF-16: they stay, and become bad-character rejects
    assert decode_bytes(b"a,b\n1,\x002\n3,4\n", file="x.csv")[1] == "utf-8"


def test_big_file_reads_with_exact_row_numbers(tmp_path):
    """20,000 rows with a malformed row every 997 rows: positions and row numbers stay exact."""
    lines = [HEADER]
    for i in range(20_000):
        lines.append(f"o{i},n{i},c" if i % 997 == 5 else f"o{i},名{i},城{i % 10},,,,,,,")
    src = owners_read(folder_with(tmp_path, {"owners.csv": "\n".join(lines) + "\n"}))
    assert len(src.frame) == 20_000 and src.rows.tolist() == list(range(2, 20_002))
    bad = [i for i in range(20_000) if i % 997 == 5]
    assert [p[0] for p in src.problems] == bad
    assert src.frame["owner_id"].iloc[bad].tolist() == [f"o{i}" for i in bad]
    assert np.array_equal(src.frame["owner_id"].to_numpy(dtype=object), np.array([f"o{i}" for i in range(20_000)], dtype=object))
