"""Unit tests of followup.pdf: the bookmark repairs and the measurement of the printed layout, on small PDFs
written here (no browser)."""

from itertools import accumulate
from pathlib import Path

import pikepdf
import pytest

from followup.pdf import Heading, Layout, PageLayout, measure, repaired_title

MARGINS = (20, 17, 18, 17)  # mm: the content box is x 48.2..546.8, y 51.0..785.2 on A4 (595 x 842 pt)


def write_pdf(path: Path, pages: list[list[tuple[float, float, str]]], rects=(), outline=()) -> Path:
    """An A4 PDF: per page, text runs (x, y, text) in Helvetica 12 pt; rects (page, x, y, w, h) filled;
    outline entries (title, page, y)."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    for number, runs in enumerate(pages):
        ops = [f"BT /F1 12 Tf {x} {y} Td ({text}) Tj ET" for x, y, text in runs]
        ops += [f"{x} {y} {w} {h} re f" for p, x, y, w, h in rects if p == number]
        page = pdf.add_blank_page(page_size=(595, 842))
        page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        page.Contents = pdf.make_stream("\n".join(ops).encode("latin-1"))
    with pdf.open_outline() as out:
        for title, page, y in outline:
            out.root.append(pikepdf.OutlineItem(title, page, "XYZ", top=y, left=50))
    pdf.save(path)
    return path


def test_repaired_title():
    known = {"Borlängekommuns": "Borlänge kommuns"}
    assert repaired_title("IndikatorerIndikatorer", {}) == "Indikatorer"
    assert repaired_title("Borlängekommuns", known) == "Borlänge kommuns"
    assert repaired_title("Mål", known) == "Mål"


def test_measure_fill_outside_and_text(tmp_path):
    path = write_pdf(
        tmp_path / "a.pdf",
        [
            [(300, 820, "Header"), (60, 770, "Chapter"), (60, 740, "Body text")],
            [(60, 770, "More text"), (60, 30, "Sida 2")],
        ],
        rects=[(0, 60, 400, 100, 20), (1, 500, 600, 80, 10)],  # page 2: runs over the right edge (546.8)
        outline=[("Chapter", 0, 782)],
    )
    layout = measure(path, MARGINS)
    assert [p.number for p in layout.pages] == [1, 2]
    content = 785.2 - 51.0
    assert layout.pages[0].fill == pytest.approx((785.2 - 400) / content, abs=0.01)
    assert layout.pages[1].fill == pytest.approx((785.2 - 600) / content, abs=0.01)  # "Sida 2" is no body
    assert layout.pages[0].outside == [] and len(layout.pages[1].outside) == 1
    assert "Header" not in layout.text and "ChapterBodytextMoretext" in layout.text
    assert layout.headings == [Heading("Chapter", 0, 1, pytest.approx(3.2, abs=0.5), False)]


def test_heading_alone_at_the_foot(tmp_path):
    path = write_pdf(
        tmp_path / "b.pdf",
        [[(60, 770, "Text"), (60, 120, "Lonely heading")], [(60, 770, "Its section")]],
        outline=[("Lonely heading", 0, 132), ("Text", 0, 782)],
    )
    alone = {h.title: h.alone for h in measure(path, MARGINS).headings}
    assert alone == {"Lonely heading": True, "Text": False}


def layout(fills, headings=(), text="", page_ends=()):
    pages = [PageLayout(i + 1, f, []) for i, f in enumerate(fills)]
    return Layout(pages, [Heading(t, lvl, p, off, False) for t, lvl, p, off in headings], text, list(page_ends))


def test_sparse_pages_except_a_chapters_last():
    lay = layout([0.9, 0.3, 0.95, 0.2, 0.4, 0.3], [("A", 1, 1, 0), ("B", 1, 3, 5), ("B.1", 2, 4, 0), ("c", 1, 5, 400)])
    assert lay.chapter_last_pages() == {2, 6}  # a top-level heading low on page 5 starts no chapter
    assert lay.sparse_pages() == [4, 5]
    assert lay.median_fill == pytest.approx(0.35)


def test_missing_cells():
    rows = [["Område", "Värde"], ["Skolan", "85,8 %"], ["Miljö", "−1,2"]]
    whole = layout([1], text="IntroOmrådeVärdeSkolan85,8%Miljö−1,2Slut")
    assert whole.missing_cells(rows) == []
    clipped = layout([1], text="OmrådeVärdeSkolan85,8'Miljö−1,2")  # "85,8 %" cut to "85,8 '"
    assert clipped.missing_cells(rows) == ["85,8 %"]

    # a cell may follow on the next page, not later
    def paged(*pages):
        return layout([1] * len(pages), text="".join(pages), page_ends=list(accumulate(map(len, pages))))

    assert paged("OmrådeVärdeSkolan", "xx", "85,8%Miljö−1,2").missing_cells(rows) == ["85,8 %", "Miljö", "−1,2"]
    assert paged("OmrådeVärdeSkolan", "xx85,8%", "Miljö−1,2").missing_cells(rows) == []
    assert layout([1], text="Skolan").missing_cells(rows) == ["Område … (the header row is not in the PDF)"]
