"""A small Sphinx extension: the single page, which is printed to the PDF, leaves out what is only for the screen.

The website's collapsed "Underlag" and "Diagrammets siffror" elements (sphinx-design dropdowns with the
class `only-screen`, see followup.chapter.dropdown) are hidden in print by print.css. In the single-page
build they are taken out of each page as it is read, so Sphinx neither stores, resolves nor writes them, and
Chromium never lays them out: the same PDF, from a page about half the size. Nor does the single page get a
search index (about 0,3 s of every build of it): nobody searches a page that is printed.
"""

from __future__ import annotations

from docutils import nodes

SCREEN_ONLY = "only-screen"


def _screen_only(node: nodes.Element) -> bool:
    # sphinx-design keeps a dropdown's :class-container: in "container_classes" until it is written
    return SCREEN_ONLY in node.get("classes", ()) or SCREEN_ONLY in node.get("container_classes", ())


def drop_screen_only(app, doctree) -> None:
    if app.builder.name != "singlehtml":
        return
    for node in list(doctree.findall(nodes.Element)):
        if _screen_only(node) and node.parent is not None:
            node.parent.remove(node)


def no_search(app) -> None:
    if app.builder.name == "singlehtml":
        app.builder.search = False


def setup(app):
    app.connect("builder-inited", no_search)
    app.connect("doctree-read", drop_screen_only)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
