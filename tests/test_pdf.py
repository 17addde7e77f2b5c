"""Unit tests of followup.pdf: the bookmark repairs and the measurement of the printed layout, on small PDFs
written here (no browser)."""

import re
from itertools import accumulate
from pathlib import Path

import pikepdf
import pytest

from followup.errors import BuildError
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


PAGE = """<!DOCTYPE html><html lang="sv"><head><title>T</title></head><body>{cover}<article class="bd-article">
<section id="rapport"><h1>Rapport</h1><p>Text, <a href="index.html#skolan-mal">målet</a>,
<a href="other.html#x">x</a>.</p>
<section id="data"><h2>Data<a class="headerlink" href="#data">#</a></h2><p>Om data &amp; mer.</p></section>
<div class="only-screen"><section id="skarm"><h2>Bara på skärmen</h2></section></div>
<section id="skolan"><h2>Skolan &amp; förskolan</h2><section id="skolan-mal"><h3>Mål</h3></section></section>
</section></article></body></html>"""
COVER = '<div class="report-cover only-print"><p>Uppföljning 2025</p></div>'


def test_contents_entries_and_page():
    from followup.pdf import contents_entries, contents_html, with_contents

    entries = contents_entries(PAGE.format(cover=""))
    assert entries == [("data", "Data"), ("skolan", "Skolan & förskolan")]
    block = contents_html(entries, [3, 5])
    assert '<a href="#skolan"><span class="report-contents-entry">Skolan &amp; förskolan</span>' in block
    assert '<span class="report-contents-page">5</span>' in block
    assert '<span class="report-contents-page"></span>' in contents_html(entries, None)
    # after the cover when there is one, else first in the article
    with_cover = with_contents(PAGE.format(cover=COVER), block)
    assert with_cover.index("report-cover") < with_cover.index("report-contents") < with_cover.index("<article")
    without = with_contents(PAGE.format(cover=""), block)
    assert without.index("<article") < without.index("report-contents") < without.index('id="rapport"')
    assert without.startswith("<!DOCTYPE html>") and "Om data &amp; mer." in without
    # a link to the page itself by its file name stays inside the printed page (printed under another name)
    assert '<a href="#skolan-mal">målet</a>' in without and '<a href="other.html#x">' in without


def test_contents_page_numbers_from_the_bookmarks(tmp_path):
    from followup.pdf import entry_pages

    pdf = pikepdf.new()
    for _ in range(4):
        pdf.add_blank_page(page_size=(595, 842))
    with pdf.open_outline() as out:
        top = pikepdf.OutlineItem("Rapport", 0)
        # level 1: the contents page's own heading is skipped; a doubled title still counts
        top.children += [pikepdf.OutlineItem(t, p) for t, p in [("Innehåll", 1), ("Data", 2), ("Skolan Skolan", 3)]]
        out.root.append(top)
    pdf.save(tmp_path / "c.pdf")
    assert entry_pages(tmp_path / "c.pdf", [("data", "Data"), ("skolan", "Skolan")]) == [3, 4]
    with pytest.raises(BuildError, match="no bookmark for the contents entry 'Miljö'"):
        entry_pages(tmp_path / "c.pdf", [("data", "Data"), ("miljo", "Miljö")])


def test_front_pages_are_not_sparse():
    lay = layout([0.2, 0.1, 0.3, 0.9], [("Innehåll", 1, 2, 0), ("Skolan", 1, 3, 0)])
    assert lay.front_pages() == 2 and lay.sparse_pages() == [3]


def test_print_with_contents_uses_a_right_guess_once(tmp_path):
    """One print when the guessed numbers are right, two when not (without a browser: the "print" writes
    a PDF whose bookmarks put Data on page 3 and Skolan on page 5)."""
    from followup import pdf as pdf_module

    prints = []

    def fake_print(page, out):
        html = page.read_text(encoding="utf-8")
        prints.append("".join(re.findall(r'report-contents-page">(\d*)<', html)))
        doc = pikepdf.new()
        for _ in range(5):
            doc.add_blank_page(page_size=(595, 842))
        with doc.open_outline() as outline:
            outline.root.extend([pikepdf.OutlineItem("Data", 2), pikepdf.OutlineItem("Skolan & förskolan", 4)])
        doc.save(out)

    page = tmp_path / "index.html"
    page.write_text(PAGE.format(cover=COVER), encoding="utf-8")
    out = tmp_path / "out.pdf"
    assert pdf_module.print_with_contents(page, out, fake_print, [3, 5]) == [3, 5] and prints == ["35"]
    prints.clear()
    assert pdf_module.print_with_contents(page, out, fake_print, [3, 4]) == [3, 5] and prints == ["34", "35"]
    prints.clear()
    assert pdf_module.print_with_contents(page, out, fake_print) == [3, 5] and prints == ["", "35"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html", "out.pdf"]  # the draft is removed


def tagged_pdf(path: Path, *kids) -> Path:
    """A one-page PDF whose structure tree is Document > kids; a kid is (type, alt or None, [kids])."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))

    def elem(kind, alt, children, parent):
        e = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name("/" + kind), P=parent))
        if alt is not None:
            e.Alt = pikepdf.String(alt)
        e.Pg = pdf.pages[0].obj
        e.K = pikepdf.Array([elem(*c, e) for c in children])
        return e

    root = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot))
    root.K = elem("Document", None, list(kids), root)
    pdf.Root.StructTreeRoot = root
    pdf.Root.Lang = pikepdf.String("en")
    pdf.save(path)
    return path


def test_finish_completes_the_tags_and_the_catalog(tmp_path):
    from followup.pdf import STANDARD_TYPES, _elements, finish

    chart = ("Figure", None, [("Figure", "Linjediagram: Skolan", []), ("Caption", None, [("P", None, [])])])
    path = tagged_pdf(tmp_path / "t.pdf", chart, ("P", None, [("Strong", None, [])]), ("Figure", "Karta", []))
    finish(path, [], {"Title": "Rapport"}, epoch=0)
    with pikepdf.open(path) as doc:
        tree = doc.Root.StructTreeRoot
        kinds = [str(e.S) for e in _elements(tree)]
        assert kinds == ["/Document", "/Div", "/Figure", "/Caption", "/P", "/P", "/Strong", "/Figure"]
        figures = [e for e in _elements(tree) if e.S == "/Figure"]
        assert [str(f.Alt) for f in figures] == ["Linjediagram: Skolan", "Karta"]
        role_map = {str(k): str(v) for k, v in tree.RoleMap.items()}
        assert role_map == {"/Strong": "/Span"}
        assert all(k[1:] in STANDARD_TYPES or k in role_map for k in kinds)
        assert doc.Root.PageMode == "/UseOutlines" and doc.Root.ViewerPreferences.DisplayDocTitle is True
        assert str(doc.Root.Lang) == "sv" and str(doc.docinfo.Title) == "Rapport"


def test_finish_refuses_a_figure_without_text_and_an_unknown_type(tmp_path):
    from followup.pdf import finish

    bare = tagged_pdf(tmp_path / "a.pdf", ("Figure", None, [("Caption", None, [])]))
    with pytest.raises(BuildError, match="a figure on page 1 of the PDF has no alternative text"):
        finish(bare, [], {})
    odd = tagged_pdf(tmp_path / "b.pdf", ("Blink", None, []))
    with pytest.raises(BuildError, match="structure type /Blink, which is not standard and has no role map"):
        finish(odd, [], {})


def test_print_css_template_is_filled():
    from types import SimpleNamespace

    from followup.book import PAGE_MARGINS_MM, print_css

    from conftest import REPO

    inputs = SimpleNamespace(
        year=2025, plan=SimpleNamespace(title='Plan "B"'), data=SimpleNamespace(is_example=True), slugs=["skolan"]
    )
    css = print_css(inputs, REPO / "book" / "_static" / "print.css")
    top, right, bottom, left = PAGE_MARGINS_MM
    assert f"margin: {top}mm {right}mm {bottom}mm {left}mm;" in css
    assert f"calc({297 - top - bottom}mm - 1mm)" in css  # the cover fills the A4 page's content box
    assert 'content: "Uppföljning 2025 av Plan \\"B\\" · Exempeldata – inte officiell statistik"' in css
    assert "section#oversikt:has(> h2), section#skolan:has(> h2) { break-before: page; }" in css
    rules = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    assert 'section[id$="-om-indikatorerna"]' in rules and not re.search(r"\$[a-z_{$]", rules)  # none left


PRINTABLE = """<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>Prov</title>
<style>@page {{ size: A4; margin: 15mm; }} .bg {{ background: #0072b2; color: white; }}</style></head>
<body><h1>Rapport</h1><p class="bg">Första sidan.</p><img src="https://example.org/x.png" alt="">
<h2 style="break-before: page">{second}</h2><p>Andra sidan.</p></body></html>"""


@pytest.mark.slow
def test_printer_prints_tagged_a4_with_bookmarks_offline(tmp_path):
    """The build's printer (Playwright driving the system Chromium): A4 from the page's @page rule, a
    structure tree, bookmarks from the headings, one browser for several prints; an image on another host
    does not hold the print up (every host name resolves to nothing)."""
    from followup.pdf import Printer

    with Printer(timeout=60) as printer:
        for second in ("Kapitel", "Bilaga"):
            page = tmp_path / f"{second}.html"
            page.write_text(PRINTABLE.format(second=second), encoding="utf-8")
            printer.print(page, tmp_path / "out" / f"{second}.pdf")
            with pikepdf.open(tmp_path / "out" / f"{second}.pdf") as doc:
                assert len(doc.pages) == 2
                assert [round(float(x)) for x in doc.pages[0].mediabox] == [0, 0, 595, 842]
                assert "/StructTreeRoot" in doc.Root
                with doc.open_outline() as outline:
                    titles = [item.title for item in outline.root] + [k.title for i in outline.root for k in i.children]
                assert second in titles


@pytest.mark.slow
def test_printer_says_what_went_wrong(tmp_path, monkeypatch):
    from followup import pdf as pdf_module

    with pdf_module.Printer(timeout=30) as printer:
        with pytest.raises(BuildError, match="chromium could not print nowhere.html"):
            printer.print(tmp_path / "nowhere.html", tmp_path / "x.pdf")

    def missing():
        raise BuildError("chromium not found: it makes the PDF")

    monkeypatch.setattr(pdf_module, "find_chromium", missing)
    with pdf_module.Printer() as printer:
        with pytest.raises(BuildError, match="chromium not found"):
            printer.print(tmp_path / "nowhere.html", tmp_path / "x.pdf")
