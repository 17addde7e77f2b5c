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
KERNEL = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
}


def code(source, meta):
    return nbf.v4.new_code_cell(source, metadata=meta)


def parameters(extra=""):
    return code(
        "# Parameters: a build replaces them (see followup.steps); these defaults run the notebook by hand\n"
        "# from notebooks/ with the data set a build would use.\n"
        "report_year = None  # None: the latest year with a value in the data\n"
        + extra
        + "municipality = None  # None: the plan's municipality\n"
        'data_dir = "../data"  # the real snapshot (data/kolada/) when there is one, else data/example/\n'
        'plan_path = "../data/plan.yml"\n'
        'commentary_dir = "../book/commentary"\n'
        "results_dir = None  # None: see below\n"
        "book_output = False  # True in a build: charts as the book's figures, files beside the notebook\n",
        {"tags": ["parameters", "remove-cell"]},
    )


LOAD = (
    "from followup import chapter\n\nctx = chapter.load(plan_path, data_dir, report_year, municipality, "
    "commentary_dir, results_dir, book_output)\n"
)


def goal_area():
    nb = nbf.v4.new_notebook(metadata=KERNEL)
    nb.cells = [
        parameters('goal_area = "skolan"\n'),
        code(
            LOAD + "# The goal area's results, computed once and recorded as its results document in results_dir\n"
            "# (None: a folder outside the repository, followup.results.default_dir).\n"
            "doc = chapter.analyse(ctx, goal_area)",
            HIDE_CELL,
        ),
        nbf.v4.new_markdown_cell(
            "({{ slug }})=\n# {{ title }}\n\n"
            "({{ slug }}-mal)=\n## Mål\n\n{{ goal }}\n\n"
            "({{ slug }}-fokus)=\n### Fokus för att uppnå målsättningen\n\n{{ focus }}"
        ),
        nbf.v4.new_markdown_cell("({{ slug }}-bedomning)=\n## Bedömning"),
        code("chapter.show_assessment(ctx, doc)", HIDE_INPUT),
        nbf.v4.new_markdown_cell("({{ slug }}-indikatorer)=\n## Indikatorer och jämförelse"),
        code("chapter.show_indicator_table(ctx, doc)", HIDE_INPUT),
        nbf.v4.new_markdown_cell("({{ slug }}-riktning)=\n## Utvecklingsriktning"),
        code("chapter.show_directions(ctx, doc)", HIDE_INPUT),
        nbf.v4.new_markdown_cell("({{ slug }}-kon)=\n## Kvinnor och män"),
        code("chapter.show_gender(ctx, doc)", HIDE_INPUT),
        nbf.v4.new_markdown_cell("({{ slug }}-utveckling)=\n## Utveckling över tid"),
        code("chapter.show_trends(ctx, doc)", HIDE_INPUT),
        nbf.v4.new_markdown_cell("{{ commentary }}"),
        code("chapter.show_missing_actions(ctx, doc)", HIDE_INPUT),
        nbf.v4.new_markdown_cell("({{ slug }}-om-indikatorerna)=\n## Om indikatorerna"),
        code("chapter.show_definitions(ctx, goal_area)", HIDE_INPUT),
    ]
    return nb


def overview():
    nb = nbf.v4.new_notebook(metadata=KERNEL)
    nb.cells = [
        parameters(),
        code(
            LOAD + "# The goal areas' recorded results: from results_dir, or (None) the newest recorded, which\n"
            "# are the last build's or those of the goal-area notebooks run by hand.\n"
            "docs = chapter.recorded_results(ctx)",
            HIDE_CELL,
        ),
        nbf.v4.new_markdown_cell(
            "(oversikt)=\n# Översikt\n\n"
            "Först målområdenas bedömning och indikatorernas bedömning per målområde, sedan alla indikatorer "
            "med det senaste värdet, förändringen mot föregående värde och rikets värde samma år. Varje "
            "målområde har ett eget kapitel med regler, underlag och detaljer."
        ),
        code("chapter.show_overview(ctx, docs)", HIDE_INPUT),
        nbf.v4.new_markdown_cell("(oversikt-andringar)=\n## Ändringar sedan förra hämtningen"),
        code("chapter.show_changes(ctx)", HIDE_INPUT),
    ]
    return nb


def templates() -> dict:
    """The two templates as notebooks, with fixed cell ids (what the committed files must be)."""
    out = {}
    for name, make in (("goal_area", goal_area), ("overview", overview)):
        nb = make()
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"{name.replace('_', '-')}-{i}"
        nbf.validate(nb)
        out[name] = nb
    return out


if __name__ == "__main__":
    for name, nb in templates().items():
        nbf.write(nb, ROOT / "notebooks" / f"{name}.ipynb")
        print(f"wrote notebooks/{name}.ipynb")
