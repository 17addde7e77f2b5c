"""Incremental builds (issue #12): the notebook cache's keys, its entries, the stable book folder, and the
no-change check of `make report`. End-to-end: outputs of builds that reused notebooks are byte-identical to
cold builds of the same inputs (tests/test_incremental_e2e.py)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from followup import book, cache, fingerprint, layout
from followup.build import REPO
from followup.cache import NotebookCache
from followup.data import seal_local
from followup.errors import BuildError
from followup.inputs import resolve
from followup.jupyter_book_cli import Builder, jupyter_book

from conftest import LOCAL_AREA, correct_local_value, make_project


@pytest.fixture
def project(tmp_path, example_dataset) -> Path:
    return make_project(tmp_path / "project", example_dataset)


def keys(project: Path) -> dict[str, str]:
    """Every goal area's key as a build computes it (the project itself as the run's copy of the inputs)."""
    inputs = resolve(project)
    notebook = project / "notebooks" / "goal_area.ipynb"
    fp = fingerprint.of_code()
    return {slug: cache.area_key(inputs, slug, notebook, {"goal_area": slug}, project, fp) for slug in inputs.slugs}


def test_a_change_to_one_goal_areas_data_changes_only_its_key(project):
    # Sealed once as the analysts' own data (the example's local part says "example" until then).
    seal_local(project / "data" / "example" / "local", "2026-11-28T12:00:00Z")
    before = keys(project)
    assert len(set(before.values())) == len(before)  # ten different keys
    correct_local_value(project)
    after = keys(project)
    changed = sorted(s for s in before if before[s] != after[s])
    assert changed == [LOCAL_AREA]


def test_the_rows_a_chapter_names_change_with_its_own_rows_only(project):
    seal_local(project / "data" / "example" / "local", "2026-11-28T12:00:00Z")
    inputs = resolve(project)
    own = [i.id for i in inputs.plan.area(LOCAL_AREA).indicators]
    other = [i.id for i in inputs.plan.area("skolan").indicators]
    own_before, other_before = inputs.data.rows_digest(own), inputs.data.rows_digest(other)
    correct_local_value(project)
    data = resolve(project).data
    assert data.rows_digest(own) != own_before
    assert data.rows_digest(other) == other_before


def test_commentary_text_does_not_change_the_key_but_an_override_does(project):
    before = keys(project)["skolan"]
    path = project / "book" / "commentary" / "2025" / "skolan.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\nEn mening till i analysen.\n", encoding="utf-8")
    assert keys(project)["skolan"] == before  # filled in after execution, without a kernel
    override = "---\noverride:\n  verdict: uppfyllt\n  justification: Av skäl som analysen anger.\n---\n"
    body = text.split("---\n", 2)[-1] if text.startswith("---\n") else text
    path.write_text(override + body, encoding="utf-8")
    assert keys(project)["skolan"] != before  # the verdict shown depends on it


def test_the_key_covers_code_environment_template_and_parameters(project):
    inputs = resolve(project)
    notebook = project / "notebooks" / "goal_area.ipynb"
    fp = fingerprint.of_code()

    def key(**change):
        parameters = {"goal_area": "skolan", **change.pop("parameters", {})}
        return cache.area_key(inputs, "skolan", change.pop("notebook", notebook), parameters, project, {**fp, **change})

    base = key()
    other = project / "other.ipynb"
    other.write_text(notebook.read_text(encoding="utf-8") + " ", encoding="utf-8")
    assert len({base, key(code="x"), key(environment="y"), key(notebook=other), key(parameters={"a": 1})}) == 5


def test_an_entry_is_restored_as_stored(tmp_path):
    folder = tmp_path / "run" / "skolan"
    (folder / "figures" / "skolan").mkdir(parents=True)
    (folder / "skolan.ipynb").write_text("{}", encoding="utf-8")
    (folder / "figures" / "skolan" / "a.svg").write_text("<svg/>", encoding="utf-8")
    result = tmp_path / "run" / "skolan.json"
    result.write_text('{"a": 1}', encoding="utf-8")
    c = NotebookCache(tmp_path / "cache")
    c.store("k" * 64, folder, result)
    old = time.time() - 3600
    assert c.restore("k" * 64, tmp_path / "again" / "skolan", tmp_path / "again" / "skolan.json")
    restored = tmp_path / "again" / "skolan" / "figures" / "skolan" / "a.svg"
    assert restored.read_text(encoding="utf-8") == "<svg/>"
    assert restored.stat().st_mtime > old  # a fresh time: Sphinx reads a restored page again
    assert (tmp_path / "again" / "skolan.json").read_text(encoding="utf-8") == '{"a": 1}'
    assert not c.restore("j" * 64, tmp_path / "none")


def test_an_entry_stored_later_is_there_after_flush_and_a_failure_is_raised(tmp_path):
    folder = tmp_path / "run" / "skolan"
    folder.mkdir(parents=True)
    (folder / "skolan.ipynb").write_text("{}", encoding="utf-8")
    c = NotebookCache(tmp_path / "cache")
    c.store_later("k" * 64, folder, None)
    c.store_later("m" * 64, tmp_path / "run" / "missing", None)
    with pytest.raises(FileNotFoundError):
        c.flush()
    assert c.restore("k" * 64, tmp_path / "again")
    assert (tmp_path / "again" / "skolan.ipynb").read_text(encoding="utf-8") == "{}"
    assert not c.restore("m" * 64, tmp_path / "none")
    c.flush()  # nothing left to wait for
    NotebookCache(None).store_later("n" * 64, folder, None)  # without the cache: nothing


def test_a_damaged_entry_is_removed_and_never_used(tmp_path, caplog):
    folder = tmp_path / "run" / "skolan"
    folder.mkdir(parents=True)
    (folder / "skolan.ipynb").write_text('{"cells": []}', encoding="utf-8")
    c = NotebookCache(tmp_path / "cache")
    key = "d" * 64
    c.store(key, folder, None)
    entry = tmp_path / "cache" / "notebooks" / key[:2] / key
    (entry / "files" / "skolan.ipynb").write_text('{"cells": ["tampered"]}', encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert not c.restore(key, tmp_path / "out")
    assert "damaged" in caplog.text
    assert not entry.exists() and not (tmp_path / "out" / "skolan.ipynb").exists()
    c.store(key, folder, None)  # a missing entry.json is damage too
    (entry / "entry.json").unlink()
    assert not c.restore(key, tmp_path / "out") and not entry.exists()


def test_the_cache_keeps_the_entries_of_the_last_three_builds(tmp_path):
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / "x.ipynb").write_text("{}", encoding="utf-8")
    root = tmp_path / "cache"
    for build_no in range(5):
        c = NotebookCache(root)
        c.store(f"{build_no}" * 64, folder, None)
        c.store("s" * 64, folder, None)  # used by every build
        c.record_build()
    left = sorted(p.name[0] for p in (root / "notebooks").glob("*/*"))
    assert left == ["2", "3", "4", "s"]
    assert len(json.loads((root / "notebooks" / "builds.json").read_text(encoding="utf-8"))) == 3


def test_without_the_cache_nothing_is_read_or_written(tmp_path):
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / "x.ipynb").write_text("{}", encoding="utf-8")
    NotebookCache(tmp_path / "cache").store("a" * 64, folder, None)
    off = NotebookCache(None)
    assert not off.restore("a" * 64, tmp_path / "out")
    off.store("b" * 64, folder, None)
    off.record_build()
    forced = NotebookCache(tmp_path / "cache", read=False)  # --force: executes, renews the entry
    assert not forced.restore("a" * 64, tmp_path / "out")


def test_sync_rewrites_changed_files_with_a_fresh_time_and_keeps_the_rest(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "stable"
    (src / "chapters").mkdir(parents=True)
    (src / "index.md").write_text("# Start\n", encoding="utf-8")
    (src / "chapters" / "a.ipynb").write_text("A", encoding="utf-8")
    (src / "chapters" / "gone.ipynb").write_text("G", encoding="utf-8")
    assert book.sync(src, dest) == 3
    (dest / "_build" / "html").mkdir(parents=True)  # Sphinx's state: kept
    long_ago = time.time() - 10 * 24 * 3600
    for p in dest.rglob("*.*"):
        os.utime(p, (long_ago, long_ago))
    (src / "chapters" / "a.ipynb").write_text("A, changed", encoding="utf-8")
    os.utime(src / "chapters" / "a.ipynb", (long_ago - 3600, long_ago - 3600))  # older than the copy
    (src / "chapters" / "gone.ipynb").unlink()
    assert book.sync(src, dest) == 1
    assert (dest / "chapters" / "a.ipynb").read_text(encoding="utf-8") == "A, changed"
    assert (dest / "chapters" / "a.ipynb").stat().st_mtime > long_ago + 3600
    assert (dest / "index.md").stat().st_mtime == pytest.approx(long_ago)
    assert not (dest / "chapters" / "gone.ipynb").exists()
    assert (dest / "_build" / "html").is_dir()


def test_filled_pages_renders_substitutions_and_names_an_unknown_one(tmp_path):
    (tmp_path / "index.md").write_text("# {{ title }}\n\nJämfört med {{ comparison | lower }}.\n", encoding="utf-8")
    values = {"title": "Rapport", "comparison": "Riket"}
    assert book.filled_pages(tmp_path, values) == {Path("index.md"): "# Rapport\n\nJämfört med riket.\n"}
    (tmp_path / "other.md").write_text("{{ missing }}\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"other.md: \{\{ missing \}\}"):
        book.filled_pages(tmp_path, values)


# ---------------------------------------------------------------- the no-change check


def fake_build(project: Path, pdf: bool = True) -> Path:
    """A _build/ with a manifest as a successful build of the project's current inputs writes it."""
    slugs = resolve(project).slugs
    rels = layout.input_files(project, project / "data" / "example", 2025, slugs)
    out = project / "_build"
    (out / "tables").mkdir(parents=True)
    (out / "tables" / "t.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    manifest = {
        "parameters": {"year": 2025, "areas": slugs, "areas_subset": False, "pdf": pdf},
        "git": fingerprint.git_info(project),
        "data": {"root": "data/example"},
        "inputs": {rel: layout.sha256_file(project / rel) for rel in rels},
        "outputs": {"tables/t.csv": {"sha256": layout.sha256_file(out / "tables" / "t.csv")}},
        "fingerprint": fingerprint.of_code(),
    }
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out


def test_nothing_changed_is_recognised(project):
    fake_build(project)
    assert "nothing changed" in fingerprint.unchanged(project, None, None, True)
    assert fingerprint.unchanged(project, 2025, None, True) is not None
    assert fingerprint.unchanged(project, 2024, None, True) is None  # another year
    assert fingerprint.unchanged(project, None, ["skolan"], True) is None  # a subset
    assert fingerprint.unchanged(project, None, None, False) is None  # without the PDF


@pytest.mark.parametrize(
    "change",
    [
        lambda p: (p / "book" / "commentary" / "2025" / "skolan.md").open("a").write("\nMer.\n"),
        lambda p: (p / "book" / "commentary" / "2025" / "miljo.md").write_text("## Analys\n\nNy.\n"),
        lambda p: (p / "book" / "commentary" / "2025" / "segregation.md").unlink(),
        lambda p: correct_local_value(p),
        lambda p: (p / "_build" / "tables" / "t.csv").write_text("edited\n"),
        lambda p: (p / "_build" / "tables" / "t.csv").unlink(),
        lambda p: (p / "book" / "extra.md").write_text("# Ny sida\n"),
        lambda p: (p / "_build" / "manifest.json").write_text("{"),
    ],
    ids=["commentary", "new-commentary", "removed-commentary", "data", "output", "no-output", "page", "manifest"],
)
def test_any_change_means_a_build(project, change):
    fake_build(project)
    change(project)
    assert fingerprint.unchanged(project, None, None, True) is None


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda p: None, 0),
        (lambda p: (p / "book" / "commentary" / "2025" / "skolan.md").open("a").write("\nMer.\n"), 0),
        (lambda p: (p / "book" / "extra.md").write_text("# Ny sida\n"), 0),
        (lambda p: (p / "_build" / "tables" / "t.csv").unlink(), 0),  # an output: the book, no kernel
        (lambda p: correct_local_value(p), 1),
        (lambda p: (p / "data" / "plan.yml").open("a").write("\n# en kommentar\n"), 1),
        (lambda p: (p / "notebooks" / "overview.ipynb").open("a").write(" "), 1),
        (lambda p: (p / "_build" / "manifest.json").unlink(), fingerprint.EVERY),
    ],
    ids=["nothing", "commentary", "page", "output", "data", "plan", "template", "no-build"],
)
def test_the_build_guesses_whether_a_kernel_will_be_needed(project, change, expected):
    fake_build(project)
    change(project)
    assert fingerprint.expected_executions(project, None, None, True) == expected
    assert fingerprint.expected_executions(project, 2024, None, True) == fingerprint.EVERY  # other parameters


def test_a_new_commit_refreshes_the_manifests_commit(project):
    def git(*args):
        subprocess.run(["git", "-C", str(project), *args], check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.email=a@b", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "one")
    fake_build(project)
    git("-c", "user.email=a@b", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "two")
    head = subprocess.run(["git", "-C", str(project), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert "manifest now names commit" in fingerprint.unchanged(project, None, None, True)
    manifest = json.loads((project / "_build" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["git"]["commit"] == head.stdout.strip()


def test_the_no_change_path_imports_no_pandas_matplotlib_or_seaborn(project):
    fake_build(project)
    code = (
        "import sys; import run_all; "
        f"rc = run_all.main(['build', '--project', {str(project)!r}]); "
        "print(rc, sorted(m for m in ('pandas', 'matplotlib', 'seaborn', 'followup.build') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2 and "nothing changed" in lines[0]
    assert lines[1] == "0 []"


def _small_book(folder: Path) -> Path:
    folder.mkdir()
    (folder / "_config.yml").write_text(
        'title: Prov\nexecute:\n  execute_notebooks: "off"\nsphinx:\n  extra_extensions: [followup.sphinx_print]\n'
        "  config:\n    numfig: true\n",
        encoding="utf-8",
    )
    toc = "format: jb-book\nroot: index\nchapters:\n  - file: sida\n  - file: sida2\n"
    (folder / "_toc.yml").write_text(toc, encoding="utf-8")
    (folder / "index.md").write_text(f"# Start\n\n{book.only_website('På webben.', 'I utskriften.')}", encoding="utf-8")
    (folder / "sida.md").write_text("# Sida\n\nFörsta versionen.\n", encoding="utf-8")
    sida2 = "# Sida 2\n\n```{figure} bild.svg\nDen andra sidans bild.\n```\n"
    (folder / "sida2.md").write_text(sida2, encoding="utf-8")
    (folder / "bild.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>\n')
    return folder


@pytest.mark.slow
def test_the_website_is_built_after_the_single_page_from_the_state_it_saved(tmp_path):
    """One process builds the single page (which reads the pages), then the website of the same folder, which
    reads nothing again (no doctree is written again); each shows its own `only` block."""
    stable = _small_book(tmp_path / "stable")
    books = Builder(["singlehtml", "html"], nice={"html": 5})
    try:
        books.start(stable)
        page = books.result("singlehtml") / "index.html"
        html = books.result("html")
    finally:
        books.stop()
    doctree = stable / "_build" / ".doctrees" / "sida.doctree"
    assert doctree.stat().st_mtime_ns < page.stat().st_mtime_ns  # read before the single page was written
    assert "Första versionen" in (html / "sida.html").read_text(encoding="utf-8")
    start = (html / "index.html").read_text(encoding="utf-8")
    assert "På webben." in start and "I utskriften." not in start
    printed = page.read_text(encoding="utf-8")
    assert "I utskriften." in printed and "På webben." not in printed and "Första versionen" in printed


@pytest.mark.slow
def test_a_failed_build_fails_the_builds_after_it_without_running_them(tmp_path):
    stable = _small_book(tmp_path / "stable")
    (stable / "sida.md").write_text("# Sida\n\nSe {ref}`saknas`.\n", encoding="utf-8")  # a warning: fails
    books = Builder(["singlehtml", "html"])
    try:
        books.start(stable)
        with pytest.raises(BuildError, match=r"\(singlehtml\) failed"):
            books.result("singlehtml")
        with pytest.raises(BuildError, match=r"\(html\) did not finish"):
            books.result("html")
    finally:
        books.stop()


@pytest.mark.slow
def test_the_website_renumbers_a_page_whose_figures_moved(tmp_path):
    """A figure added to one page moves the numbers of the figures after it (numbered across the book): the
    website rewrites the later page, whose file did not change, although its build reads nothing."""
    stable = _small_book(tmp_path / "stable")

    def build() -> tuple[str, str]:
        books = Builder(["singlehtml", "html"])
        try:
            books.start(stable)
            single = (books.result("singlehtml") / "index.html").read_text(encoding="utf-8")
            return single, (books.result("html") / "sida2.html").read_text(encoding="utf-8")
        finally:
            books.stop()

    single, website = build()
    assert "Fig. 1" in website and "Fig. 1" in single
    (stable / "sida.md").write_text("# Sida\n\n```{figure} bild.svg\nEn ny bild.\n```\n", encoding="utf-8")
    single, website = build()
    assert "Fig. 2" in website and "Fig. 1" not in website
    assert "Fig. 2" in single


@pytest.mark.slow
def test_sphinx_rebuilds_a_changed_page_that_has_an_older_time(tmp_path):
    """The stable book folder with Sphinx's saved state: a page whose content changed is built again even
    when its file carries an older time than the last build (a cached notebook's would)."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "_config.yml").write_text('title: Prov\nexecute:\n  execute_notebooks: "off"\n', encoding="utf-8")
    (src / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n  - file: sida\n", encoding="utf-8")
    (src / "index.md").write_text("# Start\n", encoding="utf-8")
    (src / "sida.md").write_text("# Sida\n\nFörsta versionen.\n", encoding="utf-8")
    stable = tmp_path / "stable"
    book.sync(src, stable)
    html = jupyter_book(stable, "html")
    assert "Första versionen" in (html / "sida.html").read_text(encoding="utf-8")
    (src / "sida.md").write_text("# Sida\n\nAndra versionen.\n", encoding="utf-8")
    long_ago = time.time() - 30 * 24 * 3600
    os.utime(src / "sida.md", (long_ago, long_ago))
    book.sync(src, stable)
    html = jupyter_book(stable, "html")
    assert "Andra versionen" in (html / "sida.html").read_text(encoding="utf-8")
    shutil.rmtree(tmp_path)
