"""Generate the example data set (data/example/) from data/example/generator.yml, deterministically.

    python -m followup.example_data [--spec data/example/generator.yml] [--out data/example] [--project DIR]

The spec holds facts copied from Kolada (KPI metadata, municipality names, the peer group's members; the
list of every municipality and region is in the file its `all_municipalities.spec` names) and invented
parameters per KPI. The output is in exactly the on-disk format of a fetched Kolada snapshot (see
data/README.md), with manifests whose source is "example", so the report marks it as example data:
kolada/values.csv (Riket, the municipality, its peers; every gender), kolada/all_municipalities.csv (the
totals of every municipality of type K in the last years; the same draws where the places overlap), the
metadata files, and local/values.csv.
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
from .data import ALL_COLUMNS, ALL_FILE, KOLADA_COLUMNS, LOCAL_COLUMNS, csv_text, json_text, write_part
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


def _own_and_members(spec: dict) -> tuple[str, list[str]]:
    """The municipality the report is for (the one place that is neither Riket nor a peer) and the peers."""
    members = [m["member_id"] for g in spec["groups"] for m in g["members"]]
    own = next(m["id"] for m in spec["municipalities"] if m["id"] not in members and m["id"] != "0000")
    return own, members


def _reflect(value: float, lo, hi, margin: float) -> float:
    """A value mirrored back inside the bounds less a margin (so that few sit at a bound), then clamped."""
    if hi is not None and value > hi - margin:
        value = 2 * (hi - margin) - value
    if lo is not None and value < lo + margin:
        value = 2 * (lo + margin) - value
    return _clamp(value, lo, hi)


def _base(ex: dict, role: str, r: random.Random, widen: float, span: int) -> tuple[float, float]:
    """A place's level in the first year and its change per year. span: the KPI's years, last - first."""
    if "borlange_level" in ex:  # population-like counts: own levels
        base = {"national": ex["level"], "own": ex["borlange_level"]}.get(role)
        if base is None:
            base = ex["peer_level"] * (1 + r.gauss(0, 0.25 * widen))
        return base, ex["trend"] if role == "national" else base * 0.003
    draw = r.gauss(0, ex["peer_spread"] * widen)  # drawn for every place, so that each keeps its sequence
    if role == "other":  # around Riket's level in the KPI's last year, inside the bounds
        last = _reflect(ex["level"] + ex["trend"] * span + draw, ex.get("min"), ex.get("max"), ex["noise"])
        return last - ex["trend"] * span, ex["trend"]
    return ex["level"] + {"national": 0.0, "own": ex["offset"]}.get(role, draw), ex["trend"]


def _by_gender(kpi: dict, total: float, r: random.Random, noise: float) -> dict[str, float]:
    ex = kpi["example"]
    by_gender = {"T": total}
    if kpi["is_divided_by_gender"]:
        if "borlange_level" in ex:  # counts: split roughly in half
            women = round(total * 0.497)
            by_gender.update(K=women, M=round(total) - women)
        else:
            lo, hi, half = ex.get("min"), ex.get("max"), ex.get("gender_gap", 0) / 2
            by_gender.update(
                K=_clamp(total + half + r.gauss(0, noise / 2), lo, hi),
                M=_clamp(total - half + r.gauss(0, noise / 2), lo, hi),
            )
    return by_gender


def series(spec: dict, kpi: dict, muni: str, role: str) -> dict[int, dict[str, float]]:
    """One place's invented values of one KPI, year -> gender -> value, for every year up to the KPI's
    last_year (before gaps). role: "national" (Riket), "own", "peer" or "other" (any other municipality,
    spread more widely around Riket than the peers). Seeded by (seed, KPI, place): deterministic per place."""
    ex = kpi["example"]
    r = _rng(spec["seed"], kpi["id"], muni)
    widen = spec.get("all_municipalities", {}).get("spread", 1.0) if role == "other" else 1.0
    base, growth = _base(ex, role, r, widen, ex["last_year"] - spec["first_year"])
    noise = ex["noise"] / (3 if role == "national" else 1)
    values = {}
    for year in range(spec["first_year"], ex["last_year"] + 1):
        total = _clamp(base + growth * (year - spec["first_year"]) + r.gauss(0, noise), ex.get("min"), ex.get("max"))
        values[year] = _by_gender(kpi, total, r, noise)
    return values


def published_years(spec: dict, kpi: dict) -> list[int]:
    """The years the KPI has values for: first_year..last_year, only the odd ones for a biennial KPI."""
    years = range(spec["first_year"], kpi["example"]["last_year"] + 1)
    return [y for y in years if y % 2 == 1] if kpi["example"].get("years") == "odd" else list(years)


def kpi_cells(spec: dict, kpi: dict, places: dict[str, str]) -> dict[tuple[str, int], tuple[dict, str]]:
    """The KPI's cells for the places (id -> role): (place, year) -> (gender -> value text, status).
    A missing value has an empty text and Kolada's status."""
    ex = kpi["example"]
    missing = {(m["municipality"], m["year"]): m["status"] for m in ex.get("missing", [])}
    cells = {}
    for muni, role in places.items():
        values = series(spec, kpi, muni, role)
        for year in published_years(spec, kpi):
            status = missing.get((muni, year)) or (ex.get("national_status") if role == "national" else None)
            texts = {g: "" if status else _fmt(v, ex["decimals"]) for g, v in values[year].items()}
            cells[(muni, year)] = (texts, status or "")
    return cells


def report_places(spec: dict, kpi: dict) -> dict[str, str]:
    """The places values.csv has for a KPI, id -> role: Riket (unless national: false), the municipality, its peers."""
    own, members = _own_and_members(spec)
    places = {**({"0000": "national"} if kpi["example"].get("national", True) else {}), own: "own"}
    places.update({m: "peer" for m in members})
    return places


def kpi_rows(spec: dict, kpi: dict, cells: dict | None = None) -> list[dict]:
    """All value rows of one KPI: Riket, the municipality and the peers, for each published year."""
    places = report_places(spec, kpi)
    cells = cells if cells is not None else kpi_cells(spec, kpi, places)
    rows = []
    for muni in places:
        for year in published_years(spec, kpi):
            texts, status = cells[(muni, year)]
            rows.extend(
                {"kpi": kpi["id"], "municipality": muni, "year": year, "gender": g, "value": texts[g], "status": status}
                for g in sorted(texts)
            )
    return rows


def all_municipality_rows(spec: dict, kpi: dict, cells: dict, k_municipalities: list[str]) -> list[dict]:
    """The KPI's totals for every municipality of type K in the last `all_municipalities.years` years of the
    data: only the cells with a value."""
    last = spec["last_year"]
    years = range(last - spec["all_municipalities"]["years"] + 1, last + 1)
    return [
        {"kpi": kpi["id"], "municipality": muni, "year": year, "value": cells[(muni, year)][0]["T"]}
        for muni in k_municipalities
        for year in years
        if (muni, year) in cells and not cells[(muni, year)][1]
    ]


def listed_municipalities(spec: dict, spec_path: Path) -> list[dict]:
    """Every municipality and region Kolada lists, from the file all_municipalities.spec names (next to the
    spec); the spec's own municipalities must agree with it."""
    path = Path(spec_path).parent / spec["all_municipalities"]["spec"]
    listed = yaml.safe_load(path.read_text(encoding="utf-8"))["municipalities"]
    by_id = {m["id"]: m for m in listed}
    for m in spec["municipalities"]:
        if m["id"] in by_id and by_id[m["id"]] != m:
            raise FollowupError(f"{spec_path}: municipality {m['id']} differs from {path}: {m} != {by_id[m['id']]}")
    return sorted(listed, key=lambda m: m["id"])


def kolada_files(spec: dict, spec_path: Path) -> dict[str, str]:
    """The kolada/ part's files (without the manifest); each KPI's values are drawn once for all of them."""
    listed = listed_municipalities(spec, spec_path)
    k_ids = [m["id"] for m in listed if m["type"] == "K"]
    rows, totals = [], []
    for kpi in sorted(spec["kpis"], key=lambda k: k["id"]):
        places = report_places(spec, kpi)
        if kpi["example"].get("all_municipalities", True):
            places.update({m: "other" for m in k_ids if m not in places})
        cells = kpi_cells(spec, kpi, places)
        rows += kpi_rows(spec, kpi, cells)
        if kpi["example"].get("all_municipalities", True):
            totals += all_municipality_rows(spec, kpi, cells, k_ids)
    rows.sort(key=lambda r: (r["kpi"], r["municipality"], r["year"], r["gender"]))
    totals.sort(key=lambda r: (r["kpi"], r["municipality"], r["year"]))
    municipalities = {m["id"]: m for m in [*listed, *spec["municipalities"]]}
    kpis = [{k: kpi[k] for k in KPI_FACTS} for kpi in sorted(spec["kpis"], key=lambda k: k["id"])]
    return {
        "values.csv": csv_text(rows, KOLADA_COLUMNS),
        ALL_FILE: csv_text(totals, ALL_COLUMNS),
        "kpis.json": json_text(kpis),
        "municipalities.json": json_text([municipalities[k] for k in sorted(municipalities)]),
        "groups.json": json_text(spec["groups"]),
    }


def local_rows(spec: dict) -> list[dict]:
    own, _ = _own_and_members(spec)
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
    note = f"Exempeldata, genererade av followup.example_data från {Path(spec_path).name}. Inte officiell statistik."
    files = {
        "kolada": kolada_files(spec, spec_path),
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
