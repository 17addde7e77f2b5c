"""End-to-end: `run_all.py fetch` against a local v3 server, then a report built from the snapshot."""

import os
import re
import shutil
import subprocess
import sys
import unicodedata

import pytest

from followup.build import build
from followup.data import seal_local

from conftest import REPO, log_lines, make_project
from kolada_server import FakeKolada

pytestmark = pytest.mark.slow

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'


def run_fetch(project, url):
    env = dict(os.environ, KOLADA_BASE_URL=url)
    return subprocess.run(
        [sys.executable, str(REPO / "run_all.py"), "fetch", "--year", "2025", "--project", str(project)],
        capture_output=True,
        text=True,
        env=env,
    )


@pytest.fixture(scope="module")
def fetched_report(tmp_path_factory, example_dataset):
    project = make_project(tmp_path_factory.mktemp("kolada"), example_dataset)
    # The municipality's own series: the example's values, sealed as real local data.
    shutil.copytree(example_dataset / "local", project / "data" / "local")
    (project / "data" / "local" / "manifest.json").unlink()
    seal_local(project / "data" / "local", "2026-03-20T10:00:00Z")
    with FakeKolada(example_dataset) as server:
        first = run_fetch(project, server.url)
        assert first.returncode == 0, first.stderr
        server.kpis["N15428"] = dict(
            server.kpis["N15428"], title=f"Behöriga {SCRIPT}, andel (%)", description=f"Beskrivning {IMG}. Källa: SCB."
        )
        t = next(e for e in server.values[("N15428", "2081", 2024)] if e["gender"] == "T")
        t["value"] += 2.0
        del server.kpis["N07945"]
        second = run_fetch(project, server.url)
        assert second.returncode == 0, second.stderr
    return project, first.stdout + second.stdout, logged_build(project)


def logged_build(project, **options) -> list[str]:
    """Build the report; the lines it logged (what the terminal shows)."""
    with log_lines() as lines:
        build(project, **options)
    return lines


def page(project, name):
    return (project / "_build" / "html" / f"{name}.html").read_text(encoding="utf-8")


def test_fetch_prints_progress_and_changes(fetched_report):
    _, out, _ = fetched_report
    assert "values, KPIs 1–25 of 40" in out and "page 1" in out
    assert "changes since the snapshot of" in out and "1 renamed KPIs" in out and "1 KPIs no longer in Kolada" in out


def test_report_from_a_real_snapshot_has_no_example_banner(fetched_report):
    project, _, lines = fetched_report
    index = page(project, "index")
    assert "bd-header-announcement" not in index
    assert re.search(r"nyckeltal från Kolada, hämtade \d{4}-\d{2}-\d{2}", index)
    for path in (project / "_build" / "html" / "chapters").glob("*.html"):
        assert "Exempeldata – inte officiell statistik" not in path.read_text(encoding="utf-8"), path.name
    assert any("Kolada snapshot" in line for line in lines)


def test_kolada_text_is_text_not_markup(fetched_report):
    from pypdf import PdfReader

    project, _, _ = fetched_report
    skolan = page(project, "chapters/skolan")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in skolan and SCRIPT not in skolan
    assert "&lt;img src=x onerror=" in skolan and "<img src=x" not in skolan
    overview = page(project, "chapters/oversikt")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in overview and SCRIPT not in overview
    pdf = project / "_build" / "pdf" / "arsuppfoljning-2025.pdf"
    text = unicodedata.normalize("NFKC", "".join(p.extract_text() for p in PdfReader(str(pdf)).pages))
    assert SCRIPT in " ".join(text.split()) or "<script>alert(1)</script>" in text.replace("\n", "")


def test_change_section_and_ended_kpi(fetched_report):
    project, _, _ = fetched_report
    overview = page(project, "chapters/oversikt")
    assert 'id="oversikt-andringar"' in overview
    assert 'id="T_tab-andringar-titlar"' in overview and 'id="T_tab-andringar-varden"' in overview
    assert "N07945" in overview and "kan ej bedömas – nyckeltalet har upphört" in overview
    miljo = page(project, "chapters/miljo")
    assert "Kan ej bedömas: nyckeltalet har upphört i Kolada." in miljo


def test_a_draft_the_day_the_data_arrives(tmp_path, example_dataset):
    """make fetch, then make report, before the local series have arrived: a draft that says what is missing,
    never the example's values; make local then creates the file for the suppliers to fill in."""
    project = make_project(tmp_path / "p", example_dataset)
    with FakeKolada(example_dataset) as server:
        assert run_fetch(project, server.url).returncode == 0
    assert not (project / "data" / "local").exists()
    lines = logged_build(project, with_pdf=False)
    warned = [line for line in lines if "no value for 2025 delivered" in line]
    assert len(warned) == 2 and any("Samhällsbyggnadsförvaltningen" in line for line in warned)
    index = page(project, "index")
    assert "Uppgifter saknas" in index and "uppgift från Digitaliseringsenheten" in index
    boende = page(project, "chapters/boende")
    assert "Kan ej bedömas – uppgift från Samhällsbyggnadsförvaltningen, Borlänge kommun saknas för 2025." in boende
    assert "Exempeldata" not in boende  # a real snapshot: no example banner, no example values
    results = (project / "_build" / "results" / "resultat-2025.csv").read_text(encoding="utf-8")
    local_rows = [r for r in results.splitlines() if r.startswith(("boende,bostader", "digital-utveckling,e-tjanster"))]
    assert len(local_rows) == 2 and all(",kan ej bedömas," in r and r.endswith(",2025") for r in local_rows)
    made = subprocess.run(
        [sys.executable, str(REPO / "run_all.py"), "local", "--project", str(project)], capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    assert "created" in made.stdout
    text = (project / "data" / "local" / "values.csv").read_text(encoding="utf-8")
    assert text.startswith("indicator,municipality,year,gender,value,status,source\n")
    assert ",2025,T,,ej levererat," in text and "bostader-fardigstallda" in text and "e-tjanster" in text
