"""The CLI: every command has help; errors are exit code 1 with a clear message; load/info work."""
from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from graphcrm.cli import cli

from tests.test_loading import GOOD, write


def all_commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from all_commands(cmd, prefix + (name,))


def test_every_command_has_help():
    runner = CliRunner()
    cmds = list(all_commands(cli))
    assert {"demo", "load", "info", "export"} <= {c[0][0] for c in cmds}
    for path, cmd in cmds:
        assert cmd.help, f"{' '.join(path)} has no help text"
        res = runner.invoke(cli, [*path, "--help"])
        assert res.exit_code == 0, res.output
        assert "Usage:" in res.output


def test_load_and_info(tmp_path):
    runner = CliRunner()
    store = str(tmp_path / "s.duckdb")
    tables = dict(GOOD)
    tables["interactions"] += "o1,p404,like,2024-03-05 08:00:00\n"
    folder = write(tmp_path / "in", tables)
    res = runner.invoke(cli, ["load", str(folder), "--store", store, "--rejects", str(tmp_path / "rej.csv")])
    assert res.exit_code == 0, res.output
    assert "interactions" in res.output and "rejects written to" in res.output
    line = next(l for l in res.output.splitlines() if l.startswith("interactions"))
    assert line.split()[1:4] == ["6", "5", "1"]
    assert "张三" not in res.output  # owner names never printed
    res = runner.invoke(cli, ["info", "--store", store])
    assert res.exit_code == 0, res.output
    assert "coattendance graph" in res.output
    res = runner.invoke(cli, ["info", "--store", store, "--format", "json"])
    assert '"item": "owners"' in res.output


def test_library_errors_exit_1(tmp_path):
    runner = CliRunner()
    folder = write(tmp_path / "in", {"owners": "id,name\n1,x\n"})
    res = runner.invoke(cli, ["load", str(folder), "--store", str(tmp_path / "s.duckdb")])
    assert res.exit_code == 1
    assert "owners.csv" in res.output and "owner_id" in res.output
    res = runner.invoke(cli, ["info", "--store", "ftp://nowhere"])
    assert res.exit_code == 1 and "unknown store URI scheme" in res.output


def test_export(tmp_path):
    runner = CliRunner()
    store = str(tmp_path / "s.duckdb")
    assert runner.invoke(cli, ["load", str(write(tmp_path / "in", GOOD)), "--store", store]).exit_code == 0
    out = tmp_path / "g.graphml"
    res = runner.invoke(cli, ["export", "interactions", "-o", str(out), "--store", store])
    assert res.exit_code == 0, res.output
    import networkx as nx

    G = nx.read_graphml(out)
    assert G["o2"]["o1"]["weight"] == 4.0
