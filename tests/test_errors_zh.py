"""Errors in Chinese: every catalogued message round-trips (its English text is recognised back
to its code and parameters, its Chinese template has the same parameters), and failing CLI
commands run with ``--lang zh`` print an error with no English words left (ids, paths, option
names, code to type and the product name aside), while the same commands in English stay English."""
from __future__ import annotations

import re
import string

import pytest
from click.testing import CliRunner

import graphcrm
from graphcrm.cli import cli
from graphcrm.errors import ConfigError, GraphCRMError
from graphcrm.i18n import MESSAGES, UNTRANSLATED_ZH, error_text, message, recognise
from tests.test_loading import GOOD, write


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_catalogue_entry_round_trips(code):
    m = MESSAGES[code]
    assert _fields(m.en) == _fields(m.zh), code
    params = {f: f"<{f}-{i}>" for i, f in enumerate(sorted(_fields(m.en)))}
    en = message(code, "en", **params)
    assert recognise(en) == (code, params)
    zh = message(code, "zh", **params)
    assert all(v in zh for v in params.values())
    assert re.search(r"[\u4e00-\u9fff]", zh), code  # it is Chinese


def test_error_with_a_code_carries_it():
    exc = ConfigError(code="since_after_until", since="2026-03-01", until="2026-01-01")
    assert str(exc) == "since (2026-03-01) is after until (2026-01-01)"
    assert exc.code == "since_after_until" and exc.params == {"since": "2026-03-01", "until": "2026-01-01"}
    assert error_text(exc, "zh") == "开始日期（2026-03-01）晚于结束日期（2026-01-01）"
    assert error_text(exc, "en") == str(exc)
    # a text the catalogue does not know says so, and keeps the English detail
    assert error_text(GraphCRMError("brand new failure"), "zh") == UNTRANSLATED_ZH + "brand new failure"


# -- the command line --------------------------------------------------------------------------------
#: Latin words a Chinese reader meets in a message as they are: the product, formats, date
#: pattern, and names the user types (TOML keys in [brackets] and column names are kept as words)
ALLOWED = {"graphcrm", "TOML", "CSV", "UTF", "YYYY", "MM", "DD", "Python", "DuckDB", "demo", "load", "open",
           "create", "True", "campaigns", "zh", "en"}


def _english_words(text: str, keep: list[str]) -> list[str]:
    for k in keep:  # paths, ids and values given by the test
        text = text.replace(k, " ")
    text = re.sub(r"[\w.~-]*/[\w./-]+", " ", text)  # paths
    text = re.sub(r"\b\w+\.(csv|toml|html|duckdb)\b", " ", text)  # file names
    text = re.sub(r"`[^`]*`", " ", text)  # commands to type
    text = re.sub(r"(可用的键|可选|数据表有|可用章节|可用字段|可用分析|以下之一)：[^；\n]*", " ", text)  # names to type
    text = re.sub(r"'[^']*'|\"[^\"]*\"", " ", text)  # quoted values
    text = re.sub(r"\[[\w. ]+\]", " ", text)  # [table] of a TOML file
    text = re.sub(r"--[\w-]+", " ", text)  # option names
    text = re.sub(r"\b\w+(?:\.\w+)+\(.*?\)", " ", text)  # Python calls (graphcrm.open(path))
    words = re.findall(r"[A-Za-z][A-Za-z0-9_]*", text)
    return [w for w in words if w not in ALLOWED and "_" not in w and not re.search(r"\d", w) and len(w) > 1]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    base = tmp_path_factory.mktemp("zh-errors")
    path = str(base / "s.duckdb")
    with graphcrm.open(path) as cg:
        cg.load(write(base / "in", GOOD), rejects_path=base / "rej.csv", now="2026-01-01")
    return path


def _cases(store: str, tmp) -> list[tuple[list[str], str, list[str]]]:
    """(command line, the Chinese we expect in the error, strings from the test to ignore)."""
    missing = str(tmp / "nowhere.duckdb")
    (tmp / "k0.toml").write_text("[ambassadors]\nk = 0\n", encoding="utf-8")
    (tmp / "key.toml").write_text("[ambassadors]\nkk = 3\n", encoding="utf-8")
    (tmp / "hold.toml").write_text("[holdout]\nshare = 2\n", encoding="utf-8")
    (tmp / "costs.csv").write_text("owner_id,cost\nO1,abc\n", encoding="utf-8")
    (tmp / "badcost.toml").write_text('[ambassadors]\ncosts = "costs.csv"\nbudget = 10\n', encoding="utf-8")
    (tmp / "folder").mkdir(exist_ok=True)
    (tmp / "folder" / "owners.csv").write_text("owner_id\nO1\n", encoding="utf-8")  # an input table
    (tmp / "badhdr").mkdir(exist_ok=True)  # two files lacking required columns: a message of three lines
    (tmp / "badhdr" / "owners.csv").write_text("owner_id\nO1\n", encoding="utf-8")
    (tmp / "badhdr" / "posts.csv").write_text("post_id,created_at,mood\np1,2026-01-01,x\n", encoding="utf-8")
    (tmp / "badhdr" / "referrals.csv").write_text("referrer_id,referee_id\nO1,O1\n", encoding="utf-8")
    (tmp / "notables").mkdir(exist_ok=True)
    (tmp / "notables" / "stuff.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (tmp / "duphdr").mkdir(exist_ok=True)
    (tmp / "duphdr" / "owners.csv").write_text("owner_id,owner_id\nO1,O2\n", encoding="utf-8")
    (tmp / "nofile.toml").write_text('[owners]\nfile = "nope.csv"\n', encoding="utf-8")
    (tmp / "mixed").mkdir(exist_ok=True)  # one line saved as GB18030 inside a UTF-8 file
    (tmp / "mixed" / "owners.csv").write_bytes("owner_id,city\nO1,上海\n".encode() + "O2,北京\n".encode("gb18030"))
    (tmp / "fakebook").mkdir(exist_ok=True)
    (tmp / "fakebook" / "owners.xlsx").write_text("owner_id\nO1\n", encoding="utf-8")
    (tmp / "badmap.toml").write_text('[owners.columns]\n"车主" = "ownr_id"\n[evnts]\nfile = "x.csv"\n[posts]\nfile = 3\n',
                                    encoding="utf-8")
    keep = [store, missing, str(tmp)]
    run = ["--store", str(tmp / "new2.duckdb"), "--rejects", str(tmp / "rj2.csv"), "-o", str(tmp / "w2.html"),
           "--no-progress"]
    files = ["owners.csv", "events.csv", "posts.csv", "referrals.csv", "attendance.csv", "interactions.csv",
             "stuff.csv", ".csv .tsv .txt .parquet .pq .xlsx .xlsm .xlsb .xls .ods", "[table] file = ...", "nope.csv"]
    return [
        (["run", str(tmp / "notables"), *run], "没有找到数据表文件", [*keep, *files]),
        (["run", str(tmp / "duphdr"), *run], "出现了两次", [*keep, "owners.csv"]),
        (["run", str(tmp / "duphdr"), "--mapping", str(tmp / "badmap.toml"), *run], "映射文件",
         [*keep, "owners", "events", "posts", "referrals", "attendance", "interactions", "evnts", "name", "city",
          "region", "points", "contribution", "file", "sheet", "columns", "values"]),
        (["run", str(tmp / "mixed"), *run], "混用了两种编码", [*keep, "owners.csv", "UTF-8", "GB18030/GBK", "GB18030"]),
        (["run", str(tmp / "fakebook"), *run], "不是 Excel/OpenDocument 工作簿", [*keep, "owners.xlsx", "Excel/OpenDocument",
                                                                             ".csv"]),
        (["run", str(tmp / "duphdr"), "--mapping", str(tmp / "nofile.toml"), *run], "该文件不存在",
         [*keep, "owners", *files]),
        (["run", str(tmp / "badhdr"), "--store", str(tmp / "new.duckdb"), "--rejects", str(tmp / "rj.csv"),
          "-o", str(tmp / "w.html"), "--no-progress"],
         "缺少必需的列", [*keep, "posts.csv", "referrals.csv", "posts", "referrals", "stage", "mood"]),
        (["kocs", "--store", missing], "处没有存储", keep),
        (["kocs", "--store", store, "--since", "2026-13-01"], "不是日期", keep),
        (["circles", "--store", store, "--since", "2026-03-01", "--until", "2026-01-01"], "晚于结束日期", keep),
        (["levels", "--store", store, "--city", "火星"], "没有车主的城市为", keep),
        (["kocs", "--store", store, "--since", "2040-01-01"], "之间没有任何活动", keep),
        (["targets", "--store", store, "--campaign-file", str(tmp / "k0.toml")], "至少为 1", keep),
        (["ambassadors", "--store", store, "--campaign-file", str(tmp / "key.toml")], "未知的键", keep),
        (["report", "--store", store, "--campaign-file", str(tmp / "hold.toml"), "-o", str(tmp / "r.html")],
         "必须在 0 和 1 之间", keep),
        (["report", "--store", store, "--campaign-file", str(tmp / "badcost.toml"), "-o", str(tmp / "r.html")],
         "不是数字", keep),
        (["report", "--store", store, "-o", str(tmp / "r.html"), "--csv-dir", str(tmp / "folder")], "输入数据表", keep),
        (["kocs", "--store", store, "-o", str(tmp / "no" / "k.csv")], "不存在", keep),
        (["owner", "--store", store, "NOT-AN-OWNER"], "未知的车主编号", [*keep, "NOT-AN-OWNER"]),
        (["movement", "--store", store, "--period", "5x"], "不是时长", keep),
        (["circles", "--store", store, "--resolution", "-1"], "分辨率", keep),
        (["regulars", "--store", store, "--min-months", "0"], "最少月数", keep),
        (["evaluate", "nope", "--store", store], "没有名为", keep),
        (["ambassadors", "--store", store, "--costs", str(tmp / "costs.csv")], "必须同时给出", keep),
        (["kocs", "--store", store, "--weights", "like=x"], "名称=数字", keep),
        (["ambassadors", "--store", store, "--probability", "credit", "--mc-runs", "100"], "没有可模拟的传播", keep),
    ]


def test_failing_commands_in_chinese_have_no_english_words(store, tmp_path):
    runner = CliRunner()
    for args, expected, keep in _cases(store, tmp_path):
        r = runner.invoke(cli, [*args, "--lang", "zh"])
        err = r.stderr
        assert r.exit_code == 1, (args, r.output)
        assert err.startswith("错误："), (args, err)
        assert expected in err, (args, err)
        assert UNTRANSLATED_ZH not in err, (args, err)
        assert not _english_words(err, keep), (args, err, _english_words(err, keep))
        # the check can fail: the same command in English is an English sentence
        en = runner.invoke(cli, [*args, "--lang", "en"]).stderr
        assert en.startswith("Error: ") and len(_english_words(en, keep)) >= 3, (args, en)


# -- click's own usage errors (raised while parsing, before a graphcrm command runs) ----------------
@pytest.mark.parametrize("args, expected", [
    (["kocs", "--lang", "zh", "--nope"], "没有这个选项"),
    (["kocs", "--lang", "zh", "--top", "abc"], "不是有效的整数"),
    (["kocs", "--lang=zh", "--format", "xml"], "不在可选值"),
    (["ambassadors", "--lang", "zh", "-k", "0"], "不在范围"),
    (["kocs", "--lang", "zh", "extra"], "多余的参数"),
])
def test_click_usage_errors_in_chinese(args, expected):
    res = CliRunner().invoke(cli, args, prog_name="graphcrm")
    assert res.exit_code == 2
    assert expected in res.output and "用法" in res.output and "查看帮助" in res.output
    assert _english_words(res.output.replace("[OPTIONS]", ""), ["kocs", "ambassadors", "abc", "xml", "extra"]) == []


def test_click_usage_errors_stay_english_and_click_is_restored():
    zh = CliRunner().invoke(cli, ["kocs", "--lang", "zh", "--top", "abc"])
    en = CliRunner().invoke(cli, ["kocs", "--top", "abc"])
    assert "不是有效的整数" in zh.output
    assert "Invalid value for" in en.output and "is not a valid integer" in en.output and "Usage:" in en.output
    import click.core

    from gettext import gettext
    assert click.core._ is gettext  # the Chinese texts were only lent for that invocation


def test_the_load_summary_in_chinese(tmp_path):
    # graphcrm load --lang zh (and graphcrm run --lang zh) print the load's summary in Chinese:
    # counts, the most common kinds of rejects, the ignored columns
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "owners.csv").write_text("owner_id,city,is_staff,phone\nO1,上海,maybe,13812345678\nO2,北京,否,\n",
                                       encoding="utf-8")
    r = CliRunner().invoke(cli, ["load", str(folder), "--store", str(tmp_path / "s.duckdb"), "--rejects",
                                 str(tmp_path / "rej.csv"), "--lang", "zh"])
    assert r.exit_code == 0, r.output
    assert "拒绝 1 行（1 个问题）；最常见的：" in r.stdout and "owners: 不是是/否值" in r.stdout
    assert "owners：不在数据契约中的列，未导入：phone" in r.stdout and "合计" in r.stdout
    assert "rows rejected" not in r.stdout and "13812345678" not in r.stdout
    en = CliRunner().invoke(cli, ["load", str(folder), "--store", str(tmp_path / "s2.duckdb"), "--rejects",
                                  str(tmp_path / "rej2.csv")])
    assert "1 rows rejected (1 problems); most common:" in en.stdout and "owners: bad yes/no value" in en.stdout
