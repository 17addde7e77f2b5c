"""The build's orchestration: validate once, execute the notebooks, assemble the book, publish into _build/.

Every run works in a staging folder of its own, .staging/run-<time>-<pid>/, outside _build/:

    inputs/                                         copies of every input file (followup.inputs.files)
    rendered/<slug>.ipynb                           the template filled in for each goal area
    results/<slug>.json                             each goal area's results document, written by its notebook
    book/                                           the book root: _config.yml, _toc.yml, book/ pages,
    book/chapters/<slug>.ipynb, oversikt.ipynb      and the executed notebooks (with their figures/, tables/)
    out/                                            what becomes _build/: html/, pdf/, results/, downloads/

The goal areas' notebooks run first, in parallel; then the overview, which reads their documents. _build/
is replaced by out/ only when every step has succeeded; a failed run leaves _build/ as it was and keeps
its staging folder for inspection.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from . import book, execute, fmt, manifest, pdf, results, swap
from .commentary import chapter_text, commentary_path, load_commentary
from .constants import CHAPTER_DIR, OVERVIEW
from .inputs import Inputs, paths, resolve
from .inputs import copy as copy_inputs
from .inputs import of as input_files
from .notebooks import fill_commentary, render_template
from .runs import FAILED, MARKER, RunLock, kill_run_processes, recover

REPO = Path(__file__).resolve().parent.parent  # the repository this package lives in
QUIET = "FOLLOWUP_QUIET"  # set during a quiet build: the workers announce nothing
log = logging.getLogger(__name__)


def build(
    repo: Path = REPO,
    year: int | None = None,
    areas: list[str] | None = None,
    jobs: int | None = None,
    with_pdf: bool = True,
    git: dict | None = None,
    wait: bool = False,
    quiet: bool = False,
) -> Path:
    """Validate, execute, assemble and publish the report. Returns the published _build/ folder.
    `git` is the commit the report states it was built from (verify passes the recorded one). One run at a
    time: with `wait`, wait for a run in progress instead of refusing. `quiet`: no progress lines."""
    repo = Path(repo)
    with RunLock(repo, "report build", wait), _quiet(quiet):
        recover(repo)
        return _build(repo, year, areas, jobs, with_pdf, git)


@contextlib.contextmanager
def _quiet(quiet: bool):
    """Silence the run's progress lines (the notebooks' too) while a quiet build runs."""
    logger = logging.getLogger("followup")
    level = logger.level
    if quiet:
        logger.setLevel(logging.ERROR)
        os.environ[QUIET] = "1"
    try:
        yield
    finally:
        logger.setLevel(level)
        if quiet:
            os.environ.pop(QUIET, None)


def _build(repo: Path, year, areas, jobs, with_pdf: bool, git) -> Path:
    started = time.monotonic()
    inputs = resolve(repo, year, areas)
    os.environ.update(execute.kernel_environment(inputs.data.retrieved))
    p = paths(repo)
    source = "example data" if inputs.data.is_example else f"Kolada snapshot {inputs.data.retrieved}"
    log.info(f"report year {inputs.year}, {len(inputs.slugs)} goal area(s), data: {inputs.data_root} ({source})")
    p["staging"].mkdir(exist_ok=True)
    stage = p["staging"] / f"run-{datetime.now(UTC):%Y%m%dT%H%M%S}-{os.getpid()}"
    stage.mkdir()
    os.environ[MARKER] = stage.name  # inherited by every process of this run (see followup.runs)
    try:
        out = _run(inputs, stage, jobs, with_pdf, git)
        swap.replace_dir(out, p["build"])
    except KeyboardInterrupt:
        kill_run_processes(stage.name)
        swap.recover(p["build"])  # in case the interrupt came between the two renames of the swap
        shutil.rmtree(stage, ignore_errors=True)
        log.info("interrupted: every process of the run has been stopped; _build/ is unchanged")
        raise
    except BaseException as exc:
        kill_run_processes(stage.name)
        swap.recover(p["build"])
        (stage / FAILED).write_text(f"{type(exc).__name__}: {exc}\n", encoding="utf-8")
        log.info(f"the run failed; _build/ is unchanged; work kept for inspection in {stage.relative_to(repo)}/")
        raise
    shutil.rmtree(stage, ignore_errors=True)
    log.info(
        f"report written to {p['build'].relative_to(repo)}/html/index.html "
        f"in {fmt.number(time.monotonic() - started, 1)} s"
    )
    return p["build"]


def _run(inputs: Inputs, stage: Path, jobs: int | None, with_pdf: bool, git: dict | None) -> Path:
    """Every step of a run inside its staging folder; returns the folder that becomes _build/."""
    # The run reads copies of its inputs; their hashes are what the manifest records.
    recorded = copy_inputs(inputs.repo, input_files(inputs), stage / "inputs")
    book_dir = book.assemble(inputs, stage)
    docs = execute_notebooks(inputs, stage, jobs)
    warn_missing_actions(inputs, docs)
    for title, supplier in book.missing_deliveries(docs, inputs.plan, inputs.year):
        log.warning(
            f"warning: {title}: no value for {inputs.year} delivered by {supplier} (data/local/values.csv); "
            f"the report says 'kan ej bedömas'"
        )
    out = stage / "out"
    out.mkdir()
    chapters = book_dir / CHAPTER_DIR
    shutil.copytree(chapters / "tables", out / "tables")
    epoch = int(os.environ["SOURCE_DATE_EPOCH"])
    values = results.input_values(inputs.data, inputs.plan, inputs.slugs, inputs.year)
    files = results.write(docs, values, inputs.year, out, epoch)
    (book_dir / "filer").mkdir()
    for path in files.values():
        shutil.copy2(path, book_dir / "filer" / path.name)  # the website links them as downloads
    git = git or manifest.git_info(inputs.repo)
    extra = book.appendix_substitutions(inputs, recorded, chapters, out, files, docs, git)
    if with_pdf:
        extra["pdf_link"] = make_pdf(inputs, book_dir, out, extra, epoch)
    extra["downloads"] = "\n".join(f"- [{path.name}](filer/{path.name})" for path in files.values())
    book.write_book_config(inputs, stage / "inputs" / "_config.yml", book_dir / "_config.yml", extra=extra)
    log.info("building the website (jupyter-book)")
    book.jupyter_book(book_dir, "html").rename(out / "html")
    parameters = {
        "year": inputs.year,
        "areas": list(inputs.slugs),
        "areas_subset": inputs.slugs != inputs.plan.slugs,
        "pdf": with_pdf,
    }
    data = {
        "root": inputs.data_root,
        "source": "example" if inputs.data.is_example else "kolada",
        "retrieved": inputs.data.retrieved,
        "snapshot": inputs.data.snapshot_id,
    }
    manifest.write(manifest.make(out, recorded, parameters, data, git), out / "manifest.json")
    return out


def execute_notebooks(inputs: Inputs, stage: Path, jobs: int | None) -> dict[str, dict]:
    """Execute the goal areas' notebooks (in parallel), then the overview; return their documents."""
    src = stage / "inputs"
    rendered = stage / "rendered"
    rendered.mkdir()
    data_dir = f"../../inputs/{inputs.data_root}"
    common = {
        "report_year": inputs.year,
        "municipality": inputs.plan.municipality.id,
        "data_dir": data_dir,
        "plan_path": "../../inputs/data/plan.yml",
        "commentary_dir": "../../inputs/book/commentary",
        "results_dir": "../../results",
        "book_output": True,
    }
    area_jobs = []
    for slug in inputs.slugs:
        nb = render_template(src / "notebooks" / "goal_area.ipynb", inputs.plan.area(slug))
        nbformat.write(nb, rendered / f"{slug}.ipynb")
        area_jobs.append(_job(stage, slug, rendered / f"{slug}.ipynb", {**common, "goal_area": slug}))
    workers = max(1, min(jobs or os.cpu_count() or 1, len(area_jobs)))
    log.info(f"executing {len(area_jobs)} goal-area notebooks with {workers} worker(s), then the overview")
    execute.execute_all(area_jobs, workers)
    docs = read_results(stage / "results", inputs)
    for slug, doc in docs.items():  # the commentary, now that the verdict is known
        c = load_commentary(src / "book" / "commentary", inputs.year, slug)
        text = chapter_text(c, inputs.year, doc["goal_area"]["commentary"]["missing_actions"])
        fill_commentary(stage / "book" / CHAPTER_DIR / f"{slug}.ipynb", text)
    execute.execute_all([_job(stage, OVERVIEW, src / "notebooks" / "overview.ipynb", common)], 1)
    return docs


def read_results(folder: Path, inputs: Inputs) -> dict[str, dict]:
    """The goal areas' documents as their notebooks recorded them (read by everything after execution)."""
    return results.read_documents(folder, inputs.slugs, inputs.year)


def _job(stage: Path, name: str, notebook: Path, parameters: dict) -> dict:
    chapters = stage / "book" / CHAPTER_DIR
    return {
        "name": name,
        "input": str(notebook),
        "parameters": parameters,
        "output": str(chapters / f"{name}.ipynb"),
        "cwd": str(chapters),
        "log": str(stage / "kernels.log"),
        "announce": not os.environ.get(QUIET),
    }


def warn_missing_actions(inputs: Inputs, docs: dict[str, dict]) -> None:
    """Where a goal area is judged "ej uppfyllt" and its commentary describes no actions (known from its
    recorded results), say so in the run's output; the chapter shows "Åtgärder saknas"."""
    root = paths(inputs.repo)["commentary"]
    for slug, doc in docs.items():
        if doc["goal_area"]["commentary"]["missing_actions"]:
            where = commentary_path(root, inputs.year, slug).relative_to(inputs.repo)
            log.warning(
                f"warning: {slug} is judged 'ej uppfyllt' but {where} describes no actions "
                f"(a '## Åtgärder' section); the chapter says 'Åtgärder saknas'"
            )


def make_pdf(inputs: Inputs, book_dir: Path, out: Path, extra: dict, epoch: int) -> str:
    """Build the single-page version and print it to PDF; returns the start page's link to it."""
    log.info("building the single-page version (jupyter-book) and printing the PDF (chromium)")
    book.write_book_config(inputs, book_dir.parent / "inputs" / "_config.yml", book_dir / "_config.yml", extra=extra)
    single = book.jupyter_book(book_dir, "singlehtml")
    pdf_path = out / "pdf" / book.pdf_name(inputs.year)
    pdf.print_to_pdf(single / "index.html", pdf_path)
    pdf.finish(
        pdf_path,
        book.pdf_headings(inputs),
        {"Title": book.report_title(inputs), "Author": "Borlänge kommun", "Subject": inputs.plan.title},
        epoch=epoch,
    )
    shutil.copy2(pdf_path, book_dir / "filer" / pdf_path.name)  # the website offers it as a download too
    return book.pdf_link(inputs)
