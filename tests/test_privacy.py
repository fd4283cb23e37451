"""Owner ids that are phone numbers (graphcrm.privacy): counted at load, masked in the report
and its CSV tables, kept in the store and the CRM lists."""
from __future__ import annotations

import re

import pandas as pd
from click.testing import CliRunner

import graphcrm
from graphcrm.cli import cli
from graphcrm.privacy import PhoneIdMask, mask_phone, phone_like


def test_phone_like_by_hand():
    ids = ["13812345678", "+8613912345678", "86 15012345678", "+4420712345", "12812345678", "234716903",
           "u13812345678", "1381234567", "138123456789", "o1"]
    assert phone_like(ids).tolist() == [True, True, True, True, False, False, False, False, False, False]


def test_mask_keeps_the_first_three_and_last_four_digits():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 139-1234-5678") == "139****5678"
    assert mask_phone("+4420712345") == "442****2345"


def test_only_the_communitys_phone_ids_are_masked_and_only_whole():
    m = PhoneIdMask(["13812345678", "u7", "234716903"])
    assert m.text("referred by 13812345678 (u7), 13812345678,u7; 13912345678; 138123456789; 234716903") == (
        "referred by 138****5678 (u7), 138****5678,u7; 13912345678; 138123456789; 234716903")
    df = pd.DataFrame({"owner_id": ["13812345678", "u7"], "owners": ["13812345678,u7", "u7"], "n": [1, 2]})
    out = m.frame(df)
    assert out["owner_id"].tolist() == ["138****5678", "u7"] and out["owners"].tolist() == ["138****5678,u7", "u7"]
    assert df["owner_id"].tolist() == ["13812345678", "u7"]  # the input is not changed
    assert not PhoneIdMask(["u1", "234716903"]) and PhoneIdMask(["u1"]).frame(df) is df


def test_a_crm_keyed_by_phone_numbers_never_shows_them_in_the_report(tmp_path):
    phones = [f"13{i}0013800{i}" for i in range(8)]  # 11 digits each
    folder = tmp_path / "exports"
    folder.mkdir()
    pd.DataFrame({"owner_id": phones, "city": ["上海"] * 4 + ["北京"] * 4}).to_csv(folder / "owners.csv", index=False)
    pd.DataFrame({"post_id": [f"p{i}" for i in range(8)], "author_id": phones,
                  "created_at": [f"2026-0{1 + i % 6}-10" for i in range(8)]}).to_csv(folder / "posts.csv", index=False)
    inter = [(f"i{i}{j}", phones[j], f"p{i}", "like", f"2026-0{1 + i % 6}-2{j % 8}")
             for i in range(8) for j in range(8) if (i + j) % 3 == 0 and i != j]
    pd.DataFrame(inter, columns=["interaction_id", "owner_id", "post_id", "kind", "created_at"]).to_csv(
        folder / "interactions.csv", index=False)
    pd.DataFrame({"referrer_id": phones[:3], "referee_id": phones[3:6], "referred_at": "2026-02-01",
                  "stage": "delivered"}).to_csv(folder / "referrals.csv", index=False)
    store, report = tmp_path / "s.duckdb", tmp_path / "out" / "weekly.html"
    report.parent.mkdir()
    res = CliRunner().invoke(cli, ["run", str(folder), "--store", str(store), "-o", str(report), "-k", "3",
                                   "--jobs", "1", "--no-progress", "--write-back", "w1",
                                   "--rejects", str(tmp_path / "rejects.csv")])
    assert res.exit_code == 0, res.output + str(res.exception)
    assert "8 owner ids look like phone numbers" in res.stdout
    texts = [report.read_text(encoding="utf-8")] + [p.read_text(encoding="utf-8-sig")
                                                     for p in (tmp_path / "out" / "weekly-csv").glob("*.csv")]
    for t in texts:
        assert not any(p in t for p in phones)
    assert re.search(r"13[0-7]\*\*\*\*[0-9]{4}", texts[0])  # the masked form is what the page shows
    cg = graphcrm.open(store)  # the store and the CRM's write-back keep the real ids
    assert set(cg.store.read_results("targets")["owner_id"]) <= set(phones)
    assert set(cg.table("owners")["owner_id"]) == set(phones)
    cg.close()
