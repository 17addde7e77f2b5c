"""End-to-end: the shipped example report's PDF, measured (followup.pdf.measure) against the print layout's
rules of issue #13, its contents page and its tags. One build of the example report."""

import re
import unicodedata
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from followup import pdf
from followup.book import PAGE_MARGINS_MM
from followup.build import build

from conftest import make_project

pytestmark = pytest.mark.slow

PDF = Path("_build") / "pdf" / "arsuppfoljning-2025.pdf"


@pytest.fixture(scope="module")
def report(tmp_path_factory, example_dataset):
    project = make_project(tmp_path_factory.mktemp("project"), example_dataset)
    build(project, quiet=True)
    path = project / PDF
    return project, path, pdf.measure(path, PAGE_MARGINS_MM)


def page_texts(path: Path) -> list[str]:
    return [unicodedata.normalize("NFKC", p.extract_text()) for p in PdfReader(str(path)).pages]


def test_page_fill(report):
    _, _, layout = report
    fills = " ".join(f"{p.number}:{p.fill:.0%}" for p in layout.pages)
    print(f"\n{len(layout.pages)} pages, median fill {layout.median_fill:.0%}; {fills}")
    assert layout.median_fill >= 0.75, fills
    assert layout.sparse_pages() == [], fills  # no page under half full but a chapter's last


def test_nothing_drawn_outside_the_content_box(report):
    _, _, layout = report
    assert {p.number: p.outside for p in layout.pages if p.outside} == {}


def test_no_heading_alone_at_a_page_foot(report):
    _, _, layout = report
    assert len(layout.headings) > 50  # the chapters' headings are bookmarked, so measured
    assert [(h.title, h.page) for h in layout.headings if h.alone] == []


def test_every_table_cell_is_in_the_pdf(report):
    project, _, layout = report
    # (the charts' numbers, tables/fig-*.csv, are shown on the website only, collapsed under each chart: the
    # PDF has the chart itself and the downloads have its numbers)
    tables = sorted(t for t in (project / "_build" / "tables").glob("*.csv") if not t.name.startswith("fig-"))
    assert len(tables) >= 30
    missing = {t.name: layout.missing_cells(pdf.table_rows(t)) for t in tables}
    assert {name: cells for name, cells in missing.items() if cells} == {}


def test_contents_page_lists_each_chapter_with_its_page(report):
    _, path, layout = report
    texts = page_texts(path)
    front = layout.front_pages()  # the cover (when there is one) and the contents
    lines = texts[front - 1].splitlines()
    assert front >= 1 and pdf.CONTENTS_TITLE in lines[:4]  # after the running header and page number
    entries = "\n".join(lines[lines.index(pdf.CONTENTS_TITLE) + 1 :])
    listed = [(title, int(n)) for title, n in re.findall(r"^(\S.*?) ?(\d+)$", entries, re.M)]
    # the start page's sections, the overview, the ten goal areas and the appendix, each where its heading is
    marks = [(h.title, h.page) for h in layout.headings if h.level == 1 and h.title != pdf.CONTENTS_TITLE]
    assert listed == marks
    assert len(listed) >= 12 and {"Översikt", "Skolan", "Om rapporten"} <= {t for t, _ in listed}
    assert all(page > front and title in texts[page - 1] for title, page in listed)


def test_pdf_tags_and_catalog(report):
    _, path, _ = report
    with pikepdf.open(path) as doc:
        root = doc.Root
        assert root.PageMode == "/UseOutlines"
        assert root.ViewerPreferences.DisplayDocTitle is True
        assert str(root.Lang) == "sv" and root.MarkInfo.Marked is True
        tree = root.StructTreeRoot
        elements = list(pdf._elements(tree))
        figures = [e for e in elements if e.S == "/Figure"]
        assert len(figures) >= 40  # every chart
        assert [f for f in figures if not str(f.get("/Alt", "")).strip()] == []
        role_map = {str(k) for k in (tree.get("/RoleMap") or {}).keys()}
        odd = {str(e.S) for e in elements} - {f"/{t}" for t in pdf.STANDARD_TYPES} - role_map
        assert odd == set()


def test_cover_is_a_page_of_its_own(report):
    project, path, layout = report
    assert 'class="report-cover only-print"' in (project / "_build" / "html" / "index.html").read_text(encoding="utf-8")
    texts = page_texts(path)
    header = "Uppföljning 2025 av Borlänge kommuns strategiska plan · Exempeldata – inte officiell statistik"
    assert header in texts[1] and header not in texts[0] and "Sida" not in texts[0]  # no running header, no number
    assert "2025" in texts[0] and "Borlänge" in texts[0]
    assert f"Sida 2 av {len(texts)}" in texts[1] and layout.front_pages() == 2  # the contents follow it
