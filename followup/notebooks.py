"""The notebook template and executed notebooks.

The goal-area template (notebooks/goal_area.ipynb) is one notebook for all ten goal areas. Its Markdown
cells hold headings whose anchors must carry the goal area's slug and text that comes from the plan, so
before papermill executes it, `render_template` fills the placeholders `{{ slug }}`, `{{ title }}`,
`{{ goal }}` and `{{ focus }}` from the plan file, and `{{ commentary }}` from the analysts' commentary.
Papermill then injects the parameters and executes it, and `tidy_executed` hides the parameter cells from
the reader and removes what differs between runs (timestamps, durations, absolute paths).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from .errors import BuildError
from .plan import GoalArea

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
COMMON_PARAMETERS = {
    "report_year",
    "municipality",
    "data_dir",
    "plan_path",
    "commentary_dir",
    "results_dir",
    "book_output",
}
NOTEBOOK_PARAMETERS = {"goal_area": COMMON_PARAMETERS | {"goal_area"}, "overview": COMMON_PARAMETERS}


def placeholders(area: GoalArea, commentary: str | None = None) -> dict[str, str]:
    values = {"slug": area.slug, "title": area.title, "goal": area.goal, "focus": area.focus}
    # Without a text the commentary's placeholder stays, to be filled after execution (`fill_commentary`).
    values["commentary"] = "{{ commentary }}" if commentary is None else commentary
    return values


def _fill_cells(nb: nbformat.NotebookNode, values: dict[str, str], where) -> nbformat.NotebookNode:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue

        def fill(match, i=i):
            name = match.group(1)
            if name not in values:
                raise BuildError(
                    f"{where}: cell {i}: unknown placeholder {{{{ {name} }}}} (known: {', '.join(sorted(values))})"
                )
            return values[name]

        cell.source = PLACEHOLDER.sub(fill, cell.source)
    return nb


def render_template(template: Path, area: GoalArea, commentary: str | None = None) -> nbformat.NotebookNode:
    """The template with its Markdown placeholders filled in for one goal area (and its commentary, when
    given; the build fills the commentary after execution, when the verdict is known)."""
    return _fill_cells(nbformat.read(template, as_version=4), placeholders(area, commentary), template)


def fill_commentary(executed: Path, text: str) -> None:
    """Fill the commentary's Markdown placeholder of an executed notebook, in place (no kernel needed: the
    commentary is document structure, its headings are the chapter's sections)."""
    nb = nbformat.read(executed, as_version=4)
    nbformat.write(_fill_cells(nb, {"commentary": text}, executed), executed)


def parameter_names(notebook: Path) -> set[str]:
    """The names assigned in the cell tagged `parameters` (as papermill reads them)."""
    import logging

    import papermill

    logging.getLogger("papermill").setLevel(logging.WARNING)  # it logs every notebook it reads
    nb = nbformat.read(notebook, as_version=4)
    if not any("parameters" in cell.metadata.get("tags", []) for cell in nb.cells):
        raise BuildError(f"{notebook}: no cell tagged 'parameters'")
    return set(papermill.inspect_notebook(str(notebook)))


def check_parameters(notebook: Path, kind: str) -> None:
    """Papermill only warns about an unknown parameter: make a mismatch an error."""
    have, want = parameter_names(notebook), NOTEBOOK_PARAMETERS[kind]
    if have != want:
        raise BuildError(
            f"{notebook}: the parameters cell defines {', '.join(sorted(have)) or 'nothing'}; "
            f"expected {', '.join(sorted(want))}"
        )


# The tag of the cell that resets a kept kernel before a notebook (followup.execute.RESET): not part of it.
RESET_TAG = "followup-kernel-reset"


def tidy_executed(path: Path) -> None:
    """Remove the kernel's reset cell, hide the parameter cells and drop run-specific metadata from an
    executed notebook, in place; number the executed cells from 1."""
    nb = nbformat.read(path, as_version=4)
    nb.cells = [cell for cell in nb.cells if RESET_TAG not in cell.metadata.get("tags", [])]
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            # Numbered from 1 as in a fresh kernel (a kept kernel counts on from its last notebook).
            count += 1
            cell.execution_count = count
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output["execution_count"] = count
        tags = cell.metadata.get("tags", [])
        if ("injected-parameters" in tags or "parameters" in tags) and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
        cell.metadata.pop("execution", None)
        pm = cell.metadata.get("papermill")
        if pm is not None:
            cell.metadata["papermill"] = {k: v for k, v in pm.items() if k in ("exception", "status")}
    pm = nb.metadata.get("papermill", {})
    nb.metadata["papermill"] = {"parameters": pm.get("parameters", {}), "version": pm.get("version")}
    nbformat.write(nb, path)
