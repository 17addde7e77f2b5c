"""Auditors: byte-identical builds, the results file, the manifest, verify and the archive."""

import io
import json
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from followup import manifest
from followup.build import build
from followup.publish import publish

from conftest import REPO, make_project

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def audited(tmp_path_factory, example_dataset):
    """A full build (website and PDF) of a project copy, shared by the tests that only read it."""
    project = make_project(tmp_path_factory.mktemp("audit") / "project", example_dataset)
    build(project, quiet=True)
    return project


def load(project):
    return json.loads((project / "_build" / "manifest.json").read_text(encoding="utf-8"))


def copy_of(project, tmp_path):
    dest = tmp_path / "copy"
    shutil.copytree(project, dest)
    return dest


def run_verify(project, *args):
    return subprocess.run(
        [sys.executable, str(REPO / "run_all.py"), "verify", *args, "--project", str(project)],
        capture_output=True,
        text=True,
    )


def test_manifest_records_inputs_outputs_and_environment(audited):
    m = load(audited)
    assert m["parameters"] == {"year": 2025, "areas": m["parameters"]["areas"], "areas_subset": False, "pdf": True}
    assert len(m["parameters"]["areas"]) == 10
    assert "python" in m["environment"] and m["environment"]["packages"]["jupyter-book"].startswith("1.")
    assert {
        "data/plan.yml",
        "data/example/kolada/values.csv",
        "data/example/local/values.csv",
        "book/commentary/2025/skolan.md",
        "notebooks/goal_area.ipynb",
    } <= set(m["inputs"])
    outputs = set(m["outputs"])
    assert {
        "results/resultat-2025.csv",
        "results/resultat-2025.json",
        "downloads/indata-2025.csv",
        "downloads/indata-2025.xlsx",
        "pdf/arsuppfoljning-2025.pdf",
    } <= outputs
    assert sum(o.startswith("html/_images/") for o in outputs) == 43  # 42 trend charts and the cumulative chart
    assert sum(o.startswith("tables/") for o in outputs) >= 40
    assert "content_sha256" in m["outputs"]["pdf/arsuppfoljning-2025.pdf"]
    assert str(audited) not in json.dumps(m)  # no absolute paths


def test_two_builds_are_identical(audited, tmp_path, example_dataset):
    other = make_project(tmp_path / "other", example_dataset)
    build(other, quiet=True)
    first, second = load(audited)["outputs"], load(other)["outputs"]
    assert set(first) == set(second)
    for rel in first:
        key = "content_sha256" if rel.endswith(".pdf") else "sha256"
        assert first[rel][key] == second[rel][key], rel


def test_excel_has_no_build_time(audited):
    data = (audited / "_build" / "downloads" / "indata-2025.xlsx").read_bytes()
    z = zipfile.ZipFile(io.BytesIO(data))
    assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}  # XlsxWriter's fixed date
    core = z.read("docProps/core.xml").decode()
    assert core.count("2026-03-15T08:00:00Z") == 2  # created and modified: the data's retrieval time


def test_results_match_the_reviewed_expectation(audited):
    """Regression: when the example data or the rules change, update tests/expected/ deliberately,
    reviewing the diff (cp _build/results/resultat-2025.csv tests/expected/)."""
    got = (audited / "_build" / "results" / "resultat-2025.csv").read_text(encoding="utf-8")
    assert got == (REPO / "tests" / "expected" / "resultat-2025.csv").read_text(encoding="utf-8")


def test_results_state_every_verdict_shown(audited):
    res = json.loads((audited / "_build" / "results" / "resultat-2025.json").read_text(encoding="utf-8"))
    assert len(res["indicators"]) == 42 and len(res["goal_areas"]) == 10
    html = (audited / "_build" / "html" / "chapters" / "skolan.html").read_text(encoding="utf-8")
    for row in res["indicators"]:
        if row["goal_area"] == "skolan":
            assert (
                row["wording"].replace("\u00a0", "&#160;") in html.replace("\u00a0", "&#160;") or row["wording"] in html
            )


def test_report_links_results_and_downloads(audited):
    html = (audited / "_build" / "html" / "om-rapporten.html").read_text(encoding="utf-8")
    for name in ("resultat-2025.csv", "resultat-2025.json", "indata-2025.csv", "indata-2025.xlsx", "diagram-2025.csv"):
        assert f"{name}</span></a>" in html
    skolan = (audited / "_build" / "html" / "chapters" / "skolan.html").read_text(encoding="utf-8")
    main = skolan[skolan.index("<main") : skolan.index("</main>")]
    underlag = re.findall(r'<details class="[^"]*only-screen followup-underlag">.*?</details>', main, flags=re.S)
    assert len(underlag) == main.count("<figure") + main.count('<table id="T_tab-')
    chart = next(u for u in underlag if "followup.figures.trend_chart" in u)
    assert "Beräkning: <code" in chart and "radernas kontrollsumma" in chart and "sha256" in chart
    # Out of the reading flow: no function, hash or file name outside the collapsed elements
    body = re.sub(r"<details\b.*?</details>|<(script|style)\b.*?</\1>|<[^>]+>", " ", main, flags=re.S)
    assert not [w for w in ("followup.", "sha256", "kontrollsumma", ".csv", ".svg") if w in body]
    # the PDF's line under each figure and table points to its entry in the appendix, which has it all
    printed = re.findall(r"only-print followup-kalla[^>]*>\s*<p>(.*?)</p>", main, flags=re.S)
    assert len(printed) == len(underlag)
    target = re.search(r'href="../om-rapporten.html#(underlag-fig-skolan-n15428)"', main).group(1)
    entry = re.search(rf'<p id="{target}">(.*?)</p>', html, flags=re.S).group(1)
    assert "followup.figures.trend_chart" in entry and "html/_images/skolan-n15428.svg" in entry
    svg = audited / "_build" / "html" / "_images" / "skolan-n15428.svg"
    assert manifest.sha256_file(svg)[:16] in entry


def test_verify_passes_on_an_untouched_build(audited):
    result = run_verify(audited)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Rapporten är bekräftad" in result.stdout


@pytest.mark.parametrize(
    "target, edit, named",
    [
        (
            "data/example/kolada/values.csv",
            lambda t: t.replace("N15428,2081,2025,T,83.7", "N15428,2081,2025,T,93.7"),
            "indata ändrad: data/example/kolada/values.csv",
        ),
        (
            "_build/html/_images/skolan-n15428.svg",
            lambda t: t.replace("Borlänge", "Borlange", 1),
            "publicerad fil ändrad: html/_images/skolan-n15428.svg",
        ),
        (
            "_build/results/resultat-2025.csv",
            lambda t: t.replace("delvis uppfyllt", "uppfyllt", 1),
            "publicerad fil ändrad: results/resultat-2025.csv",
        ),
    ],
)
def test_verify_names_what_was_tampered_with(audited, tmp_path, target, edit, named):
    project = copy_of(audited, tmp_path)
    path = project / target
    text = path.read_text(encoding="utf-8")
    assert edit(text) != text
    path.write_text(edit(text), encoding="utf-8")
    result = run_verify(project, "--quick")
    assert result.returncode == 1
    assert named in result.stdout


def test_verify_re_execution_catches_what_the_hashes_cannot(audited, tmp_path):
    """A changed result with its hash changed in the manifest too passes step 1; the re-execution finds it."""
    project = copy_of(audited, tmp_path)
    path = project / "_build" / "results" / "resultat-2025.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("delvis uppfyllt", "uppfyllt", 1), encoding="utf-8")
    m = load(project)
    m["outputs"]["results/resultat-2025.csv"]["sha256"] = manifest.sha256_file(path)
    (project / "_build" / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    result = run_verify(project)
    assert result.returncode == 1
    assert "Steg 1: alla" in result.stdout
    assert "skiljer sig vid omkörning: results/resultat-2025.csv" in result.stdout


def test_verify_without_a_manifest(tmp_path):
    result = run_verify(tmp_path)
    assert result.returncode == 2 and "finns inte" in result.stdout


def test_publish_archives_a_report_that_stays_verifiable(audited, tmp_path):
    project = copy_of(audited, tmp_path)
    out = subprocess.run(
        [sys.executable, str(REPO / "run_all.py"), "publish", "--project", str(project)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    archive = project / "reports" / "2025"
    assert (archive / "pdf" / "arsuppfoljning-2025.pdf").exists()
    assert (archive / "results" / "resultat-2025.csv").exists()
    assert (archive / "downloads" / "indata-2025.xlsx").exists()
    assert (archive / "inputs" / "data" / "plan.yml").exists()
    # This year's inputs and build change afterwards; last year's archived report still verifies.
    (project / "data" / "example" / "kolada" / "values.csv").write_text("changed", encoding="utf-8")
    shutil.rmtree(project / "_build")
    result = run_verify(project, str(archive / "manifest.json"), "--quick")
    assert result.returncode == 0, result.stdout
    assert "arkiverad rapport" in result.stdout


def test_publish_refuses_a_partial_build(tmp_path, example_dataset):
    project = make_project(tmp_path / "p", example_dataset)
    build(project, areas=["miljo"], with_pdf=False, quiet=True)
    with pytest.raises(Exception, match="only a full report"):
        publish(project)


def test_each_chart_has_its_numbers_collapsed_and_downloadable(audited):
    """The text alternative of a complex image: under every chart its numbers as a table, and all of them in
    the downloads, the same numbers as the chart's own table file."""
    import csv

    build_dir = audited / "_build"
    rows = list(csv.DictReader((build_dir / "downloads" / "diagram-2025.csv").open(encoding="utf-8")))
    for slug in ("skolan", "boende"):
        html = (build_dir / "html" / "chapters" / f"{slug}.html").read_text(encoding="utf-8")
        main = html[html.index("<main") : html.index("</main>")]
        figures = re.findall(r'<figure[^>]*id="(fig-[^"]+)"', main)
        numbers = re.findall(r'<details class="[^"]*followup-siffror">.*?</details>', main, flags=re.S)
        assert figures and len(numbers) == len(figures)
        assert all("<table" in n and "<caption" in n for n in numbers)
        downloaded = {r["figure"] for r in rows if r["goal_area"] == slug}
        assert downloaded == set(figures)
    first = [r for r in rows if r["figure"] == "fig-skolan-n15428" and r["series"] == "Borlänge" and r["value"]]
    table = list(csv.DictReader((build_dir / "tables" / "fig-skolan-n15428.csv").open(encoding="utf-8")))
    assert first and {(r["year"], float(r["value"])) for r in first} == {
        (t["År"], float(t["Borlänge"])) for t in table if t["Borlänge"]
    }
