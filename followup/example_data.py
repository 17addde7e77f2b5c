"""Generate the example data set (data/example/) from data/example/generator.yml, deterministically.

    python -m followup.example_data [--spec data/example/generator.yml] [--out data/example] [--project DIR]

The spec holds facts copied from Kolada (KPI metadata, municipality names, the peer group's members) and
invented parameters per KPI. The output is in exactly the on-disk format of a fetched Kolada snapshot
(see data/README.md), with manifests whose source is "example", so the report marks it as example data.
Randomness comes from Python's `random.Random`, seeded per series from the spec's seed: the same spec
gives byte-identical files on every machine and Python version.
"""

from __future__ import annotations

import argparse
import logging
import random
import shutil
import sys
import zlib
from pathlib import Path

import yaml

from . import swap
from .data import KOLADA_COLUMNS, LOCAL_COLUMNS, csv_text, json_text, write_part
from .errors import FollowupError
from .runs import RunLock, recover

ROOT = Path(__file__).resolve().parent.parent
KPI_FACTS = (
    "id",
    "title",
    "description",
    "is_divided_by_gender",
    "municipality_type",
    "auspice",
    "operating_area",
    "perspective",
    "prel_publication_date",
    "publication_date",
    "publ_period",
    "has_ou_data",
)


def _rng(seed: int, *parts: str) -> random.Random:
    return random.Random(zlib.crc32(":".join([str(seed), *parts]).encode("utf-8")))


def _clamp(value: float, lo, hi) -> float:
    if lo is not None:
        value = max(lo, value)
    if hi is not None:
        value = min(hi, value)
    return value


def _fmt(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return "0" + text[2:] if text.startswith("-0") and float(text) == 0 else text


def kpi_rows(spec: dict, kpi: dict) -> list[dict]:
    """All value rows of one KPI: Riket, the municipality and the peers, for each published year."""
    ex, seed = kpi["example"], spec["seed"]
    first, last = spec["first_year"], ex["last_year"]
    lo, hi, d = ex.get("min"), ex.get("max"), ex["decimals"]
    members = [m["member_id"] for g in spec["groups"] for m in g["members"]]
    own = next(m["id"] for m in spec["municipalities"] if m["id"] not in members and m["id"] != "0000")
    missing = {(m["municipality"], m["year"]): m["status"] for m in ex.get("missing", [])}
    counts = "borlange_level" in ex  # population-like counts: own levels, split roughly in half by gender

    places = (["0000"] if ex.get("national", True) else []) + [own] + members
    rows = []
    for muni in places:
        r = _rng(seed, kpi["id"], muni)
        if counts:
            base = {"0000": ex["level"], own: ex["borlange_level"]}.get(muni)
            if base is None:
                base = ex["peer_level"] * (1 + r.gauss(0, 0.25))
            growth = ex["trend"] if muni == "0000" else base * 0.003
        else:
            base = ex["level"] + {"0000": 0.0, own: ex["offset"]}.get(muni, r.gauss(0, ex["peer_spread"]))
            growth = ex["trend"]
        noise = ex["noise"] / (3 if muni == "0000" else 1)
        for year in range(first, last + 1):
            total = _clamp(base + growth * (year - first) + r.gauss(0, noise), lo, hi)
            by_gender = {"T": total}
            if kpi["is_divided_by_gender"]:
                if counts:
                    women = round(total * 0.497)
                    by_gender.update(K=women, M=round(total) - women)
                else:
                    half = ex.get("gender_gap", 0) / 2
                    by_gender.update(
                        K=_clamp(total + half + r.gauss(0, noise / 2), lo, hi),
                        M=_clamp(total - half + r.gauss(0, noise / 2), lo, hi),
                    )
            status = missing.get((muni, year))
            for gender in sorted(by_gender):
                rows.append(
                    {
                        "kpi": kpi["id"],
                        "municipality": muni,
                        "year": year,
                        "gender": gender,
                        "value": "" if status else _fmt(by_gender[gender], d),
                        "status": status or "",
                    }
                )
    return rows


def local_rows(spec: dict) -> list[dict]:
    members = [m["member_id"] for g in spec["groups"] for m in g["members"]]
    own = next(m["id"] for m in spec["municipalities"] if m["id"] not in members and m["id"] != "0000")
    rows = []
    for ind in spec["local"]:
        years = {int(y): ("" if v is None else str(v), "") for y, v in ind["values"].items()}
        years.update({int(m["year"]): ("", m["status"]) for m in ind.get("missing", [])})
        for year in sorted(years):
            value, status = years[year]
            rows.append(
                {
                    "indicator": ind["id"],
                    "municipality": own,
                    "year": year,
                    "gender": "T",
                    "value": value,
                    "status": status,
                    "source": ind["source"],
                }
            )
    return rows


def generate(spec_path: Path, out: Path) -> None:
    """Write out/kolada/ and out/local/ from the spec; the old folders are replaced only when both are
    written (each by followup.swap). No lock: main() takes the run lock."""
    spec = yaml.safe_load(Path(spec_path).read_text(encoding="utf-8"))
    rows = [row for kpi in sorted(spec["kpis"], key=lambda k: k["id"]) for row in kpi_rows(spec, kpi)]
    rows.sort(key=lambda r: (r["kpi"], r["municipality"], r["year"], r["gender"]))
    kpis = [{k: kpi[k] for k in KPI_FACTS} for kpi in sorted(spec["kpis"], key=lambda k: k["id"])]
    note = f"Exempeldata, genererade av followup.example_data från {Path(spec_path).name}. Inte officiell statistik."
    files = {
        "kolada": {
            "values.csv": csv_text(rows, KOLADA_COLUMNS),
            "kpis.json": json_text(kpis),
            "municipalities.json": json_text(sorted(spec["municipalities"], key=lambda m: m["id"])),
            "groups.json": json_text(spec["groups"]),
        },
        "local": {"values.csv": csv_text(local_rows(spec), LOCAL_COLUMNS)},
    }
    stages = {part: swap.staging_dir(Path(out) / part) for part in files}
    try:
        for part, stage in stages.items():
            write_part(stage / part, files[part], "example", spec["retrieved"], note)
        for part, stage in stages.items():
            swap.replace_dir(stage / part, Path(out) / part)
    finally:
        for stage in stages.values():
            shutil.rmtree(stage, ignore_errors=True)


def project_of(out: Path) -> Path:
    """The project folder an output folder belongs to: the nearest parent with data/plan.yml."""
    for parent in Path(out).resolve().parents:
        if (parent / "data" / "plan.yml").is_file():
            return parent
    raise FollowupError(f"{out} is not inside a project folder (one with data/plan.yml): give --project")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--spec", type=Path, default=ROOT / "data" / "example" / "generator.yml")
    p.add_argument("--out", type=Path, default=ROOT / "data" / "example")
    p.add_argument(
        "--project",
        type=Path,
        help="the project folder whose run lock to take (default: the nearest parent of --out with data/plan.yml)",
    )
    p.add_argument("--wait", action="store_true", help="if another run is in progress, wait for it (default: refuse)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    try:
        project = (args.project or project_of(args.out)).resolve()
        with RunLock(project, "example data run", args.wait):
            recover(project)
            generate(args.spec, args.out)
    except FollowupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"example data written to {args.out}/kolada and {args.out}/local")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
