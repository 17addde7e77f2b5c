"""The steps of one build inside its staging folder (followup.build starts the run and publishes it): copy
the inputs, execute the notebooks that the cache cannot give, write the results files and downloads,
assemble the book, build the website and the single page, print the PDF, write the manifest.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from . import book, execute, fingerprint, fmt, manifest, pdf, results
from . import cache as cache_keys
from .cache import NotebookCache
from .commentary import chapter_text, commentary_path, load_commentary
from .constants import CHAPTER_DIR, OVERVIEW
from .errors import BuildError
from .inputs import Inputs, paths
from .inputs import copy as copy_inputs
from .inputs import of as input_files
from .jupyter_book_cli import Builder
from .layout import sha256_file
from .notebooks import fill_commentary, render_template

log = logging.getLogger(__name__)


def run(
    inputs: Inputs, stage: Path, git: dict | None, cache: NotebookCache, books: Builder, pool: execute.Pool, printer
) -> Path:
    """Every step of a run inside its staging folder (`stage`), with the processes the run started ahead of
    time (followup.build): the notebooks' `pool`, the book's builds (`books`, a followup.jupyter_book_cli.Builder)
    and Chromium's `printer`. Returns the folder that becomes _build/."""
    # The run reads copies of its inputs; their hashes are what the manifest records.
    recorded = copy_inputs(inputs.repo, input_files(inputs), stage / "inputs")
    book_dir = book.assemble(inputs, stage)
    fp = fingerprint.of_code()  # the package's source and the environment: in every key and the manifest
    with_pdf = "singlehtml" in books.builders
    # Chromium starts (about 1 s of CPU) once the notebooks have run, beside the results files' last work.
    docs, notebooks = execute_notebooks(inputs, stage, pool, cache, recorded, fp, printer.start if with_pdf else None)
    warn_missing_actions(inputs, docs)
    if (note := inputs.status.other_year(inputs.year)) is not None:
        log.warning(f"warning: {note}")
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
    shutil.copytree(stage / "files", out, dirs_exist_ok=True)  # written while the overview ran
    files = {kind: out / name for kind, name in results.file_names(inputs.year).items()}
    (book_dir / "filer").mkdir()
    for path in files.values():
        shutil.copy2(path, book_dir / "filer" / path.name)  # the website links them as downloads
    git = git or manifest.git_info(inputs.repo)
    values = {
        **book.substitutions(inputs, docs),
        **book.appendix_substitutions(inputs, recorded, chapters, out, files, docs, git),
        "pdf_link": book.pdf_link(inputs, with_pdf),
    }
    pdf_content = _books(inputs, stage, out, cache, books, values, epoch, printer)
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
    m = manifest.make(out, recorded, parameters, data, git, pdf_content)
    m["fingerprint"] = fp
    m["notebooks"] = notebooks
    manifest.write(m, out / "manifest.json")
    executed = [name for name, r in notebooks.items() if not r["reused"]]
    log.info(f"notebooks: {len(executed)} executed, {len(notebooks) - len(executed)} reused from the cache")
    return out


def execute_notebooks(
    inputs: Inputs, stage: Path, pool: execute.Pool, cache: NotebookCache, recorded: dict, fp: dict, then=None
) -> tuple:
    """Execute the goal areas' notebooks whose key is not in the cache (in parallel, in the pool's
    workers), then the overview if its key changed; reuse the others. Returns the documents and, per
    notebook, its key and whether it was reused. Each notebook runs in a folder of its own (nb/<name>/); the
    folders are then merged into the book's chapters/ and the commentary is filled in. The pool's workers
    (and kernels) end after the overview, before the book is built. `then()` is called once the notebooks
    have run (while the results files may still be written)."""
    src = stage / "inputs"
    rendered = stage / "rendered"
    rendered.mkdir()
    common = {
        "report_year": inputs.year,
        "municipality": inputs.plan.municipality.id,
        "data_dir": f"../../inputs/{inputs.data_root}",
        "plan_path": "../../inputs/data/plan.yml",
        "commentary_dir": "../../inputs/book/commentary",
        "results_dir": "../../results",
        "book_output": True,
    }
    record, area_jobs = {}, []
    for slug in inputs.slugs:
        nb = rendered / f"{slug}.ipynb"
        nbformat.write(render_template(src / "notebooks" / "goal_area.ipynb", inputs.plan.area(slug)), nb)
        parameters = {**common, "goal_area": slug}
        key = cache_keys.area_key(inputs, slug, nb, parameters, src, fp)
        reused = cache.restore(key, stage / "nb" / slug, stage / "results" / f"{slug}.json")
        record[slug] = {"key": key, "reused": reused}
        if not reused:
            area_jobs.append(
                _job(inputs, stage, slug, nb, parameters, src / "notebooks" / "goal_area.ipynb", "goal_area")
            )
    # The commentary, now that the verdict is known: in the notebooks the cache gave, while the others run (this
    # thread waits for them); in the executed ones once they are in the cache (the cache keeps them without it).
    reused = [slug for slug in inputs.slugs if record[slug]["reused"]]
    early = ThreadPoolExecutor(1, thread_name_prefix="commentary")
    filled = early.submit(_fill_commentary, inputs, stage, {s: stage / "nb" / s / f"{s}.ipynb" for s in reused})
    early.shutdown(wait=False)
    docs = _execute_all(inputs, stage, pool, cache, recorded, common, fp, record, area_jobs, then)
    filled.result()
    pool.close()  # (after a failure, the run's end stops every process of the run)
    chapters = stage / "book" / CHAPTER_DIR
    for name in [*inputs.slugs, OVERVIEW]:
        shutil.copytree(stage / "nb" / name, chapters, dirs_exist_ok=True)
    _fill_commentary(inputs, stage, {s: chapters / f"{s}.ipynb" for s in inputs.slugs if s not in reused}, docs)
    return docs, record


def _fill_commentary(inputs: Inputs, stage: Path, notebooks: dict[str, Path], docs: dict | None = None) -> None:
    """Fill each goal area's commentary into its executed notebook (by slug), with the verdict its results
    document records (`docs`, or read from stage/results/)."""
    if docs is None:
        docs = results.read_documents(stage / "results", list(notebooks), inputs.year)
    for slug, notebook in notebooks.items():
        c = load_commentary(stage / "inputs" / "book" / "commentary", inputs.year, slug)
        text = chapter_text(c, inputs.year, docs[slug]["goal_area"]["commentary"]["missing_actions"])
        fill_commentary(notebook, text)


def _execute_all(inputs, stage, pool, cache, recorded, common, fp, record, area_jobs, then) -> dict[str, dict]:
    """The goal areas' notebooks, then the overview (with the results files and downloads written meanwhile)."""
    _execute(pool, "goal areas", area_jobs, len(inputs.slugs) - len(area_jobs), record, cache, stage)
    docs = read_results(stage / "results", inputs)
    overview = stage / "inputs" / "notebooks" / "overview.ipynb"
    documents = {s: stage / "results" / f"{s}.json" for s in docs}
    # The results files and downloads need the documents and the data, not the overview: made meanwhile.
    files_key = cache_keys.overview_key(None, common, recorded, inputs.data_root, documents, fp)
    files = ThreadPoolExecutor(1, thread_name_prefix="files")
    made = files.submit(write_files, inputs, docs, stage / "files", cache, files_key)
    files.shutdown(wait=False)
    key = cache_keys.overview_key(overview, common, recorded, inputs.data_root, documents, fp)
    reused = cache.restore(key, stage / "nb" / OVERVIEW)
    record[OVERVIEW] = {"key": key, "reused": reused}
    overview_jobs = [] if reused else [_job(inputs, stage, OVERVIEW, overview, common, overview, "overview")]
    _execute(pool, "overview", overview_jobs, int(reused), record, cache, stage)
    if then is not None:
        then()
    made.result()
    return docs


def _execute(pool: execute.Pool, what: str, jobs: list, reused: int, record: dict, cache: NotebookCache, stage: Path):
    """Execute these notebooks (`reused`: how many of this batch the cache gave) and put each into the cache
    as soon as it has run."""
    workers = f" with {min(pool.workers, len(jobs))} worker(s)" if jobs else ""
    log.info(f"{what}: {len(jobs)} notebook(s) to execute{workers}, {reused} from the cache")
    if not jobs:
        return

    def done(name: str) -> None:
        result = stage / "results" / f"{name}.json"
        cache.store_later(record[name]["key"], stage / "nb" / name, result if result.exists() else None)

    pool.run(jobs, on_done=done, reused=reused)


def read_results(folder: Path, inputs: Inputs) -> dict[str, dict]:
    """The goal areas' documents as their notebooks recorded them (read by everything after execution)."""
    return results.read_documents(folder, inputs.slugs, inputs.year)


def _job(inputs: Inputs, stage: Path, name: str, notebook: Path, parameters: dict, template: Path, kind: str) -> dict:
    """A notebook to execute (followup.execute.run_job); its template's parameters are checked first, in
    the worker (a notebook from the cache was executed from the same template, which passed). Its kernel gets
    the run's environment (the workers started before the data's retrieval time was known)."""
    folder = stage / "nb" / name  # at the depth of chapters/: the parameters' relative paths hold in both
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "name": name,
        "input": str(notebook),
        "template": str(template),
        "kind": kind,
        "parameters": parameters,
        "output": str(folder / f"{name}.ipynb"),
        "cwd": str(folder),
        "announce": not os.environ.get(execute.QUIET),
        "reuse": not os.environ.get(execute.FRESH_KERNELS),
        "env": execute.kernel_environment(inputs.data.retrieved),
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


def write_files(inputs: Inputs, docs: dict, folder: Path, cache: NotebookCache, key: str) -> None:
    """The results files and the downloads (results/, downloads/ in folder): made from the documents and the
    data set, or taken from the cache when the key (the documents, the plan and the data) is unchanged."""
    if not cache.restore(key, folder):
        epoch = int(os.environ["SOURCE_DATE_EPOCH"])
        values = results.input_values(inputs.data, inputs.plan, inputs.slugs, inputs.year)
        charts = results.chart_rows({slug: folder.parent / "nb" / slug for slug in docs})  # the notebooks' folders
        results.write(docs, values, inputs.year, folder, epoch, charts)
        cache.store(key, folder, None)


def _books(
    inputs: Inputs, stage: Path, out: Path, cache: NotebookCache, books: Builder, values: dict, epoch: int, printer
) -> dict[str, str]:
    """The website and the PDF from the assembled book (stage/book/), built in a stable folder (.cache/book/
    report/, or in the stage without the cache) where Sphinx keeps its state between runs and re-reads only the
    pages that changed. The single page is built first (it reads the changed pages); the website next, from the
    same state (it reads nothing again and writes only the changed pages, at a lower priority), while Chromium
    prints the single page with `printer`. Returns the PDF's text hash by its path under out/."""
    assembled = stage / "book"
    folder = cache.root.parent / "book" if cache.root is not None else stage / "books"
    for old in ("html", "pdf"):  # the stable folders of earlier versions, one per builder
        shutil.rmtree(folder / old, ignore_errors=True)
    pdf_name = book.pdf_name(inputs.year)
    with_pdf = "singlehtml" in books.builders
    # The manifest's list of installed packages (0,4 s), read while the books are built.
    threading.Thread(target=manifest.environment, daemon=True).start()
    if with_pdf:  # the website links the PDF: printed meanwhile, and put in place after (`_place_pdf`)
        (assembled / "filer" / pdf_name).write_bytes(b"%PDF-1.7\n% the report's PDF is put here after its print\n")
    src = folder / "report"
    book.sync(assembled, src, book.filled_pages(assembled, values))  # the pages with this build's facts
    log.info("building the " + ("single page, then the website" if with_pdf else "website") + " (jupyter-book)")
    books.start(src)
    content = _print(inputs, books.result("singlehtml"), out, epoch, cache, printer) if with_pdf else {}
    shutil.copytree(books.result("html"), out / "html")
    if with_pdf:
        _place_pdf(out / "html", out / "pdf" / pdf_name)
    return content


def _place_pdf(html: Path, pdf_path: Path) -> None:
    """Put the printed PDF where the website's download link points (Sphinx names the folder after the
    file's path, not its content)."""
    found = list(html.glob(f"_downloads/*/{pdf_path.name}"))
    if len(found) != 1:
        raise BuildError(f"the website should offer one {pdf_path.name} to download, found {len(found)}")
    shutil.copyfile(pdf_path, found[0])


def _print(inputs: Inputs, single: Path, out: Path, epoch: int, cache: NotebookCache, printer: pdf.Printer) -> dict:
    """The PDF of the built single page (`single`, Sphinx's output folder), printed with `printer`, unless the
    same single page was printed before (a cache entry: the PDF and its text hash). Returns the PDF's text hash
    by its path under out/."""
    pdf_path = out / "pdf" / book.pdf_name(inputs.year)
    headings = book.pdf_headings(inputs)
    metadata = {"Title": book.report_title(inputs), "Author": "Borlänge kommun", "Subject": inputs.plan.title}
    key = cache_keys.digest(
        {
            "page": {
                p.relative_to(single).as_posix(): sha256_file(p) for p in sorted(single.rglob("*")) if p.is_file()
            },
            "print": [pdf.CHROMIUM_ARGS, pdf.PDF_OPTIONS, headings, metadata, epoch],
            "code": sha256_file(Path(pdf.__file__)),  # how it is printed and post-processed
        }
    )
    printed = out.parent / "printed"  # the entry's folder: the PDF and content.json
    if cache.restore(key, printed):
        log.info("  the single page has not changed: its PDF is reused")
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(printed / pdf_path.name, pdf_path)
    else:
        started = time.monotonic()
        # The contents page's numbers of the last print of this book, a guess that spares a second print.
        last = single.parent / "contents-pages.json"  # beside Sphinx's output, in the book's stable folder
        entries = pdf.contents_entries((single / "index.html").read_text(encoding="utf-8"))
        known = json.loads(last.read_text(encoding="utf-8")) if last.is_file() else {}
        guess = known.get("pages") if known.get("entries") == [title for _, title in entries] else None
        pages = pdf.print_with_contents(single / "index.html", pdf_path, printer.print, guess)
        printer.close(wait=False)  # the run's last print: Chromium ends meanwhile
        last.write_text(json.dumps({"entries": [t for _, t in entries], "pages": pages}) + "\n", encoding="utf-8")
        # The text's hash (the manifest's) is taken while the bookmarks and tags are completed: `finish`
        # changes no page's content.
        with ThreadPoolExecutor(1, thread_name_prefix="pdf-text") as reader:
            text = reader.submit(manifest.pdf_content_sha256, pdf_path)
            pdf.finish(pdf_path, headings, metadata, epoch=epoch)
        took = fmt.number(time.monotonic() - started, 1)
        log.info(f"  printed in {took} s" + (" (the contents page's numbers as last time)" if pages == guess else ""))
        printed.mkdir()
        shutil.copyfile(pdf_path, printed / pdf_path.name)
        facts = {"content_sha256": text.result()}
        (printed / "content.json").write_text(json.dumps(facts) + "\n", encoding="utf-8")
        cache.store_later(key, printed, None)
    content = json.loads((printed / "content.json").read_text(encoding="utf-8"))["content_sha256"]
    return {f"pdf/{pdf_path.name}": content}
