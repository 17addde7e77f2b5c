"""The PDF: headless Chromium prints the single-page build; pikepdf repairs its bookmarks.

Chromium makes a tagged A4 PDF with /Lang sv and bookmarks from the headings (the page size, running
header and "Sida X av Y" come from the print stylesheet the build writes). Two flaws of its bookmarks are
repaired afterwards with pikepdf: a heading moved to the next page by a keep-with-next rule gets its title twice
("IndikatorerIndikatorer"), and a heading that wraps over two lines loses the space at the line break
("Borlängekommuns"). Both are restored from the headings the report is known to have.
"""

from __future__ import annotations

import bisect
import csv
import itertools
import logging
import shutil
import statistics
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pypdf import PdfReader

from .errors import BuildError

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--log-level=3",
    "--no-pdf-header-footer",
    "--generate-pdf-document-outline",
]


def find_chromium() -> str:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise BuildError(
            "chromium not found: it makes the PDF. Run `make setup` (installs the Debian "
            "package chromium), or build without the PDF: --no-pdf / make report PDF=0"
        )
    return chromium


def print_to_pdf(page: Path, pdf: Path, timeout: int = 180) -> None:
    """Print a local HTML page to PDF with headless Chromium, offline, with a fresh profile."""
    chromium = find_chromium()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        cmd = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf}",
            page.resolve().as_uri(),
        ]
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BuildError(f"chromium did not finish printing {page.name} within {timeout} s") from None
    if result.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
        raise BuildError(f"chromium could not print the PDF (exit {result.returncode}):\n{result.stderr[-2000:]}")


def repaired_title(title: str, known: dict[str, str]) -> str:
    """The heading a bookmark title stands for: doubled or space-less titles mapped back to the heading."""
    half = len(title) // 2
    if len(title) % 2 == 0 and title[:half] == title[half:]:
        title = title[:half]
    return known.get("".join(title.split()), title)


def _outline_items(item):
    while item is not None:
        yield item
        if "/First" in item:
            yield from _outline_items(item.First)
        item = item.get("/Next")


def finish(pdf: Path, headings: list[str], metadata: dict[str, str], epoch: int | None = None) -> list[str]:
    """Repair the bookmarks and set the document information; returns the bookmark titles. (With pikepdf,
    i.e. qpdf: everything else in the file, its tags included, is written back as it was.)"""
    logging.getLogger("pikepdf").setLevel(logging.WARNING)  # it announces its logger at INFO
    import pikepdf

    known = {"".join(h.split()): h for h in headings}
    titles = []
    tmp = pdf.with_suffix(".tmp.pdf")
    with pikepdf.open(pdf) as doc:
        outlines = doc.Root.get("/Outlines")
        if outlines is not None and "/First" in outlines:
            for item in _outline_items(outlines.First):
                title = repaired_title(str(item.Title), known)
                item.Title = pikepdf.String(title)
                titles.append(title)
        for key, value in metadata.items():
            doc.docinfo[f"/{key}"] = pikepdf.String(value)
        if epoch is not None:
            stamp = datetime.fromtimestamp(epoch, UTC).strftime("D:%Y%m%d%H%M%SZ")
            doc.docinfo["/CreationDate"] = pikepdf.String(stamp)
            doc.docinfo["/ModDate"] = pikepdf.String(stamp)
        doc.save(tmp)
    tmp.replace(pdf)
    return titles


def bookmark_titles(pdf: Path) -> list[str]:
    reader = PdfReader(str(pdf))

    def walk(items):
        for x in items:
            if isinstance(x, list):
                yield from walk(x)
            else:
                yield str(x["/Title"])

    return list(walk(reader.outline))


# --- Measuring the printed layout (the print stylesheet's rules, checked on the PDF itself) -------------

MM = 72 / 25.4


def _compact(text: str) -> str:
    """Text without whitespace, ligatures resolved: wrapped lines and cells compare equal."""
    return "".join(unicodedata.normalize("NFKC", text).split())


@dataclass
class PageLayout:
    number: int  # 1-based
    fill: float  # the share of the content box's height from its top to the lowest thing drawn
    outside: list[tuple[float, float, float, float]]  # bounds of things drawn outside the content box


@dataclass
class Heading:
    title: str
    level: int
    page: int  # 1-based
    offset: float  # its distance from the top of the content box, in points
    alone: bool  # the last thing on its page (nothing of its section follows it there)


@dataclass
class Layout:
    pages: list[PageLayout]
    headings: list[Heading]
    text: str  # the body text of the whole document, compacted (see _compact), in the order it is drawn
    page_ends: list[int] = field(default_factory=list)  # where each page's text ends in `text`

    @property
    def median_fill(self) -> float:
        return statistics.median(p.fill for p in self.pages)

    def chapter_last_pages(self) -> set[int]:
        """The last page of each chapter (a top-level heading at the top of a page starts one), and the
        document's last page."""
        starts = sorted({h.page for h in self.headings if h.level <= 1 and h.offset < 36})
        return {s - 1 for s in starts if s > 1} | {len(self.pages)}

    def sparse_pages(self, minimum: float = 0.5) -> list[int]:
        """Pages under `minimum` full that do not end a chapter."""
        ends = self.chapter_last_pages()
        return [p.number for p in self.pages if p.fill < minimum and p.number not in ends]

    def missing_cells(self, rows: list[list[str]]) -> list[str]:
        """The cells of a table (header row first) that the PDF's text does not show in order; a table is
        found by its header row (the place from which most cells follow), and each cell must follow the one
        before it, on the same page or the next (Chromium may draw a paragraph after a table before it)."""
        header = _compact("".join(rows[0]))
        ends = self.page_ends or [len(self.text)]
        cells = [_compact(c) for row in rows for c in row if _compact(c)]
        best: list[str] | None = None
        start = self.text.find(header)
        while start >= 0:
            pos, missing = start, []
            for cell, raw in zip(cells, (c for row in rows for c in row if _compact(c)), strict=True):
                page = bisect.bisect_right(ends, max(pos - 1, 0))  # where the previous cell ends
                found = self.text.find(cell, pos, ends[min(page + 1, len(ends) - 1)])
                if found < 0:
                    missing.append(raw)
                else:
                    pos = found + len(cell)
            if best is None or len(missing) < len(best):
                best = missing
            if not missing:
                break
            start = self.text.find(header, start + 1)
        return best if best is not None else [rows[0][0] + " … (the header row is not in the PDF)"]


def measure(pdf: Path, margins_mm: tuple[float, float, float, float]) -> Layout:
    """How the PDF's pages are used: per page the fill and anything drawn outside the content box (the page
    less its margins, where only the running header and the page number belong); per bookmarked heading
    whether it stands alone at the foot of its page; and the body text. `margins_mm` (top, right, bottom,
    left) are the print stylesheet's (book.PAGE_MARGINS_MM)."""
    import pypdfium2 as pdfium

    top_m, right_m, bottom_m, left_m = (m * MM for m in margins_mm)
    doc = pdfium.PdfDocument(str(pdf))
    try:
        pages, texts, lowest_by_page, tops = [], [], [], []
        for index in range(len(doc)):
            page = doc[index]
            width, height = page.get_size()
            box = (left_m, bottom_m, width - right_m, height - top_m)
            body, outside = [], []
            for obj in page.get_objects(max_depth=3):
                if obj.type not in (1, 2, 3):  # text, path, image (forms are entered)
                    continue
                left, bottom, right, top = obj.get_bounds()
                if bottom >= box[3] - 0.5 or top <= box[1] + 0.5:
                    continue  # the running header, the page number
                if obj.type == 2 and (right - left) * (top - bottom) > 0.8 * (box[2] - box[0]) * (box[3] - box[1]):
                    continue  # the page's background
                body.append((left, bottom, right, top))
                tol = 2.0  # half a table border may lie on the edge
                if left < box[0] - tol or right > box[2] + tol or top > box[3] + tol or bottom < box[1] - tol:
                    outside.append((round(left, 1), round(bottom, 1), round(right, 1), round(top, 1)))
            lowest = min((b[1] for b in body), default=box[3])
            pages.append(PageLayout(index + 1, (box[3] - lowest) / (box[3] - box[1]), outside))
            lowest_by_page.append(lowest)
            tops.append(box[3])
            textpage = page.get_textpage()
            chars = [(textpage.get_text_range(i, 1), textpage.get_charbox(i)) for i in range(textpage.count_chars())]
            texts.append([(c, b) for c, b in chars if c.strip() and box[1] < b[1] and b[3] < box[3]])
        headings = []
        for item in doc.get_toc():
            dest = item.get_dest()
            if dest is None:
                continue
            index, (_, (_, y, _)) = dest.get_index(), dest.get_view()
            title = item.get_title()
            alone = _alone(title, y, texts[index], lowest_by_page[index])
            headings.append(Heading(title, item.level, index + 1, tops[index] - y, alone))
        page_texts = ["".join(_compact(c) for c, _ in chars) for chars in texts]
        return Layout(pages, headings, "".join(page_texts), list(itertools.accumulate(map(len, page_texts))))
    finally:
        doc.close()


def _alone(title: str, y: float, chars: list, lowest: float) -> bool:
    """Whether the heading `title` whose top is at `y` is the last thing on its page."""
    wanted = _compact(title)
    flat = "".join(_compact(c) for c, _ in chars)
    best = None
    start = flat.find(wanted)
    while start >= 0:
        boxes = [b for _, b in chars[start : start + len(wanted)]]
        if best is None or abs(boxes[0][3] - y) < abs(best[0][3] - y):
            best = boxes
        start = flat.find(wanted, start + 1)
    if best is None:
        return False  # not found on its page: not judged here (the text checks find missing text)
    heading_bottom = min(b[1] for b in best)
    return lowest >= heading_bottom - 2.0


def table_rows(csv_path: Path) -> list[list[str]]:
    """A table file's rows (header first), as the report displays them."""
    with csv_path.open(encoding="utf-8", newline="") as f:
        return [row for row in csv.reader(f)]


def layout_summary(pdf: Path, tables: list[Path] = ()) -> str:
    """A short account of the PDF's layout (python -m followup.pdf PDF [TABLE.csv ...])."""
    from .book import PAGE_MARGINS_MM

    layout = measure(pdf, PAGE_MARGINS_MM)
    lines = [
        f"{len(layout.pages)} pages, median fill {layout.median_fill:.0%}",
        "fills: " + " ".join(f"{p.number}:{p.fill:.0%}" for p in layout.pages),
        f"under half full (not a chapter's last): {layout.sparse_pages()}",
        f"headings alone at a page foot: {[(h.title, h.page) for h in layout.headings if h.alone]}",
        f"pages with something outside the content box: {[p.number for p in layout.pages if p.outside]}",
    ]
    for table in tables:
        missing = layout.missing_cells(table_rows(table))
        if missing:
            lines.append(f"{table.name}: {len(missing)} cells missing, e.g. {missing[:3]}")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    print(layout_summary(Path(sys.argv[1]), [Path(a) for a in sys.argv[2:]]))
