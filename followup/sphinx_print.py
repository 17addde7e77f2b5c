"""A small Sphinx extension: the single page, which is printed to the PDF, leaves out what is only for the screen.

The website's collapsed "Underlag" and "Diagrammets siffror" elements (sphinx-design dropdowns with the
class `only-screen`, see followup.chapter.dropdown) are hidden in print by print.css. The single page is
built from the website's pages (both builders share Sphinx's state, see followup.steps._books), so they are
taken out of each page as the single page is assembled, before its references are resolved: Sphinx neither
resolves nor writes them, and Chromium never lays them out (the same PDF, from a page about half the size).
Nor does the single page get a search index (about 0,3 s of every build of it): nobody searches a page that is
printed. Built before the website from the same state, it also removes the website's output of every page it
found changed (read again, or with figures renumbered), which the website's build then writes again.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.builders.singlehtml import SingleFileHTMLBuilder

SCREEN_ONLY = "only-screen"


def _screen_only(node: nodes.Element) -> bool:
    # sphinx-design keeps a dropdown's :class-container: in "container_classes" until it is written
    return SCREEN_ONLY in node.get("classes", ()) or SCREEN_ONLY in node.get("container_classes", ())


def drop_screen_only(doctree: nodes.Node) -> None:
    for node in list(doctree.findall(nodes.Element)):
        if _screen_only(node) and node.parent is not None:
            node.parent.remove(node)


class SinglePage(SingleFileHTMLBuilder):
    """Sphinx's single-page builder, with each page's doctree taken without its screen-only elements, and
    read once while the page is assembled: a {numref} then finds its target in the copy already read (the
    appendix has about 40 of them) instead of unpickling the target's page again (followup.sphinx_numref)."""

    search = False

    def write(self, build_docnames, updated_docnames, method="update") -> None:
        # The website is built next from the same saved state (followup.steps._books): it reads nothing again
        # and rewrites a page only when the page's file is newer than its output. A page this build found
        # changed without a new file (its figures renumbered by a change before it) would keep its old
        # numbers on the website: its output there goes, so that the website's build writes it again.
        website = Path(self.outdir).parent / "html"
        for docname in updated_docnames:
            (website / f"{docname}.html").unlink(missing_ok=True)
        super().write(build_docnames, updated_docnames, method)

    def assemble_doctree(self) -> nodes.document:
        env = self.env
        stored, pages = env.get_doctree, {}

        def get_doctree(docname: str) -> nodes.document:
            if docname not in pages:
                pages[docname] = stored(docname)  # (a copy: the stored doctree keeps everything)
                drop_screen_only(pages[docname])
            return pages[docname]

        env.get_doctree = get_doctree
        try:
            return super().assemble_doctree()
        finally:
            del env.get_doctree


def setup(app):
    app.add_builder(SinglePage, override=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
