"""The PDF: headless Chromium prints the single-page build; pikepdf repairs its bookmarks.

Chromium makes a tagged A4 PDF with /Lang sv and bookmarks from the headings (the page size, running
header and "Sida X av Y" come from the print stylesheet the build writes). Two flaws of its bookmarks are
repaired afterwards with pikepdf: a heading moved to the next page by a keep-with-next rule gets its title twice
("IndikatorerIndikatorer"), and a heading that wraps over two lines loses the space at the line break
("Borlängekommuns"). Both are restored from the headings the report is known to have.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
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
