"""A corpus of bad inputs (tests/bad_inputs/): each gives its exact error, and changes nothing.

Each case is a folder: files/ (laid over a small, valid project), expected.txt (every line must appear in
the error output), optionally args.txt (extra arguments to `run_all.py build`) and keep-manifest (do not
re-record the data's hashes after laying the files over: the case is about a hash that does not match).
"""

import json
import shutil
from pathlib import Path

import pytest

import run_all
from followup.data import sha256_file

from conftest import REPO, TINY_PLAN, kpi_meta, make_dataset, row, tree_hash

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir())
TOC = """format: jb-book
root: index
parts:
  - caption: Alla målområden
    chapters:
      - file: chapters/oversikt
  - caption: Målområden
    chapters:
      - file: chapters/skolan
  - caption: Bilaga
    chapters:
      - file: om-rapporten
      - file: tillganglighet
"""


def small_project(dest: Path) -> Path:
    """A valid project with one goal area, tiny data and a published report (stand-in)."""
    dest.mkdir(parents=True)
    for name in ("_config.yml", "notebooks"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / name)
    shutil.copytree(REPO / "book", dest / "book", ignore=shutil.ignore_patterns("commentary"))
    (dest / "_toc.yml").write_text(TOC, encoding="utf-8")
    (dest / "data").mkdir()
    (dest / "data" / "plan.yml").write_text(TINY_PLAN, encoding="utf-8")
    shutil.copy2(REPO / "data" / "plan.schema.json", dest / "data" / "plan.schema.json")
    values = [
        row("N00001", "0000", 2024, 55.0),
        row("N00001", "0001", 2024, 40.0),
        row("N00001", "2081", 2023, 52.5),
        row("N00001", "2081", 2024, 51.0),
        row("N00002", "0000", 2023, 1200.0),
        row("N00002", "2081", 2023, 1500.0),
    ]
    make_dataset(
        dest / "data" / "example",
        values,
        [kpi_meta("N00001"), kpi_meta("N00002", title="Testantal, antal", publ_period="2024")],
    )
    (dest / "_build" / "html").mkdir(parents=True)
    (dest / "_build" / "html" / "index.html").write_text("<p>Förra årets rapport</p>", encoding="utf-8")
    return dest


def reseal(project: Path) -> None:
    for manifest in (project / "data" / "example").glob("*/manifest.json"):
        tree = json.loads(manifest.read_text(encoding="utf-8"))
        for name in tree["files"]:
            tree["files"][name]["sha256"] = sha256_file(manifest.parent / name)
        manifest.write_text(json.dumps(tree, ensure_ascii=False, indent=1), encoding="utf-8")


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 25


def test_the_small_project_is_valid(tmp_path):
    from followup.inputs import resolve

    inputs = resolve(small_project(tmp_path / "p"))
    assert inputs.slugs == ["skolan"] and inputs.year == 2024


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_bad_input(case, tmp_path, capsys):
    project = small_project(tmp_path / "p")
    files = case / "files"
    if files.exists():
        for src in files.rglob("*"):
            if src.is_file():
                target = project / src.relative_to(files)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, target)
    if not (case / "keep-manifest").exists():
        reseal(project)
    before = tree_hash(project / "data", project / "_build")
    args = (case / "args.txt").read_text().split() if (case / "args.txt").exists() else []
    code = run_all.main(["build", "--project", str(project), "--no-pdf", *args])
    err = capsys.readouterr().err
    assert code == 1, err
    for line in (case / "expected.txt").read_text(encoding="utf-8").splitlines():
        assert line in err, f"expected {line!r} in:\n{err}"
    assert tree_hash(project / "data", project / "_build") == before  # the data and the last report: untouched
    assert not list((project / ".staging").glob("run-*"))  # a failed check leaves no staging folder
