"""Loading Beijing's divisions (issue 2, item 5) from the CSVs kept in backoffice/data/.

Street-level units follow the Ministry of Civil Affairs legal list (343 units, MCA names); the
statistics bureau's names stay as aliases. The NBS-only pseudo-unit 首都机场街道 (110105020) is
the MCA's 110105400, so its communities move there; the six development-zone statistical units
stay as non-legal street-level rows so that their communities keep a parent chain.
"""

from __future__ import annotations

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
RENAMED_CODES = {"110105020000": "110105400000"}


def _read(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8-sig", newline="") as f:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]


def areas_rows() -> list[dict]:
    """Every area as a dict: code, name, level, parent, district, street, aliases, is_legal."""
    nbs = _read("beijing_divisions.csv")
    mca = _read("beijing_streets_mca_2025.csv")
    nbs_street_names = {r["code"]: r["name"] for r in nbs if r["level"] == "street"}
    rows: list[dict] = []
    for r in nbs:
        if r["level"] == "province":
            rows.append(
                dict(
                    code=r["code"],
                    name=r["name"],
                    level="city",
                    parent=None,
                    district=None,
                    street=None,
                    aliases="",
                    is_legal=True,
                )
            )
        elif r["level"] == "district":
            rows.append(
                dict(
                    code=r["code"],
                    name=r["name"],
                    level="district",
                    parent=r["parent_code"],
                    district=r["code"],
                    street=None,
                    aliases="",
                    is_legal=True,
                )
            )
    mca_codes = set()
    for r in mca:
        if r["level"] != "street":
            continue
        mca_codes.add(r["code"])
        nbs_name = nbs_street_names.get(r["code"], "")
        rows.append(
            dict(
                code=r["code"],
                name=r["name"],
                level="street",
                parent=r["parent_code"],
                district=r["parent_code"],
                street=r["code"],
                aliases=nbs_name if nbs_name and nbs_name != r["name"] else "",
                is_legal=True,
            )
        )
    for code, name in nbs_street_names.items():
        if code in mca_codes or code in RENAMED_CODES:
            continue
        district = code[:6] + "000000"
        rows.append(
            dict(
                code=code,
                name=name,
                level="street",
                parent=district,
                district=district,
                street=code,
                aliases="",
                is_legal=False,
            )
        )
    for r in nbs:
        if r["level"] != "community":
            continue
        street = RENAMED_CODES.get(r["parent_code"], r["parent_code"])
        rows.append(
            dict(
                code=r["code"],
                name=r["name"],
                level="community",
                parent=street,
                district=street[:6] + "000000",
                street=street,
                aliases="",
                is_legal=True,
            )
        )
    return rows


def areas_load(area_model) -> int:
    """Insert the areas that are missing (idempotent). Returns how many were added."""
    existing = set(area_model.objects.values_list("code", flat=True))
    new = [
        area_model(
            code=r["code"],
            name=r["name"],
            level=r["level"],
            parent_id=r["parent"],
            district_id=r["district"],
            street_id=r["street"],
            aliases=r["aliases"],
            is_legal_unit=r["is_legal"],
        )
        for r in areas_rows()
        if r["code"] not in existing
    ]
    # Parents come before children in areas_rows(), so batches respect the foreign keys.
    area_model.objects.bulk_create(new, batch_size=2000)
    return len(new)
