"""Fingerprints of what a build depends on besides its input files, and the no-change check of `make report`.

A leaf (standard library only, no pandas, matplotlib or seaborn): `python run_all.py build` calls `unchanged`
first, and when nothing a build depends on has changed since the last successful build it says so and stops.

What a build depends on: its input files (followup.layout.input_files, hashed), the package's source (`code`),
the installed environment and the Python version (`environment`), and its parameters (year, goal areas, PDF).
The manifest of every build records them (`fingerprint`); followup.cache keys each executed notebook with
the part of them that notebook reads.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sysconfig
from pathlib import Path

from .layout import STATUS_FILE, STATUS_SCHEMA, choose_root, input_files, paths, sha256_file

PACKAGE = Path(__file__).resolve().parent


def code() -> str:
    """sha256 over the package's Python source (what the notebooks and the build run)."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        h.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def environment() -> str:
    """sha256 over the Python version and the installed distributions with their versions (the names of
    the site-packages' *.dist-info folders carry both): a package upgraded by hand changes it."""
    h = hashlib.sha256(f"python {platform.python_version()}\n".encode())
    seen = set()
    for key in ("purelib", "platlib"):
        folder = Path(sysconfig.get_paths()[key])
        if folder in seen or not folder.is_dir():
            continue
        seen.add(folder)
        for name in sorted(os.listdir(folder)):
            if name.endswith(".dist-info"):
                h.update(name.encode() + b"\n")
    return h.hexdigest()


def git_info(repo: Path) -> dict:
    def git(*args):
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)

    try:
        head = git("rev-parse", "HEAD")
    except FileNotFoundError:
        return {"commit": None, "clean": None}
    if head.returncode != 0:
        return {"commit": None, "clean": None}
    status = git("status", "--porcelain")
    return {"commit": head.stdout.strip(), "clean": status.returncode == 0 and not status.stdout.strip()}


def of_code() -> dict:
    """What the manifest records as `fingerprint` (besides the inputs' hashes, recorded as `inputs`)."""
    return {"code": code(), "environment": environment()}


def _same_parameters(params: dict, year: int | None, areas: list[str] | None, with_pdf: bool) -> bool:
    if year is not None and year != params["year"]:
        return False
    if (areas is None and params["areas_subset"]) or (areas is not None and list(areas) != params["areas"]):
        return False
    return with_pdf == params["pdf"]


# Input files the notebooks read (besides the data set's, under its root): a change of any other input (the
# book's pages and configuration, the commentary's prose, the report's status, last year's results) is applied
# to the book without a kernel.
NOTEBOOK_INPUTS = ("data/plan.yml", "data/plan.schema.json", "notebooks/")
EVERY = 1000  # expected_executions: "every notebook", more than a run has


def expected_executions(repo: Path, year: int | None, areas: list[str] | None, with_pdf: bool) -> int:
    """A guess, before the inputs are read, at how many notebooks a build will execute (so that it can start
    kernels while it checks and keys the inputs; a wrong guess costs only time): every one (EVERY) without
    a last build of these parameters, data set, package source and environment (`_last_build`); 1 when an
    input the notebooks read changed (the data, the plan, the templates); else 0. (A commentary's override
    of a verdict re-executes its notebook too, but most commentary edits are prose: guessed 0.)"""
    last = _last_build(repo, year, areas, with_pdf)
    if last is None:
        return EVERY
    m, rels = last
    inputs, data_root = m["inputs"], m["data"]["root"]
    read = [
        rel
        for rel in {*rels, *inputs}
        if rel.startswith((*NOTEBOOK_INPUTS, f"{data_root}/")) and rel not in (STATUS_FILE, STATUS_SCHEMA)
    ]  # (with a real snapshot, data_root is data/, beside the status file)
    return int(any(rel not in rels or rel not in inputs or sha256_file(repo / rel) != inputs[rel] for rel in read))


def _last_build(repo: Path, year: int | None, areas: list[str] | None, with_pdf: bool) -> tuple[dict, list[str]] | None:
    """The last successful build's manifest (_build/manifest.json) and the input files these parameters
    read now, when that build had these parameters (no year given counts as the recorded year), the data set
    it read is still the one a build reads, and the package's source and the environment are as it recorded;
    else None."""
    repo = Path(repo)
    try:
        m = json.loads((paths(repo)["build"] / "manifest.json").read_text(encoding="utf-8"))
        recorded, params, data_root = m["fingerprint"], m["parameters"], repo / m["data"]["root"]
        m["inputs"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _same_parameters(params, year, areas, with_pdf) or choose_root(paths(repo)["data"]) != data_root:
        return None
    if of_code() != recorded:
        return None
    return m, input_files(repo, data_root, params["year"], params["areas"])


def unchanged(repo: Path, year: int | None, areas: list[str] | None, with_pdf: bool) -> str | None:
    """Why the last successful build (_build/manifest.json) is still the report these parameters ask for,
    as one line; None when something changed (or there is no such build) and a build must run.

    Unchanged means: the same parameters (no year given counts as the recorded year, since with the same
    data the default year is the same), the same input files with the same hashes (a file added to the list
    counts as a change), the same package source and environment, and every published file on disk still
    with its recorded hash. A new git commit that changes none of these refreshes the manifest's commit."""
    repo = Path(repo)
    last = _last_build(repo, year, areas, with_pdf)
    if last is None:
        return None
    m, rels = last
    inputs = m["inputs"]
    if sorted(rels) != sorted(inputs) or any(sha256_file(repo / rel) != inputs[rel] for rel in rels):
        return None
    build = paths(repo)["build"]
    for rel, entry in m["outputs"].items():
        p = build / rel
        if not p.is_file() or sha256_file(p) != entry["sha256"]:
            return None
    git = git_info(repo)
    note = ""
    if git != m["git"]:
        m["git"] = git
        tmp = build / f".manifest.json.{os.getpid()}"
        tmp.write_text(json.dumps(m, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        tmp.replace(build / "manifest.json")
        note = f"; the manifest now names commit {(git['commit'] or 'none')[:12]}"
    return (
        f"nothing changed since the last build (inputs, code and environment as recorded in "
        f"_build/manifest.json): _build/ is up to date{note}. --force rebuilds everything."
    )
