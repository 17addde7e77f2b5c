"""Where things are in a project, and the one list of the files a build reads.

A leaf module (standard library only): the no-change check of `make report` (followup.fingerprint) uses it
before anything heavy (pandas, matplotlib) is imported.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

CONFIG_FILES = ("_config.yml", "_toc.yml")
STATUS_FILE = "data/status.yml"
STATUS_SCHEMA = "data/status.schema.json"


def previous_results(year: int) -> str:
    """The results file of the previous year's published report, relative to the repository: what the
    summary compares this year's verdicts with (followup.summary). `make publish` archives it there."""
    return f"reports/{year - 1}/results/resultat-{year - 1}.json"


def paths(repo: Path) -> dict[str, Path]:
    repo = Path(repo)
    return {
        "plan": repo / "data" / "plan.yml",
        "status": repo / STATUS_FILE,  # the report's status (followup.status); optional: a draft without it
        "reports": repo / "reports",  # published reports by year (followup.publish)
        "data": repo / "data",
        "template": repo / "notebooks" / "goal_area.ipynb",
        "overview": repo / "notebooks" / "overview.ipynb",
        "config": repo / "_config.yml",
        "toc": repo / "_toc.yml",
        "pages": repo / "book",
        "commentary": repo / "book" / "commentary",
        "build": repo / "_build",
        "staging": repo / ".staging",
        "cache": repo / ".cache",  # executed notebooks, the book's Sphinx state, printed PDFs (followup.cache)
    }


def choose_root(data_dir: Path) -> Path:
    """The data set a build reads: the real snapshot (data/) if it exists, else the example (data/example/)."""
    data_dir = Path(data_dir)
    if (data_dir / "kolada" / "manifest.json").exists():
        return data_dir
    return data_dir / "example"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def input_files(repo: Path, data_root: Path, year: int, slugs: list[str]) -> list[str]:
    """Every file a build reads, relative to the repository: the one list of a build's inputs (the plan and
    its schema, the report's status and its schema, the book's configuration, the notebook templates, the
    book's pages, the data set's files, the commentary of the chosen goal areas for the year, and the previous
    year's published results when there are any)."""
    repo = Path(repo)
    out = ["data/plan.yml", "data/plan.schema.json", *CONFIG_FILES]
    if (repo / STATUS_FILE).is_file():
        out += [STATUS_FILE, STATUS_SCHEMA]
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
    if (repo / previous_results(year)).is_file():
        out.append(previous_results(year))
    return out
