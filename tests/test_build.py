"""End-to-end: run_all.py builds the website from a copy of the project with the example data."""

import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from followup.build import build
from followup.plan import load_plan

from conftest import REPO, log_lines, make_project, tree_hash

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def built(tmp_path_factory, example_dataset):
    """One full build, shared by the tests that only read it."""
    project = make_project(tmp_path_factory.mktemp("project"), example_dataset)
    with log_lines() as lines:
        build(project)
    return project, lines


def page(project: Path, name: str) -> str:
    return (project / "_build" / "html" / f"{name}.html").read_text(encoding="utf-8")


def test_website_has_start_page_overview_and_ten_chapters(built):
    project, lines = built
    plan = load_plan(project / "data" / "plan.yml")
    assert len(plan.slugs) == 10
    index = page(project, "index")
    assert "Uppföljning 2025 av Borlänge kommuns strategiska plan" in index
    assert "2023–2026" in index and "exempeldata" in index.lower()
    overview = page(project, "chapters/oversikt")
    assert 'id="T_tab-oversikt"' in overview
    for area in plan.goal_areas:
        html = page(project, f"chapters/{area.slug}")
        assert f'id="{area.slug}"' in html and f'id="{area.slug}-indikatorer"' in html
        assert area.goal.split(",")[0] in html
        assert f'id="T_tab-{area.slug}-indikatorer"' in html
        figures = re.findall(r'<figure[^>]*id="(fig-[^"]+)"', html)
        expected = []
        for ind in area.indicators:
            expected.append(f"fig-{area.slug}-{ind.id.lower()}")
            if ind.target.rule == "cumulative":
                expected.append(f"fig-{area.slug}-{ind.id.lower()}-sammanlagt")
        assert figures == expected
        assert html.count('<img alt="Linjediagram:') == len(area.indicators)
        assert html.count('<img alt="') == len(expected)
        assert html.count("Källa: Kolada") + html.count("lokal uppgift") >= len(area.indicators)
        for ind in area.indicators:
            assert ind.short_title in html
            assert (project / "_build" / "html" / "_images" / f"{area.slug}-{ind.id.lower()}.svg").exists()
    assert any("finished" in line for line in lines)


def test_no_code_or_parameters_are_shown(built):
    project, _ = built
    for path in (project / "_build" / "html" / "chapters").glob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert "cell_input" not in html, path.name
        assert "report_year" not in html and "Parameters" not in html, path.name


def test_example_data_is_marked_on_every_page_and_figure(built):
    project, _ = built
    pages = [project / "_build" / "html" / "index.html", *(project / "_build" / "html" / "chapters").glob("*.html")]
    assert len(pages) == 12
    for path in pages:
        html = path.read_text(encoding="utf-8")
        assert 'bd-header-announcement__content">Exempeldata – inte officiell statistik.' in html, path
        captions = re.findall(r"<figcaption>(.*?)</figcaption>", html, flags=re.S)
        assert html.count("<figure") == len(captions), path
        assert all("Exempeldata – inte officiell statistik." in c for c in captions), path


def test_no_absolute_paths_in_the_website(built):
    project, _ = built
    for path in (project / "_build" / "html").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".svg", ".js"):
            assert str(project) not in path.read_text(encoding="utf-8", errors="replace"), path


def run_cli(*args):
    return subprocess.run([sys.executable, str(REPO / "run_all.py"), *args], capture_output=True, text=True)


def test_subset_and_year(tmp_path, example_dataset):
    project = make_project(tmp_path / "p", example_dataset)
    result = run_cli("build", "--project", str(project), "--year", "2024", "--areas", "miljo")
    assert result.returncode == 0, result.stderr
    chapters = sorted(p.name for p in (project / "_build" / "html" / "chapters").glob("*.html"))
    assert chapters == ["miljo.html", "oversikt.html"]
    assert "Uppföljning 2024" in page(project, "index")
    miljo = page(project, "chapters/miljo")
    assert "Bedömning 2024:" in miljo and "år 2025" not in miljo  # judged on 2024, nothing later shown
    overview = page(project, "chapters/oversikt")
    assert "Delvis uppfyllt (justerad)" not in overview  # no commentary for 2024: no override
    assert "Översikten omfattar 1 av 10 målområden: Miljö." in overview  # a subset's overview covers it alone
    assert "Skolan" not in (project / "_build" / "tables" / "tab-oversikt.csv").read_text(encoding="utf-8")
    results = (project / "_build" / "results" / "resultat-2024.csv").read_text(encoding="utf-8")
    assert all(line.startswith(("goal_area,", "miljo,")) for line in results.splitlines())


def test_failing_notebook_stops_the_run_and_keeps_the_last_build(tmp_path, example_dataset):
    project = make_project(tmp_path / "p", example_dataset)
    assert run_cli("build", "--project", str(project), "--areas", "skolan").returncode == 0
    before = tree_hash(project / "_build")
    import nbformat

    template = project / "notebooks" / "goal_area.ipynb"
    nb = nbformat.read(template, as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell('if goal_area == "trygghet":\n    raise ValueError("trasig cell för test")')
    )
    nbformat.write(nb, template)
    result = run_cli("build", "--project", str(project), "--areas", "skolan,trygghet")
    assert result.returncode == 1
    assert "goal area trygghet: cell" in result.stderr and "trasig cell för test" in result.stderr
    assert "_build/ is unchanged" in result.stdout + result.stderr
    assert tree_hash(project / "_build") == before
    kept = re.search(r"executed notebook kept for inspection: (\S+)", result.stderr).group(1)
    assert kept.startswith(".staging/run-")  # shown relative to the project
    assert "trasig cell" in (project / kept).read_text(encoding="utf-8")
    assert (project / kept).parents[2].joinpath("FAILED").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--areas", "skola"], "unknown goal area skola"),
        (["--year", "2031"], "--year 2031: the data"),
    ],
)
def test_bad_arguments_are_named(tmp_path, example_dataset, args, message):
    project = make_project(tmp_path / "p", example_dataset)
    result = run_cli("build", "--project", str(project), *args)
    assert result.returncode == 1 and message in result.stderr
    assert not (project / "_build").exists()


def test_bad_plan_stops_before_any_work(tmp_path, example_dataset):
    project = make_project(tmp_path / "p", example_dataset)
    plan = project / "data" / "plan.yml"
    plan.write_text(plan.read_text(encoding="utf-8").replace("id: N15428", "id: N15429"), encoding="utf-8")
    result = run_cli("build", "--project", str(project))
    assert result.returncode == 1
    assert "plan.yml: goal_areas[0] (skolan).indicators[0] (N15429): KPI N15429 has no entry" in result.stderr


def test_help():
    result = run_cli("--help")
    assert result.returncode == 0 and "build" in result.stdout and "--year" in run_cli("build", "--help").stdout


def test_pdf(built):
    from pypdf import PdfReader

    from followup.pdf import bookmark_titles

    project, _ = built
    path = project / "_build" / "pdf" / "arsuppfoljning-2025.pdf"
    reader = PdfReader(str(path))
    n = len(reader.pages)
    assert 12 <= n <= 120  # start page, overview, ten chapters, each at least a page
    for pdf_page in reader.pages:
        width, height = float(pdf_page.mediabox.width), float(pdf_page.mediabox.height)
        assert abs(width - 595) < 2 and abs(height - 842) < 2  # A4 in points
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "sv" and root["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in root
    assert reader.metadata.title == "Uppföljning 2025 av Borlänge kommuns strategiska plan"
    text = [unicodedata.normalize("NFKC", p.extract_text()) for p in reader.pages]  # ligatures
    # the cover (page 1) has no running header or page number; the contents page follows it
    assert "Sida " not in text[0] and "Utkast" in text[0] and "Exempeldata – inte officiell statistik" in text[0]
    assert "Innehåll" in text[1] and "Sida 2 av " + str(n) in text[1] and f"Sida {n} av {n}" in text[-1]
    assert all("Exempeldata – inte officiell statistik" in t for t in text[1:])  # the running header
    plan = load_plan(project / "data" / "plan.yml")
    titles = bookmark_titles(path)
    for area in plan.goal_areas:
        assert area.title in titles
        # the chapter starts a page: running header, page number, then the chapter's title and "Mål"
        assert any(t.splitlines()[2:4] == [area.title, "Mål"] for t in text), area.title
    assert not [t for t in titles if len(t) % 2 == 0 and t[: len(t) // 2] == t[len(t) // 2 :]]
    assert 20_000 < path.stat().st_size < 20_000_000
    links = [a.get_object().get("/A", {}) for p in reader.pages for a in p.get("/Annots") or []]
    assert not [str(a["/URI"]) for a in links if "/URI" in a]  # no file:// (or any outside) links
    # the website offers the same PDF
    downloads = list((project / "_build" / "html" / "_downloads").rglob("arsuppfoljning-2025.pdf"))
    assert len(downloads) == 1 and downloads[0].read_bytes() == path.read_bytes()
    index = page(project, "index")
    assert 'href="_downloads/' in index and "arsuppfoljning-2025.pdf</span></a>" in index


def test_nothing_is_loaded_from_another_host(built):
    project, _ = built
    loads = re.compile(r"<(?:script|img|link|iframe|source|video|audio)\b[^>]*\b(?:src|href)=\"(?!#)([^\"]+)\"")
    for path in (project / "_build" / "html").rglob("*.html"):
        for url in loads.findall(path.read_text(encoding="utf-8")):
            assert not re.match(r"^(?:[a-z]+:)?//", url), f"{path.name} loads {url}"
    for path in (project / "_build" / "html").glob("**/*.html"):
        if "_static" not in path.parts:  # the theme's own vendored files carry licence URLs in comments
            assert not re.search(r"https?://", path.read_text(encoding="utf-8")), f"{path.name} names another host"
    for path in (project / "_build" / "html" / "_static").rglob("*.css"):
        assert not re.search(r"@import\s+url\(\s*['\"]?https?:", path.read_text(encoding="utf-8")), path


def test_chapters_show_verdicts_with_rules_directions_and_commentary(built):
    from followup.assessment import VERDICTS, label

    project, lines = built
    plan = load_plan(project / "data" / "plan.yml")
    for area in plan.goal_areas:
        html = page(project, f"chapters/{area.slug}")
        assert f'id="{area.slug}-bedomning"' in html and "Bedömning 2025:" in html
        assert f'id="T_tab-{area.slug}-bedomning"' in html and f'id="T_tab-{area.slug}-riktning"' in html
        assert "Regel: uppfyllt när minst 75" in html
        assert html.count("(exempelmål)") + html.count("(mål i strategiska planen)") >= 1
        assert f'id="{area.slug}-analys"' in html  # commentary or its placeholder, with a slug anchor
    skolan = page(project, "chapters/skolan")
    assert "Exempeltext: behörigheten till yrkesprogram" in skolan and 'id="skolan-atgarder"' in skolan
    assert "Åtgärder saknas" in page(project, "chapters/vard-och-omsorg")
    assert any("warning: vard-och-omsorg is judged 'ej uppfyllt'" in line for line in lines)
    segregation = page(project, "chapters/segregation")
    assert "Beräknad bedömning: ✘ Ej uppfyllt" in segregation and "Motivering: Exempeltext" in segregation
    assert "Bedömning 2025: ◐ Delvis uppfyllt" in segregation
    overview = page(project, "chapters/oversikt")
    assert 'id="T_tab-oversikt-malomraden"' in overview and 'id="T_tab-oversikt-matris"' in overview
    assert all(label(v) in overview for v in VERDICTS)
    assert "Delvis uppfyllt (justerad)" in overview
    boende = page(project, "chapters/boende")
    assert 'id="fig-boende-bostader-fardigstallda-sammanlagt"' in boende
    # 2025 is before the plan period's last year: the cumulative target is judged on its pace
    assert "i fas mot 1\u00a0500 år 2026 hade krävt 1\u00a0125 till och med 2025" in boende
    assert "publiceras vartannat år" in boende and "Plats bland alla kommuner" in boende  # N07923; ranks
    assert "Uppgifter saknas" not in page(project, "index")  # every local value was delivered
    trygghet = page(project, "chapters/trygghet")
    assert "Tidsseriebrott 2021" in trygghet  # the declared break is shown under its chart
