"""The build manifest (_build/manifest.json): what a report was built from and what it published.

The manifest records the git commit and whether the tree was clean, the parameters, the Python and package
versions, the sha256 of every input (plan, data snapshot, commentary, templates and pages) and of every
published file that carries content: each figure and table file, the results, the downloads and the PDF
(whose bytes carry Chromium's ids, so its text is hashed too: `content_sha256`).

followup.verify proves a report from its manifest; followup.publish archives it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path

from .fingerprint import git_info  # noqa: F401 (re-exported)
from .layout import sha256_file

FORMAT = "borlange-followup-build"
NOT_ARCHIVED = ("html/", "tables/")  # published with the website, not copied into reports/<year>/


def pdf_content_sha256(path: Path) -> str:
    """A hash of the PDF's text, page by page: equal for two prints of the same report. (PDFium extracts
    the text: twenty times quicker than pypdf on the report.)"""
    import pypdfium2

    h = hashlib.sha256()
    doc = pypdfium2.PdfDocument(str(path))
    try:
        h.update(f"pages:{len(doc)}\n".encode())
        for page in doc:
            h.update(page.get_textpage().get_text_range().encode("utf-8"))
            h.update(b"\f")
    finally:
        doc.close()
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def environment() -> dict:
    packages = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            packages[name.lower()] = dist.version
    return {"python": platform.python_version(), "packages": dict(sorted(packages.items()))}


def output_files(out: Path, pdf_content: dict[str, str] | None = None) -> dict[str, dict]:
    """The published files that carry content, by their path under _build/. `pdf_content`: the text hashes
    of PDFs already known (a PDF reused from an earlier print), not extracted again."""
    entries = {}
    patterns = ["html/_images/*.svg", "tables/**/*.csv", "results/**/*", "downloads/*", "pdf/*.pdf"]
    for pattern in patterns:
        for p in sorted(out.glob(pattern)):
            if p.is_file():
                rel = p.relative_to(out).as_posix()
                entries[rel] = {"sha256": sha256_file(p)}
                if p.suffix == ".pdf":
                    known = (pdf_content or {}).get(rel)
                    entries[rel]["content_sha256"] = known or pdf_content_sha256(p)
    return dict(sorted(entries.items()))


def make(
    out: Path, inputs: dict[str, str], parameters: dict, data: dict, git: dict, pdf_content: dict | None = None
) -> dict:
    """The manifest of a build whose published files are in `out`; `inputs` are the hashes of the files of
    followup.inputs.files (the one list of what a build reads)."""
    return {
        "format": FORMAT,
        "format_version": 1,
        "parameters": parameters,
        "git": git,
        "environment": environment(),
        "data": data,
        "inputs": dict(inputs),
        "outputs": output_files(out, pdf_content),
    }


def write(manifest: dict, path: Path) -> None:
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
