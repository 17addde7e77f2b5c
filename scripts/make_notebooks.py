"""Write the two notebook templates (notebooks/*.ipynb) from this file, clean (no outputs).

The templates are committed; this script is how they were made and is the easy way to change them:
    .venv/bin/python scripts/make_notebooks.py
Code cells are one-line calls into the package `followup`; every code cell is hidden from the reader.
"""
from pathlib import Path

import nbformat as nbf

ROOT = Path(__file__).resolve().parent.parent
HIDE_CELL = {"tags": ["remove-cell"]}
HIDE_INPUT = {"tags": ["remove-input"]}
KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
          "language_info": {"name": "python"}}


def code(source, meta):
    return nbf.v4.new_code_cell(source, metadata=meta)


def parameters(extra=""):
    return code(
        "# Parameters (papermill replaces them; see run_all.py)\n"
        "report_year = 2025\n"
        + extra +
        'municipality = "2081"\n'
        'data_dir = "../data/example"\n'
        'plan_path = "../data/plan.yml"\n'
        'commentary_dir = "../book/commentary"\n',
        {"tags": ["parameters", "remove-cell"]})


def goal_area():
    nb = nbf.v4.new_notebook(metadata=KERNEL)
    nb.cells = [
        parameters('goal_area = "skolan"\n'),
        code("from followup import chapter\n\n"
             "ctx = chapter.Context.load(plan_path, data_dir, report_year, municipality, commentary_dir)",
             HIDE_CELL),
        nbf.v4.new_markdown_cell(
            "({{ slug }})=\n# {{ title }}\n\n"
            "({{ slug }}-mal)=\n## Mål\n\n{{ goal }}\n\n"
            "({{ slug }}-fokus)=\n### Fokus för att uppnå målsättningen\n\n{{ focus }}"),
        nbf.v4.new_markdown_cell("({{ slug }}-bedomning)=\n## Bedömning"),
        code("chapter.show_assessment(ctx, goal_area)", HIDE_INPUT),
        nbf.v4.new_markdown_cell("({{ slug }}-indikatorer)=\n## Indikatorer och jämförelse"),
        code("chapter.show_indicator_table(ctx, goal_area)", HIDE_INPUT),
        nbf.v4.new_markdown_cell("({{ slug }}-riktning)=\n## Utvecklingsriktning"),
        code("chapter.show_directions(ctx, goal_area)", HIDE_INPUT),
        nbf.v4.new_markdown_cell("({{ slug }}-kon)=\n## Kvinnor och män"),
        code("chapter.show_gender(ctx, goal_area)", HIDE_INPUT),
        nbf.v4.new_markdown_cell("({{ slug }}-utveckling)=\n## Utveckling över tid"),
        code("chapter.show_trends(ctx, goal_area)", HIDE_INPUT),
        nbf.v4.new_markdown_cell("{{ commentary }}"),
        nbf.v4.new_markdown_cell("({{ slug }}-om-indikatorerna)=\n## Om indikatorerna"),
        code("chapter.show_definitions(ctx, goal_area)", HIDE_INPUT),
    ]
    return nb


def overview():
    nb = nbf.v4.new_notebook(metadata=KERNEL)
    nb.cells = [
        parameters(),
        code("from followup import chapter\n\n"
             "ctx = chapter.Context.load(plan_path, data_dir, report_year, municipality, commentary_dir)",
             HIDE_CELL),
        nbf.v4.new_markdown_cell(
            "(oversikt)=\n# Översikt\n\n"
            "Först målområdenas bedömning och indikatorernas bedömning per målområde, sedan alla indikatorer "
            "med det senaste värdet, förändringen mot föregående värde och rikets värde samma år. Varje "
            "målområde har ett eget kapitel med regler, underlag och detaljer."),
        code("chapter.show_overview(ctx)", HIDE_INPUT),
        nbf.v4.new_markdown_cell("(oversikt-andringar)=\n## Ändringar sedan förra hämtningen"),
        code("chapter.show_changes(ctx)", HIDE_INPUT),
    ]
    return nb


if __name__ == "__main__":
    for name, make in (("goal_area", goal_area), ("overview", overview)):
        nb = make()
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"{name.replace('_', '-')}-{i}"
        nbf.validate(nb)
        nbf.write(nb, ROOT / "notebooks" / f"{name}.ipynb")
        print(f"wrote notebooks/{name}.ipynb")
