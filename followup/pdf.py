"""The PDF: headless Chromium prints the single-page build (with a contents page); pikepdf repairs its
bookmarks and completes its tags; and a measurement of the printed layout.

Chromium makes a tagged A4 PDF with /Lang sv and bookmarks from the headings (the page size, running
header and "Sida X av Y" come from the print stylesheet the build writes). Two flaws of its bookmarks are
repaired afterwards with pikepdf: a heading moved to the next page by a keep-with-next rule gets its title twice
("IndikatorerIndikatorer"), and a heading that wraps over two lines loses the space at the line break
("Borlängekommuns"). Both are restored from the headings the report is known to have.
"""

from __future__ import annotations

import bisect
import contextlib
import csv
import itertools
import logging
import queue
import shutil
import statistics
import threading
import unicodedata
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .errors import BuildError

# The browser's command line (Playwright adds its own headless defaults). The resolver maps every host name to
# nothing: printing never reaches the network (the single page names one script on a CDN, MathJax's, which
# Sphinx adds to it and the report never needs).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--host-resolver-rules=MAP * ~NOTFOUND"]
# How the page is printed (Playwright's Page.pdf): the page size and margins come from print.css; tagged, with
# bookmarks from the headings, backgrounds printed, no header or footer of the browser's own.
PDF_OPTIONS = {"prefer_css_page_size": True, "print_background": True, "tagged": True, "outline": True}


def find_chromium() -> str:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise BuildError(
            "chromium not found: it makes the PDF. Run `make setup` (installs the Debian "
            "package chromium), or build without the PDF: --no-pdf / make report PDF=0"
        )
    return chromium


class Printer:
    """Debian's Chromium, driven by Playwright, started ahead of time: it starts (about 1 s of CPU) while the
    build still has other work, and prints each page it is handed in a fresh browser context, offline.

    Playwright's synchronous API belongs to the thread that started it, so the browser lives in a thread of its
    own and `print` hands it the work. It starts with the object, or with `start=False` when `start` (or the
    first `print`) says so. Use it as a context manager (or call `close`)."""

    def __init__(self, timeout: float = 180, start: bool = True):
        self.timeout = timeout
        self._jobs: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._serve, name="chromium", daemon=True)
        self._lock = threading.Lock()
        if start:
            self.start()

    def start(self) -> None:
        """Start the browser now (once; it may be called from any thread)."""
        with self._lock:
            if self._thread.ident is None:
                self._thread.start()

    def __enter__(self) -> Printer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def print(self, page: Path, pdf: Path) -> None:
        """Print a local HTML page to `pdf` (A4 and margins from its print stylesheet); wait for it."""
        pdf.parent.mkdir(parents=True, exist_ok=True)
        self.start()
        done: Future = Future()
        self._jobs.put((page, pdf, done))
        try:
            done.result(timeout=self.timeout + 60)
        except TimeoutError:
            raise BuildError(f"chromium did not finish printing {page.name} within {self.timeout:.0f} s") from None
        if not pdf.is_file() or pdf.stat().st_size == 0:
            raise BuildError(f"chromium printed no PDF of {page.name}")

    def close(self, wait: bool = True) -> None:
        """End the browser (with `wait`, wait for it, at most a few seconds); nothing to do when it never
        started. No print after it."""
        with self._lock:
            if self._thread.ident is None:
                return
        self._jobs.put(None)
        if wait:
            self._thread.join(timeout=10)

    def _serve(self) -> None:
        playwright = browser = None
        try:
            from playwright.sync_api import sync_playwright

            playwright = sync_playwright().start()
            browser = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        except Exception as exc:  # the browser did not start: every print says why
            error = exc if isinstance(exc, BuildError) else BuildError(f"chromium could not be started: {exc}")
            self._end(playwright, None)
            while (job := self._jobs.get()) is not None:
                job[2].set_exception(error)
            return
        try:
            while (job := self._jobs.get()) is not None:
                page, pdf, done = job
                try:
                    self._print(browser, page, pdf)
                    done.set_result(None)
                except Exception as exc:  # handed to the caller of print
                    done.set_exception(_print_error(page, exc))
        finally:
            self._end(playwright, browser)

    @staticmethod
    def _end(playwright, browser) -> None:
        # After a failed run the browser and Playwright's driver may be gone already (every process of the run
        # is stopped): nothing left to close, and nothing to say.
        for end in (browser and browser.close, playwright and playwright.stop):
            if end:
                with contextlib.suppress(Exception):
                    end()

    def _print(self, browser, page: Path, pdf: Path) -> None:
        context = browser.new_context()
        try:
            tab = context.new_page()
            tab.emulate_media(media="print")
            tab.goto(page.resolve().as_uri(), wait_until="load", timeout=self.timeout * 1000)
            tab.pdf(path=str(pdf), **PDF_OPTIONS)
        finally:
            context.close()


def _print_error(page: Path, exc: Exception) -> BuildError:
    return BuildError(f"chromium could not print {page.name}: {type(exc).__name__}: {str(exc).splitlines()[0]}")


# --- The contents page ------------------------------------------------------------------------------------
# Chromium cannot print a page number of a link's target (no CSS target-counter()), so the single page is
# printed with a contents page whose numbers are a guess (the last build's) or blank, laid out exactly like
# the real one, and, unless the guess was right, again with the numbers the first print's bookmarks give.
# The contents page follows the cover (`.report-cover`, when the page has one) and is hidden on screen
# (print.css shows `.only-print`).

CONTENTS_TITLE = "Innehåll"
CONTENTS_FILE = "_print-contents.html"  # written beside the single page while it is printed, then removed


def _has_class(cls: str) -> str:
    return f'contains(concat(" ", normalize-space(@class), " "), " {cls} ")'


def contents_entries(html: str) -> list[tuple[str, str]]:
    """(id, title) of the page's second-level headings (the start page's sections, the chapters and the
    appendix), in order: the entries of the contents page."""
    import lxml.html

    root = lxml.html.fromstring(html)
    entries = []
    for h2 in root.xpath(f"//article//section/h2[not(ancestor::*[{_has_class('only-screen')}])]"):
        for link in h2.xpath(f".//a[{_has_class('headerlink')}]"):
            link.drop_tree()
        entries.append((h2.getparent().get("id"), " ".join(h2.text_content().split())))
    if not entries:
        raise BuildError("the single page has no chapter headings (h2) for the PDF's contents page")
    return entries


def contents_html(entries: list[tuple[str, str]], pages: list[int] | None) -> str:
    """The contents page: each entry linked to its heading, with its page number (blank without `pages`)."""
    import html

    items = "".join(
        f'<li><a href="#{html.escape(ident)}"><span class="report-contents-entry">{html.escape(title)}</span>'
        f'<span class="report-contents-page">{"" if pages is None else pages[i]}</span></a></li>'
        for i, (ident, title) in enumerate(entries)
    )
    return (
        f'<nav class="report-contents only-print" aria-label="{CONTENTS_TITLE}">'
        f'<h2 class="report-contents-title">{CONTENTS_TITLE}</h2><ol>{items}</ol></nav>'
    )


def with_contents(html: str, contents: str, name: str = "index.html") -> str:
    """The page as it is printed: with the contents inserted after its cover, or at the start of its
    article, and without scripts (`without_scripts`). Its links to itself by file `name` ("index.html#x",
    which Sphinx writes for a reference to another document's label) become "#x": the page is printed under
    another name, and Chromium would write them as links to a file."""
    import lxml.html

    root = lxml.html.document_fromstring(html)
    without_scripts(root)
    for link in root.xpath("//a[starts-with(@href, $own)]", own=f"{name}#"):
        link.set("href", link.get("href")[len(name) :])
    block = lxml.html.fragment_fromstring(contents)
    cover = root.xpath(f"//*[{_has_class('report-cover')}]")
    if cover:
        cover[0].addnext(block)
    else:
        article = root.xpath("//article")
        if not article:
            raise BuildError("the single page has no <article> to put the PDF's contents page in")
        article[0].insert(0, block)
    return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


def without_scripts(root) -> None:
    """Remove the page's scripts (and their preloads), in place. Nothing the print shows comes from them: the
    theme's, the search's and the buttons' scripts only serve the screen, and Sphinx names MathJax on a CDN
    for a report without formulas. Run, they cost the print about 0,6 s of forced layouts of all its pages.
    The one thing the theme's first script sets, the light colour scheme, is set on <html> instead."""
    for element in root.xpath("//script | //link[@rel='preload'][@as='script']"):
        element.drop_tree()
    root.set("data-theme", "light")
    root.set("data-mode", "light")


def entry_pages(pdf: Path, entries: list[tuple[str, str]]) -> list[int]:
    """The page (1-based) of each contents entry: that of the first bookmark with its title after the
    previous entry's (whatever its level)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        marks = [(_compact(b.get_title()), b.get_dest().get_index() + 1) for b in doc.get_toc() if b.get_dest()]
    finally:
        doc.close()
    pages, rest = [], iter(marks)
    for _, title in entries:
        want = _compact(title)
        for mark, page in rest:
            if mark in (want, want * 2):  # a title may be doubled (see repaired_title)
                pages.append(page)
                break
        else:
            raise BuildError(f"the PDF has no bookmark for the contents entry {title!r}")
    return pages


def print_with_contents(page: Path, pdf: Path, printer, guess: list[int] | None = None) -> list[int]:
    """Print the single page with a contents page after its cover, with `printer(page, pdf)` (a
    `Printer`'s print); returns the entries' page numbers. The first print lists `guess` (the last build's
    numbers, when it had the same entries) or no numbers; when its bookmarks give other numbers, the page is
    printed again with those. An unchanged layout thus costs one print, a changed one two."""
    html = page.read_text(encoding="utf-8")
    entries = contents_entries(html)
    listed = guess if guess is not None and len(guess) == len(entries) else None
    draft = page.with_name(CONTENTS_FILE)
    try:
        for _ in range(2):
            draft.write_text(with_contents(html, contents_html(entries, listed), page.name), encoding="utf-8")
            printer(draft, pdf)
            pages = entry_pages(pdf, entries)
            if pages == listed:
                return pages
            listed = pages
    finally:
        draft.unlink(missing_ok=True)
    raise BuildError("the PDF's contents page changed the pages it lists (its numbers must not move text)")


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


# The structure types of PDF 1.7 (ISO 32000-1, 14.8.4); others need a /RoleMap entry to one of them.
STANDARD_TYPES = frozenset(
    "Document Part Art Sect Div BlockQuote Caption TOC TOCI Index NonStruct Private P H H1 H2 H3 H4 H5 H6 L LI "
    "Lbl LBody Table TR TH TD THead TBody TFoot Span Quote Note Reference BibEntry Code Link Annot Ruby RB RT RP "
    "Warichu WT WP Figure Formula Form".split()
)
# Chromium's types from PDF 2.0, mapped to their PDF 1.7 counterparts.
ROLE_MAP = {"Strong": "Span", "Em": "Span", "Title": "H", "Aside": "Div", "Sub": "Span", "FENote": "Note"}


def _elements(root):
    """Every structure element under `root`, in document order (parents before their children)."""
    import pikepdf

    stack = [root]
    while stack:
        node = stack.pop()
        if node is not root:
            yield node
        kids = node.get("/K")
        kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
        stack.extend(kid for kid in reversed(kids) if isinstance(kid, pikepdf.Dictionary) and "/S" in kid)


def tag_structure(doc) -> dict[str, int]:
    """Make the tags what a screen reader and a PDF/UA check expect: every Figure has alternative text, and
    every structure type is standard or role-mapped. Chromium tags an HTML <figure> as a Figure around the
    image's Figure (which has the image's alt text) and its Caption; that outer one becomes a Div (a Figure's
    alternative text would hide its caption from a screen reader). Returns counts of what was changed."""
    import pikepdf

    tree = doc.Root.get("/StructTreeRoot")
    if tree is None:
        raise BuildError("the PDF is not tagged (Chromium wrote no structure tree)")
    elements = list(_elements(tree))
    role_map = tree.get("/RoleMap") or pikepdf.Dictionary()
    changed = {"figure groups": 0, "role-mapped types": 0}
    for elem in elements:
        kind = str(elem.S)[1:]
        if kind == "Figure" and not str(elem.get("/Alt", "")).strip():
            inner = [e for e in _elements(elem) if str(e.S) == "/Figure" and str(e.get("/Alt", "")).strip()]
            if not inner:
                page = elem.get("/Pg")
                where = f" on page {doc.pages.index(page) + 1}" if page is not None else ""
                raise BuildError(f"a figure{where} of the PDF has no alternative text (give the image an alt text)")
            elem.S = pikepdf.Name("/Div")
            changed["figure groups"] += 1
        elif kind not in STANDARD_TYPES and f"/{kind}" not in role_map:
            if kind not in ROLE_MAP:
                raise BuildError(f"the PDF has the structure type /{kind}, which is not standard and has no role map")
            role_map[f"/{kind}"] = pikepdf.Name(f"/{ROLE_MAP[kind]}")
            changed["role-mapped types"] += 1
    if len(role_map):
        tree.RoleMap = role_map
    return changed


def finish(
    pdf: Path, headings: list[str], metadata: dict[str, str], epoch: int | None = None, lang: str = "sv"
) -> list[str]:
    """Repair the bookmarks, complete the tags (tag_structure), open with the bookmarks shown and the title
    in the window's title bar, state the language, and set the document information; returns the bookmark
    titles. (With pikepdf, i.e. qpdf: everything else in the file is written back as it was.)"""
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
        tag_structure(doc)
        doc.Root.PageMode = pikepdf.Name("/UseOutlines")
        prefs = doc.Root.get("/ViewerPreferences") or pikepdf.Dictionary()
        prefs.DisplayDocTitle = True
        doc.Root.ViewerPreferences = prefs
        doc.Root.Lang = pikepdf.String(lang)
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
    from pypdf import PdfReader  # (0,2 s to import: only when asked)

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

    def front_pages(self) -> int:
        """How many pages the cover and the contents take (the pages up to the contents page)."""
        return next((h.page for h in self.headings if repaired_title(h.title, {}) == CONTENTS_TITLE), 0)

    def sparse_pages(self, minimum: float = 0.5) -> list[int]:
        """Pages under `minimum` full that neither end a chapter nor are the cover or the contents."""
        ends, front = self.chapter_last_pages(), self.front_pages()
        return [p.number for p in self.pages if p.fill < minimum and p.number not in ends and p.number > front]

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
