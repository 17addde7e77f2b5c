"""`make lab`: JupyterLab for the analysts, with one ready notebook per goal area and an overview.

    python -m followup.lab [--port 8888] [--no-start]

It prepares the git-ignored working folder `lab/` in the repository: for each goal area the template
rendered with the area's real title, goal, focus text and commentary, and the overview, each with its
parameters set (papermill's injected-parameters cell) to the data set a build would use (the real snapshot
in data/kolada/ when there is one, otherwise the example data) and to `lab/results/` for the results
documents, charts and tables. Then it starts JupyterLab there on localhost and prints its address. Opened
there, each notebook runs top to bottom and writes nothing inside the tracked tree. Running the overview
after the goal areas' notebooks shows what they recorded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from papermill.parameterize import parameterize_notebook

from .commentary import chapter_text, load_commentary
from .constants import OVERVIEW
from .data import choose_root
from .inputs import paths
from .notebooks import render_template
from .plan import load_plan

REPO = Path(__file__).resolve().parent.parent
FOLDER = "lab"


def prepare(repo: Path = REPO, reset: bool = False) -> Path:
    """Write the ready notebooks into <repo>/lab/. A notebook already there is kept (an analyst may have
    changed it), unless `reset`; its recorded results are kept."""
    p = paths(repo)
    plan = load_plan(p["plan"])
    folder = repo / FOLDER
    folder.mkdir(exist_ok=True)
    (folder / ".gitignore").write_text("*\n", encoding="utf-8")  # nothing here is ever committed
    data_root = choose_root(p["data"]).relative_to(repo).as_posix()
    common = {
        "data_dir": f"../{data_root}",
        "plan_path": "../data/plan.yml",
        "commentary_dir": "../book/commentary",
        "results_dir": "results",
        "book_output": False,
    }
    year = _latest_year(repo)
    for area in plan.goal_areas:
        text = chapter_text(load_commentary(p["commentary"], year, area.slug), year)
        nb = render_template(p["template"], area, text)
        _write(_parameterized(nb, {**common, "goal_area": area.slug}), folder / f"{area.slug}.ipynb", reset)
    overview = nbformat.read(p["overview"], as_version=4)
    _write(_parameterized(overview, common), folder / f"{OVERVIEW}.ipynb", reset)
    return folder


def _latest_year(repo: Path) -> int:
    """The report year a build would use by default (the commentary of that year is shown)."""
    from .data import load_dataset

    return load_dataset(choose_root(repo / "data")).latest_year


def _write(nb, path: Path, reset: bool) -> None:
    if reset or not path.exists():
        nbformat.write(nb, path)


def _parameterized(nb, parameters: dict):
    """The notebook with papermill's injected-parameters cell after its parameters cell."""
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])  # papermill expects every cell to have tags
    nb.metadata.setdefault("papermill", {})
    nb = parameterize_notebook(nb, parameters)
    nb.metadata.pop("papermill", None)
    return nb


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8888, help="the port on localhost (default: %(default)s)")
    ap.add_argument("--no-start", action="store_true", help="only prepare lab/; do not start JupyterLab")
    ap.add_argument("--reset", action="store_true", help="write the notebooks afresh (default: keep those in lab/)")
    args = ap.parse_args(argv)
    folder = prepare(reset=args.reset)
    print(
        f"ready notebooks in {folder.relative_to(REPO)}/: one per goal area and {OVERVIEW}.ipynb "
        f"(run the goal areas' notebooks first; the overview shows what they recorded)"
    )
    if args.no_start:
        return 0
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or "jupyter"
    print(
        "starting JupyterLab on localhost: open the address (with its token) that it prints; Ctrl-C stops it",
        flush=True,
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.call(
        [jupyter, "lab", "--no-browser", "--ip=127.0.0.1", f"--port={args.port}", f"--ServerApp.root_dir={folder}"],
        env=env,
    )


if __name__ == "__main__":
    raise SystemExit(main())
