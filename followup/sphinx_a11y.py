"""A small Sphinx extension: the website's interface in Swedish, a link to the accessibility statement on
every page, and no template fragments in the output.

- The themes (pydata-sphinx-theme, sphinx-book-theme) ship no Swedish catalogue for most of their interface
  strings ("Skip to main content", "Color mode", ...), and Sphinx's own Swedish catalogue leaves many empty
  ("Link to this heading", the search page's messages). `SWEDISH` holds them in Swedish. When the book is
  built, they are compiled with Babel into a message catalogue that Sphinx consults after its own (for the
  templates and Sphinx's writer), and into the `translations.js` of the search page's scripts.
- A few labels are written into the themes' templates in English, without translation (the sidebar
  toggles' "Toggle primary sidebar", the navigation's "Main", the print table of contents' "Page", the
  banner's "Announcement"). Small templates of the same names include the theme's template and translate
  those labels (`TEMPLATES`).
- The component template `followup-a11y-footer.html` (listed in the theme's `footer_content_items`) links
  the page named by `followup_accessibility_page` (the accessibility statement) from every page's footer.
- The themes copy two Jinja fragments (`webpack-macros.html`, `sbt-webpack-macros.html`) into `_static/`,
  where they are neither used nor meant to be read: they are removed from the output.

The strings and templates live in this module rather than in .po or .html files beside it: the build's
fingerprint of the package's code (followup.fingerprint) covers them, and a template holding their digest
makes Sphinx rewrite every page when one of them changes.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from sphinx.util import logging

logger = logging.getLogger(__name__)

LANGUAGE = "sv"
CATALOG = "sphinx"  # the catalogue Sphinx's templates and writers translate with

SWEDISH = {
    # pydata-sphinx-theme (its sphinx.pot)
    "Skip to main content": "Hoppa till huvudinnehållet",
    "Back to top": "Till början av sidan",
    "Search": "Sök",
    "Error": "Fel",
    "Please activate JavaScript to enable the search functionality.": (
        "Sökfunktionen behöver JavaScript. Slå på JavaScript i webbläsaren för att söka."
    ),
    "Breadcrumb": "Här är du",
    "Home": "Startsida",
    "Copyright %(copyright)s": "Upphovsrätt %(copyright)s",
    "© Copyright %(copyright)s.": "© %(copyright)s.",
    "Edit on %(provider)s": "Redigera på %(provider)s",
    "Edit": "Redigera",
    "Indices": "Register",
    "General Index": "Register",
    "On this page": "På den här sidan",
    "previous page": "föregående sida",
    "next page": "nästa sida",
    "Collapse Sidebar": "Dölj sidopanelen",
    "Expand Sidebar": "Visa sidopanelen",
    "Section Navigation": "Navigering i avsnittet",
    "Show Source": "Visa källan",
    "Color mode": "Färgläge",
    "Light": "Ljust",
    "Dark": "Mörkt",
    "System Settings": "Som i systemet",
    "Version warning": "Versionsvarning",
    "Announcement": "Meddelande",
    "Site navigation": "Webbplatsens navigering",
    # sphinx-book-theme: labels its templates write in English (see TEMPLATES)
    "Toggle primary sidebar": "Visa eller dölj navigeringen",
    "Toggle secondary sidebar": "Visa eller dölj innehållet på sidan",
    "Main": "Rapportens delar",
    "Page": "Sidans innehåll",
    # Sphinx: left empty by its Swedish catalogue
    "Link to this heading": "Länk till den här rubriken",
    "Link to this image": "Länk till den här bilden",
    "Link to this table": "Länk till den här tabellen",
    "Link to this code": "Länk till den här koden",
    "Link to this definition": "Länk till den här definitionen",
    "Link to this equation": "Länk till den här formeln",
    "Table of Contents": "Innehållsförteckning",
    "Symbols": "Symboler",
    # Sphinx's search page and highlighting (searchtools.js, sphinx_highlight.js: translations.js)
    "Searching": "Söker",
    "Preparing search...": "Förbereder sökningen …",
    "Search Results": "Sökresultat",
    "Search finished, found ${resultCount} page(s) matching the search query.": (
        "Sökningen är klar. Antal sidor som matchar: ${resultCount}."
    ),
    "Your search did not match any documents. Please make sure that all words are spelled correctly "
    "and that you've selected enough categories.": "Sökningen gav inga träffar. Kontrollera stavningen "
    "eller pröva andra ord.",
    "Searching for multiple words only shows matches that contain\n    all words.": (
        "En sökning på flera ord visar bara sidor som innehåller alla orden."
    ),
    ", in ": ", i ",
    "Hide Search Matches": "Dölj sökträffar",
}

# Templates that replace the themes' of the same name: each includes the theme's own and translates the
# labels it writes in English. (Sphinx looks in templates_path before the themes' folders.)
_REPLACED = {
    "toggle-primary-sidebar.html": (
        "sphinx_book_theme/components/toggle-primary-sidebar.html",
        ["Toggle primary sidebar"],
    ),
    "toggle-secondary-sidebar.html": (
        "sphinx_book_theme/components/toggle-secondary-sidebar.html",
        ["Toggle secondary sidebar"],
    ),
    "sbt-sidebar-nav.html": ("sphinx_book_theme/components/sbt-sidebar-nav.html", ["Main"]),
    "sections/announcement.html": ("pydata_sphinx_theme/sections/announcement.html", ["Announcement"]),
}


def _translate_labels(body: str, labels: list[str]) -> str:
    """A template block translating the attribute values `="<label>"` in what `body` renders."""
    for label in labels:
        body = f"{{%- filter replace('=\"{label}\"', '=\"' ~ _('{label}') ~ '\"') -%}}{body}{{%- endfilter -%}}"
    return body


TEMPLATES = {
    **{
        name: _translate_labels(f'{{%- include "{theme_template}" -%}}', labels) + "\n"
        for name, (theme_template, labels) in _REPLACED.items()
    },
    # sphinx-book-theme's layout labels its print-only table of contents "Page".
    "layout.html": '{% extends "sphinx_book_theme/layout.html" %}\n{% block docs_body %}'
    + _translate_labels("{{ super() }}", ["Page"])
    + "{% endblock %}\n",
    "followup-a11y-footer.html": (
        "{%- if followup_accessibility_href %}\n"
        '<p class="followup-a11y-link"><a href="{{ followup_accessibility_href }}">'
        "{{ followup_accessibility_title }}</a></p>\n"
        "{%- endif %}\n"
    ),
}

DIGEST = hashlib.sha256(json.dumps([SWEDISH, TEMPLATES], sort_keys=True).encode()).hexdigest()[:16]
# A template no page uses, holding the digest: Sphinx rewrites every page when a template is newer than the
# output, so a changed string (written into the catalogue, not a template) rewrites every page too.
TEMPLATES["followup-a11y-digest.html"] = f"{{# {DIGEST} #}}\n"
FRAGMENTS = ("webpack-macros.html", "sbt-webpack-macros.html")


def _write(path: Path, data: bytes) -> None:
    """Write only what changed: Sphinx rewrites every page when a template is newer than the output."""
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _work(app) -> Path:
    return Path(app.doctreedir) / "followup_a11y"


def mo_bytes(strings: dict[str, str]) -> bytes:
    catalog = Catalog(locale=LANGUAGE, domain=CATALOG)
    for msgid, msgstr in strings.items():
        catalog.add(msgid, msgstr)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def translations_js(sphinx_js: str, strings: dict[str, str]) -> str:
    """Sphinx's Swedish translations.js with the messages it leaves empty (or that `strings` words
    differently) taken from `strings`; a message still without translation is left out (shown in English
    rather than as nothing)."""
    match = re.fullmatch(r"\s*Documentation\.addTranslations\((.*)\);?\s*", sphinx_js, flags=re.S)
    if match is None:
        raise ValueError("Sphinx's translations.js has an unknown form")
    data = json.loads(match.group(1))
    messages = {k: strings.get(k, v) for k, v in data["messages"].items()}
    data["messages"] = {k: v for k, v in sorted(messages.items()) if v}
    return f"Documentation.addTranslations({json.dumps(data, indent=4, sort_keys=True)});\n"


def add_translations(app) -> None:
    """The Swedish catalogue, after Sphinx's own (it already holds Sphinx's translations)."""
    folder = _work(app) / "locale"
    _write(folder / LANGUAGE / "LC_MESSAGES" / f"{CATALOG}.mo", mo_bytes(SWEDISH))
    app.add_message_catalog(CATALOG, str(folder))


def add_templates(app, config) -> None:
    folder = _work(app) / "templates"
    for name, text in TEMPLATES.items():
        _write(folder / name, text.encode("utf-8"))
    # First: sphinx-book-theme has put its components' folder into templates_path already.
    config.templates_path = [str(folder), *config.templates_path]


def add_script_translations(app) -> None:
    """translations.js from a static folder of ours, copied over Sphinx's (html_static_path comes last)."""
    if app.builder is None or app.builder.format != "html" or app.config.language != LANGUAGE:
        return
    from sphinx import package_dir

    source = Path(package_dir) / "locale" / LANGUAGE / "LC_MESSAGES" / "sphinx.js"
    folder = _work(app) / "static"
    _write(folder / "translations.js", translations_js(source.read_text(encoding="utf-8"), SWEDISH).encode())
    app.config.html_static_path = [*app.config.html_static_path, str(folder)]


def check_page(app, env) -> None:
    """The configured statement must be a page of the book (a warning, which fails the report's build)."""
    page = app.config.followup_accessibility_page
    if page and page not in env.found_docs:
        logger.warning(f"followup_accessibility_page: {page!r} is not a page of the book (add it to _toc.yml)")


def footer_link(app, pagename, templatename, context, doctree) -> None:
    page = app.config.followup_accessibility_page
    if page and page in app.env.all_docs:
        context["followup_accessibility_href"] = context["pathto"](page)
        title = app.env.titles.get(page)
        context["followup_accessibility_title"] = title.astext() if title is not None else page


def drop_fragments(app, exception) -> None:
    if exception is None and app.builder is not None and app.builder.format == "html":
        for name in FRAGMENTS:
            (Path(app.outdir) / "_static" / name).unlink(missing_ok=True)


def setup(app):
    app.add_config_value("followup_accessibility_page", "", "html", types=[str])
    if app.config.language == LANGUAGE:
        add_translations(app)
    app.connect("config-inited", add_templates)
    app.connect("builder-inited", add_script_translations)
    app.connect("env-check-consistency", check_page)
    app.connect("html-page-context", footer_link)
    app.connect("build-finished", drop_fragments)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
