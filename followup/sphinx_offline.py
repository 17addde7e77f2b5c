"""A small Sphinx extension: no page names another host.

Jupyter Book 1 always loads sphinx-thebe, which puts the address of its JavaScript bundle on a CDN into
every page (to run code cells live, which this report never does). This extension takes thebe's scripts
and its configuration out of every page, so the website and the PDF refer to no other host.
"""

from __future__ import annotations

from docutils import nodes


def _is_thebe(script) -> bool:
    filename = str(getattr(script, "filename", script) or "")
    body = str(getattr(script, "attributes", {}).get("body", ""))
    return "thebe" in filename or "THEBE_JS_URL" in body


def drop_thebe(app, pagename, templatename, context, doctree) -> None:
    if "script_files" in context:
        context["script_files"] = [s for s in context["script_files"] if not _is_thebe(s)]
    if "css_files" in context:
        context["css_files"] = [c for c in context["css_files"] if "thebe" not in str(getattr(c, "filename", c))]


def drop_thebe_config(app, doctree, docname) -> None:
    """sphinx-thebe also appends its configuration (a Binder repository, a kernel) to every page."""
    for node in list(doctree.findall(nodes.raw)):
        if "x-thebe-config" in node.astext() or "kernelName =" in node.astext():
            node.parent.remove(node)


def setup(app):
    app.connect("html-page-context", drop_thebe, priority=900)
    app.connect("doctree-resolved", drop_thebe_config, priority=900)  # after sphinx-thebe adds it
    return {"parallel_read_safe": True, "parallel_write_safe": True}
