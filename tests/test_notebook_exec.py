"""The goal-area template, executed by papermill for one goal area on a small hand-made data set."""

import json

import nbformat
import papermill as pm
import pytest

from followup import notebooks
from followup.execute import kernel_environment
from followup.plan import load_plan

from conftest import REPO

pytestmark = pytest.mark.slow


def test_template_executes_for_one_goal_area(tiny_dataset, tiny_plan, tmp_path, monkeypatch):
    for key, value in kernel_environment().items():
        monkeypatch.setenv(key, value)
    area = load_plan(tiny_plan).area("skolan")
    rendered = tmp_path / "rendered.ipynb"
    nbformat.write(notebooks.render_template(REPO / "notebooks" / "goal_area.ipynb", area), rendered)
    out_dir = tmp_path / "chapters"
    out_dir.mkdir()
    out = out_dir / "skolan.ipynb"
    pm.execute_notebook(
        str(rendered),
        str(out),
        cwd=str(out_dir),
        progress_bar=False,
        kernel_name="python3",
        parameters={
            "report_year": 2024,
            "goal_area": "skolan",
            "municipality": "2081",
            "data_dir": str(tiny_dataset),
            "plan_path": str(tiny_plan),
            "commentary_dir": str(tmp_path / "commentary"),
            "results_dir": str(tmp_path / "results"),
            "book_output": True,
        },
    )
    notebooks.tidy_executed(out)
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    md = "".join(o.get("data", {}).get("text/markdown", "") for o in outputs)
    assert 'id="T_tab-skolan-indikatorer"' in html
    assert "Testandel" in html and "51,0\u00a0% (2024)" in html
    assert md.count(":::{figure}") == 4  # a trend chart per indicator, and the cumulative target's chart
    assert 'id="T_tab-skolan-bedomning"' in html and 'id="T_tab-skolan-riktning"' in html
    assert "Bedömning 2024:" in md
    assert ":name: fig-skolan-n00001" in md and "Källa: Kolada, N00001" in md
    assert sorted(p.name for p in (out_dir / "figures" / "skolan").iterdir()) == [
        "skolan-lokal-a-sammanlagt.svg",
        "skolan-lokal-a.svg",
        "skolan-n00001.svg",
        "skolan-n00002.svg",
    ]
    recorded = json.loads((tmp_path / "results" / "skolan.json").read_text(encoding="utf-8"))
    assert recorded["goal_area"]["slug"] == "skolan" and len(recorded["indicators"]) == 3
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "remove-cell" in injected[0].metadata.tags
