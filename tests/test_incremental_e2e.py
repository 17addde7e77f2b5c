"""End-to-end (issue #12): a build that reuses cached notebooks, Sphinx's saved state and an earlier print
produces the same outputs as a cold build of the same inputs (every notebook in a fresh kernel, no cache,
the book from nothing): tables, charts, results, downloads and every HTML page byte for byte, the PDF by
its text. Proven for a rebuild with nothing changed, a commentary change and one corrected data value; the
cold builds also prove that a worker's kept kernel gives what a fresh kernel gives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import run_all
from followup.build import build
from followup.data import seal_local

from conftest import LOCAL_AREA, correct_local_value, log_lines, make_project

pytestmark = pytest.mark.slow
SKIP = shutil.ignore_patterns("_build", ".cache", ".staging")


def manifest(project: Path) -> dict:
    return json.loads((project / "_build" / "manifest.json").read_text(encoding="utf-8"))


def executed(project: Path) -> list[str]:
    return sorted(name for name, r in manifest(project)["notebooks"].items() if not r["reused"])


def pages(project: Path) -> dict[str, bytes]:
    html = project / "_build" / "html"
    return {p.relative_to(html).as_posix(): p.read_bytes() for p in sorted(html.rglob("*.html"))}


def assert_same_outputs(a: Path, b: Path) -> None:
    """The same published files: by bytes, a PDF by its text (its bytes carry Chromium's ids)."""
    out_a, out_b = manifest(a)["outputs"], manifest(b)["outputs"]
    assert sorted(out_a) == sorted(out_b)

    def content(entry):
        return entry.get("content_sha256", entry["sha256"])

    differ = [rel for rel in out_a if content(out_a[rel]) != content(out_b[rel])]
    assert not differ, f"outputs differ: {differ}"
    pages_a, pages_b = pages(a), pages(b)
    assert sorted(pages_a) == sorted(pages_b)
    differ = [rel for rel in pages_a if pages_a[rel] != pages_b[rel]]
    assert not differ, f"HTML pages differ: {differ}"


def cold_copy(project: Path, dest: Path, with_pdf: bool = True) -> Path:
    """The same inputs, built cold in another folder."""
    shutil.copytree(project, dest, ignore=SKIP)
    build(dest, with_pdf=with_pdf, quiet=True, use_cache=False)
    return dest


@pytest.fixture(scope="module")
def project(tmp_path_factory, example_dataset) -> Path:
    p = make_project(tmp_path_factory.mktemp("incremental") / "project", example_dataset)
    seal_local(p / "data" / "example" / "local", "2026-11-28T12:00:00Z")  # the analysts' own data from now on
    build(p, quiet=True)
    assert len(executed(p)) == 11
    return p


def test_a_rebuild_with_nothing_changed_reuses_everything_and_changes_nothing(project, tmp_path):
    first = tmp_path / "first"
    shutil.copytree(project / "_build", first)
    stamp = (project / "_build" / "manifest.json").stat().st_mtime_ns
    assert run_all.main(["build", "--project", str(project)]) == 0  # nothing changed: nothing done
    assert (project / "_build" / "manifest.json").stat().st_mtime_ns == stamp
    build(project, quiet=True)  # the build itself, past the no-change check: every notebook from the cache
    assert executed(project) == []
    again = tmp_path / "again"
    again.mkdir()
    shutil.copytree(project / "_build", again / "_build")
    first_project = tmp_path / "first-project"
    first_project.mkdir()
    first.rename(first_project / "_build")
    assert_same_outputs(first_project, again)


def test_a_commentary_change_runs_no_kernel_and_equals_a_cold_build(project, tmp_path):
    path = project / "book" / "commentary" / "2025" / "skolan.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nEn mening som analytikern lade till.\n", encoding="utf-8")
    with log_lines() as lines:
        build(project)
    assert executed(project) == []
    assert lines[-2] == "notebooks: 0 executed, 11 reused from the cache"  # then "report written to ..."
    assert "En mening som analytikern lade till." in pages(project)["chapters/skolan.html"].decode("utf-8")
    assert_same_outputs(project, cold_copy(project, tmp_path / "cold"))


def test_a_corrected_value_executes_its_goal_area_and_the_overview_only(project, tmp_path):
    correct_local_value(project, "1234")
    build(project, with_pdf=False, quiet=True)
    assert executed(project) == sorted([LOCAL_AREA, "oversikt"])
    assert_same_outputs(project, cold_copy(project, tmp_path / "cold", with_pdf=False))


def test_clean_empties_the_cache(project):
    assert (project / ".cache" / "notebooks").is_dir()
    assert run_all.main(["clean", "--project", str(project)]) == 0
    assert not (project / ".cache").exists() and not (project / "_build").exists()
