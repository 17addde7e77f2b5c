"""What a build reads: the one list of its input files, their validation, and their copy for a run.

`files` is the one definition of what a build reads (the plan, the data set's files, the commentary of the
chosen goal areas for the year, the notebook templates, the book's pages and configuration). The build
copies exactly these files into its staging folder and runs from the copies; the manifest records their
hashes; `make verify` re-executes from them and `make publish` archives them. Anything a later feature
reads must be added here.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from . import toc
from .commentary import load_commentary
from .data import Dataset, check_plan_against_data, load_dataset, with_data_breaks
from .errors import FollowupError
from .layout import CONFIG_FILES, choose_root, paths, sha256_file  # noqa: F401 (re-exported)
from .layout import input_files as files
from .plan import Plan, load_plan
from .status import NO_FILE, Status, load_status


@dataclass(frozen=True)
class Inputs:
    """What a build reads, resolved and validated."""

    repo: Path
    plan: Plan
    data: Dataset
    year: int
    slugs: list[str]
    status: Status = NO_FILE  # the report's status (data/status.yml)
    previous: dict | None = None  # last year's published results file, checked (followup.summary), or None

    @property
    def data_root(self) -> str:
        """The data set's folder, relative to the repository (data or data/example)."""
        return self.data.root.relative_to(self.repo).as_posix()


def resolve(repo: Path, year: int | None = None, areas: list[str] | None = None) -> Inputs:
    """Load and validate everything a build reads, once; raise FollowupError naming what is wrong. (The
    notebook templates' parameters are checked when a template is about to be executed: followup.steps.)"""
    p = paths(repo)
    ds = load_dataset(choose_root(p["data"]))
    plan = with_data_breaks(load_plan(p["plan"]), ds)
    check_plan_against_data(plan, ds)
    toc.check(p["toc"], plan)
    first, last = ds.years
    if year is None:
        year = ds.latest_year
    if not first <= year <= last:
        raise FollowupError(f"--year {year}: the data in {ds.root} covers {first}–{last}")
    slugs = plan.slugs
    if areas:
        unknown = [a for a in areas if a not in plan.slugs]
        if unknown:
            raise FollowupError(f"--areas: unknown goal area {', '.join(unknown)} (known: {', '.join(plan.slugs)})")
        slugs = [s for s in plan.slugs if s in areas]  # plan order, no duplicates
    for slug in slugs:
        load_commentary(p["commentary"], year, slug)  # validates its front matter
    from .summary import read_previous  # (it reads results files: above this module)

    return Inputs(repo, plan, ds, year, slugs, load_status(p["status"]), read_previous(repo, year))


def of(inputs: Inputs) -> list[str]:
    return files(inputs.repo, inputs.data.root, inputs.year, inputs.slugs)


def copy(repo: Path, rels: list[str], dest: Path) -> dict[str, str]:
    """Copy the listed files into dest (same relative paths); return the sha256 of each copy, which is
    what the run reads (a later edit of the original cannot slip in)."""
    recorded = {}
    for rel in rels:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo / rel, target)
        recorded[rel] = sha256_file(target)
    return recorded
