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
from .data import Dataset, check_plan_against_data, choose_root, load_dataset, sha256_file, with_data_breaks
from .errors import FollowupError
from .notebooks import check_parameters
from .plan import Plan, load_plan

CONFIG_FILES = ("_config.yml", "_toc.yml")


@dataclass(frozen=True)
class Inputs:
    """What a build reads, resolved and validated."""

    repo: Path
    plan: Plan
    data: Dataset
    year: int
    slugs: list[str]

    @property
    def data_root(self) -> str:
        """The data set's folder, relative to the repository (data or data/example)."""
        return self.data.root.relative_to(self.repo).as_posix()


def paths(repo: Path) -> dict[str, Path]:
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


def resolve(repo: Path, year: int | None = None, areas: list[str] | None = None) -> Inputs:
    """Load and validate everything a build reads, once; raise FollowupError naming what is wrong."""
    p = paths(repo)
    ds = load_dataset(choose_root(p["data"]))
    plan = with_data_breaks(load_plan(p["plan"]), ds)
    check_plan_against_data(plan, ds)
    toc.check(p["toc"], plan)
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
            raise FollowupError(f"--areas: unknown goal area {', '.join(unknown)} (known: {', '.join(plan.slugs)})")
        slugs = [s for s in plan.slugs if s in areas]  # plan order, no duplicates
    for slug in slugs:
        load_commentary(p["commentary"], year, slug)  # validates its front matter
    return Inputs(repo, plan, ds, year, slugs)


def files(repo: Path, data_root: Path, year: int, slugs: list[str]) -> list[str]:
    """Every file a build reads, relative to the repository: the one list of a build's inputs."""
    out = ["data/plan.yml", "data/plan.schema.json", *CONFIG_FILES]
    out += sorted(p.relative_to(repo).as_posix() for p in (repo / "notebooks").glob("*.ipynb"))
    out += sorted(
        p.relative_to(repo).as_posix()
        for p in (repo / "book").rglob("*")
        if p.is_file() and "commentary" not in p.relative_to(repo / "book").parts
    )
    for part in ("kolada", "local"):  # a draft before the local data arrives has no local/
        if (data_root / part).is_dir():
            out += sorted(p.relative_to(repo).as_posix() for p in (data_root / part).iterdir() if p.is_file())
    for slug in slugs:
        c = repo / "book" / "commentary" / str(year) / f"{slug}.md"
        if c.exists():
            out.append(c.relative_to(repo).as_posix())
    return out


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
