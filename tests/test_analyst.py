"""An analyst's use of the notebooks: the templates run by hand, `make lab`'s ready notebooks, and the
templates being exactly what scripts/make_notebooks.py writes."""

import json
import os
import runpy
import shutil
import subprocess

import nbformat
import papermill as pm
import pytest

from followup import lab, results

from conftest import REPO


def test_templates_are_what_the_script_writes():
    templates = runpy.run_path(str(REPO / "scripts" / "make_notebooks.py"))["templates"]()
    for name, nb in templates.items():
        assert (REPO / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8") == nbformat.writes(nb) + "\n", (
            f"notebooks/{name}.ipynb differs from what scripts/make_notebooks.py writes: run it and commit both"
        )


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def repo_copy(tmp_path):
    """A copy of the repository's tracked files with the example data only (no real snapshot), committed."""
    dest = tmp_path / "repo"
    for rel in git(REPO, "ls-files").splitlines():
        if rel.startswith(("data/kolada/", "data/local/", "reports/")) or not (REPO / rel).exists():
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, dest / rel)
    git(dest.parent, "init", "-q", str(dest))
    git(dest, "add", "-A")
    git(dest, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "copy")
    return dest


def run_by_hand(notebook, cwd, out):
    """Execute a notebook as an analyst would: its own default parameters, no PYTHONPATH."""
    pm.execute_notebook(str(notebook), str(out), cwd=str(cwd), kernel_name="python3", progress_bar=False)
    return nbformat.read(out, as_version=4)


def outputs(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def text_of(nb, mime):
    return "".join(o.get("data", {}).get(mime, "") for o in outputs(nb))


@pytest.mark.slow
def test_the_templates_run_by_hand_from_notebooks(repo_copy, tmp_path, monkeypatch):
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path / "results"))
    nb = run_by_hand(repo_copy / "notebooks" / "goal_area.ipynb", repo_copy / "notebooks", tmp_path / "area.ipynb")
    assert "Bedömning 2025: ◐ Delvis uppfyllt" in text_of(nb, "text/markdown")
    assert text_of(nb, "image/svg+xml").count("<svg") == 5  # the charts as images, not as MyST text
    assert ":::{figure}" not in text_of(nb, "text/markdown")
    recorded = json.loads((tmp_path / "results" / "2025" / "skolan.json").read_text(encoding="utf-8"))
    assert recorded["goal_area"]["shown"] == "delvis uppfyllt"
    nb = run_by_hand(repo_copy / "notebooks" / "overview.ipynb", repo_copy / "notebooks", tmp_path / "ov.ipynb")
    md = text_of(nb, "text/markdown")
    assert "Översikten visar resultaten från målområdenas anteckningsböcker körda för hand" in md
    assert "◐ Delvis uppfyllt" in text_of(nb, "text/html") and "Översikten omfattar 1 av 10" in md
    assert git(repo_copy, "status", "--porcelain") == ""  # nothing written inside the tracked tree


@pytest.mark.slow
def test_the_overview_run_alone_without_results_says_what_to_do(repo_copy, tmp_path, monkeypatch):
    monkeypatch.setenv(results.RESULTS_ENV, str(tmp_path / "empty"))
    with pytest.raises(pm.PapermillExecutionError, match="no recorded results for 2025: build the report"):
        run_by_hand(repo_copy / "notebooks" / "overview.ipynb", repo_copy / "notebooks", tmp_path / "ov.ipynb")


@pytest.mark.slow
def test_make_lab_prepares_ready_notebooks_that_run(repo_copy, tmp_path, monkeypatch):
    monkeypatch.delenv("PYTHONPATH", raising=False)
    folder = lab.prepare(repo_copy)
    names = sorted(p.name for p in folder.glob("*.ipynb"))
    assert len(names) == 11 and "oversikt.ipynb" in names
    prepared = nbformat.read(folder / "miljo.ipynb", as_version=4)
    md = "\n".join(c.source for c in prepared.cells if c.cell_type == "markdown")
    assert "(miljo)=\n# Miljö" in md and "{{" not in md  # the area's real title and headings
    nb = run_by_hand(folder / "miljo.ipynb", folder, tmp_path / "miljo.ipynb")
    assert "Bedömning 2025:" in text_of(nb, "text/markdown") and "<svg" in text_of(nb, "image/svg+xml")
    assert (folder / "results" / "miljo.json").exists()
    nb = run_by_hand(folder / "oversikt.ipynb", folder, tmp_path / "oversikt.ipynb")
    assert "Miljö" in text_of(nb, "text/html")
    assert git(repo_copy, "status", "--porcelain") == ""  # lab/ is ignored
    assert os.environ.get("PYTHONPATH") is None
