"""The whole build: validate the plan and data, execute the notebooks, assemble the book, publish.

Every run works in a staging folder of its own, .staging/run-<time>-<pid>/, outside _build/:

    inputs/plan.yml, inputs/data/{kolada,local}/   copies of what the notebooks read
    rendered/<slug>.ipynb                           the template filled in for each goal area
    book/                                           the book root: _config.yml, _toc.yml, book/ pages,
    book/chapters/<slug>.ipynb, oversikt.ipynb      and the executed notebooks (with their figures/)
    out/html/                                       the website

_build/ is replaced by out/ only when every step has succeeded; a failed run leaves _build/ as it was
and keeps its staging folder for inspection.
"""
from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import yaml

from . import fmt, manifest, pdf, results
from .data import (EXAMPLE_NOTE, Dataset, check_plan_against_data, choose_root, load_dataset, sha256_file,
                   with_data_breaks)
from .errors import BuildError, FollowupError
from .chapter import Context, goal_verdict
from .commentary import chapter_text, commentary_path, load_commentary, missing_actions
from .notebooks import check_parameters, render_template, tidy_executed
from .plan import Plan, load_plan
from .runs import FAILED, MARKER, RunLock, kill_run_processes, recover, restore_build

REPO = Path(__file__).resolve().parent.parent  # the repository this package lives in
PACKAGE_ROOT = REPO  # put on the kernels' PYTHONPATH so notebooks can import followup
OVERVIEW = "oversikt"
CHAPTER_DIR = "chapters"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class Inputs:
    """What a build reads, resolved and validated."""
    repo: Path
    plan: Plan
    data: Dataset
    year: int
    slugs: list[str]


def repo_paths(repo: Path) -> dict[str, Path]:
    return {
        "plan": repo / "data" / "plan.yml",
        "data": repo / "data",
        "template": repo / "notebooks" / "goal_area.ipynb",
        "overview": repo / "notebooks" / "overview.ipynb",
        "config": repo / "_config.yml",
        "toc": repo / "_toc.yml",
        "pages": repo / "book",
        "commentary": repo / "book" / "commentary",
        "build": repo / "_build",
        "staging": repo / ".staging",
    }


def say(line: str) -> None:
    """Print one whole line at once (worker processes share the terminal)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # a captured or redirected stdout
        print(line, flush=True)
        return
    sys.stdout.flush()
    os.write(fd, (line + "\n").encode("utf-8"))


# ---------------------------------------------------------------- table of contents

def toc_chapter_files(toc: dict) -> list[str]:
    files = []
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    files += [c["file"] for c in toc.get("chapters", [])]
    return files


def expected_toc_files(slugs) -> list[str]:
    return [f"{CHAPTER_DIR}/{OVERVIEW}"] + [f"{CHAPTER_DIR}/{s}" for s in slugs]


def check_toc(toc_path: Path, plan: Plan) -> dict:
    """The committed _toc.yml must list the overview and every goal area of the plan, in plan order."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    have = [f for f in toc_chapter_files(toc) if f.startswith(f"{CHAPTER_DIR}/")]
    want = expected_toc_files(plan.slugs)
    if have != want:
        missing = [f for f in want if f not in have]
        extra = [f for f in have if f not in want]
        detail = (f"missing {', '.join(missing)}; " if missing else "") + \
                 (f"not in the plan {', '.join(extra)}; " if extra else "")
        raise BuildError(f"{toc_path}: the chapters do not match the goal areas of {plan.path}: "
                         f"{detail or 'wrong order; '}expected {', '.join(want)}")
    return toc


def subset_toc(toc: dict, slugs) -> dict:
    """The table of contents with only the chosen goal areas (pages outside chapters/ are kept)."""
    keep = set(expected_toc_files(slugs)) | {f for f in toc_chapter_files(toc) if not f.startswith(f"{CHAPTER_DIR}/")}
    out = dict(toc)
    if "parts" in toc:
        out["parts"] = [dict(p, chapters=[c for c in p["chapters"] if c["file"] in keep]) for p in toc["parts"]]
        out["parts"] = [p for p in out["parts"] if p["chapters"]]
    if "chapters" in toc:
        out["chapters"] = [c for c in toc["chapters"] if c["file"] in keep]
    return out


# ---------------------------------------------------------------- validation

def resolve(repo: Path = REPO, year: int | None = None, areas: list[str] | None = None) -> Inputs:
    """Load and validate everything a build reads; raise FollowupError naming what is wrong."""
    p = repo_paths(repo)
    ds = load_dataset(choose_root(p["data"]))
    plan = with_data_breaks(load_plan(p["plan"]), ds)
    check_plan_against_data(plan, ds)
    check_toc(p["toc"], plan)
    for slug in plan.slugs:  # every goal area's: the overview shows all their verdicts, overrides included
        load_commentary(p["commentary"], year or ds.latest_year, slug)  # validates its front matter
    check_parameters(p["template"], "goal_area")
    check_parameters(p["overview"], "overview")
    first, last = ds.years
    if year is None:
        year = ds.latest_year
    if not first <= year <= last:
        raise FollowupError(f"--year {year}: the data in {ds.root} covers {first}–{last}")
    slugs = plan.slugs
    if areas:
        unknown = [a for a in areas if a not in plan.slugs]
        if unknown:
            raise FollowupError(f"--areas: unknown goal area {', '.join(unknown)} "
                                f"(known: {', '.join(plan.slugs)})")
        slugs = [s for s in plan.slugs if s in areas]  # plan order, no duplicates
    return Inputs(repo, plan, ds, year, slugs)


# ---------------------------------------------------------------- execution

def kernel_environment(inputs: Inputs | None = None) -> dict:
    """Environment variables for deterministic runs; set in this process and inherited by kernels."""
    env = {
        "PYTHONPATH": os.pathsep.join(dict.fromkeys(
            [str(PACKAGE_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])),
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "TZ": "UTC",
    }
    if inputs is not None:
        retrieved = datetime.fromisoformat(inputs.data.retrieved.replace("Z", "+00:00"))
        env["SOURCE_DATE_EPOCH"] = str(int(retrieved.timestamp()))
    return env


def _execute(job: dict) -> tuple[str, float]:
    """Run one notebook with papermill (in a worker process). Returns (name, seconds)."""
    import logging

    import papermill as pm
    from jupyter_client.manager import AsyncKernelManager

    logging.getLogger("papermill").setLevel(logging.WARNING)
    # The kernel inherits this worker's stderr: send its chatter to the run's log, not the terminal.
    with open(job["log"], "ab") as log_file:
        os.dup2(log_file.fileno(), 2)
    if job.get("announce", True):
        say(f"  {job['name']:<28} started")
    start = time.monotonic()
    for attempt in (1, 2):
        # Kernels talk over IPC sockets in a private folder: no TCP ports for parallel kernels to race for.
        with tempfile.TemporaryDirectory(prefix="kernel-") as sockets:
            km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(sockets, "k"))
            try:
                pm.execute_notebook(job["input"], job["output"], parameters=job["parameters"], cwd=job["cwd"],
                                    kernel_name="python3", progress_bar=False, log_output=False,
                                    request_save_on_cell_execute=False, km=km)
                break
            except pm.PapermillExecutionError as exc:
                tb = [ANSI.sub("", line) for line in exc.traceback]
                tail = "\n".join("\n".join(tb).splitlines()[-8:])
                raise BuildError(f"goal area {job['name']}: cell {exc.cell_index} (execution count {exc.exec_count}) "
                                 f"raised {exc.ename}: {exc.evalue}\n{tail}\n"
                                 f"executed notebook kept for inspection: {job['output']}") from None
            except RuntimeError as exc:
                if attempt == 1 and "before replying to kernel_info" in str(exc):
                    continue  # a kernel that dies while starting is started once more
                raise BuildError(f"goal area {job['name']}: {type(exc).__name__}: {exc}") from None
            except Exception as exc:  # kernel died, notebook unreadable, ...
                raise BuildError(f"goal area {job['name']}: {type(exc).__name__}: {exc}") from None
    tidy_executed(Path(job["output"]))
    return job["name"], time.monotonic() - start


def execute_all(jobs: list[dict], workers: int, log) -> None:
    """Execute the notebooks in parallel; the first failure (or Ctrl-C) stops the run at once."""
    # "spawn": workers start fresh instead of forking this process, so they do not inherit its open files
    # (a forked worker would hold the run lock after this process was killed).
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = {pool.submit(_execute, job): job["name"] for job in jobs}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in sorted(done, key=lambda f: futures[f]):
                if f.exception() is not None:
                    raise f.exception()
                name, secs = f.result()
                log(f"  {name:<28} finished in {fmt.number(secs, 1)} s")
    except BaseException:
        # Do not wait for the notebooks still running: the caller stops every process of the run.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


# ---------------------------------------------------------------- assembling the book

def data_description(ds: Dataset) -> str:
    if ds.is_example:
        return (f"**{EXAMPLE_NOTE}.** Rapporten bygger på ett exempeldataset i samma format som en hämtning "
                f"från Kolada. Exempeldatat är påhittat och visar hur rapporten fungerar; siffrorna beskriver "
                f"inte Borlänge kommun.")
    date = ds.retrieved[:10]
    return (f"Rapporten bygger på nyckeltal från Kolada, hämtade {date}, och på kommunens egna "
            f"uppgifter där Kolada saknar nyckeltal.")


def report_title(inputs: Inputs) -> str:
    return f"Uppföljning {inputs.year} av {inputs.plan.title}"


def substitutions(inputs: Inputs) -> dict[str, str]:
    plan, ds = inputs.plan, inputs.data
    members = ", ".join(m["member_title"] for m in ds.groups[plan.peer_group.id]["members"])
    areas = [plan.area(s).title for s in inputs.slugs]
    return {
        "report_title": report_title(inputs),
        "report_year": str(inputs.year),
        "plan_title": plan.title,
        "municipality": plan.municipality.name,
        "period": fmt.year_range(plan.period_start, plan.period_end),
        "period_note": plan.period_assumption or "",
        "data_description": data_description(ds),
        "data_source": "exempeldata" if ds.is_example else f"Kolada, hämtad {ds.retrieved[:10]}",
        "peer_group": plan.peer_group.name,
        "peer_members": members,
        "comparison": plan.comparison.name,
        "goal_areas": ", ".join(areas),
        "n_goal_areas": str(len(areas)),
    }


def pdf_name(year: int) -> str:
    return f"arsuppfoljning-{year}.pdf"


def pdf_headings(inputs: Inputs) -> list[str]:
    """Headings the PDF's bookmarks must show as written (see followup.pdf)."""
    return [report_title(inputs), *(inputs.plan.area(s).title for s in inputs.slugs),
            "Fokus för att uppnå målsättningen", "Utveckling över tid", "Så läser du rapporten"]


def pdf_link(inputs: Inputs) -> str:
    name = pdf_name(inputs.year)
    return f"Rapporten finns också som PDF: [{name}](filer/{name})."


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def appendix_substitutions(inputs: Inputs, repo: Path, recorded: dict[str, str], chapters: Path,
                           files: dict[str, Path], git: dict) -> dict[str, str]:
    """What the appendix "Om rapporten" states: provenance, downloads, checksums, how to reproduce."""
    env = manifest.environment()
    key = ["jupyter-book", "papermill", "nbformat", "pandas", "matplotlib", "seaborn", "pypdf", "openpyxl"]
    packages = ", ".join(f"{k} {env['packages'][k]}" for k in key if k in env["packages"])
    ds = inputs.data
    if ds.is_example:
        provenance = (f"Rapporten bygger på **exempeldata** (`{ds.root.relative_to(repo).as_posix()}/`), "
                      f"som är påhittade och inte officiell statistik.")
    else:
        api = ds.kolada_manifest.get("api") or {}
        provenance = (f"Nyckeltalen hämtades från Kolada ({api.get('base_url', 'Kolada')}, API-version "
                      f"{api.get('version', 'v3')}) {ds.retrieved[:10]}.")
    provenance += (f" Ögonblicksbildens kontrollsumma (sha256 av dess manifest) börjar med `{ds.snapshot_id}`. "
                   f"Lokala uppgifter: `{ds.root.relative_to(repo).as_posix()}/local/values.csv`.")
    inputs_rows = [[f"`{rel}`", f"`{digest[:16]}`"] for rel, digest in recorded.items()]
    figures = sorted(chapters.glob("figures/*/*.svg"))
    tables = sorted(chapters.glob("tables/*.csv"))
    output_rows = [[f"`html/_images/{f.name}`", f"`{sha256_file(f)[:16]}`"] for f in figures]
    output_rows += [[f"`tables/{t.name}`", f"`{sha256_file(t)[:16]}`"] for t in tables]
    output_rows += [[f"`{p.parent.name}/{p.name}`", f"`{sha256_file(p)[:16]}`"] for p in files.values()]
    # The PDF names the files (a link there would point into the build folder); the website links them.
    downloads = "\n".join(f"- `{p.name}` (att ladda ner från rapportens webbplats)" for p in files.values())
    return {
        "data_provenance": provenance,
        "downloads": downloads,
        "inputs_table": _md_table(["Indatafil", "sha256 (början)"], inputs_rows),
        "outputs_table": _md_table(["Publicerad fil under `_build/`", "sha256 (början)"], output_rows),
        "git_commit": (f"`{git['commit'][:12]}`" + ("" if git["clean"] else " (med ändringar som inte var incheckade)"))
        if git["commit"] else "okänd (ingen git-utcheckning)",
        "environment": f"Python {env['python']}; {packages}",
        "pdf_link": "",
    }


def write_book_config(inputs: Inputs, src: Path, dest: Path, extra: dict | None = None) -> None:
    """The staged _config.yml: the committed one with this build's title, substitutions and banner."""
    config = yaml.safe_load(src.read_text(encoding="utf-8"))
    config["title"] = report_title(inputs)
    config.setdefault("parse", {})["myst_substitutions"] = {**substitutions(inputs), "pdf_link": "", **(extra or {})}
    options = config.setdefault("sphinx", {}).setdefault("config", {}).setdefault("html_theme_options", {})
    if inputs.data.is_example:
        options["announcement"] = f"{EXAMPLE_NOTE}. Siffrorna i rapporten är påhittade."
    else:
        options.pop("announcement", None)
    dest.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


PRINT_CSS = """\
/* Made by followup.build for this report: the PDF's page layout (Chromium prints the single-page build). */
@media print {
  @page {
    size: A4;
    margin: 20mm 17mm 18mm 17mm;
    @top-center { content: "%(header)s"; font-family: "DejaVu Sans", sans-serif; font-size: 8pt; color: #555; }
    @bottom-center { content: "Sida " counter(page) " av " counter(pages);
                     font-family: "DejaVu Sans", sans-serif; font-size: 8pt; color: #555; }
  }
  html { font-size: 9pt; }
  .bd-header, .bd-header-announcement, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-footer,
  .bd-footer-article, .bd-footer-content, .prev-next-area, .header-article, #jb-print-toc,
  .headerlink, .bd-search, .search-button-field { display: none !important; }
  /* Page breaks are ignored inside flex containers: lay the page out as plain blocks. */
  .bd-container, .bd-container__inner, .bd-page-width, .bd-main, .bd-content, .bd-article-container,
  .bd-article { display: block !important; max-width: none !important; width: auto !important;
                margin: 0 !important; padding: 0 !important; }
  /* Each chapter (the overview and every goal area) starts on a new page. */
  %(chapters)s { break-before: page; }
  h1, h2, h3, caption, figcaption { break-after: avoid; }
  table, figure, .cell_output { break-inside: avoid; }
  /* The overview's table is longer than a page: let it run on, with its header row repeated. */
  section#oversikt table, section#oversikt .cell_output { break-inside: auto; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  figure img { width: 100%%; }
  a { color: inherit; text-decoration: none; }
}
"""


def print_css(inputs: Inputs) -> str:
    header = report_title(inputs)
    if inputs.data.is_example:
        header += f" · {EXAMPLE_NOTE}"
    chapters = ", ".join(f"section#{name}" for name in [OVERVIEW, *inputs.slugs])
    return PRINT_CSS % {"header": header.replace("\\", "\\\\").replace('"', '\\"'), "chapters": chapters}


def assemble(inputs: Inputs, stage: Path) -> None:
    p = repo_paths(inputs.repo)
    book = stage / "book"
    shutil.copytree(p["pages"], book, ignore=shutil.ignore_patterns("commentary"))
    (book / CHAPTER_DIR / "tables").mkdir(parents=True)
    (book / "_static").mkdir(exist_ok=True)
    (book / "_static" / "print.css").write_text(print_css(inputs), encoding="utf-8")
    write_book_config(inputs, p["config"], book / "_config.yml")
    toc = subset_toc(check_toc(p["toc"], inputs.plan), inputs.slugs)
    (book / "_toc.yml").write_text(yaml.safe_dump(toc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def copy_inputs(inputs: Inputs, stage: Path) -> None:
    dest = stage / "inputs"
    dest.mkdir(parents=True)
    shutil.copy2(repo_paths(inputs.repo)["plan"], dest / "plan.yml")
    for part in ("kolada", "local"):
        shutil.copytree(inputs.data.root / part, dest / "data" / part)
    year_dir = repo_paths(inputs.repo)["commentary"] / str(inputs.year)
    (dest / "commentary" / str(inputs.year)).mkdir(parents=True)
    for slug in inputs.plan.slugs:  # all goal areas: the overview shows every verdict and override
        src = year_dir / f"{slug}.md"
        if src.exists():
            shutil.copy2(src, dest / "commentary" / str(inputs.year) / src.name)


def commentaries(inputs: Inputs, log) -> dict[str, str]:
    """Each goal area's commentary as its chapter shows it; warns where "ej uppfyllt" has no actions."""
    root = repo_paths(inputs.repo)["commentary"]
    texts = {}
    for slug in inputs.slugs:
        area = inputs.plan.area(slug)
        c = load_commentary(root, inputs.year, slug)
        goal = goal_verdict(root, inputs.plan, inputs.data, inputs.year, area)
        if missing_actions(c, goal.shown):
            where = commentary_path(root, inputs.year, slug).relative_to(inputs.repo)
            log(f"warning: {slug} is judged 'ej uppfyllt' but {where} describes no actions "
                f"(a '## Åtgärder' section); the chapter says 'Åtgärder saknas'")
        texts[slug] = chapter_text(c, inputs.year, goal.shown)
    return texts


def jupyter_book(book: Path, builder: str) -> Path:
    """Build the book with one Sphinx builder (html, singlehtml); any Sphinx warning fails the build."""
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(book), "--builder", builder, "-W", "-n", "--keep-going", "-q"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        out = ANSI.sub("", result.stdout + result.stderr)
        lines = [line for line in out.splitlines() if "WARNING" in line or "ERROR" in line or "Error" in line]
        raise BuildError(f"jupyter-book build ({builder}) failed:\n" + "\n".join((lines or out.splitlines()[-20:])[:40]))
    return book / "_build" / builder


def publish(out: Path, target: Path, staging: Path) -> None:
    """Replace target (_build/) by out in two renames; the old build is removed afterwards."""
    old = staging / f"old-{time.time_ns()}-{os.getpid()}"  # sorts by time: recover() restores the newest
    if target.exists():
        target.rename(old)
    out.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def build(repo: Path = REPO, year: int | None = None, areas: list[str] | None = None,
          jobs: int | None = None, with_pdf: bool = True, log=say, git: dict | None = None,
          wait: bool = False) -> Path:
    """Validate, execute, assemble and publish the report. Returns the published _build/ folder.
    `git` is the commit the report states it was built from (verify passes the recorded one). One run at a
    time: with `wait`, wait for a run in progress instead of refusing."""
    repo = Path(repo)
    with RunLock(repo, "report build", wait):
        recover(repo, log)
        return _build(repo, year, areas, jobs, with_pdf, log, git)


def _build(repo: Path, year, areas, jobs, with_pdf: bool, log, git) -> Path:
    started = time.monotonic()
    inputs = resolve(repo, year, areas)
    os.environ.update(kernel_environment(inputs))
    p = repo_paths(repo)
    source = "example data" if inputs.data.is_example else f"Kolada snapshot {inputs.data.retrieved}"
    log(f"report year {inputs.year}, {len(inputs.slugs)} goal area(s), data: {inputs.data.root.relative_to(repo)} "
        f"({source})")

    p["staging"].mkdir(exist_ok=True)
    stage = p["staging"] / f"run-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{os.getpid()}"
    stage.mkdir()
    os.environ[MARKER] = stage.name  # inherited by every process of this run (see followup.runs)
    # What the build reads, hashed before it is copied (a later edit cannot slip into the manifest).
    recorded = manifest.input_hashes(repo, inputs.data.root, inputs.year, inputs.plan.slugs)
    try:
        copy_inputs(inputs, stage)
        assemble(inputs, stage)
        chapters = stage / "book" / CHAPTER_DIR
        rendered = stage / "rendered"
        rendered.mkdir()
        common = {"report_year": inputs.year, "municipality": inputs.plan.municipality.id,
                  "data_dir": "../../inputs/data", "plan_path": "../../inputs/plan.yml",
                  "commentary_dir": "../../inputs/commentary"}
        texts = commentaries(inputs, log)
        jobs_list = []
        for slug in inputs.slugs:
            nb = render_template(p["template"], inputs.plan.area(slug), texts[slug])
            nbformat.write(nb, rendered / f"{slug}.ipynb")
            jobs_list.append({"name": slug, "input": str(rendered / f"{slug}.ipynb"),
                              "parameters": {**common, "goal_area": slug}})
        jobs_list.append({"name": OVERVIEW, "input": str(p["overview"]), "parameters": common})
        for job in jobs_list:
            job.update(output=str(chapters / f"{job['name']}.ipynb"), cwd=str(chapters),
                       log=str(stage / "kernels.log"),
                       announce=log is say)  # workers print their own "started" lines to the terminal
        workers = max(1, min(jobs or os.cpu_count() or 1, len(jobs_list)))
        log(f"executing {len(jobs_list)} notebooks with {workers} worker(s)")
        execute_all(jobs_list, workers, log)
        book, out = stage / "book", stage / "out"
        out.mkdir()
        epoch = int(os.environ["SOURCE_DATE_EPOCH"])
        shutil.copytree(chapters / "tables", out / "tables")
        ctx = Context.load(stage / "inputs" / "plan.yml", stage / "inputs" / "data", inputs.year,
                           inputs.plan.municipality.id, stage / "inputs" / "commentary")
        files = results.write(ctx, inputs.slugs, out, epoch)
        (book / "filer").mkdir()
        for path in files.values():
            shutil.copy2(path, book / "filer" / path.name)  # the website links them as downloads
        git = git or manifest.git_info(repo)
        extra = appendix_substitutions(inputs, repo, recorded, chapters, files, git)
        if with_pdf:
            log("building the single-page version (jupyter-book) and printing the PDF (chromium)")
            write_book_config(inputs, p["config"], book / "_config.yml", extra=extra)
            single = jupyter_book(book, "singlehtml")
            pdf_path = out / "pdf" / pdf_name(inputs.year)
            pdf.print_to_pdf(single / "index.html", pdf_path)
            pdf.finish(pdf_path, pdf_headings(inputs), {"Title": report_title(inputs), "Author": "Borlänge kommun",
                                                        "Subject": inputs.plan.title}, epoch=epoch)
            shutil.copy2(pdf_path, book / "filer" / pdf_path.name)  # the website offers it as a download too
            extra["pdf_link"] = pdf_link(inputs)
        extra["downloads"] = "\n".join(f"- [{path.name}](filer/{path.name})" for path in files.values())
        write_book_config(inputs, p["config"], book / "_config.yml", extra=extra)
        log("building the website (jupyter-book)")
        html = jupyter_book(book, "html")
        html.rename(out / "html")
        parameters = {"year": inputs.year, "areas": list(inputs.slugs),
                      "areas_subset": inputs.slugs != inputs.plan.slugs, "pdf": with_pdf}
        data = {"root": inputs.data.root.relative_to(repo).as_posix(),
                "source": "example" if inputs.data.is_example else "kolada",
                "retrieved": inputs.data.retrieved, "snapshot": inputs.data.snapshot_id}
        manifest.write(manifest.make(repo, out, recorded, parameters, data, git), out / "manifest.json")
        publish(out, p["build"], p["staging"])
    except KeyboardInterrupt:
        kill_run_processes(stage.name)
        restore_build(repo)  # in case the interrupt came between the two renames of publish()
        shutil.rmtree(stage, ignore_errors=True)
        log("interrupted: every process of the run has been stopped; _build/ is unchanged")
        raise
    except BaseException as exc:
        kill_run_processes(stage.name)
        restore_build(repo)
        (stage / FAILED).write_text(f"{type(exc).__name__}: {exc}\n", encoding="utf-8")
        log(f"the run failed; _build/ is unchanged; work kept for inspection in {stage.relative_to(repo)}/")
        raise
    shutil.rmtree(stage, ignore_errors=True)
    log(f"report written to {p['build'].relative_to(repo)}/html/index.html "
        f"in {fmt.number(time.monotonic() - started, 1)} s")
    return p["build"]
