"""Assembling the book: its configuration, table of contents and pages, the appendix's facts, the print
stylesheet, and Jupyter Book's builds.

The book root is not the repository: each run assembles it in its staging folder (book/) from the copies of
its inputs (inputs/book/, inputs/_config.yml, inputs/_toc.yml) and the executed notebooks (chapters/).
"""

from __future__ import annotations

import functools
import html
import os
import platform
import re
import shutil
import string
from importlib import metadata
from pathlib import Path

import yaml

from . import assessment, fmt, results, summary, toc
from .constants import CHAPTER_DIR, EXAMPLE_NOTE, OVERVIEW
from .data import Dataset, sha256_file
from .errors import BuildError
from .inputs import Inputs


def data_description(ds: Dataset) -> str:
    if ds.is_example:
        return (
            f"**{EXAMPLE_NOTE}.** Rapporten bygger på ett exempeldataset i samma format som en hämtning "
            f"från Kolada. Exempeldatat är påhittat och visar hur rapporten fungerar; siffrorna beskriver "
            f"inte Borlänge kommun."
        )
    date = ds.retrieved[:10]
    if not ds.local_delivered:
        return (
            f"Rapporten bygger på nyckeltal från Kolada, hämtade {date}. Kommunens egna uppgifter, där Kolada "
            f"saknar nyckeltal, har inte levererats än: det här är ett utkast."
        )
    return (
        f"Rapporten bygger på nyckeltal från Kolada, hämtade {date}, och på kommunens egna "
        f"uppgifter där Kolada saknar nyckeltal."
    )


def report_title(inputs: Inputs) -> str:
    return f"Uppföljning {inputs.year} av {inputs.plan.title}"


def substitutions(inputs: Inputs, docs: dict[str, dict]) -> dict[str, str]:
    """The start page's facts (and the facts other pages share): the cover, the status, the summary made
    from the goal areas' recorded results documents (followup.summary), the plan and the data."""
    plan, ds = inputs.plan, inputs.data
    members = ", ".join(m["member_title"] for m in ds.groups[plan.peer_group.id]["members"])
    areas = [plan.area(s).title for s in inputs.slugs]
    return {
        "report_title": report_title(inputs),
        "report_year": str(inputs.year),
        "plan_title": plan.title,
        "municipality": plan.municipality.name,
        "period": fmt.year_range(plan.period_start, plan.period_end),
        "period_note": plan.period_assumption or "",
        "data_description": data_description(ds),
        "data_source": "exempeldata" if ds.is_example else f"Kolada, hämtad {ds.retrieved[:10]}",
        "peer_group": plan.peer_group.name,
        "peer_members": members,
        "comparison": plan.comparison.name,
        "goal_areas": ", ".join(areas),
        "n_goal_areas": str(len(areas)),
        "missing_deliveries": "",
        **cover(inputs, docs),
        **summary_texts(inputs, docs),
    }


def cover_notes(inputs: Inputs, docs: dict[str, dict]) -> list[str]:
    """What the cover says besides the status: example data, local deliveries still missing."""
    notes = [EXAMPLE_NOTE] if inputs.data.is_example else []
    missing = missing_deliveries(docs, inputs.plan, inputs.year)
    if missing:
        notes.append(f"Lokala uppgifter för {inputs.year} saknas: " + ", ".join(title for title, _ in missing))
    return notes


def cover(inputs: Inputs, docs: dict[str, dict]) -> dict[str, str]:
    """The print-only cover's lines (book/index.md), as HTML text (it is a raw HTML block)."""
    notes = "".join(f'<p class="report-cover-note">{html.escape(n)}</p>' for n in cover_notes(inputs, docs))
    return {
        "cover_municipality": html.escape(f"{inputs.plan.municipality.name} kommun"),
        "cover_title": html.escape(report_title(inputs)),
        "cover_year": html.escape(
            f"Rapportår {inputs.year} · planperiod {fmt.year_range(inputs.plan.period_start, inputs.plan.period_end)}"
        ),
        "cover_status": html.escape(inputs.status.line(inputs.year)),
        "cover_notes": notes,
    }


def summary_texts(inputs: Inputs, docs: dict[str, dict]) -> dict[str, str]:
    """The summary's parts as Markdown, every number computed by followup.summary from the documents."""
    rows = [
        [
            f"{{doc}}`{a.title} <{CHAPTER_DIR}/{a.slug}>`",
            f'<span class="verdict {a.css_class}">{html.escape(a.label)}</span>',
            a.met_text,
        ]
        for a in summary.glance(docs)
    ]
    lacking, required = summary.without_actions(docs)
    if not lacking:
        actions = "Alla målområden har en text om åtgärder."
    else:
        actions = f"Målområden utan en text om åtgärder: {', '.join(lacking)}."
        if required:
            actions += (
                f" Av dem bedöms {', '.join(required)} som ej uppfyllt, där rapporten kräver en text om "
                f"åtgärder (kapitlet säger ”Åtgärder saknas”)."
            )
    return {
        "status_line": status_sentence(inputs.status.line(inputs.year), inputs.data.is_example),
        "summary_counts": summary.count_sentence(summary.counts(docs)),
        "summary_areas": _md_table(["Målområde", "Bedömning", "Indikatorer"], rows),
        "summary_changes": changes_text(inputs, docs),
        "summary_actions": actions,
    }


def status_sentence(line: str, is_example: bool) -> str:
    """The start page's status line (Markdown): the status, and the example-data notice when it applies."""
    return f"**Rapportens status:** {line}." + (f" **{EXAMPLE_NOTE}.**" if is_example else "")


def changes_text(inputs: Inputs, docs: dict[str, dict]) -> str:
    """What changed since last year's published report (or the sentence saying there is none)."""
    previous = inputs.previous
    if previous is None:
        return summary.no_previous_sentence(inputs.year)
    not_chosen = tuple(s for s in inputs.plan.slugs if s not in inputs.slugs)  # a subset build (--areas)
    changes = summary.compare(docs, previous, not_chosen)
    lines = [summary.comparison_sentence(changes, previous["report_year"])]
    moved_areas = summary.areas_moved(docs, previous)
    if moved_areas:
        lines.append(
            "Målområden med en annan bedömning än förra året: "
            + "; ".join(f"{t} ({assessment.label(a)} → {assessment.label(b)})" for t, a, b in moved_areas)
            + "."
        )
    moved = [c for c in changes if c.kind == "moved"]
    if moved:
        lines.append(
            "\n".join(
                f"- {c.goal_area}, {c.title}: {assessment.label(c.before)} → {assessment.label(c.after)}"
                + (f" ({'; '.join(c.reasons)})" if c.reasons else " (skälet framgår inte av resultaten)")
                for c in moved
            )
        )
    for kind, words in (
        ("new", "Nya indikatorer"),
        ("rule_changed", "Indikatorer med ändrad bedömningsregel"),
        ("removed", "Indikatorer som inte finns med i år"),
    ):
        named = [f"{c.title} ({c.goal_area})" for c in changes if c.kind == kind]
        if named:
            lines.append(f"{words}: {', '.join(named)}.")
    return "\n\n".join(lines)


def pdf_name(year: int) -> str:
    return f"arsuppfoljning-{year}.pdf"


def pdf_headings(inputs: Inputs) -> list[str]:
    """Headings the PDF's bookmarks must show as written (see followup.pdf)."""
    return [
        report_title(inputs),
        *START_PAGE_HEADINGS,
        *(inputs.plan.area(s).title for s in inputs.slugs),
        "Fokus för att uppnå målsättningen",
        "Utveckling över tid",
    ]


# The start page's headings under its title (book/index.md: the report's title, then these), in order: the
# PDF's first bookmarks after the title; a test checks the page.
START_PAGE_HEADINGS = (
    "Sammanfattning",
    "Målområdena i korthet",
    "Förändringar sedan förra årets rapport",
    "Åtgärder i målområdena",
    "Planen och perioden",
    "Data",
    "Så läser du rapporten",
)


def pdf_link(inputs: Inputs, with_pdf: bool) -> str:
    """The start page's link to the PDF: on the website only (none without a PDF)."""
    name = pdf_name(inputs.year)
    return only_website(f"Rapporten finns också som PDF: [{name}](filer/{name}).") if with_pdf else ""


# The website and the single page (printed to the PDF) are built from the same pages (one Sphinx state, read
# once): what differs is in Sphinx's `only` blocks, which each builder resolves as it writes.
def only_website(website: str, printed: str = "") -> str:
    """Markdown shown on the website, and `printed` instead in the single page."""
    text = f"```{{only}} not singlehtml\n{website}\n```\n"
    return text + (f"\n```{{only}} singlehtml\n{printed}\n```\n" if printed else "")


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def missing_deliveries(docs: dict[str, dict], plan, year: int) -> list[tuple[str, str]]:
    """The local indicators whose value for the report year has not been delivered: (title, supplier)."""
    suppliers = {ind.id: ind.supplier for _, ind in plan.indicators()}
    return [
        (r["short_title"], suppliers.get(r["id"]) or "")
        for doc in docs.values()
        for r in doc["indicators"]
        if r.get("missing_delivery") == year
    ]


def missing_deliveries_text(docs: dict[str, dict], plan, year: int) -> str:
    """The start page's list of missing deliveries (empty when every local value has arrived)."""
    missing = missing_deliveries(docs, plan, year)
    if not missing:
        return ""
    items = "\n".join(f"- {title}: uppgift från {supplier}" for title, supplier in missing)
    return (
        f":::{{important}} Uppgifter saknas\nFöljande lokala uppgifter för {year} har inte levererats än; "
        f"indikatorerna kan därför inte bedömas i den här versionen av rapporten:\n\n{items}\n:::"
    )


def results_table(docs: dict[str, dict], folder: Path) -> str:
    """The goal areas' recorded verdicts, as the appendix lists them, with their documents' hashes."""
    rows = []
    for slug, doc in docs.items():
        g = doc["goal_area"]
        path = folder / f"{slug}.json"
        rows.append(
            [
                g["title"],
                assessment.label(g["shown"]) + (" (justerad)" if g["override"] else ""),
                g["met_text"],
                f"`{sha256_file(path)[:16]}`",
            ]
        )
    return _md_table(["Målområde", "Bedömning", "Indikatorer", "Dokumentets sha256 (början)"], rows)


def _published(rel: str) -> str:
    """A file of a chapter's folder as it is published under _build/ (a chart is copied into html/_images/)."""
    return f"html/_images/{Path(rel).name}" if rel.startswith("figures/") else rel


def provenance_details(chapters: Path, titles: dict[str, str]) -> str:
    """The appendix's full provenance, per chapter (in `titles`' order, titles as Markdown) and figure or
    table, from the chapters' provenance records; each entry is the target of its line in the PDF."""
    sections = []
    for chapter, title in titles.items():
        entries = results.read_provenance(chapters, chapter)
        lines = [f"### {title}"]
        for e in entries:
            what = f"{{numref}}`{e['name']}`" if e["kind"] == "figure" else "Tabell"
            text = (
                f"({e['label']})=\n{what}: **{e['title_md']}**. {e['details_md'][:1].upper()}{e['details_md'][1:]}. "
                f"Beräkning: `{e['function']}`. Fil: `{_published(e['file'])}`, sha256 `{e['sha256'][:16]}`."
            )
            if e.get("numbers_file"):
                text += f" Diagrammets siffror: `{_published(e['numbers_file'])}`, sha256 `{e['numbers_sha256'][:16]}`."
            lines.append(text)
        if not entries:
            lines.append("Kapitlet har inga figurer eller tabeller.")
        sections.append("\n\n".join(lines))
    return "\n\n".join(sections)


def appendix_substitutions(
    inputs: Inputs,
    recorded: dict[str, str],
    chapters: Path,
    out: Path,
    files: dict[str, Path],
    docs: dict[str, dict],
    git: dict,
) -> dict[str, str]:
    """What the appendix "Om rapporten" states: provenance, downloads, checksums, how to reproduce."""
    key = ["jupyter-book", "papermill", "nbformat", "pandas", "matplotlib", "seaborn", "pikepdf", "xlsxwriter"]
    packages = ", ".join(f"{k} {v}" for k, v in ((k, _version(k)) for k in key) if v)
    ds = inputs.data
    if ds.is_example:
        provenance = (
            f"Rapporten bygger på **exempeldata** (`{inputs.data_root}/`), "
            f"som är påhittade och inte officiell statistik."
        )
    else:
        api = ds.kolada_manifest.get("api") or {}
        provenance = (
            f"Nyckeltalen hämtades från Kolada ({api.get('base_url', 'Kolada')}, API-version "
            f"{api.get('version', 'v3')}) {ds.retrieved[:10]}."
        )
    provenance += f" Ögonblicksbildens kontrollsumma (sha256 av dess manifest) börjar med `{ds.snapshot_id}`. " + (
        f"Lokala uppgifter: `{inputs.data_root}/local/values.csv`."
        if ds.local_delivered
        else "Lokala uppgifter har inte levererats."
    )
    inputs_rows = [[f"`{rel}`", f"`{digest[:16]}`"] for rel, digest in recorded.items()]
    figures = sorted(chapters.glob("figures/*/*.svg"))
    tables = sorted(chapters.glob("tables/*.csv"))
    output_rows = [[f"`html/_images/{f.name}`", f"`{sha256_file(f)[:16]}`"] for f in figures]
    output_rows += [[f"`tables/{t.name}`", f"`{sha256_file(t)[:16]}`"] for t in tables]
    output_rows += [[f"`{p.parent.name}/{p.name}`", f"`{sha256_file(p)[:16]}`"] for p in files.values()]
    # The website links the files; the PDF names them (a link there would point into the build folder).
    downloads = only_website(
        "\n".join(f"- [{p.name}](filer/{p.name})" for p in files.values()),
        "\n".join(f"- `{p.name}` (att ladda ner från rapportens webbplats)" for p in files.values()),
    )
    return {
        "data_provenance": provenance,
        "downloads": downloads,
        "results_table": results_table(docs, out / "results" / "areas"),
        "provenance_details": provenance_details(
            chapters, {OVERVIEW: "Översikt", **{slug: doc["goal_area"]["title"] for slug, doc in docs.items()}}
        ),
        "missing_deliveries": missing_deliveries_text(docs, inputs.plan, inputs.year),
        "inputs_table": _md_table(["Indatafil", "sha256 (början)"], inputs_rows),
        "outputs_table": _md_table(["Publicerad fil under `_build/`", "sha256 (början)"], output_rows),
        "git_commit": (f"`{git['commit'][:12]}`" + ("" if git["clean"] else " (med ändringar som inte var incheckade)"))
        if git["commit"]
        else "okänd (ingen git-utcheckning)",
        "environment": f"Python {platform.python_version()}; {packages}",
    }


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def write_book_config(inputs: Inputs, src: Path, dest: Path) -> None:
    """The staged _config.yml: the committed one with this build's title and, for example data, banner. It
    carries no per-build facts (they are written into the pages, `filled_pages`): a changed configuration
    would make Sphinx read every page again."""
    config = yaml.safe_load(src.read_text(encoding="utf-8"))
    config["title"] = report_title(inputs)
    config.setdefault("parse", {})["myst_substitutions"] = {}
    options = config.setdefault("sphinx", {}).setdefault("config", {}).setdefault("html_theme_options", {})
    if inputs.data.is_example:
        options["announcement"] = f"{EXAMPLE_NOTE}. Siffrorna i rapporten är påhittade."
    else:
        options.pop("announcement", None)
    dest.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


SUBSTITUTION = re.compile(r"\{\{(.+?)\}\}")


def filled_pages(book: Path, values: dict[str, str]) -> dict[Path, str]:
    """The book's Markdown pages with this build's facts written in, by path relative to `book` (only those
    with a fact): each `{{ name }}` (or `{{ name | filter }}`, as MyST's substitutions) is rendered with
    Jinja. An unknown name is an error."""
    import jinja2

    filled = {}
    for page in sorted(book.rglob("*.md")):
        text = page.read_text(encoding="utf-8")

        def one(match, page=page):
            try:
                return _fact(match.group(1)).render(values)
            except jinja2.TemplateError as exc:
                raise BuildError(f"{page.name}: {{{{{match.group(1)}}}}}: {exc}") from None

        new = SUBSTITUTION.sub(one, text)
        if new != text:
            filled[page.relative_to(book)] = new
    return filled


@functools.cache
def _fact(expression: str):
    """A fact's template, compiled once per process."""
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    return env.from_string("{{" + expression + "}}")


def sync(src: Path, dest: Path, replaced: dict[Path, str] | None = None) -> int:
    """Make dest/ hold exactly src/'s files (dest/_build/, Sphinx's state and output, is kept), the files in
    `replaced` (relative paths) with that text instead. A file whose bytes are unchanged keeps its time; a new
    or changed one is written now, so Sphinx, which judges a page by its time, reads it again (a copy with an
    older time would be skipped). Returns the files written."""
    replaced = replaced or {}
    dest.mkdir(parents=True, exist_ok=True)
    wanted = {p.relative_to(src) for p in src.rglob("*") if p.is_file()}
    written = 0
    for rel in sorted(wanted):
        target = dest / rel
        data = replaced[rel].encode("utf-8") if rel in replaced else (src / rel).read_bytes()
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        os.utime(target)  # now, whatever time the source had
        written += 1
    kept = [top for top in dest.iterdir() if top.name != "_build"]  # (not walked: hundreds of Sphinx's files)
    for path in sorted((p for top in kept for p in (top, *(top.rglob("*") if top.is_dir() else ()))), reverse=True):
        rel = path.relative_to(dest)
        if path.is_file() and rel not in wanted:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return written


# The PDF's page margins (top, right, bottom, left) in mm: written into print.css, and assumed by the
# measurement of the printed layout (followup.pdf.measure).
PAGE_MARGINS_MM = (15, 15, 14, 15)


def print_css(inputs: Inputs, template: Path) -> str:
    """The print stylesheet (book/_static/print.css, a template) with this report's running header and the
    sections that start a page."""
    header = report_title(inputs)
    if inputs.data.is_example:
        header += f" · {EXAMPLE_NOTE}"
    # (a chapter has its title as h2 in the single page; the appendix has sections of the same ids, h4, which run on)
    chapters = ", ".join(f"section#{name}:has(> h2)" for name in [OVERVIEW, *inputs.slugs])
    text = string.Template(template.read_text(encoding="utf-8"))
    margin = " ".join(f"{m}mm" for m in PAGE_MARGINS_MM)
    content_height = f"{297 - PAGE_MARGINS_MM[0] - PAGE_MARGINS_MM[2]}mm"  # A4
    return text.substitute(
        header=header.replace("\\", "\\\\").replace('"', '\\"'),
        chapters=chapters,
        margin=margin,
        content_height=content_height,
    )


def assemble(inputs: Inputs, stage: Path) -> Path:
    """The book root in stage/book/, from the run's copies of the inputs (stage/inputs/)."""
    src, book = stage / "inputs", stage / "book"
    shutil.copytree(src / "book", book, ignore=shutil.ignore_patterns("commentary"))
    (book / CHAPTER_DIR / "tables").mkdir(parents=True)
    css = book / "_static" / "print.css"
    css.write_text(print_css(inputs, src / "book" / "_static" / "print.css"), encoding="utf-8")
    write_book_config(inputs, src / "_config.yml", book / "_config.yml")
    chosen = toc.subset(toc.check(src / "_toc.yml", inputs.plan), inputs.slugs)
    (book / "_toc.yml").write_text(yaml.safe_dump(chosen, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return book
