"""Shared fixtures. Tests never read or write the live data/ folder: they build their own data sets."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import shutil
from pathlib import Path

import pytest

from followup import example_data
from followup.data import KOLADA_COLUMNS, LOCAL_COLUMNS, csv_text, json_text, seal_local, write_part

REPO = Path(__file__).resolve().parent.parent
PROJECT_FILES = [
    "_config.yml",
    "_toc.yml",
    "book",
    "notebooks",
    "data/plan.yml",
    "data/plan.schema.json",
    "data/status.yml",
    "data/status.schema.json",
]


# data/status.yml of an adopted 2025 report (the dnr's double space is normalised in the line it prints)
ADOPTED = """schema_version: 1
year: 2025
status: fastställd
decision:
  date: "2026-04-27"
  paragraph: 45
  dnr: KS  2026/0123
"""
ADOPTED_LINE = "Fastställd av kommunfullmäktige 2026-04-27, § 45, dnr KS 2026/0123"


def make_dataset(
    root: Path,
    values: list[dict],
    kpis: list[dict],
    local: list[dict] | None = None,
    municipalities: list[dict] | None = None,
    groups: list[dict] | None = None,
    source: str = "example",
    retrieved: str = "2026-03-15T08:00:00Z",
) -> Path:
    """Write a data set in the on-disk format (kolada/ and local/ with manifests) from rows."""
    municipalities = municipalities or [
        {"id": "0000", "title": "Riket", "type": "L"},
        {"id": "2081", "title": "Borlänge", "type": "K"},
        {"id": "0001", "title": "Peer A", "type": "K"},
        {"id": "0002", "title": "Peer B", "type": "K"},
        {"id": "0003", "title": "Peer C", "type": "K"},
    ]
    groups = groups or [
        {
            "id": "G1",
            "title": "Liknande kommuner, test",
            "members": [
                {"member_id": "0001", "member_title": "Peer A"},
                {"member_id": "0002", "member_title": "Peer B"},
                {"member_id": "0003", "member_title": "Peer C"},
            ],
        }
    ]
    write_part(
        root / "kolada",
        {
            "values.csv": csv_text(values, KOLADA_COLUMNS),
            "kpis.json": json_text(kpis),
            "municipalities.json": json_text(municipalities),
            "groups.json": json_text(groups),
        },
        source,
        retrieved,
    )
    local = (
        local
        if local is not None
        else [
            {
                "indicator": "lokal-a",
                "municipality": "2081",
                "year": 2024,
                "gender": "T",
                "value": "10",
                "status": "",
                "source": "Testförvaltningen",
            }
        ]
    )
    write_part(
        root / "local",
        {"values.csv": csv_text(local, LOCAL_COLUMNS)},
        "example" if source == "example" else "local",
        retrieved,
    )
    return root


def row(kpi, muni, year, value, gender="T", status=""):
    return {
        "kpi": kpi,
        "municipality": muni,
        "year": year,
        "gender": gender,
        "value": "" if value is None else str(value),
        "status": status,
    }


def kpi_meta(
    kpi,
    title="Testnyckeltal, andel (%)",
    description="Beskrivning. Källa: SCB.",
    publ_period="2026",
    publication_date="2026-04-29",
):
    return {
        "id": kpi,
        "title": title,
        "description": description,
        "is_divided_by_gender": False,
        "municipality_type": "K",
        "publ_period": publ_period,
        "publication_date": publication_date,
    }


@pytest.fixture
def tiny_dataset(tmp_path) -> Path:
    """A hand-made data set: KPI N00001 for 2022–2024, with a missing peer value and a missing Riket."""
    values = [
        row("N00001", "2081", 2022, 50.0),
        row("N00001", "2081", 2023, 52.5),
        row("N00001", "2081", 2024, 51.0),
        row("N00001", "0000", 2022, 55.0),
        row("N00001", "0000", 2023, 56.0),
        row("N00001", "0000", 2024, None, status="Uppgift saknas"),
        row("N00001", "0001", 2024, 40.0),
        row("N00001", "0002", 2024, 60.0),
        row("N00001", "0003", 2024, None, status="För få svar"),
        row("N00002", "2081", 2023, 1500.0),
        row("N00002", "0000", 2023, 1200.0),
    ]
    kpis = [
        kpi_meta("N00001"),
        kpi_meta("N00002", title="Testantal, antal", publ_period="2024", publication_date="2026-05-01"),
    ]
    return make_dataset(tmp_path / "dataset", values, kpis)


TINY_PLAN = """\
schema_version: 1
plan:
  title: "Testkommunens strategiska plan"
  municipality: {id: "2081", name: "Borlänge"}
  comparison: {id: "0000", name: "Riket"}
  peer_group: {id: "G1", name: "Liknande kommuner"}
  period: {start: 2023, end: 2026, assumption: "Antagande."}
  assessment: {met_share: 0.75, partly_share: 0.5}
goal_areas:
  - slug: skolan
    title: Skolan
    goal: "Vi ska ha en bra skola."
    focus: "Fokus på kunskap."
    indicators:
      - {id: N00001, source: kolada, title: "Testnyckeltal, andel (%)", short_title: "Testandel",
         unit: "andel (%)", higher_is_better: true, decimals: 1,
         target: {rule: value, value: 51.0, year: 2026, tolerance: 1.0, source: example}}
      - {id: N00002, source: kolada, title: "Testantal, antal", short_title: "Testantal",
         unit: "antal", higher_is_better: false, decimals: 0,
         target: {rule: national, source: council, decision: "KF § 12", decision_date: "2024-02-01"}}
      - {id: lokal-a, source: local, title: "Lokal indikator", short_title: "Lokal",
         unit: "antal", higher_is_better: true, decimals: 0, supplier: "Testförvaltningen",
         target: {rule: cumulative, value: 30, partial_share: 0.3, source: plan}}
"""


@pytest.fixture
def tiny_plan(tmp_path) -> Path:
    path = tmp_path / "plan.yml"
    path.write_text(TINY_PLAN, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def example_dataset(tmp_path_factory) -> Path:
    """The example data set, generated afresh from its spec into a temporary folder."""
    out = tmp_path_factory.mktemp("example")
    example_data.generate(REPO / "data" / "example" / "generator.yml", out)
    return out


def make_project(dest: Path, example_dataset: Path) -> Path:
    """A copy of the project's inputs (plan, templates, pages, config) with the example data set."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        src, target = REPO / name, dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target)
        else:
            shutil.copy2(src, target)
    for part in ("kolada", "local"):
        shutil.copytree(example_dataset / part, dest / "data" / "example" / part)
    return dest


@contextlib.contextmanager
def log_lines():
    """The lines the package logs (its progress lines) while the block runs, as a list."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    logger, handler = logging.getLogger("followup"), Collect()
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def tree_hash(*folders: Path) -> str:
    """One hash over the names and bytes of every file below the folders: "byte for byte unchanged"."""
    h = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            h.update(str(path.relative_to(folder)).encode())
            if path.is_file():
                h.update(path.read_bytes())
    return h.hexdigest()


LOCAL_AREA = "boende"  # the goal area of the example data's local indicator bostader-fardigstallda


def correct_local_value(project: Path, new: str = "999") -> None:
    """Change one value of the local indicator (as an analyst would) and seal it (make local)."""
    path = project / "data" / "example" / "local" / "values.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    i = next(i for i, line in enumerate(lines) if line.startswith("bostader-fardigstallda,2081,2016,"))
    cells = lines[i].split(",")
    cells[4] = new
    lines[i] = ",".join(cells)
    path.write_text("".join(lines), encoding="utf-8")
    seal_local(path.parent, "2026-11-29T12:00:00Z")
