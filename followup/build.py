"""The build's orchestration: one run at a time, its staging folder, the processes it starts ahead of time,
and publishing into _build/ (the steps themselves: followup.steps).

Every run works in a staging folder of its own, .staging/run-<time>-<pid>/, outside _build/:

    kernels.log                                     the kernels' output
    inputs/                                         copies of every input file (followup.inputs.files)
    rendered/<slug>.ipynb                           the template filled in for each goal area
    results/<slug>.json                             each goal area's results document, written by its notebook
    book/                                           the book root: _config.yml, _toc.yml, book/ pages,
    book/chapters/<slug>.ipynb, oversikt.ipynb      and the executed notebooks (with their figures/, tables/)
    out/                                            what becomes _build/: html/, pdf/, results/, downloads/

The goal areas' notebooks run first, in parallel; then the overview, which reads their documents. _build/
is replaced by out/ only when every step has succeeded; a failed run leaves _build/ as it was and keeps
its staging folder for inspection (inputs that fail their checks leave none).

This module imports only what starting a run needs. The workers that execute the notebooks (and their
kernels), Chromium and the book's builds start before the build imports pandas and the rest
(followup.steps) and reads its inputs: on two cores, each starts while the other core has work to do.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

from . import execute, fingerprint, fmt, pdf, swap
from .cache import NotebookCache
from .jupyter_book_cli import Builder
from .layout import paths
from .runs import FAILED, MARKER, RunLock, kill_run_processes, recover

REPO = Path(__file__).resolve().parent.parent  # the repository this package lives in
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
    use_cache: bool = True,
    force: bool = False,
) -> Path:
    """Validate, execute, assemble and publish the report. Returns the published _build/ folder.
    `git` is the commit the report states it was built from (verify passes the recorded one). One run at a
    time: with `wait`, wait for a run in progress instead of refusing. `quiet`: no progress lines.
    `use_cache=False` executes every notebook and builds the book from nothing, reading and writing no cache
    (what `make verify` and `--no-cache` do). `force`: execute every notebook and build the book from nothing,
    renewing the cache's entries."""
    repo = Path(repo)
    with RunLock(repo, "report build", wait), _quiet(quiet):
        recover(repo)
        try:
            return _build(repo, year, areas, jobs, with_pdf, git, use_cache, force)
        finally:
            os.environ.pop(execute.FRESH_KERNELS, None)


@contextlib.contextmanager
def _quiet(quiet: bool):
    """Silence the run's progress lines (the notebooks' too) while a quiet build runs."""
    logger = logging.getLogger("followup")
    level = logger.level
    if quiet:
        logger.setLevel(logging.ERROR)
        os.environ[execute.QUIET] = "1"
    try:
        yield
    finally:
        logger.setLevel(level)
        if quiet:
            os.environ.pop(execute.QUIET, None)


def _build(repo: Path, year, areas, jobs, with_pdf: bool, git, use_cache: bool, force: bool) -> Path:
    started = time.monotonic()
    name = f"run-{datetime.now(UTC):%Y%m%dT%H%M%S}-{os.getpid()}"  # the staging folder's
    os.environ[MARKER] = name  # inherited by every process of this run (see followup.runs)
    # How many notebooks will probably run: kernels start for them while the inputs are checked and keyed.
    expected = fingerprint.EVERY
    if use_cache and not force:
        expected = fingerprint.expected_executions(repo, year, areas, with_pdf)
    # Every process the run starts inherits the environment for deterministic runs (the data's retrieval
    # time, not known yet, comes with each notebook: followup.execute.run_job).
    os.environ.update(execute.kernel_environment())
    # The book's builds (the single page, then the website; or the website alone) run in one process that
    # imports jupyter-book and Sphinx (about 1,5 s of CPU) ahead of the book: at once when no notebook is
    # expected to run, else once the kernels started ahead of time are ready (not beside their start, on two
    # cores: the notebooks wait for them). The website is built at a lower priority, while the single page is
    # printed: the run waits for the PDF.
    books = Builder(["singlehtml", "html"] if with_pdf else ["html"], nice={"html": 10} if with_pdf else None)
    if not expected:
        books.launch()
    if not use_cache:
        os.environ[execute.FRESH_KERNELS] = "1"
    stage = paths(repo)["staging"] / name
    stage.mkdir(parents=True)
    workers = max(1, min(jobs or os.cpu_count() or 1, _goal_areas(repo, areas)))
    pool = execute.Pool(workers, stage / "kernels.log", use_cache)
    try:
        with pool, pdf.Printer(start=False) as printer:  # (Chromium starts when the notebooks have run)
            pool.start(expected)  # workers (with their kernels) start now, while the inputs are read and keyed
            pool.when_ready(books.launch)  # (at once when none was started: already launched)
            return _staged(repo, year, areas, git, use_cache, force, books, stage, started, pool, printer)
    finally:
        books.stop()


def _goal_areas(repo: Path, areas: list[str] | None) -> int:
    """How many goal areas the run builds, known before the plan is checked (no more workers are useful):
    those asked for, else the plan's (unreadable, the plan's check says why; until then, no limit)."""
    if areas:
        return len(areas)
    try:
        return len(yaml.safe_load(paths(repo)["plan"].read_text(encoding="utf-8"))["goal_areas"])
    except (OSError, ValueError, yaml.YAMLError, KeyError, TypeError):  # (ValueError: not UTF-8)
        return os.cpu_count() or 1


def _staged(repo: Path, year, areas, git, use_cache, force, books, stage: Path, started: float, pool, printer):
    p = paths(repo)
    try:
        # pandas, nbformat and the rest (about 1 s): imported while the workers start
        from . import steps
        from .inputs import resolve

        inputs = resolve(repo, year, areas)
    except BaseException:  # inputs that fail their checks: the run leaves nothing behind
        kill_run_processes(stage.name)
        shutil.rmtree(stage, ignore_errors=True)
        raise
    os.environ.update(execute.kernel_environment(inputs.data.retrieved))
    source = "example data" if inputs.data.is_example else f"Kolada snapshot {inputs.data.retrieved}"
    log.info(f"report year {inputs.year}, {len(inputs.slugs)} goal area(s), data: {inputs.data_root} ({source})")
    cache = NotebookCache(p["cache"] if use_cache else None, read=not force)
    try:
        if force:
            shutil.rmtree(p["cache"] / "book", ignore_errors=True)
        out = steps.run(inputs, stage, git, cache, books, pool, printer)
        pool.close()
        printer.close()
        cache.flush()
        swap.replace_dir(out, p["build"])
        cache.record_build()
    except KeyboardInterrupt:
        kill_run_processes(stage.name)
        swap.recover(p["build"])  # in case the interrupt came between the two renames of the swap
        shutil.rmtree(stage, ignore_errors=True)
        log.info("interrupted: every process of the run has been stopped; _build/ is unchanged")
        raise
    except BaseException as exc:
        kill_run_processes(stage.name)
        with contextlib.suppress(Exception):  # the notebooks that did run stay in the cache (the error is exc)
            cache.flush()
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
