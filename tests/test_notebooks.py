import json

import nbformat
import pytest
import yaml

from followup import notebooks, toc
from followup.errors import BuildError
from followup.plan import load_plan

from conftest import REPO

TEMPLATES = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_templates_are_committed_clean(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
            tags = cell["metadata"].get("tags", [])
            assert "remove-cell" in tags or "remove-input" in tags  # the reader sees no code


def test_template_parameters_match_what_the_build_passes():
    notebooks.check_parameters(REPO / "notebooks" / "goal_area.ipynb", "goal_area")
    notebooks.check_parameters(REPO / "notebooks" / "overview.ipynb", "overview")
    with pytest.raises(BuildError, match="expected"):
        notebooks.check_parameters(REPO / "notebooks" / "overview.ipynb", "goal_area")


def test_render_fills_slug_anchors_and_plan_text(tiny_plan):
    area = load_plan(tiny_plan).area("skolan")
    nb = notebooks.render_template(REPO / "notebooks" / "goal_area.ipynb", area, "## Analys\n\nText.")
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "{{" not in md and "## Analys\n\nText." in md
    assert "(skolan)=\n# Skolan" in md
    assert "(skolan-indikatorer)=" in md and "(skolan-utveckling)=" in md
    assert "Vi ska ha en bra skola." in md and "Fokus på kunskap." in md
    labels = [line for line in md.splitlines() if line.startswith("(") and line.endswith(")=")]
    assert labels and all(label.startswith("(skolan") for label in labels)


def test_unknown_placeholder_is_an_error(tiny_plan, tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# {{ titel }}")]
    path = tmp_path / "t.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(BuildError, match="unknown placeholder"):
        notebooks.render_template(path, load_plan(tiny_plan).area("skolan"))


def test_tidy_hides_parameters_and_drops_run_metadata(tmp_path):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        "x = 1",
        metadata={
            "tags": ["injected-parameters"],
            "papermill": {"start_time": "t", "status": "completed"},
            "execution": {"iopub.status.busy": "t"},
        },
    )
    nb.cells = [params]
    nb.metadata["papermill"] = {
        "input_path": "/abs/in.ipynb",
        "output_path": "/abs/out.ipynb",
        "start_time": "t",
        "parameters": {"x": 1},
        "version": "2.7.0",
    }
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    notebooks.tidy_executed(path)
    tidy = nbformat.read(path, as_version=4)
    assert "remove-cell" in tidy.cells[0].metadata.tags
    assert "execution" not in tidy.cells[0].metadata
    assert tidy.cells[0].metadata.papermill == {"status": "completed"}
    assert "/abs" not in path.read_text() and tidy.metadata.papermill.parameters == {"x": 1}


def test_a_kept_kernels_reset_runs_first_and_is_tidied_away(tmp_path):
    """A notebook run in a kept kernel gets the reset (a clean namespace, its own folder, the run's
    environment) as its first cell; the executed notebook keeps none of it."""
    from followup.execute import with_reset

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]})]
    source = tmp_path / "in.ipynb"
    nbformat.write(nb, source)
    run = with_reset(source, "/work/nb/skolan", {"SOURCE_DATE_EPOCH": "1773561600"})
    assert run.cells[0].metadata.tags == [notebooks.RESET_TAG]
    assert '"reset", "-f"' in run.cells[0].source and "chdir('/work/nb/skolan')" in run.cells[0].source
    assert "environ.update({'SOURCE_DATE_EPOCH': '1773561600'})" in run.cells[0].source
    assert run.cells[1].source == "x = 1" and len(nbformat.read(source, as_version=4).cells) == 1
    run.cells[0].execution_count, run.cells[1].execution_count = 7, 8  # counted on from the last notebook
    executed = tmp_path / "out.ipynb"
    nbformat.write(run, executed)
    notebooks.tidy_executed(executed)
    tidy = nbformat.read(executed, as_version=4)
    assert [c.source for c in tidy.cells] == ["x = 1"] and tidy.cells[0].execution_count == 1


def test_committed_toc_matches_the_plan(tmp_path):
    plan = load_plan(REPO / "data" / "plan.yml")
    committed = toc.check(REPO / "_toc.yml", plan)
    assert toc.chapter_files(committed) == ["chapters/oversikt"] + [f"chapters/{s}" for s in plan.slugs] + [
        "om-rapporten",
        "tillganglighet",
    ]


def test_toc_out_of_step_with_the_plan_is_an_error(tmp_path):
    plan = load_plan(REPO / "data" / "plan.yml")
    committed = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    committed["parts"][1]["chapters"].pop(2)
    path = tmp_path / "_toc.yml"
    path.write_text(yaml.safe_dump(committed), encoding="utf-8")
    with pytest.raises(BuildError, match="missing chapters/trygghet"):
        toc.check(path, plan)


def test_subset_toc_keeps_the_overview_and_the_chosen_areas():
    committed = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    sub = toc.subset(committed, ["miljo", "skolan"])
    expected = ["chapters/oversikt", "chapters/skolan", "chapters/miljo", "om-rapporten", "tillganglighet"]
    assert toc.chapter_files(sub) == expected


def test_the_commentary_is_filled_after_execution(tiny_plan, tmp_path):
    """The build fills the commentary once the verdict is known: without a text the placeholder stays."""
    area = load_plan(tiny_plan).area("skolan")
    nb = notebooks.render_template(REPO / "notebooks" / "goal_area.ipynb", area)
    path = tmp_path / "skolan.ipynb"
    nbformat.write(nb, path)
    assert "{{ commentary }}" in path.read_text(encoding="utf-8")
    notebooks.fill_commentary(path, "## Analys\n\nEfteråt.")
    md = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    assert "{{" not in md and "## Analys\n\nEfteråt." in md
