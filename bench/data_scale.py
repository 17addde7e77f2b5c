#!/usr/bin/env python3
"""The data-scale benchmark (issue #11): a full-size Kolada snapshot, loaded, checked and reported on.

    .venv/bin/python bench/data_scale.py [--repeat 3] [--area skolan] [--keep DIR]

It generates, into a temporary folder and in the on-disk format of data/README.md (with
followup.data.write_part), a snapshot of 290 municipalities (four-digit codes, Borlänge and the peer group's
members among them) + Riket, 45 KPIs (the plan's Kolada KPIs and filler KPIs; N07923 and a filler are
published every second year, N07923 without Riket, as in Kolada), 20 years and 3 genders, with
all_municipalities.csv and the plan's local indicators; the plan is data/plan.yml, whose KPIs are all in the
snapshot. Then it measures, each case in a fresh subprocess per repetition (so that peak memory does not
mix), in one process after the imports:

- load:   load_plan + load_dataset + with_data_breaks + check_plan_against_data;
- area:   one goal area's results without charts, followup.results.area_document (after load, same process);
- charts: followup.figures.trend_chart for every indicator of the goal area (a process of its own);

each as wall time and as the process's CPU time (less disturbed by other work on a shared machine), and
each process's peak resident memory (VmHWM) and its resident memory after the imports. It prints the
medians and the spread (min–max) as a Markdown table for bench/README.md. Targets: load + area ≤ 1 s and
≤ 300 MB peak resident memory on the 2-core machine; charts are timed separately.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from machine import hardware  # noqa: E402 (bench/machine.py, beside this script)

PLAN = REPO / "data" / "plan.yml"
EXAMPLE_KPIS = REPO / "data" / "example" / "kolada" / "kpis.json"
EXAMPLE_GROUPS = REPO / "data" / "example" / "kolada" / "groups.json"
COMMENTARY = REPO / "book" / "commentary"
N_MUNICIPALITIES, N_KPIS, FIRST_YEAR, REPORT_YEAR = 290, 45, 2006, 2025
GENDERS = ("K", "M", "T")
RETRIEVED = "2026-03-15T08:00:00Z"
BIENNIAL = {"N07923", "N99904"}  # published in odd years only (N07923 as Kolada has it, and a filler)
NO_RIKET = {"N07923"}  # no value for Riket, as in Kolada
COUNTIES = ("01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13", "14", "17", "18", "19", "20", "21")
COUNTIES += ("22", "23", "24", "25")


# ---------------------------------------------------------------- the snapshot


def municipality_ids(own: str, members: list[str]) -> list[str]:
    """290 four-digit codes: the municipality, its peers, and made-up codes county by county."""
    ids = [own, *members]
    for number in range(10, 100):
        for county in COUNTIES:
            code = f"{county}{number:02d}"
            if len(ids) < N_MUNICIPALITIES and code not in ids:
                ids.append(code)
    return sorted(ids)


def kpi_metadata(plan) -> list[dict]:
    """The plan's KPIs with the example data set's metadata, and fillers up to 45 KPIs."""
    example = {k["id"]: k for k in json.loads(EXAMPLE_KPIS.read_text(encoding="utf-8"))}
    ids = sorted({ind.id for _, ind in plan.indicators() if ind.is_kolada} | set(example))
    kpis = [example.get(k) or _filler(k, plan) for k in ids]
    for i in range(1, N_KPIS - len(kpis) + 1):
        kpis.append(_filler(f"N9990{i}", plan))
    return sorted(kpis, key=lambda k: k["id"])


def _filler(kpi: str, plan) -> dict:
    title = next((ind.title for _, ind in plan.indicators() if ind.id == kpi), f"Benchmark-nyckeltal {kpi}, antal")
    return {
        "id": kpi,
        "title": title,
        "description": "Påhittat nyckeltal för prestandatestet. Källa: Benchmark.",
        "is_divided_by_gender": True,
        "municipality_type": "K",
        "publ_period": str(REPORT_YEAR + 1),
        "publication_date": f"{REPORT_YEAR + 1}-04-29",
    }


def _series(r: random.Random, share: bool, years: range) -> list[float]:
    level = r.uniform(20, 80) if share else r.uniform(1, 1000)
    trend = r.gauss(0, 0.5 if share else level / 100)
    out = []
    for i, _ in enumerate(years):
        v = level + trend * i + r.gauss(0, 1.5 if share else level / 50)
        out.append(min(100.0, max(0.0, v)) if share else max(0.0, v))
    return out


def values_lines(kpis: list[dict], places: list[str], shares: set[str], seed: int) -> tuple[list[str], dict]:
    """values.csv's data lines (kpi, municipality, year, gender sorted; places[0] is Riket) and the totals
    {(kpi, muni, year): text}."""
    years = range(FIRST_YEAR, REPORT_YEAR + 1)
    lines, totals = [], {}
    for kpi in (k["id"] for k in kpis):
        for muni in places:
            if kpi in NO_RIKET and muni == places[0]:
                continue
            r = random.Random(f"{seed}:{kpi}:{muni}")
            by_gender = {g: _series(r, kpi in shares, years) for g in GENDERS}
            for i, year in enumerate(years):
                if kpi in BIENNIAL and year % 2 == 0:
                    continue
                for g in GENDERS:
                    if r.random() < 0.01:
                        lines.append(f"{kpi},{muni},{year},{g},,Uppgift saknas\n")
                        continue
                    text = f"{by_gender[g][i]:.1f}"
                    lines.append(f"{kpi},{muni},{year},{g},{text},\n")
                    if g == "T":
                        totals[(kpi, muni, year)] = text
    return lines, totals


def generate(root: Path, seed: int = 11) -> dict:
    """Write the snapshot (kolada/ and local/) under root; return its size in rows and bytes."""
    from followup.data import KOLADA_COLUMNS, LOCAL_COLUMNS, csv_text, json_text, write_part
    from followup.plan import load_plan

    plan = load_plan(PLAN)
    groups = [g for g in json.loads(EXAMPLE_GROUPS.read_text(encoding="utf-8")) if g["id"] == plan.peer_group.id]
    members = [m["member_id"] for m in groups[0]["members"]]
    munis = municipality_ids(plan.municipality.id, members)
    kpis = kpi_metadata(plan)
    shares = {k["id"] for k in kpis if "%" in k["title"].rsplit(",", 1)[-1]}
    lines, totals = values_lines(kpis, [plan.comparison.id, *munis], shares, seed)
    planned = sorted({ind.id for _, ind in plan.indicators() if ind.is_kolada})
    all_lines = [
        f"{kpi},{muni},{year},{totals[(kpi, muni, year)]}\n"
        for kpi in planned
        for muni in munis
        for year in range(REPORT_YEAR - 2, REPORT_YEAR + 1)
        if (kpi, muni, year) in totals
    ]
    names = {m["member_id"]: m["member_title"] for m in groups[0]["members"]}
    names[plan.municipality.id] = plan.municipality.name
    municipalities = [{"id": plan.comparison.id, "title": plan.comparison.name, "type": "L"}]
    municipalities += [{"id": m, "title": names.get(m, f"Kommun {m}"), "type": "K"} for m in munis]
    write_part(
        root / "kolada",
        {
            "values.csv": ",".join(KOLADA_COLUMNS) + "\n" + "".join(lines),
            "all_municipalities.csv": "kpi,municipality,year,value\n" + "".join(all_lines),
            "kpis.json": json_text(kpis),
            "municipalities.json": json_text(municipalities),
            "groups.json": json_text(groups),
        },
        "kolada",
        RETRIEVED,
        "Påhittade värden för prestandatestet (bench/data_scale.py).",
        {"report_year": REPORT_YEAR, "years": [FIRST_YEAR, REPORT_YEAR]},
    )
    local = [
        {
            "indicator": ind.id,
            "municipality": plan.municipality.id,
            "year": year,
            "gender": "T",
            "value": str(100 + year - FIRST_YEAR),
            "status": "",
            "source": ind.supplier,
        }
        for _, ind in plan.indicators()
        if not ind.is_kolada
        for year in range(FIRST_YEAR, REPORT_YEAR + 1)
    ]
    write_part(root / "local", {"values.csv": csv_text(local, LOCAL_COLUMNS)}, "local", RETRIEVED)
    size = (root / "kolada" / "values.csv").stat().st_size
    return {"rows": len(lines), "all_rows": len(all_lines), "kpis": len(kpis), "places": len(munis) + 1, "bytes": size}


# ---------------------------------------------------------------- one measurement (in a fresh process)


def _status_mb(key: str) -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith(key))
    return kb / 1024


def rss_now_mb() -> float:
    return _status_mb("VmRSS:")


def peak_rss_mb() -> float:
    """This process's peak resident memory: VmHWM, the high-water mark of its own address space. (Not
    ru_maxrss, which Linux carries over an exec: it would count the parent's memory, as the child starts as
    a copy of the parent.)"""
    return _status_mb("VmHWM:")


def run_case(case: str, root: Path, area: str, year: int, out_dir: Path) -> dict:
    """One case, timed after the imports: 'load+area' or 'charts'."""
    from followup import figures, results  # noqa: F401  (imported before the clock starts)
    from followup.data import check_plan_against_data, load_dataset, with_data_breaks
    from followup.plan import load_plan

    out = {"rss_after_imports": rss_now_mb()}
    clock = Clock()
    ds = load_dataset(root)
    plan = with_data_breaks(load_plan(PLAN), ds)
    check_plan_against_data(plan, ds)
    if case == "load+area":
        out.update(clock.lap("load"))
        results.area_document(ds, plan, area, year, COMMENTARY)
        out.update(clock.lap("area"))
    else:
        figures.setup()
        clock = Clock()
        for ind in plan.area(area).indicators:
            figures.trend_chart(ds, plan, plan.area(area), ind, year, out_dir)
        out.update(clock.lap("charts"), n_charts=len(plan.area(area).indicators))
    out["peak_rss"] = peak_rss_mb()
    return out


class Clock:
    """Wall time (what the target is about) and this process's CPU time (less disturbed by other work on
    the machine) since the last lap."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self, name: str) -> dict:
        wall, cpu = time.perf_counter(), time.process_time()
        out = {name: wall - self.wall, f"{name}_cpu": cpu - self.cpu}
        self.wall, self.cpu = wall, cpu
        return out


def measure(case: str, root: Path, area: str, repeat: int) -> list[dict]:
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as out:
            cmd = [sys.executable, __file__, "--case", case, "--root", str(root), "--area", area, "--out", out]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode:
                sys.exit(f"{case} failed:\n{done.stderr}")
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return runs


# ---------------------------------------------------------------- the report


def machine() -> str:
    """Cores and memory as /proc gives them, the Python version, and how busy the machine was."""
    return f"{hardware()} (/proc), Python {platform.python_version()}; load average {os.getloadavg()[0]:.1f} at the end"


def commit() -> str:
    done = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "followup"], capture_output=True)
    return done.stdout.strip() + (" (with uncommitted changes in followup/)" if dirty.stdout.strip() else "")


def cell(runs: list[dict], key: str, unit: str, digits: int) -> str:
    xs = [r[key] for r in runs]
    return f"{statistics.median(xs):.{digits}f} {unit} ({min(xs):.{digits}f}–{max(xs):.{digits}f})"


def report(size: dict, main: list[dict], charts: list[dict], area: str) -> str:
    total = [{**r, "total": r["load"] + r["area"], "total_cpu": r["load_cpu"] + r["area_cpu"]} for r in main]
    n = charts[0]["n_charts"]
    rows = [
        ("load + validate (load_dataset, with_data_breaks, check_plan_against_data)", *times(main, "load")),
        (f"one goal area's results ({area}: area_document, no charts)", *times(main, "area")),
        ("**load + area** (target ≤ 1 s)", *times(total, "total")),
        ("peak resident memory, load + area (target ≤ 300 MB)", cell(main, "peak_rss", "MB", 0), ""),
        ("resident memory after the imports (in the above)", cell(main, "rss_after_imports", "MB", 0), ""),
        (f"charts ({area}: trend_chart for its {n} indicators), timed separately", *times(charts, "charts")),
        ("peak resident memory, charts", cell(charts, "peak_rss", "MB", 0), ""),
    ]
    head = [
        f"Snapshot: {size['rows']:,} rows in values.csv ({size['bytes'] / 1e6:.1f} MB), {size['places']} places, "
        f"{size['kpis']} KPIs, {FIRST_YEAR}–{REPORT_YEAR}; all_municipalities.csv {size['all_rows']:,} rows.",
        f"Machine: {machine()}.",
        f"Date: {datetime.now(UTC):%Y-%m-%d}. Commit: {commit()}. {len(main)} runs each: median (min–max).",
        "",
        "| measurement | wall time or memory: median (min–max) | CPU time: median |",
        "| --- | --- | --- |",
    ]
    return "\n".join(head + [f"| {a} | {b} | {c} |" for a, b, c in rows])


def times(runs: list[dict], key: str) -> tuple[str, str]:
    return cell(runs, key, "s", 2), f"{statistics.median(r[key + '_cpu'] for r in runs):.2f} s"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=3, help="runs per case, each a fresh process (default 3)")
    p.add_argument("--area", default="skolan", help="the goal area measured (default skolan)")
    p.add_argument("--keep", type=Path, help="generate the snapshot here and keep it (default: a temporary folder)")
    p.add_argument("--case", help=argparse.SUPPRESS)
    p.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.case:
        print(json.dumps(run_case(args.case, args.root, args.area, REPORT_YEAR, args.out)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp) / "data"
        print(f"generating the snapshot in {root} …", file=sys.stderr)
        size = generate(root)
        print(f"measuring ({args.repeat} runs per case) …", file=sys.stderr)
        main_runs = measure("load+area", root, args.area, args.repeat)
        chart_runs = measure("charts", root, args.area, args.repeat)
        print(report(size, main_runs, chart_runs, args.area))
    return 0


if __name__ == "__main__":
    sys.exit(main())
