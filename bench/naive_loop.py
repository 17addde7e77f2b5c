#!/usr/bin/env python3
"""A naive build of the report with the same tools: the baseline of the incremental-build benchmark (issue #12).

    .venv/bin/python bench/naive_loop.py [--project DIR] [--work DIR] [--reference _build] [--keep]

What a careful analyst would write without the project's build: one plain loop, every step a command line,
one after the other, nothing cached and nothing in parallel.

(a) It checks the plan and the data once (followup.inputs.resolve: the book's substitutions need them),
    assembles a book folder laid out like the build's (book/'s pages without the commentary, the print
    stylesheet filled in with followup.book.print_css, _toc.yml, chapters/), renders the goal-area template
    for each goal area (followup.notebooks.render_template) and runs the papermill COMMAND LINE
    (.venv/bin/papermill, one process after the other) on the 10 goal-area notebooks, then fills each
    chapter's commentary (followup.notebooks.fill_commentary, the text as followup.steps makes it) and runs
    papermill on notebooks/overview.ipynb, with the parameters the build passes (report_year, goal_area,
    municipality, data_dir, plan_path, commentary_dir, results_dir, book_output=True; as a YAML file, so
    that the municipality stays a string). After each notebook, followup.notebooks.tidy_executed hides the
    cell papermill injects (as the build does; otherwise every chapter would show its parameters). Then it
    writes the results files (and copies the downloads into the book's filer/, which the website links) and
    fills _config.yml's MyST substitutions (followup.book.substitutions, and the appendix's:
    followup.results.write, followup.book.appendix_substitutions), so that the pages are complete.
(b) It runs `.venv/bin/jupyter-book build BOOK --builder html`, then `--builder singlehtml` (without -W:
    warnings are fine here).
(c) It prints the single page to PDF with the headless Chromium command line (`chromium --headless
    --print-to-pdf`, with CHROMIUM_FLAGS below; the bookmarks are not repaired and there is no contents
    page, which changes the page count by one).

The project folder (--project) is read, never written: the book, the results and the PDF go to --work.
By default the project is a fresh temporary copy of this repository's files (the tracked ones and the
untracked ones .gitignore does not exclude, as they are in the working tree) and the work folder is a
temporary folder; both are removed at the end unless --keep.

Then it checks that it really produced the report: the number of pages of its PDF is within --tolerance
pages of the project's own build's PDF (--reference, default this repository's _build/ after
`run_all.py build`), and the number of figures is the same: SVG images in the website's _images/ and
distinct figure captions ("Figur N") in the PDF's text. It prints both, and exits 1 when they differ.
bench/incremental.py runs it with --no-check and compares itself against its own build.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
BIN = Path(sys.executable).parent  # .venv/bin: papermill, jupyter-book
SKIP = {".venv", "_build", ".staging", ".cache"}  # never copied (not tracked anyway)
FIGURE = re.compile(r"\bFigur (\d+)\b")


# ---------------------------------------------------------------- shared with bench/incremental.py


def copy_project(dest: Path, source: Path = REPO) -> Path:
    """A copy of the working tree's files as git lists them, with their current content, in dest: the
    tracked ones, and the untracked ones .gitignore does not exclude (a new module not committed yet)."""
    cmd = ["git", "-C", str(source), "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    names = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split("\0")
    for rel in filter(None, names):
        src = source / rel
        if rel.split("/", 1)[0] in SKIP or not src.is_file():  # a tracked file deleted in the working tree
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)
    return dest


def report_counts(html: Path, pdf: Path) -> dict:
    """What the check compares: the PDF's pages, the website's SVG images, the PDF's figure captions."""
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return {
        "pages": len(reader.pages),
        "html_figures": len(list((html / "_images").glob("*.svg"))),
        "pdf_figures": len(set(FIGURE.findall(text))),
    }


def build_counts(build: Path) -> dict:
    """report_counts of a build's output folder (_build/ of `run_all.py build`)."""
    pdfs = sorted((build / "pdf").glob("*.pdf"))
    if not pdfs:
        raise SystemExit(f"{build}: no PDF in pdf/ (build with the PDF: run_all.py build)")
    return report_counts(build / "html", pdfs[0])


def compare(naive: dict, reference: dict, tolerance: int) -> list[str]:
    """The differences that make the naive report not the same report (empty when it is)."""
    problems = []
    if abs(naive["pages"] - reference["pages"]) > tolerance:
        problems.append(f"PDF pages: naive {naive['pages']}, build {reference['pages']} (tolerance {tolerance})")
    for key in ("html_figures", "pdf_figures"):
        if naive[key] != reference[key]:
            problems.append(f"{key}: naive {naive[key]}, build {reference[key]}")
    return problems


def outputs(work: Path) -> tuple[Path, Path]:
    """The naive loop's website and PDF in its work folder."""
    return work / "book" / "_build" / "html", next((work / "pdf").glob("*.pdf"))


# ---------------------------------------------------------------- the naive loop


def run(cmd: list, log: Path, **kw) -> None:
    """One command line; its output goes to a log file; a failure stops the loop."""
    with open(log, "ab") as f:
        done = subprocess.run([str(c) for c in cmd], stdout=f, stderr=subprocess.STDOUT, check=False, **kw)
    if done.returncode:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-25:]
        raise SystemExit(f"failed (exit {done.returncode}): {' '.join(map(str, cmd))}\n" + "\n".join(tail))


def assemble(inputs, project: Path, book_dir: Path) -> Path:
    """The book folder, laid out like the build's: pages, print stylesheet, table of contents, chapters/."""
    from followup import book

    shutil.copytree(project / "book", book_dir, ignore=shutil.ignore_patterns("commentary"))
    css = book_dir / "_static" / "print.css"
    css.write_text(book.print_css(inputs, project / "book" / "_static" / "print.css"), encoding="utf-8")
    shutil.copy2(project / "_toc.yml", book_dir / "_toc.yml")
    chapters = book_dir / "chapters"
    (chapters / "tables").mkdir(parents=True)
    return chapters


def kernel_env(retrieved: str) -> dict:
    """The environment the build gives its kernels (deterministic charts), for the papermill commands."""
    from datetime import datetime

    epoch = int(datetime.fromisoformat(retrieved.replace("Z", "+00:00")).timestamp())
    env = {"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1", "TZ": "UTC"}
    return {**os.environ, **env, "SOURCE_DATE_EPOCH": str(epoch)}


def papermill(notebook: Path, output: Path, parameters: dict, chapters: Path, work: Path, env: dict) -> None:
    """The papermill command line on one notebook, then the build's tidying (parameter cells hidden)."""
    import yaml

    from followup.notebooks import tidy_executed

    params = work / "parameters" / f"{output.stem}.yml"
    params.parent.mkdir(exist_ok=True)
    params.write_text(yaml.safe_dump(parameters, allow_unicode=True), encoding="utf-8")
    cmd = [BIN / "papermill", notebook, output, "-f", params, "-k", "python3", "--cwd", chapters, "--no-progress-bar"]
    run(cmd, work / "papermill.log", env=env)
    tidy_executed(output)


def execute(inputs, project: Path, work: Path, chapters: Path) -> dict:
    """Render and execute the goal areas' notebooks one by one, fill their commentary, then the overview."""
    import nbformat

    from followup.commentary import chapter_text, load_commentary
    from followup.notebooks import fill_commentary, render_template
    from followup.results import read_documents

    def rel(path: Path) -> str:  # relative to the chapters, as the build gives them
        return os.path.relpath(path, chapters)

    common = {
        "report_year": inputs.year,
        "municipality": inputs.plan.municipality.id,
        "data_dir": rel(inputs.data.root),
        "plan_path": rel(project / "data" / "plan.yml"),
        "commentary_dir": rel(project / "book" / "commentary"),
        "results_dir": rel(work / "results"),
        "book_output": True,
    }
    env = kernel_env(inputs.data.retrieved)
    (work / "rendered").mkdir()
    for slug in inputs.slugs:
        rendered = work / "rendered" / f"{slug}.ipynb"
        nbformat.write(render_template(project / "notebooks" / "goal_area.ipynb", inputs.plan.area(slug)), rendered)
        papermill(rendered, chapters / f"{slug}.ipynb", {**common, "goal_area": slug}, chapters, work, env)
        print(f"  {slug} executed", file=sys.stderr)
    docs = read_documents(work / "results", inputs.slugs, inputs.year)
    for slug, doc in docs.items():
        c = load_commentary(project / "book" / "commentary", inputs.year, slug)
        text = chapter_text(c, inputs.year, doc["goal_area"]["commentary"]["missing_actions"])
        fill_commentary(chapters / f"{slug}.ipynb", text)
    papermill(project / "notebooks" / "overview.ipynb", chapters / "oversikt.ipynb", common, chapters, work, env)
    return docs


def configure(inputs, project: Path, work: Path, chapters: Path, docs: dict) -> None:
    """The results files and _config.yml with every substitution (the start page's and the appendix's)."""
    from followup import book, manifest, results
    from followup.data import sha256_file
    from followup.inputs import of as input_files

    epoch = int(kernel_env(inputs.data.retrieved)["SOURCE_DATE_EPOCH"])
    extra = {}
    try:
        values = results.input_values(inputs.data, inputs.plan, inputs.slugs, inputs.year)
        files = results.write(docs, values, inputs.year, work / "out", epoch)
        (work / "book" / "filer").mkdir(exist_ok=True)
        for path in files.values():  # the website's download links point here
            shutil.copy2(path, work / "book" / "filer" / path.name)
        recorded = {rel: sha256_file(project / rel) for rel in input_files(inputs)}
        git = manifest.git_info(project)
        extra = book.appendix_substitutions(inputs, recorded, chapters, work / "out", files, docs, git)
    except Exception as exc:  # the package's API has moved: the pages build, without the appendix's facts
        print(f"warning: the appendix's substitutions are left empty ({type(exc).__name__}: {exc})", file=sys.stderr)
    pages = {**book.substitutions(inputs, docs), "pdf_link": "", **extra}
    write_config(inputs, project / "_config.yml", work / "book" / "_config.yml", pages)


def write_config(inputs, src: Path, dest: Path, extra: dict) -> None:  # extra: every substitution
    """The committed _config.yml with the report's title, MyST substitutions for the pages' {{ name }}s and,
    for example data, the banner (as followup.build's first version wrote it)."""
    import yaml

    from followup import book
    from followup.constants import EXAMPLE_NOTE

    config = yaml.safe_load(src.read_text(encoding="utf-8"))
    config["title"] = book.report_title(inputs)
    config.setdefault("parse", {})["myst_substitutions"] = extra
    if inputs.data.is_example:
        options = config.setdefault("sphinx", {}).setdefault("config", {}).setdefault("html_theme_options", {})
        options["announcement"] = f"{EXAMPLE_NOTE}. Siffrorna i rapporten är påhittade."
    dest.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


def naive_build(project: Path, work: Path) -> dict:
    """The whole naive loop; returns the seconds of each stage."""
    from followup import book
    from followup.inputs import resolve

    times, start = {}, time.perf_counter()

    def lap(name: str) -> None:
        times[name] = time.perf_counter() - start - sum(times.values())

    inputs = resolve(project)
    chapters = assemble(inputs, project, work / "book")
    lap("check the inputs, assemble the book")
    docs = execute(inputs, project, work, chapters)
    lap(f"papermill: {len(inputs.slugs)} goal areas + overview")
    configure(inputs, project, work, chapters, docs)
    lap("results files, _config.yml")
    for builder in ("html", "singlehtml"):
        run([BIN / "jupyter-book", "build", work / "book", "--builder", builder], work / f"jupyter-book-{builder}.log")
        lap(f"jupyter-book {builder}")
    print_pdf(work / "book" / "_build" / "singlehtml" / "index.html", work / "pdf" / book.pdf_name(inputs.year), work)
    lap("chromium: PDF")
    times["total"] = time.perf_counter() - start
    return times


# Headless Chromium's command line, as a script would call it: a fresh profile, offline, tagged, bookmarks.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--log-level=3",
    "--no-pdf-header-footer",
    "--generate-pdf-document-outline",
]


def print_pdf(page: Path, out: Path, work: Path) -> None:
    from followup.pdf import find_chromium

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        cmd = [find_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={out}"]
        run([*cmd, page.resolve().as_uri()], work / "chromium.log")


def check(work: Path, reference: Path, tolerance: int) -> int:
    html, pdf = outputs(work)
    naive, ref = report_counts(html, pdf), build_counts(reference)
    for key, what in (("pages", "PDF pages"), ("html_figures", "SVG images, website"), ("pdf_figures", "figures, PDF")):
        print(f"{what:<22} naive {naive[key]:>4}   build {ref[key]:>4}")
    problems = compare(naive, ref, tolerance)
    for line in problems:
        print(f"check failed: {line}", file=sys.stderr)
    print("check: the same report" if not problems else "check: NOT the same report")
    return 1 if problems else 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--project", type=Path, help="project folder to build from (default: a fresh temporary copy)")
    p.add_argument("--work", type=Path, help="empty folder for the book and the PDF (default: a temporary folder)")
    p.add_argument("--reference", type=Path, default=REPO / "_build", help="the build to compare with (%(default)s)")
    p.add_argument("--tolerance", type=int, default=2, help="PDF pages the reports may differ by (default 2)")
    p.add_argument("--no-check", action="store_true", help="do not compare with the reference build")
    p.add_argument("--json", type=Path, help="also write the stages' seconds to this file as JSON")
    p.add_argument("--keep", action="store_true", help="keep the temporary folders (their paths are printed)")
    args = p.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-naive-"))
    try:
        project = args.project.resolve() if args.project else copy_project(tmp / "project")
        work = (args.work or tmp / "work").resolve()
        work.mkdir(parents=True, exist_ok=True)
        times = naive_build(project, work)
        for name, secs in times.items():
            print(f"{name:<40} {secs:7.1f} s")
        if args.json:
            args.json.write_text(json.dumps(times, indent=1), encoding="utf-8")
        return 0 if args.no_check else check(work, args.reference, args.tolerance)
    finally:
        if args.keep:
            print(f"kept: {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
