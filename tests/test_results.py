"""The goal areas' results documents: computed once by each notebook, read by everything after it."""

import json

import openpyxl
import pytest

from followup import results, steps
from followup.build import build
from followup.data import load_dataset, sha256_file
from followup.plan import load_plan

from conftest import make_project


@pytest.fixture
def doc(tiny_dataset, tiny_plan, tmp_path):
    ds, plan = load_dataset(tiny_dataset), load_plan(tiny_plan)
    return results.area_document(ds, plan, "skolan", 2024, tmp_path / "commentary")


def test_document_holds_every_number_and_verdict(doc):
    assert doc["format"] == results.DOCUMENT_FORMAT and doc["format_version"] == 2
    assert doc["report_year"] == 2024 and doc["goal_area"]["slug"] == "skolan"
    share, count, local = doc["indicators"]
    assert share["latest"] == {"year": 2024, "value": 51.0, "status": ""}
    assert share["previous"]["value"] == 52.5 and share["change"] == -1.5
    assert share["national"]["value"] is None  # Riket is missing in 2024: null, never NaN, in JSON
    assert share["peers"] == {"year": 2024, "value": 50.0, "n": 2, "of": 3} and share["rank"] == [2, 3]
    assert share["verdict"]["verdict"] == "uppfyllt" and "målet är minst 51,0" in share["verdict"]["wording"]
    assert count["missing_note"] == "2024: ej publicerat än, väntas 2026-05-01"
    assert local["target"]["rule"] == "cumulative"
    assert doc["goal_area"]["counts"]["uppfyllt"] + doc["goal_area"]["counts"]["ej uppfyllt"] >= 1
    json.dumps(doc, allow_nan=False)  # strict JSON


def test_written_document_reads_back(doc, tmp_path):
    path = results.write_document(doc, tmp_path / "res")
    assert path.name == "skolan.json"
    assert results.read_documents(tmp_path / "res", ["skolan"], 2024) == {"skolan": doc}
    assert results.recorded_slugs(tmp_path / "res", ["miljo", "skolan"]) == ["skolan"]


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.update(format="something-else"), "format: expected 'borlange-followup-area-results'"),
        (lambda d: d.update(format_version=1), "format_version: expected 2, got 1"),
        (lambda d: d.update(report_year=2023), "report_year: expected 2024, got 2023"),
    ],
)
def test_a_wrong_document_is_refused_by_name(doc, tmp_path, edit, message):
    edit(doc)
    path = results.write_document(doc, tmp_path)
    with pytest.raises(results.ResultsError, match=message) as info:
        results.read_document(path, 2024)
    assert str(path) in str(info.value)


def test_a_missing_document_is_named(tmp_path):
    with pytest.raises(results.ResultsError, match="no results document"):
        results.read_documents(tmp_path, ["skolan"], 2024)


def test_the_results_file_is_made_from_the_documents(doc):
    combined = results.combine({"skolan": doc})
    assert combined["format"] == results.RESULTS_FORMAT and combined["format_version"] == 1
    assert [r["indicator"] for r in combined["indicators"]] == ["N00001", "N00002", "lokal-a"]
    assert combined["indicators"][0]["value"] == 51.0 and combined["indicators"][0]["rank"] == 2
    assert combined["goal_areas"][0]["shown"] == doc["goal_area"]["shown"]


def test_without_recorded_results_the_overview_stops_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path / "none"))
    with pytest.raises(results.ResultsError, match="no recorded results for 2025: build the report"):
        results.latest_recorded(tmp_path, 2025)


def test_the_newest_recorded_results_are_named(doc, tmp_path, monkeypatch):
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path / "own"))
    built = tmp_path / "_build" / "results" / "areas"
    results.write_document(doc, built)
    (tmp_path / "_build" / "manifest.json").write_text(
        json.dumps(
            {
                "parameters": {"year": 2024},
                "git": {"commit": "abcdef1234567890"},
                "data": {"source": "example", "retrieved": "2026-03-15T08:00:00Z"},
            }
        ),
        encoding="utf-8",
    )
    folder, where = results.latest_recorded(tmp_path, 2024)
    assert folder == built and "commit abcdef123456" in where
    own = results.write_document(doc, results.default_dir(2024))  # a notebook run by hand, afterwards
    folder, where = results.latest_recorded(tmp_path, 2024)
    assert folder == own.parent and "för hand" in where


@pytest.mark.slow
def test_everything_after_the_notebooks_shows_the_recorded_result(tmp_path, example_dataset, monkeypatch):
    """Alter one goal area's recorded results after its notebook ran: the overview, the results files, the
    Excel download, the manifest and the appendix all show the altered values (none recomputes them)."""
    project = make_project(tmp_path / "p", example_dataset)
    original = steps.read_results

    def alter_then_read(folder, inputs):
        path = folder / "skolan.json"
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc["indicators"][0]["latest"]["value"] = 12.345
        doc["indicators"][0]["verdict"]["wording"] = "Ändrat i testet."
        doc["goal_area"]["met_text"] = "99 av 99 indikatorer uppfyllda"
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        return original(folder, inputs)

    monkeypatch.setattr(steps, "read_results", alter_then_read)
    build(project, areas=["skolan", "miljo"], with_pdf=False, quiet=True)
    out = project / "_build"
    overview = (out / "tables" / "tab-oversikt.csv").read_text(encoding="utf-8")
    assert "12,3\u00a0%" in overview
    assert "99 av 99 indikatorer uppfyllda" in (out / "tables" / "tab-oversikt-malomraden.csv").read_text("utf-8")
    csv = (out / "results" / "resultat-2025.csv").read_text(encoding="utf-8")
    assert "12.345" in csv and "Ändrat i testet." in csv
    res = json.loads((out / "results" / "resultat-2025.json").read_text(encoding="utf-8"))
    assert res["indicators"][0]["value"] == 12.345
    workbook = openpyxl.load_workbook(out / "downloads" / "indata-2025.xlsx", read_only=True)
    cells = {c for row in workbook["Resultat"].iter_rows(values_only=True) for c in row}
    assert 12.345 in cells and "Ändrat i testet." in cells
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    doc_path = out / "results" / "areas" / "skolan.json"
    assert manifest["outputs"]["results/areas/skolan.json"]["sha256"] == sha256_file(doc_path)
    assert json.loads(doc_path.read_text(encoding="utf-8"))["goal_area"]["met_text"].startswith("99 av 99")
    appendix = (out / "html" / "om-rapporten.html").read_text(encoding="utf-8")
    assert "99 av 99 indikatorer uppfyllda" in appendix and sha256_file(doc_path)[:16] in appendix
    assert set(res_area["goal_area"] for res_area in res["goal_areas"]) == {"skolan", "miljo"}


def test_the_excel_file_is_the_same_bytes_for_the_same_tables_and_reads_back():
    """Two writes of the same tables give the same bytes, dated by the epoch (no build time inside); a
    missing value is an empty cell, numbers stay numbers."""
    import io
    import zipfile

    import pandas as pd

    from followup.results import excel_bytes

    sheets = {
        "Indata": pd.DataFrame({"indicator": ["N15428", "N15428"], "year": [2024, 2025], "value": [81.5, None]}),
        "Diagram": pd.DataFrame({"figure": ["fig-a"], "value": [3]}),
    }
    first, second = excel_bytes(sheets, 1773561600), excel_bytes(sheets, 1773561600)
    assert first == second and first != excel_bytes(sheets, 1773561600 + 86400)
    core = zipfile.ZipFile(io.BytesIO(first)).read("docProps/core.xml").decode()
    assert core.count("2026-03-15T08:00:00Z") == 2  # created and modified
    book = openpyxl.load_workbook(io.BytesIO(first), read_only=True)
    assert book.sheetnames == ["Indata", "Diagram"]
    rows = [list(r) for r in book["Indata"].iter_rows(values_only=True)]
    assert rows == [["indicator", "year", "value"], ["N15428", 2024, 81.5], ["N15428", 2025, None]]
    assert [list(r) for r in book["Diagram"].iter_rows(values_only=True)] == [["figure", "value"], ["fig-a", 3]]
