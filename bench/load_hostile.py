"""A hostile copy of a demo folder, for old-vs-new load identity checks (bench/load_identity.py).

    python bench/load_hostile.py FOLDER OUT [--seed 0] [--per-table 300]

Copies every CSV of FOLDER to OUT, inserting at random (seeded) places in each file lines that
the loader must reject or clean, so the rejects name rows in the middle of files:

* exact repeats of earlier rows (duplicate keys, first row wins);
* impossible, malformed, pre-1970 and future dates; "no date" placeholders;
* references to unknown owners / posts / events, and to rows rejected in the same load;
* blank required values, bad enum and yes/no values, non-numbers, negative capacities;
* rows cut short and rows with an extra field; ids with invisible characters and full-width
  digits (cleaned, not rejected) and ids that Excel turned into scientific notation;
* interactions dated before their post.

The demo files are plain comma-separated UTF-8 without quoted fields, so lines are edited as
text.  No timings; prints how many lines were inserted per file.
"""
from __future__ import annotations

import argparse
import random
from pathlib import Path


def _bad_date(rng: random.Random) -> str:
    return rng.choice(["2023-02-30 10:00:00", "2031-05-01 00:00:00", "1969-12-31", "not a date", "0000-00-00",
                       "2024-13-01", "9999-12-31", "2024/05/06 07:08:09", "45292", ""])


def mutate(table: str, header: list[str], fields: list[str], rng: random.Random, rejected_owner: str) -> str:
    f = list(fields)
    col = {h: i for i, h in enumerate(header)}
    kind = rng.randrange(9)
    if kind == 0:  # an exact repeat
        pass
    elif kind == 1:  # a bad date in the table's date column
        dates = [h for h in header if h.endswith("_at")]
        if dates:
            f[col[rng.choice(dates)]] = _bad_date(rng)
    elif kind == 2:  # an unknown reference
        refs = [h for h in header if h in ("owner_id", "post_id", "event_id", "author_id", "referrer_id", "referee_id")]
        refs = [h for h in refs if not (table == "owners" and h == "owner_id")
                and not (table == "events" and h == "event_id") and not (table == "posts" and h == "post_id")]
        if refs:
            f[col[rng.choice(refs)]] = rng.choice(["O9999999", "P9999999", "E9999999", rejected_owner])
        else:
            f[0] = f[0] + "\u200b"  # an id with a zero-width space: cleaned to the same id (a duplicate)
    elif kind == 3:  # a blank required value
        f[0] = ""
    elif kind == 4:  # a bad enum / yes-no / number value
        for h in ("kind", "role", "stage", "checked_in", "is_volunteer", "capacity", "points"):
            if h in col:
                f[col[h]] = rng.choice(["maybe", "-5", "1e309", "inf", "zzz"])
                break
    elif kind == 5:  # a row cut short or with an extra field
        f = f[:-1] if rng.random() < 0.5 else f + ["extra"]
    elif kind == 6:  # Excel's scientific notation in an id
        f[0] = "1.23457E+11"
    elif kind == 7:  # full-width digits in the key (NFKC: the same id, so a duplicate)
        f[0] = f[0].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    elif kind == 8 and table == "interactions":  # before its post (the demo's first posts are from 2024-10)
        f[col["created_at"]] = "2019-01-01 00:00:00"
    return ",".join(f)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-table", type=int, default=300)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=False)
    rejected_owner = "O0000003"
    for path in sorted(args.folder.glob("*.csv")):
        lines = path.read_text(encoding="utf-8").splitlines()
        header, body = lines[0].split(","), lines[1:]
        table = path.stem
        if table == "owners":  # reject one owner in this load (bad date), so references to it say so
            for i, line in enumerate(body):
                if line.startswith(rejected_owner + ","):
                    g = line.split(",")
                    g[header.index("joined_at")] = "2023-02-30"
                    body[i] = ",".join(g)
        inserts = []
        for _ in range(args.per_table):
            src = body[rng.randrange(len(body))].split(",")
            inserts.append((rng.randrange(len(body) + 1), mutate(table, header, src, rng, rejected_owner)))
        for pos, line in sorted(inserts, reverse=True):
            body.insert(pos, line)
        (args.out / path.name).write_text("\n".join([lines[0]] + body) + "\n", encoding="utf-8")
        print(f"{path.name:18s} +{len(inserts)} lines")


if __name__ == "__main__":
    main()
